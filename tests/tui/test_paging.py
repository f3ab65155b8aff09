"""Issue 9: a view costs what the agent sees, not what the help desk holds.

Driven by the real keys through the session to the sandbox, asserting the exact list requests
(``sb.requests``): page 1 when a view opens, one more page as the cursor nears the end (never
before), sorting asked of Help Scout while the view is partly loaded, take-next as one request,
``R`` with nothing new as two requests, and the highlight kept when its conversation leaves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tui_helpers import NOW, SUPPORT, conv, make_app, settle, until, writes

from hsinbox.sandbox import Sandbox
from hsinbox.sandbox.seed import add_synthetic_conversations
from hsinbox.tui.conversation_list import NEAR_END
from hsinbox.tui.fields_form import CloseAskScreen
from hsinbox.tui.inbox_screen import InboxScreen
from hsinbox.tui.widgets import StatusLine

EXTRA = 200  # synthetic conversations added to Support: a view of many pages


def big_sandbox() -> Sandbox:
    sb = Sandbox(now=NOW)
    add_synthetic_conversations(sb.state, EXTRA, mailbox_id=SUPPORT)
    sb.api.reindex()
    return sb


def screen_of(app: Any) -> InboxScreen:
    screen = app.inbox_screen
    assert screen is not None
    return screen


def list_requests(sb: Sandbox, since: int = 0) -> list[Any]:
    return [r for r in sb.requests[since:] if r.method == "GET" and r.path == "/v2/conversations"]


def active_support(sb: Sandbox) -> list[dict[str, Any]]:
    return [
        c
        for c in sb.state["conversations"]
        if c["mailboxId"] == SUPPORT and c["status"] == "active" and c["state"] == "published"
    ]


def status_text(app: Any) -> str:
    return str(screen_of(app).query_one(StatusLine).content)


async def test_a_view_asks_page_one_then_a_page_as_the_cursor_nears_the_end(
    tmp_path: Path,
) -> None:
    sb = big_sandbox()
    total = len(active_support(sb))
    assert total > 75
    app, sb, session = make_app(tmp_path, sandbox=sb)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        table = screen_of(app).table
        asked = list_requests(sb)
        assert [(r.query.get("page"), r.query["mailbox"]) for r in asked] == [("1", str(SUPPORT))]
        assert table.row_count == 25 and table.total == total
        assert f"25 of {total:,}" in status_text(app)

        # Moving down asks nothing until the cursor is within NEAR_END rows of the end.
        table.focus()
        for _ in range(25 - NEAR_END - 1):
            await pilot.press("j")
        await settle(pilot, session)
        assert len(list_requests(sb)) == 1
        await pilot.press("j")
        await settle(pilot, session)
        assert [r.query.get("page") for r in list_requests(sb)] == ["1", "2"]
        assert table.row_count == 50 and table.cursor_row == 25 - NEAR_END
        assert f"50 of {total:,}" in status_text(app)

        # G (end) is a move like any other: one more page, the cursor stays where it went.
        await pilot.press("end")
        await settle(pilot, session)
        assert [r.query.get("page") for r in list_requests(sb)] == ["1", "2", "3"]
        assert table.row_count == 75 and table.cursor_row == 49
        ids = [c.id for c in table.visible()]
        assert len(set(ids)) == len(ids)


async def test_a_failed_page_says_why_and_a_move_asks_again(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path, sandbox=big_sandbox())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        table = screen_of(app).table
        table.focus()
        sb.faults.add(status=503, times=3, method="GET", path=r"/v2/conversations$")
        await pilot.press("end")
        await settle(pilot, session)
        assert table.load_error is not None and table.row_count == 25
        before = len(list_requests(sb))
        await pilot.press("j")  # on the error row: ask again
        await settle(pilot, session)
        assert [r.query.get("page") for r in list_requests(sb, 0)[before:]] == ["2"]
        assert table.load_error is None and table.row_count == 50


async def test_sorting_a_partly_loaded_view_asks_help_scout(tmp_path: Path) -> None:
    sb = big_sandbox()
    app, sb, session = make_app(tmp_path, sandbox=sb)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        table = screen.table
        before = len(sb.requests)
        await pilot.press("W")
        await settle(pilot, session)
        (asked,) = list_requests(sb, before)
        assert asked.query["sortField"] == "waitingSince"
        assert asked.query["sortOrder"] == "asc"
        assert asked.query.get("page", "1") == "1"
        # Longest waiting over the whole mailbox, not over the 25 rows that were loaded.
        waiting = sorted(
            active_support(sb), key=lambda c: (c["customerWaitingSince"]["time"], c["id"])
        )
        assert [c.id for c in table.visible()] == [c["id"] for c in waiting[:25]]
        assert table.cursor_row == 0
        assert screen.view is not None and screen.view.sort_field == "waitingSince"

        # The next page comes in the same order.
        table.focus()
        await pilot.press("end")
        await settle(pilot, session)
        (more,) = list_requests(sb, before)[1:]
        assert (more.query["sortField"], more.query["page"]) == ("waitingSince", "2")
        assert [c.id for c in table.visible()] == [c["id"] for c in waiting[:50]]


async def test_sorting_a_fully_loaded_view_asks_nothing(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        table = screen.table
        table.focus()
        for _ in range(10):
            assert screen.view is not None
            if session.view_complete(screen.view):
                break
            await pilot.press("end")
            await settle(pilot, session)
        assert table.row_count == len(active_support(sb))
        before = len(sb.requests)
        await pilot.press("W")
        await settle(pilot, session)
        assert list_requests(sb, before) == []
        rows = table.visible()
        times = [c.customer_waiting_since.time for c in rows if c.customer_waiting_since]
        assert times == sorted(times)


async def test_take_next_is_one_list_request(tmp_path: Path) -> None:
    sb = big_sandbox()
    app, sb, session = make_app(tmp_path, sandbox=sb)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        unassigned = [c for c in active_support(sb) if not c.get("assignee")]
        oldest = min(unassigned, key=lambda c: (c["customerWaitingSince"]["time"], c["id"]))
        loaded = set(screen_of(app).table.conversations)
        before = len(sb.requests)
        await pilot.press("N")
        await settle(pilot, session)
        (asked,) = list_requests(sb, before)
        folder = next(
            f
            for f in sb.state["folders"]
            if f["sandbox"]["mailboxId"] == SUPPORT and f["type"] == "unassigned"
        )
        assert asked.query.get("page", "1") == "1"
        assert asked.query["folder"] == str(folder["id"])
        assert (asked.query["status"], asked.query["sortField"], asked.query["sortOrder"]) == (
            "active",
            "waitingSince",
            "asc",
        )
        # Found over the whole mailbox, though its page was never loaded.
        assert oldest["id"] not in loaded
        assert [(m, p) for m, p, _b in writes(sb)] == [
            ("PATCH", f"/v2/conversations/{oldest['id']}")
        ]
        assert (conv(sb, oldest["number"]).get("assignee") or {}).get("id") == sb.me_id
        assert screen_of(app).thread.conversation.id == oldest["id"]


async def test_R_with_nothing_new_is_two_requests(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path, sandbox=big_sandbox())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        screen.table.focus()
        await pilot.press("end")  # two pages loaded: the size of the view does not matter
        await settle(pilot, session)
        await pilot.press("k", "enter")
        await settle(pilot, session)
        assert screen.thread.conversation is not None
        before = len(sb.requests)
        await pilot.press("R")
        await settle(pilot, session)
        sent = sorted(r.path for r in sb.requests[before:] if "oauth2" not in r.path)
        assert sent == ["/v2/conversations", f"/v2/mailboxes/{SUPPORT}/folders"]
        (asked,) = list_requests(sb, before)
        assert "modifiedSince" in asked.query

        # The open conversation changed: its threads are read again.
        opened = screen.thread.conversation.id
        await session.client.add_note(opened, "<p>A colleague's note</p>")
        before = len(sb.requests)
        await pilot.press("R")
        await settle(pilot, session)
        paths = [r.path for r in sb.requests[before:]]
        assert f"/v2/conversations/{opened}/threads" in paths
        assert any("colleague" in (t.body or "") for t in session.store.thread_list(opened))


async def test_R_keeps_the_highlight_when_its_conversation_leaves(tmp_path: Path) -> None:
    app, _sb, session = make_app(tmp_path, sandbox=big_sandbox())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        table = screen_of(app).table
        table.focus()
        for _ in range(6):
            await pilot.press("j")
        await settle(pilot, session)
        ids = [c.id for c in table.visible()]
        gone, below = ids[6], ids[7]
        # A colleague closes the highlighted conversation in the web app.
        await session.client.update_status(gone, "closed")
        await pilot.press("R")
        await settle(pilot, session)
        assert gone not in table.conversations
        assert (table.cursor_row, table.current_id) == (6, below)


async def test_reload_view_reads_the_loaded_pages_again(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path, sandbox=big_sandbox())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        table = screen_of(app).table
        table.focus()
        await pilot.press("end")
        await settle(pilot, session)
        assert table.row_count == 50
        before = len(sb.requests)
        await screen_of(app).run_action("reload_view")
        await settle(pilot, session)
        assert sorted(r.query.get("page", "1") for r in list_requests(sb, before)) == ["1", "2"]
        assert table.row_count == 50


async def test_marks_and_a_bulk_close_span_pages(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path, sandbox=big_sandbox())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        table = screen_of(app).table
        table.focus()
        first = table.current_id
        await pilot.press("space")
        await pilot.press("end")
        await settle(pilot, session)
        last = table.current_id
        await pilot.press("space")
        assert table.marked == {first, last} and table.row_count == 50
        await pilot.press("e")
        # Support requires a Plan, which these conversations lack: close anyway.
        await until(pilot, lambda: isinstance(app.screen, CloseAskScreen))
        await pilot.press("c")
        await settle(pilot, session)
        closed = {c["id"] for c in sb.state["conversations"] if c["status"] == "closed"}
        assert {first, last} <= closed
        # The rows show the change at once (they leave the view at the next refresh).
        assert table.conversations[first].status == table.conversations[last].status == "closed"


async def test_search_enter_pages_help_scouts_results_the_same_way(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path, sandbox=big_sandbox())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        table = screen_of(app).table
        before = len(sb.requests)
        await pilot.press("slash", *list("the"))
        await settle(pilot, session)
        assert list_requests(sb, before) == [], "typing filters the cache only"
        await pilot.press("enter")
        await settle(pilot, session)
        (asked,) = list_requests(sb, before)
        assert "query" in asked.query and asked.query.get("page", "1") == "1"
        shown = table.row_count
        await pilot.press("end")
        await settle(pilot, session)
        pages = [r.query.get("page", "1") for r in list_requests(sb, before)]
        assert pages == ["1", "2"]
        assert all("query" in r.query for r in list_requests(sb, before))
        assert table.row_count > shown


async def test_R_after_a_long_absence_reads_page_1_not_every_change(tmp_path: Path) -> None:
    """A long absence: hundreds changed. R asks one page of changes, sees how many there are,
    and starts the view over from page 1 instead of reading them all."""
    from datetime import datetime, timedelta

    from hsinbox.inbox.session import CHANGES_MAX_PAGES
    from hsinbox.sandbox.util import iso

    app, sb, session = make_app(tmp_path, sandbox=big_sandbox())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        screen.table.focus()
        await pilot.press("j", "j")
        await settle(pilot, session)
        highlighted = screen.table.current_id
        support = [c for c in sb.state["conversations"] if c["mailboxId"] == SUPPORT]
        assert len(support) > (CHANGES_MAX_PAGES + 1) * 25
        for c in support:  # every one touched again later, in the same order as before
            was = datetime.fromisoformat(c["sandbox"]["modifiedAt"].replace("Z", "+00:00"))
            c["sandbox"]["modifiedAt"] = iso(was + timedelta(days=365))
        before = len(sb.requests)
        await pilot.press("R")
        await settle(pilot, session)
        asked = [(r.query["page"], "modifiedSince" in r.query) for r in list_requests(sb, before)]
        assert asked == [("1", True), ("1", False)]
        assert len(screen.table.conversations) == 25
        assert screen.table.current_id == highlighted  # still on page 1: the highlight stays
