"""A crash's output never shows local variables (a customer's email, a note, a token)."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from textual.app import App
from tui_helpers import make_app, settle

from hsinbox.tui.app import HsInboxApp

# Built, not written out: a traceback shows source lines, and only locals must stay hidden.
TOKEN = "-".join(["tok", "7f3a9c1e5b2d", "secret"])
EMAIL = "@".join(["jane.customer", "example.com"])


def _explode() -> None:
    access_token = TOKEN  # locals the traceback must not print
    customer_email = EMAIL
    raise RuntimeError(f"forced crash ({len(access_token) + len(customer_email)})")


async def test_a_crash_prints_no_locals(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    app, _sb, session = make_app(tmp_path)
    with pytest.raises(RuntimeError, match="forced crash"):
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot, session)
            app.call_later(_explode)
            await pilot.pause()
            await pilot.pause()
    err = capsys.readouterr().err
    assert "RuntimeError" in err and "_explode" in err  # the traceback itself is shown
    assert TOKEN not in err
    assert EMAIL not in err


def test_canary_textual_still_prints_crashes_through_fatal_error() -> None:
    """Fails loudly when Textual renames or stops using the private hook overridden."""
    assert "_fatal_error" in vars(App), "Textual no longer has App._fatal_error"
    assert "_fatal_error" in vars(HsInboxApp)
    assert "self._fatal_error()" in inspect.getsource(App._handle_exception)
    fatal = inspect.getsource(App._fatal_error)
    assert "Traceback(" in fatal
    tracebacks = [
        name
        for name, member in vars(App).items()
        if callable(member) and name != "_fatal_error" and "Traceback(" in inspect.getsource(member)
    ]
    assert tracebacks == [], f"Textual builds a traceback elsewhere too: {tracebacks}"
