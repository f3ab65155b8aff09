"""Issue 16, "smaller, found by using it": each friction point driven by keys over the sandbox."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.cells import cell_len
from rich.text import Text
from textual.geometry import Region
from textual.widgets import Checkbox, Label, Static
from tui_helpers import NOW, conv, make_app, settle, until, writes

from hsinbox.sandbox import Sandbox
from hsinbox.sandbox.seed import add_synthetic_conversations
from hsinbox.tui.compose import ComposerScreen
from hsinbox.tui.dialogs import MessagesScreen
from hsinbox.tui.inbox_screen import InboxScreen
from hsinbox.tui.snooze_picker import SnoozeScreen
from hsinbox.tui.subject_edit import SubjectScreen
from hsinbox.tui.syncing import SyncBar
from hsinbox.tui.widgets import KEEP, Sidebar, StatusLine, StatusPart, fit_status


def screen_of(app: Any) -> InboxScreen:
    screen = app.inbox_screen
    assert screen is not None
    return screen


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


# --- a cancelled sync leaves no bar behind -------------------------------------------------


class Held:
    """The session's sleep: the budget's pauses wait here until the test ends."""

    def __init__(self) -> None:
        self._never = asyncio.Event()

    async def __call__(self, _seconds: float) -> None:
        await self._never.wait()


async def test_escape_on_a_paused_sync_clears_its_bar_for_good(tmp_path: Path) -> None:
    sb = Sandbox(now=NOW, rate_limit_per_minute=40)
    add_synthetic_conversations(sb.state, 600, mailbox_id=sb.state["mailboxes"][0]["id"])
    sb.api.reindex()
    sleep = Held()
    app, sb, session = make_app(tmp_path, sandbox=sb, session_sleep=sleep)
    async with app.run_test(size=(140, 40)) as pilot:
        await until(pilot, lambda: app.screen.query_one("#list").row_count > 0)
        await settle(pilot, session)
        await palette(pilot, "Sync mailbox for offline search")
        bar = app.screen.query_one(SyncBar)
        await until(pilot, lambda: "paused" in str(bar.query_one(Label).content))
        await pilot.press("escape")
        await settle(pilot, session)
        assert not bar.has_class("-running"), str(bar.query_one(Label).content)
        assert screen_of(app).syncing_mailbox is None


# --- start-up notices reach the messages log (M) ------------------------------------------


async def test_notices_of_the_start_are_kept_in_the_messages_log(tmp_path: Path) -> None:
    app, _sb, session = make_app(tmp_path, keymap={"reply": "q"})
    app.notices = ["waiting_warn_minutes must be a number; using 60."]
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        await pilot.press("M")
        await until(pilot, lambda: isinstance(app.screen, MessagesScreen))
        text = str(app.screen.query_one("#messages-text", Static).content)
        assert "No messages yet" not in text
        assert "Settings: [keymap] conflict: q is bound to both back" in text
        assert "Settings: waiting_warn_minutes must be a number; using 60." in text
        assert len(screen_of(app).messages_log) == 2


# --- bulk e from an unmarked row keeps the cursor on it -----------------------------------


async def test_bulk_close_from_an_unmarked_row_leaves_the_cursor_on_that_row(
    tmp_path: Path,
) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, session)
        table = screen_of(app).table
        first, second, third, fourth = (table.row_id(i) for i in range(4))
        await pilot.press("x", "x")  # marks rows 0 and 1, the cursor moves on to row 2
        await settle(pilot, session)
        assert table.marked == {first, second} and table.current_id == third
        await pilot.press("e")
        await settle(pilot, session)
        closed = {c["id"] for c in sb.state["conversations"] if c["status"] == "closed"}
        assert {first, second} <= closed and third not in closed
        assert table.current_id == third, f"the cursor skipped to {table.current_id}"
        assert fourth is not None


# --- E puts the cursor at the end of the subject --------------------------------------------


async def test_typing_in_the_subject_editor_adds_to_the_subject(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, session)
        target = screen_of(app).table.current
        assert target is not None and target.subject
        await pilot.press("E")
        await until(pilot, lambda: isinstance(app.screen, SubjectScreen))
        await pilot.press(*" (v2)", "enter")
        await settle(pilot, session)
        assert conv(sb, target.number)["subject"] == f"{target.subject} (v2)"
        assert [w for w in writes(sb) if w[0] == "PATCH"] == [
            (
                "PATCH",
                f"/v2/conversations/{target.id}",
                {"op": "replace", "path": "/subject", "value": f"{target.subject} (v2)"},
            )
        ]


# --- an offline start shows the folder counts last seen ------------------------------------


def sidebar_rows(app: Any) -> list[str]:
    sidebar = screen_of(app).query_one(Sidebar)
    return [str(sidebar.get_option_at_index(i).prompt) for i in range(sidebar.option_count)]


async def test_an_offline_start_shows_the_folder_counts_last_seen(tmp_path: Path) -> None:
    sb = Sandbox(now=NOW)
    app, sb, session = make_app(tmp_path, sandbox=sb)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, session)
        at_start = sidebar_rows(app)
        await pilot.press("e", "e")  # two active conversations closed
        await settle(pilot, session)
        await pilot.press("R")  # the folder counts asked again
        await settle(pilot, session)
        last_seen = sidebar_rows(app)
        assert last_seen != at_start

    sb.faults.drop(times=100_000)  # Help Scout is unreachable for the next start
    again, _sb, session2 = make_app(tmp_path, sandbox=sb)
    async with again.run_test(size=(140, 40)) as pilot:
        await until(pilot, lambda: screen_of(again).table.row_count > 0)
        await until(pilot, lambda: not session2.online)
        assert sidebar_rows(again) == last_seen


# --- the status line fits its width and never loses the view name ---------------------------


def status_line(app: Any) -> str:
    return str(screen_of(app).query_one(StatusLine).content)


@pytest.mark.parametrize("width", [80, 120, 160])
async def test_the_status_line_fits_with_an_undo_countdown_and_keeps_the_view(
    tmp_path: Path, width: int
) -> None:
    app, sb, session = make_app(tmp_path, undo_delay=30)
    async with app.run_test(size=(width, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        number = screen.table.current.number
        await pilot.press("x", "x", "x", "k")  # three marked, the cursor back on the third
        await pilot.press("e")
        await until(pilot, lambda: screen.pending_undo is not None)
        await pilot.press("down")
        await until(pilot, lambda: "u to undo" in status_line(app))
        line = status_line(app)
        assert len(line) <= width, line
        assert "Support / active" in line, line
        assert "s)" in line, "the countdown stays"
        assert "sending" not in line, "nothing is sent during the undo wait"
        assert session.queue_length == 3
        session.send_now()
        await settle(pilot, session)
        assert conv(sb, number)["status"] == "closed"
        assert "Support / active" in status_line(app)


async def test_the_status_line_says_sending_only_while_a_change_is_sent(tmp_path: Path) -> None:
    gate = asyncio.Event()

    async def held_sleep(_seconds: float) -> None:
        await gate.wait()

    sb = Sandbox(now=NOW)
    sb.faults.add(status=503, times=1, method="PATCH")
    app, sb, session = make_app(tmp_path, sandbox=sb, session_sleep=held_sleep)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        await pilot.press("e")  # the first send is answered 503: retried after a back-off
        await until(pilot, lambda: "sending · 1 queued" in status_line(app))
        gate.set()
        await settle(pilot, session)
        assert "queued" not in status_line(app)


# --- the two checkboxes read checked or not without colour -----------------------------------


def mark(box: Checkbox) -> str:
    """What the box draws, its colours aside (as a NO_COLOR terminal shows it)."""
    return box.render().plain


async def test_the_checkboxes_show_checked_and_unchecked_by_their_mark(tmp_path: Path) -> None:
    app, _sb, session = make_app(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, session)
        await pilot.press("z")
        await until(pilot, lambda: isinstance(app.screen, SnoozeScreen))
        wake = app.screen.query_one("#snooze-wake", Checkbox)
        on = mark(wake)
        assert wake.value and on.startswith("[x] ")
        await pilot.press("ctrl+r")
        await until(pilot, lambda: not wake.value)
        assert mark(wake).startswith("[ ] ")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, InboxScreen))

        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ComposerScreen))
        draft = app.screen.query_one("#composer-draft", Checkbox)
        assert not draft.value and mark(draft).startswith("[ ] Save as Help Scout draft")
        for _ in range(12):
            if app.screen.focused is draft:
                break
            await pilot.press("tab")
        assert app.screen.focused is draft
        await pilot.press("space")
        await until(pilot, lambda: draft.value)
        assert mark(draft).startswith("[x] Save as Help Scout draft")


# --- the sidebar gives the subject the slack; b hides it ------------------------------------


async def test_at_160_columns_the_sidebar_is_as_wide_as_its_folders(tmp_path: Path) -> None:
    app, _sb, session = make_app(tmp_path)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        sidebar = screen.query_one(Sidebar)
        widest = max(Text(row).cell_len for row in sidebar_rows(app))
        assert widest < sidebar.outer_size.width <= 22, sidebar.outer_size
        table = screen.table
        assert table.layout_for(table.scrollable_content_region.width).widths["subject"] >= 36


async def test_ctrl_b_hides_the_sidebar_and_it_stays_hidden_after_a_restart(tmp_path: Path) -> None:
    app, _sb, session = make_app(tmp_path)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        sidebar = screen.query_one(Sidebar)
        with_sidebar = screen.table.size.width
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert not sidebar.display or sidebar.size.width == 0 or not sidebar.region
        assert screen.table.size.width == 160 and with_sidebar < 160
        await pilot.press("shift+tab")  # the sidebar pane is still reachable, shown while used
        await pilot.pause()
        assert screen.focused is sidebar and sidebar.region.width > 0
        await pilot.press("tab")
        await pilot.pause()
        assert not sidebar.region
    assert json.loads((tmp_path / "state.json").read_text())["sidebar_hidden"] is True

    again, _sb, session = make_app(tmp_path)
    async with again.run_test(size=(160, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(again)
        assert screen.table.size.width == 160
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert screen.query_one(Sidebar).region.width > 0
        assert screen.table.size.width < 160


# --- the thread header's field line breaks between fields --------------------------------


async def test_the_field_line_breaks_between_fields_not_inside_one(tmp_path: Path) -> None:
    sb = Sandbox(now=NOW)
    app, sb, session = make_app(tmp_path, sandbox=sb)
    fields = [
        ("Plan", "Enterprise"),
        ("Renewal date", "2026-12-31"),
        ("Account manager", "Dorothea Fitzgerald-Okonkwo"),
        ("Seats", "250"),
    ]
    async with app.run_test(size=(80, 40)) as pilot:
        await settle(pilot, session)
        target = screen_of(app).table.current
        assert target is not None
        conv(sb, target.number)["customFields"] = [
            {"id": 900 + i, "name": name, "value": value, "text": value}
            for i, (name, value) in enumerate(fields)
        ]
        await pilot.press("R")
        await settle(pilot, session)
        await pilot.press("enter")
        await settle(pilot, session)
        header = screen_of(app).query_one("#thread-header", Static)
        lines = header.render_lines(Region(0, 0, header.size.width, header.size.height))
        shown = ["".join(segment.text for segment in line).rstrip() for line in lines]
        for name, value in fields:
            assert any(f"{name}: {value}" in line for line in shown), (name, shown)


# --- regression guards: found on an older main, not reproduced on this one ---------------------


async def add_customer_thread(sb: Sandbox, session: Any, conversation_id: int, text: str) -> None:
    """The customer writes again, through the API as Help Scout's mail intake would."""
    customer_id = sb.conversation(conversation_id)["primaryCustomer"]["id"]
    token = session.client.token
    assert token is not None
    async with httpx.AsyncClient(transport=sb.transport()) as raw:
        response = await raw.post(
            f"https://api.helpscout.net/v2/conversations/{conversation_id}/customer",
            json={"customer": {"id": customer_id}, "text": text},
            headers={"Authorization": f"Bearer {token.access_token}"},
        )
    assert response.status_code == 201


