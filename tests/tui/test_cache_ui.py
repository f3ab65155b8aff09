"""The UI over the cache: paint before the network, quiet refreshes, prefetch, FTS filter."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from tui_helpers import conv, make_app, settle, until

from hsinbox.inbox.cache import Cache
from hsinbox.sandbox import Sandbox
from hsinbox.tui.inbox_screen import InboxScreen


def screen_of(app: Any) -> InboxScreen:
    screen = app.inbox_screen
    assert screen is not None
    return screen


def api_requests(sb: Sandbox, since: int = 0) -> list[Any]:
    return [r for r in sb.requests[since:] if "oauth2" not in r.path]


async def test_second_launch_paints_the_cached_list_while_offline(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        first = list(screen_of(app).table.conversations)
    assert first

    sb.faults.drop(times=1000, method="GET")  # Help Scout is unreachable now
    again, _sb, session2 = make_app(tmp_path, sandbox=sb)
    async with again.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session2)
        screen = screen_of(again)
        assert list(screen.table.conversations) == first
        assert screen.view_label.startswith("Support")


async def test_auto_refresh_is_two_requests_and_keeps_the_cursor(tmp_path: Path) -> None:
    """The timer asks R's question: what changed (one list request) and the folder counts."""
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        table = screen.table
        table.move_cursor(row=3)
        await settle(pilot, session)
        highlighted = table.current_id
        before = len(sb.requests)
        screen.refresh_on_timer()
        await settle(pilot, session)
        sent = sorted(r.path for r in api_requests(sb, before))
        assert sent == ["/v2/conversations", f"/v2/mailboxes/{screen.view.mailbox_id}/folders"]
        assert "modifiedSince" in next(r for r in sb.requests[before:] if r.path == sent[0]).query
        assert table.current_id == highlighted

        closed = next(
            c
            for c in sb.state["conversations"]
            if c["mailboxId"] == screen.view.mailbox_id
            and c["status"] == "closed"
            and c["state"] == "published"
        )
        await session.client.update_status(closed["id"], "active")
        screen.refresh_on_timer()
        await settle(pilot, session)
        assert closed["id"] in table.conversations
        assert table.current_id == highlighted, "the highlighted row stays under the cursor"
        assert screen.new_count == 1
        assert any("1 new conversation" in n.message for n in app._notifications)


async def test_neighbours_are_prefetched_and_open_without_a_request(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        table = screen_of(app).table
        below = list(table.visible())[1].id
        assert below in session.store.threads, "the row below the cursor was prefetched"
        before = len(sb.requests)
        await pilot.press("j", "enter")
        await settle(pilot, session)
        assert screen_of(app).thread.conversation.id == below
        assert f"/v2/conversations/{below}/threads" not in {
            r.path for r in api_requests(sb, before)
        }


async def test_filter_finds_thread_text_and_enter_asks_help_scout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, sb, session = make_app(tmp_path)
    # The FTS query of a filter keystroke runs in a thread, never in the key handler.
    queried_in: list[str] = []
    real_search = Cache.search

    def recording_search(self: Cache, *args: Any, **kwargs: Any) -> list[int]:
        queried_in.append(threading.current_thread().name)
        return real_search(self, *args, **kwargs)

    monkeypatch.setattr(Cache, "search", recording_search)
    for thread in sb.state["threads"]:  # the sandbox's full-text search reads every body
        if len(thread.get("body") or "") > 5000:
            thread["body"] = "<p>A long log, shortened for this test.</p>"
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        table = screen.table
        target = table.visible()[0]
        await session.client.add_note(target.id, "<p>Serial quokka-5521 confirmed</p>")
        await session.load_threads(target.id)
        await pilot.press("slash")
        box = screen.query_one("#filter")
        box.value = "quokka-55"  # one change event instead of one per key: the same path
        await until(pilot, lambda: [c.id for c in table.visible()] == [target.id])
        assert queried_in and threading.main_thread().name not in queried_in

        await pilot.press("escape")
        closed = conv(sb, 10021)  # any subject: find one only the server knows
        hidden = next(
            c
            for c in sb.state["conversations"]
            if c["mailboxId"] == closed["mailboxId"]
            and c["status"] == "closed"
            and c["state"] == "published"
        )
        word = hidden["subject"].split()[0]
        assert hidden["id"] not in table.conversations
        before = len(sb.requests)
        await pilot.press("slash")
        box.value = word
        await pilot.press("enter")
        await settle(pilot, session)
        searches = [r for r in api_requests(sb, before) if "query" in r.query]
        assert searches and all(r.path == "/v2/conversations" for r in searches)
        assert hidden["id"] in {c.id for c in table.visible()}
        await pilot.press("slash", "escape")
        await pilot.pause()
        assert hidden["id"] not in table.conversations, "search results leave with the filter"
