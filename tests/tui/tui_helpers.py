"""Build the app over a real InboxSession and the in-process Sandbox; settle its work."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from hsinbox.config import Settings
from hsinbox.helpscout.auth import AppCredentials
from hsinbox.helpscout.client import HelpScoutClient
from hsinbox.inbox.session import InboxSession
from hsinbox.sandbox import Sandbox
from hsinbox.tui.app import HsInboxApp

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
SUPPORT = 8401
BILLING = 8402


async def no_sleep(_seconds: float) -> None:
    await asyncio.sleep(0)


def make_app(
    tmp: Path,
    *,
    sandbox: Sandbox | None = None,
    editor: Callable[[Any, str], str | None] | None = None,
    read_only: bool = False,
    **settings: Any,
) -> tuple[HsInboxApp, Sandbox, InboxSession]:
    sb = sandbox or Sandbox(now=NOW)
    client = HelpScoutClient(
        "https://api.helpscout.net",
        credentials=AppCredentials(sb.app_id, sb.app_secret),
        transport=sb.transport(),
        sleep=no_sleep,
    )
    options: dict[str, Any] = {"undo_delay": 0, "refresh_interval": 0}
    options.update(settings)
    if read_only:
        options["read_only"] = True  # as launch.run does: the session refuses writes too
    config = Settings(**options)
    session = InboxSession(client, settings=config, data_dir=tmp / "data", sleep=no_sleep)
    app = HsInboxApp(
        session,
        config,
        now=lambda: NOW,
        editor=editor,
        state_path=tmp / "state.json",
        read_only=read_only,
        draft_debounce=0.01,
        preview_delay=0.0,
    )
    return app, sb, session


async def settle(pilot: Pilot, session: InboxSession | None = None, rounds: int = 200) -> None:
    """Wait until no worker runs and the outbox is empty (bounded)."""
    app = pilot.app
    for _ in range(rounds):
        await pilot.pause()
        busy = any(w.is_running for w in app.workers)
        queued = session is not None and session.queue_length > 0
        # Background thread prefetches count as work: screenshots show the rate budget.
        fetching = session is not None and session.prefetching > 0
        if not busy and not queued and not fetching:
            await pilot.pause()
            return
        await asyncio.sleep(0.005)


def writes(sb: Sandbox) -> list[tuple[str, str, Any]]:
    return [
        (r.method, r.path, r.json)
        for r in sb.requests
        if r.method != "GET" and "oauth2" not in r.path
    ]


def conv(sb: Sandbox, number: int) -> dict[str, Any]:
    return next(c for c in sb.state["conversations"] if c["number"] == number)