async def test_a_message_pulled_in_by_R_is_set_apart_like_every_other(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, session)
        await pilot.press("enter")
        await settle(pilot, session)
        thread = screen_of(app).thread
        assert thread.conversation is not None
        before = len(thread.threads)
        await add_customer_thread(sb, session, thread.conversation.id, "Also, the invoice is wrong")
        await pilot.press("R")
        await settle(pilot, session)
        assert len(thread.threads) == before + 1
        body = str(thread.query_one("#thread-body", Static).content)
        entries = body.split("\n\n")
        assert entries[-1].startswith(" Customer ") and entries[-1].endswith(
            "Also, the invoice is wrong"
        )
        heads = [line for line in body.splitlines() if line.startswith(" ") and "  20" in line]
        assert len(heads) == before + 1
        for head in heads:  # every entry's head line follows a blank line (but the first)
            index = body.index(head)
            assert index == 0 or body[index - 2 : index] == "\n\n", head


def by_cell(plain: str) -> list[str]:
    """The line as terminal cells: a wide character fills two, a zero-width one joins."""
    cells: list[str] = []
    for char in plain:
        width = cell_len(char)
        if width == 0 and cells:
            cells[-1] += char
        cells.extend([char] + [""] * (width - 1) if width else [])
    return cells


@pytest.mark.parametrize("width", [80, 120, 160])
async def test_every_column_is_set_apart_by_a_gap(tmp_path: Path, width: int) -> None:
    app, _sb, session = make_app(tmp_path)
    async with app.run_test(size=(width, 40)) as pilot:
        await settle(pilot, session)
        table = screen_of(app).table
        inner = table.scrollable_content_region.width
        layout = table.layout_for(inner)
        for conv_row in table.visible():
            line = by_cell(table.row_text(conv_row, inner).plain)
            start = 1 + layout.widths["mark"]
            for key in layout.keys[1:]:
                assert line[start : start + layout.gap] == [" "] * layout.gap, (key, line)
                start += layout.gap + layout.widths[key]
        assert layout.gap >= 1


