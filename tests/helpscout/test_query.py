"""query.py: the one escaper of Help Scout's query syntax."""

from __future__ import annotations

from hsinbox.helpscout.query import field_phrase, quoted


def test_quoted_escapes_backslashes_then_quotes() -> None:
    assert quoted('say "hi" \\ bye') == '"say \\"hi\\" \\\\ bye"'
    assert quoted('\\"') == '"\\\\\\""'  # a trailing backslash cannot swallow the quote


def test_field_phrase() -> None:
    assert field_phrase("subject", 'Refund "now"') == 'subject:"Refund \\"now\\""'
