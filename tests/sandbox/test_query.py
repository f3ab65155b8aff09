"""The search language on its own."""

from __future__ import annotations

import pytest

from hsinbox.sandbox.query import QuerySyntaxError, compile_query

FIELDS = {"subject", "tag", "number", "createdat"}
RANGES = frozenset({"createdat"})
DOC = {
    "createdat": ["2026-11-20T10:00:00Z"],
    "subject": ["Refund for Order 12"],
    "tag": ["vip", "billing"],
    "number": ["123"],
    "_text": ["Refund for Order 12", "Ada Lovelace"],
}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('subject:"refund"', True),
        ("subject:refund", True),
        ('subject:"shipping"', False),
        ('(subject:"refund" OR subject:"x") AND NOT tag:"spam"', True),
        ('subject:"refund" tag:"spam"', False),
        ('NOT tag:"vip"', False),
        ("lovelace", True),
        ('"order 12"', True),
        ('number:"12"', False),
        ('number:"123"', True),
        ('subject:"say \\"hi\\""', False),
        ("createdAt:[2026-11-01T00:00:00Z TO *]", True),
        ("createdAt:[* TO 2026-11-19T00:00:00Z]", False),
        ('createdAt:[2026-11-20T10:00:00Z TO 2026-11-20T10:00:00Z] AND tag:"vip"', True),
    ],
)
def test_matching(query: str, expected: bool) -> None:
    assert compile_query(query, FIELDS, frozenset({"number"}), RANGES)(DOC) is expected


@pytest.mark.parametrize(
    "query",
    [
        "(subject:x",
        "subject:x)",
        "AND",
        "NOT",
        "colour:red",
        "",
        "subject:[a TO b]",
        "createdAt:[2026-11-01 TO *]",
    ],
)
def test_syntax_errors(query: str) -> None:
    with pytest.raises(QuerySyntaxError):
        compile_query(query, FIELDS, range_fields=RANGES)