async def test_the_gap_after_the_number_ends_the_numbers_run(tmp_path: Path) -> None:
    """An SVG viewer drops a run's leading spaces: the gap must not start the name's run."""
    app, _sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        table = screen_of(app).table
        inner = table.scrollable_content_region.width
        conversation = table.visible()[0]
        row = table.row_text(conversation, inner)
        number = str(conversation.number)
        end = row.plain.index(number) + len(number)
        assert row.plain[end] == " "
        assert row.get_style_at_offset(app.console, end) == row.get_style_at_offset(
            app.console, end - 1
        )
        svg = app.export_screenshot()
        customer = conversation.primary_customer
        assert customer is not None and customer.first
        name = customer.first.replace(" ", "&#160;")
        assert f">{name}" in svg and f">&#160;{name}" not in svg, "the name starts its own run"


def test_fit_status_drops_the_least_important_first_and_never_the_view() -> None:
    view = Text("Support / active (25 of 37)")
    parts = [
        StatusPart(Text("Maya Lindqvist"), 20),
        StatusPart(Text("u to undo: Close 3 conversations (20s)"), 90, lambda w: Text("u…")),
        StatusPart(view, KEEP, lambda w: view[:w]),
        StatusPart(Text("API 380 left"), 10),
    ]
    wide = fit_status(parts, 200).plain
    assert wide.count("│") == 3
    at_80 = fit_status(parts, 80).plain
    assert at_80 == " u to undo: Close 3 conversations (20s)  │  Support / active (25 of 37)"
    tiny = fit_status(parts, 30).plain
    assert "Support / active" in tiny and len(tiny) <= 30
