"""Build the app over a real InboxSession and the in-process Sandbox; settle its work."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from testdata import BILLING, NOW, SUPPORT, new_sandbox_client, no_sleep
from textual.pilot import Pilot

from hsinbox.config import Settings
from hsinbox.inbox.session import InboxSession
from hsinbox.sandbox import Sandbox
from hsinbox.tui.app import HsInboxApp

__all__ = [
    "BILLING",
    "NOW",
    "SUPPORT",
    "busy_reasons",
    "conv",
    "make_app",
    "no_sleep",
    "pending_timers",
    "settle",
    "until",
    "writes",
]


Sleep = Callable[[float], Awaitable[None]]


def make_app(
    tmp: Path,
    *,
    sandbox: Sandbox | None = None,
    editor: Callable[[Any, str], Awaitable[str | None]] | None = None,
    read_only: bool = False,
    session_sleep: Sleep = no_sleep,
    client_sleep: Sleep = no_sleep,
    **settings: Any,
) -> tuple[HsInboxApp, Sandbox, InboxSession]:
    """The one app builder for UI tests: the real session and client over a Sandbox at NOW.

    ``session_sleep`` / ``client_sleep`` replace the session's waits (undo, retry back-off,
    refresh) and the client's (429 back-off): a test that must hold them passes a gate.
    """
    sb = sandbox or Sandbox(now=NOW)
    client = new_sandbox_client(sb, sleep=client_sleep)
    options: dict[str, Any] = {"undo_delay": 0, "refresh_interval": 0}
    options.update(settings)
    if read_only:
        options["read_only"] = True  # as launch.run does: the session refuses writes too
    config = Settings(**options)
    session = InboxSession(client, settings=config, data_dir=tmp / "data", sleep=session_sleep)
    app = HsInboxApp(
        session,
        config,
        now=lambda: NOW,
        editor=editor,
        state_path=tmp / "state.json",
        read_only=read_only,
        draft_debounce=0.01,
        preview_delay=0.0,
        cursor_blink=False,
    )
    return app, sb, session


def pending_timers(app: Any) -> list[Any]:
    """One-shot timers of the open screens (preview, prefetch, draft debounce) not yet fired.

    Screen-level only: a toast's expiry timer lives on the toast and must not hold a test up.
    """
    found = []
    for screen in app.screen_stack:
        for timer in list(screen._timers):
            task = timer._task
            if timer._repeat == 0 and task is not None and not task.done():
                found.append(timer)
    return found


def busy_reasons(pilot: Pilot, session: InboxSession | None = None) -> list[str]:
    """What still runs: workers (pending ones too), screen timers, the outbox, prefetches."""
    app = pilot.app
    reasons = [f"worker {w.name or w.group}" for w in app.workers if not w.is_finished]
    reasons += [f"timer {t.name}" for t in pending_timers(app)]
    if session is not None:
        if session.queue_length > 0:
            reasons.append("outbox")
        # Background prefetches count as work: they move the rate budget and the cache.
        if session.prefetching > 0:
            reasons.append("prefetch")
    return reasons


async def settle(pilot: Pilot, session: InboxSession | None = None, rounds: int = 400) -> None:
    """Wait until the app is quiescent: nothing above for two message-queue rounds in a row.

    Two quiet rounds, because a message handled in the first (a row highlight, a session
    event) may start the next worker or timer. Bounded, and a stuck app fails the test with
    what was still running, instead of letting it assert on a half-settled screen.
    """
    quiet = 0
    reasons: list[str] = []
    for _ in range(rounds):
        await pilot.pause()
        reasons = busy_reasons(pilot, session)
        if reasons:
            quiet = 0
            await asyncio.sleep(0.005)
            continue
        quiet += 1
        if quiet >= 2:
            return
    raise AssertionError(f"the app never settled after {rounds} rounds; still busy: {reasons}")


async def until(pilot: Pilot, condition: Callable[[], Any], rounds: int = 400) -> None:
    """Let the app run until ``condition()`` holds (bounded: fails instead of hanging)."""
    for _ in range(rounds):
        if condition():
            return
        await pilot.pause()
        await asyncio.sleep(0.002)
    assert condition(), "condition never became true"


def writes(sb: Sandbox) -> list[tuple[str, str, Any]]:
    return [
        (r.method, r.path, r.json)
        for r in sb.requests
        if r.method != "GET" and "oauth2" not in r.path
    ]


def conv(sb: Sandbox, number: int) -> dict[str, Any]:
    return next(c for c in sb.state["conversations"] if c["number"] == number)
