"""Issue 11: what an afternoon of real use found that left Help Scout in the wrong state.

Each test drives the real keys over the in-process sandbox and asserts the sandbox's state
and the exact requests, or the screen text.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from textual.widgets import Static
from tui_helpers import conv, make_app, settle, writes

from hsinbox.sandbox import Sandbox
from hsinbox.tui.app import HsInboxApp
from hsinbox.tui.inbox_screen import InboxScreen
from hsinbox.tui.widgets import StatusLine


class Gate:
    """The session's ``sleep``: a back-off waits here until the test lets it go."""

    def __init__(self) -> None:
        self._open = asyncio.Event()

    async def __call__(self, _seconds: float) -> None:
        await self._open.wait()

    def release(self) -> None:
        self._open.set()
        self._open = asyncio.Event()


def screen_of(app: HsInboxApp) -> InboxScreen:
    screen = app.inbox_screen
    assert screen is not None
    return screen


def status_text(app: HsInboxApp) -> str:
    return str(screen_of(app).query_one(StatusLine).content)


def header_text(app: HsInboxApp) -> str:
    return str(screen_of(app).query_one("#thread-header", Static).content)


async def until(pilot: Any, condition: Any, rounds: int = 600) -> None:
    """Let the app run until ``condition()`` holds (bounded: fails instead of hanging)."""
    for _ in range(rounds):
        if condition():
            return
        await pilot.pause()
        await asyncio.sleep(0.002)
    assert condition(), "condition never became true"


# --- 1. queued changes go out after an offline start ------------------------------------


async def test_changes_queued_before_an_offline_start_go_out_when_help_scout_answers(
    tmp_path: Path,
) -> None:
    sb = Sandbox()
    gate = Gate()
    app, sb, session = make_app(tmp_path, sandbox=sb, sleep=gate)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        target = screen.table.current
        assert target is not None and target.status == "active"
        sb.faults.drop(times=100_000)  # Help Scout is unreachable from here on
        await pilot.press("s", "p")
        await until(pilot, lambda: not session.online and session.queue_length == 1)
    assert conv(sb, target.number)["status"] == "active"

    gate = Gate()
    again, _sb, session2 = make_app(tmp_path, sandbox=sb, sleep=gate)
    async with again.run_test(size=(140, 40)) as pilot:
        screen = screen_of(again)
        await until(
            pilot, lambda: any("Could not load your mailboxes" in f for f in screen.failures)
        )
        await until(pilot, lambda: "offline · 1 queued" in status_text(again))
        # The list row and the thread header both show the change that waits.
        assert screen.table.conversations[target.id].status == "pending"
        screen.table.go_to(target.id)
        screen.show_current()
        await until(pilot, lambda: "pending" in header_text(again))
        assert conv(sb, target.number)["status"] == "active"

        before = len(sb.requests)
        sb.faults.clear()  # Help Scout is back
        await pilot.press("R")
        await until(pilot, lambda: session2.queue_length == 0 and session2.online)
        gate.release()
        await until(pilot, lambda: not screen.start_failed)
        await settle(pilot, session2)
        assert conv(sb, target.number)["status"] == "pending"
        sent = [w for w in writes(sb)[0:] if w[0] == "PATCH"]
        assert [r for r in sb.requests[before:] if r.method == "PATCH"], "sent in this run"
        assert sent[-1] == (
            "PATCH",
            f"/v2/conversations/{target.id}",
            {"op": "replace", "path": "/status", "value": "pending"},
        )
        assert len([r for r in sb.requests if r.method == "PATCH" and r.fault is None]) == 1
        assert "queued" not in status_text(again)
        assert screen.table.conversations[target.id].status == "pending"
