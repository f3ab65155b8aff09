"""Issue 11 point 4: the highlight never jumps to the top when a row leaves the list.

Driven by the real keys through the session to the sandbox: after an action that removes the
highlighted row, the highlight is on the neighbour at the same position; undo puts it back on the
restored row; the next action hits the conversation the agent sees highlighted.
"""

from __future__ import annotations

from pathlib import Path

from tui_helpers import BILLING, conv, make_app, settle, until, writes

from hsinbox.tui.fields_form import CloseAskScreen
from hsinbox.tui.inbox_screen import InboxScreen

ROW = 4  # a row in the middle of the first screen, not the first


def screen_of(app) -> InboxScreen:
    screen = app.inbox_screen
    assert screen is not None
    return screen


async def on_row(pilot, row: int) -> tuple[int, int, int]:
    """Put the cursor on ``row`` with j; (its id, the id below it, the id below that)."""
    table = screen_of(pilot.app).table
    table.focus()
    for _ in range(row):
        await pilot.press("j")
    ids = [c.id for c in table.visible()]
    assert table.cursor_row == row and table.current_id == ids[row]
    return ids[row], ids[row + 1], ids[row + 2]


async def test_delete_leaves_the_highlight_on_the_neighbour(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        table = screen_of(app).table
        gone, below, next_below = await on_row(pilot, ROW)
        await pilot.press("d", "y")
        await settle(pilot, session)
        assert writes(sb)[-1] == ("DELETE", f"/v2/conversations/{gone}", None)
        assert (table.cursor_row, table.current_id) == (ROW, below)
        # The next delete takes the conversation now highlighted, not the first row.
        await pilot.press("d", "y")
        await settle(pilot, session)
        assert writes(sb)[-1] == ("DELETE", f"/v2/conversations/{below}", None)
        assert (table.cursor_row, table.current_id) == (ROW, next_below)
        left = {c["id"] for c in sb.state["conversations"]}
        assert gone not in left and below not in left and next_below in left


async def test_undo_puts_the_highlight_back_on_the_restored_row(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path, undo_delay=30)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        table = screen.table
        gone, below, _ = await on_row(pilot, ROW)
        await pilot.press("d", "y")
        await pilot.pause()
        assert gone not in table.conversations and table.current_id == below
        await pilot.press("u")
        await pilot.pause()
        assert (table.cursor_row, table.current_id) == (ROW, gone)
        assert not writes(sb) and gone in {c["id"] for c in sb.state["conversations"]}
        # And the next delete asks about (and would delete) the restored row.
        await pilot.press("d", "y")
        await pilot.pause()
        assert screen.pending_undo is not None
        assert screen.pending_undo.conversation_id == gone
        assert table.current_id == below


async def test_move_to_another_mailbox_leaves_the_highlight_on_the_neighbour(
    tmp_path: Path,
) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        table = screen_of(app).table
        moved, below, _ = await on_row(pilot, ROW)
        await pilot.press("v", "b", "i", "l", "l", "enter")
        await settle(pilot, session)
        number = session.store.get(moved).number
        assert conv(sb, number)["mailboxId"] == BILLING
        assert moved not in table.conversations
        assert (table.cursor_row, table.current_id) == (ROW, below)


async def test_close_and_next_then_a_refresh_that_drops_the_closed_row(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        table = screen_of(app).table
        closed, below, next_below = await on_row(pilot, ROW)
        await pilot.press("e")
        # Support requires a Plan, which these conversations lack: close anyway.
        await until(pilot, lambda: isinstance(app.screen, CloseAskScreen))
        await pilot.press("c")
        await settle(pilot, session)
        assert conv(sb, session.store.get(closed).number)["status"] == "closed"
        assert table.current_id == below
        await pilot.press("R")  # the active view asked afresh: the closed row leaves
        await settle(pilot, session)
        assert closed not in table.conversations
        assert (table.cursor_row, table.current_id) == (ROW, below)
        await pilot.press("e")  # the fields are known now: the question comes at once
        await until(pilot, lambda: isinstance(app.screen, CloseAskScreen))
        await pilot.press("c")
        await settle(pilot, session)
        assert conv(sb, session.store.get(below).number)["status"] == "closed"
        assert table.current_id == next_below


async def test_a_refresh_keeps_or_replaces_the_highlight_in_place(tmp_path: Path) -> None:
    app, _sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        table = screen_of(app).table
        here, below, _ = await on_row(pilot, ROW)
        rows = table.visible()
        table.set_conversations(reversed(rows))  # same rows in another order: same conversation
        assert table.current_id == here
        table.set_conversations([c for c in rows if c.id != here])  # a refresh that drops it
        assert (table.cursor_row, table.current_id) == (ROW, below)
