"""The mailbox sync from the palette: only on request, a progress bar, escape stops it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from textual.widgets import Label, ProgressBar
from tui_helpers import NOW, make_app, settle, until

from hsinbox.sandbox import Sandbox
from hsinbox.sandbox.seed import add_synthetic_conversations
from hsinbox.tui.inbox_screen import InboxScreen
from hsinbox.tui.syncing import SyncBar


class Held:
    """The session's sleep: the budget's pauses wait here until the test ends."""

    def __init__(self) -> None:
        self.waits: list[float] = []
        self._never = asyncio.Event()

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await self._never.wait()


def big_sandbox(**options: Any) -> Sandbox:
    sb = Sandbox(now=NOW, **options)
    add_synthetic_conversations(sb.state, 150, mailbox_id=sb.state["mailboxes"][0]["id"])
    sb.api.reindex()
    return sb


def sync_pages(sb: Sandbox) -> list[int]:
    return [
        int(r.query.get("page", "1"))
        for r in sb.requests
        if r.path == "/v2/conversations" and r.query.get("sortField") == "createdAt"
    ]


async def palette(pilot: Any, text: str) -> None:
    app = pilot.app
    await pilot.press("ctrl+p")
    await pilot.pause()
    await pilot.press(*text)

    def offered() -> bool:
        lists = app.screen.query("CommandList")
        if not lists or not lists.first().option_count:
            return False
        return text.lower() in str(lists.first().get_option_at_index(0).prompt).lower()

    await until(pilot, offered)
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, InboxScreen))


async def test_sync_runs_only_from_the_palette_and_fills_the_cache(tmp_path: Path) -> None:
    sb = big_sandbox()
    app, sb, session = make_app(tmp_path, sandbox=sb)
    async with app.run_test(size=(140, 40)) as pilot:
        await until(pilot, lambda: app.screen.query_one("#list").row_count > 0)
        await settle(pilot, session)
        assert sync_pages(sb) == [], "no sync at start"
        await palette(pilot, "Sync mailbox for offline search")
        mailbox_id = session.mailboxes[0].id
        await until(pilot, lambda: (session.sync_state(mailbox_id) or _nothing).phase == "done")
        await settle(pilot, session)
        state = session.sync_state(mailbox_id)
        assert state is not None
        assert sorted(sync_pages(sb)) == list(range(1, state.total_pages + 1))
        assert not app.screen.query_one(SyncBar).has_class("-running")
        published = [
            c["id"]
            for c in sb.state["conversations"]
            if c["mailboxId"] == mailbox_id and c["state"] == "published"
        ]
        assert session.cache is not None
        assert len(session.cache.get_conversations(published)) == len(published)


class _Nothing:
    phase = None


_nothing = _Nothing()


async def test_escape_stops_a_sync_paused_by_the_budget(tmp_path: Path) -> None:
    sb = big_sandbox(rate_limit_per_minute=40)
    held = Held()
    app, sb, session = make_app(tmp_path, sandbox=sb, session_sleep=held)
    async with app.run_test(size=(140, 40)) as pilot:
        await until(pilot, lambda: app.screen.query_one("#list").row_count > 0)
        await settle(pilot, session)
        await palette(pilot, "Sync mailbox for offline search")
        bar = app.screen.query_one(SyncBar)
        label = bar.query_one(Label)
        await until(pilot, lambda: "paused" in str(label.content))
        text = str(label.content)
        mailbox = session.mailboxes[0]
        assert f"Syncing {mailbox.name} for offline search:" in text
        assert "esc cancels" in text
        done = len(sync_pages(sb))
        assert 0 < done < 10, "10 background requests a minute at most (25 % of 40)"
        progress = bar.query_one(ProgressBar)
        assert progress.progress == done and (progress.total or 0) > done
        await pilot.press("escape")
        await until(pilot, lambda: not bar.has_class("-running"))
        state = session.sync_state(mailbox.id)
        assert state is not None and state.cancelled and state.next_page == done + 1
        assert session.unfinished_syncs() == []
        assert len(sync_pages(sb)) == done
