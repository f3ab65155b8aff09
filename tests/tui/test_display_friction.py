"""Issue 11's display and keyboard points, driven through the real keys (pilot tests)."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_reliability import status_text, until
from textual import events
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static
from textual.widgets._toast import Toast
from tui_helpers import BILLING, NOW, conv, make_app, settle, writes

from hsinbox.sandbox import Sandbox
from hsinbox.tui import status_report
from hsinbox.tui.compose import ComposerScreen, NewConversationScreen
from hsinbox.tui.dialogs import HelpScreen, MessagesScreen, SignInScreen, TagsScreen
from hsinbox.tui.inbox_screen import InboxScreen
from hsinbox.tui.key_footer import KeyFooter
from hsinbox.tui.widgets import Sidebar, StatusLine


def screen_of(app) -> InboxScreen:
    screen = app.inbox_screen
    assert screen is not None
    return screen


def burst(pilot: Pilot, *keys: str) -> None:
    """Keys as a terminal delivers a paste or auto-repeat: all queued before any is handled.

    ``pilot.press`` waits for idle after every key, which hides races between keys.
    """
    driver = pilot.app._driver
    assert driver is not None
    for key in keys:
        char = {"tab": "\t", "enter": "\r", "space": " "}.get(key, key if len(key) == 1 else None)
        event = events.Key(key, char)
        event.set_sender(pilot.app)
        driver.send_message(event)


def lengthen_a_thread(sb: Sandbox, number: int = 10021) -> None:
    """Give one conversation a first message of 120 paragraphs, so its thread scrolls."""
    conversation = conv(sb, number)
    first = next(
        t for t in sb.state["threads"] if t["sandbox"]["conversationId"] == conversation["id"]
    )
    first["body"] = "".join(f"<p>Paragraph {i} of a long message.</p>" for i in range(120))


async def open_thread(pilot: Pilot, number: int = 10021) -> InboxScreen:
    screen = screen_of(pilot.app)
    target = next(c for c in screen.table.conversations.values() if c.number == number)
    screen.table.go_to(target.id)
    await pilot.press("enter")
    await settle(pilot, screen.session)
    assert screen.focused is screen.thread
    return screen


# --- 13: every key scrolls; g/G/End --------------------------------------------------------


async def test_a_burst_of_j_scrolls_one_line_per_key(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path)
    lengthen_a_thread(sb)
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot, session)
        screen = await open_thread(pilot)
        thread = screen.thread
        assert thread.max_scroll_y > 40, thread.max_scroll_y
        burst(pilot, *["j"] * 40)
        await settle(pilot, session)
        assert thread.scroll_y == 40
        burst(pilot, *["k"] * 15)
        await settle(pilot, session)
        assert thread.scroll_y == 25
        await pilot.press("G")
        assert thread.scroll_y == thread.max_scroll_y
        await pilot.press("g")
        assert thread.scroll_y == 0
        await pilot.press("end")
        assert thread.scroll_y == thread.max_scroll_y


async def test_help_moves_with_j_k_g_G_and_end(tmp_path: Path) -> None:
    app, _sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one(DataTable)
        burst(pilot, "j", "j", "j")
        await pilot.pause()
        assert table.cursor_row == 3
        await pilot.press("k")
        assert table.cursor_row == 2
        await pilot.press("G")
        assert table.cursor_row == table.row_count - 1 > 30
        await pilot.press("g")
        assert table.cursor_row == 0
        await pilot.press("end")
        assert table.cursor_row == table.row_count - 1


# --- 14: keys typed right after Tab land in the next field ------------------------------


async def test_keys_right_after_tab_land_in_the_next_field(tmp_path: Path) -> None:
    app, _sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        await pilot.press("c")
        await settle(pilot, session)
        assert isinstance(app.screen, NewConversationScreen)
        burst(pilot, "a", "n", "n", "tab", "R", "e", "f", "u", "n", "d")
        await settle(pilot, session)
        assert app.screen.query_one("#new-email", Input).value == "ann"
        assert app.screen.query_one("#new-subject", Input).value == "Refund"
        # Back in the email field, which selects its text on focus: the key replaces it.
        burst(pilot, "shift+tab", "b", "o")
        await settle(pilot, session)
        assert app.screen.query_one("#new-email", Input).value == "bo"
        assert app.screen.query_one("#new-subject", Input).value == "Refund"


# --- 16: enter passes Help Scout's own search syntax through ----------------------------


async def test_enter_passes_help_scout_search_syntax_through(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        await pilot.press("slash")
        box = screen.query_one("#filter", Input)
        assert "enter searches Help Scout" in str(box.placeholder)
        before = len(sb.requests)
        await pilot.press(*"tag:vip", "enter")
        await settle(pilot, session)
        searches = [
            r for r in sb.requests[before:] if r.path == "/v2/conversations" and "query" in r.query
        ]
        assert searches and {r.query["query"] for r in searches} == {"(tag:vip)"}
        shown = {c.subject for c in screen.table.visible()}
        vip = {
            c["subject"]
            for c in sb.state["conversations"]
            if any(t["tag"] == "vip" for t in c["tags"])
            and c["mailboxId"] == screen.view.mailbox_id
        }
        assert vip and shown == vip


# --- 12: + / _ share the height between list and thread, remembered ---------------------


def rows_shown(screen: InboxScreen) -> int:
    """Conversation rows the list pane has room for (its header and scrollbar excluded)."""
    table = screen.table
    if not table.display or not table.region.height:
        return 0
    return table.scrollable_content_region.height - 1  # the header line


async def test_plus_and_underscore_cycle_the_split_and_it_is_remembered(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        normal = rows_shown(screen)
        assert normal < 20
        await pilot.press("plus")
        assert screen.split == "half"
        half = rows_shown(screen)
        await pilot.press("plus")
        assert screen.split == "large"
        large = rows_shown(screen)
        assert normal < half < large and large >= 30
        assert screen.thread.region.height > 0  # a small thread stays in view
        await pilot.press("plus")
        assert screen.split == "list"
        assert rows_shown(screen) > large and screen.thread.region.height == 0
        # enter shows the thread in the list's place; escape brings the list back
        await pilot.press("enter")
        await settle(pilot, session)
        assert screen.focused is screen.thread and screen.thread.region.height > 30
        assert rows_shown(screen) == 0
        await pilot.press("escape")
        assert screen.focused is screen.table and rows_shown(screen) > large
        await pilot.press("underscore")
        assert screen.split == "large"
    app2, _sb, session2 = make_app(tmp_path, sandbox=sb)
    async with app2.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session2)
        screen = screen_of(app2)
        assert screen.split == "large" and rows_shown(screen) >= 30
        await pilot.press("plus", "plus")
        assert screen.split == "normal" and rows_shown(screen) == normal


# --- 9: stale status-line messages clear; the messages log keeps them --------------------


class Clock:
    """The status line's clock, moved by the test instead of waited for."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(status_report, "monotonic", fake)
    monkeypatch.setattr(status_report, "TICK_SECONDS", 0.01)
    return fake


async def test_a_list_failure_clears_when_the_list_loads_again(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        sb.faults.add(status=503, times=3, method="GET", path=r"/v2/conversations$")
        await pilot.press("R")
        await settle(pilot, session)
        assert "✗ Could not load" in status_text(app)
        await pilot.press("R")
        await settle(pilot, session)
        assert "✗" not in status_text(app)
        # ... and the log still has it, reachable by M and from the palette
        await pilot.press("M")
        assert isinstance(app.screen, MessagesScreen)
        log = str(app.screen.query_one("#messages-text", Static).content)
        assert "✗ Could not load" in log
        await pilot.press("escape")
        assert not isinstance(app.screen, MessagesScreen)
        await pilot.press("ctrl+p")
        await pilot.press(*"messages")
        await until(pilot, lambda: "Messages log" in palette_text(app))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, MessagesScreen))


async def test_a_write_failure_leaves_the_status_line_after_a_while(
    tmp_path: Path, clock: Clock
) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        sb.faults.add(status=422, times=1, method="PATCH")
        await pilot.press("s", "p")
        await settle(pilot, session)
        assert "✗" in status_text(app)
        clock.now += status_report.FAILURE_SECONDS - 1
        await pilot.pause(0.05)
        assert "✗" in status_text(app)
        clock.now += 1
        await until(pilot, lambda: "✗" not in status_text(app))
        assert any(m.severity == "error" for m in screen.messages_log)
        assert screen._status_timer is None  # nothing left to count: the tick stops


def palette_text(app) -> str:
    from textual.command import CommandList

    try:
        options = app.screen.query_one(CommandList)
    except Exception:
        return ""
    return " ".join(str(options.get_option_at_index(i).prompt) for i in range(options.option_count))


# --- 10: toasts never cover the status line; the undo hint counts down -------------------


def overlaps(a, b) -> bool:
    return bool(a.intersection(b).area)


async def test_toasts_stay_above_the_status_line_and_the_undo_hint_counts_down(
    tmp_path: Path, clock: Clock
) -> None:
    app, sb, session = make_app(tmp_path, undo_delay=30)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        number = screen.table.current.number
        await pilot.press("e")
        await until(pilot, lambda: screen.pending_undo is not None)
        await pilot.press("o")  # "Sorted: …": a toast while the hint shows
        await until(pilot, lambda: bool(app.screen.query(Toast)))
        line = screen.query_one(StatusLine).region
        footer = screen.query_one(KeyFooter).region
        for toast in app.screen.query(Toast):
            assert not overlaps(toast.region, line) and not overlaps(toast.region, footer)
        assert f"u to undo: Close #{number} (30s)" in status_text(app)
        clock.now += 2.2
        await until(pilot, lambda: "(28s)" in status_text(app))
        await pilot.press("u")
        await settle(pilot, session)
        assert "u to undo" not in status_text(app)
        assert not writes(sb)


# --- 15: keymap conflicts are reported; ctrl+q is documented ----------------------------


async def test_a_keymap_conflict_is_reported_in_one_line_and_ctrl_q_quits(tmp_path: Path) -> None:
    app, _sb, session = make_app(tmp_path, keymap={"reply": "q"})
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        warnings = [n.message for n in app._notifications if "conflict" in n.message]
        assert warnings == [
            "[keymap] conflict: q is bound to both back (Back/quit) and reply (Reply). "
            "ctrl+q always quits."
        ]
        assert "\n" not in warnings[0]
        assert ("Anywhere", "^q ^c", "Quit (anywhere)", "quit") in app.help_rows()
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not app.is_running


async def test_two_keymap_conflicts_are_two_lines(tmp_path: Path) -> None:
    app, _sb, session = make_app(tmp_path, keymap={"reply": "q", "note": "e"})
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        warnings = [n.message for n in app._notifications if "conflict" in n.message]
        assert len(warnings) == 2
        assert any("reply" in w and "back" in w for w in warnings)
        assert any("note" in w and "close_next" in w for w in warnings)
        assert all(w.count("conflict") == 1 and "\n" not in w for w in warnings)


async def test_a_keymap_without_conflicts_says_nothing(tmp_path: Path) -> None:
    app, _sb, session = make_app(tmp_path, keymap={"reply": "ctrl+r"})
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        assert not [n for n in app._notifications if "conflict" in n.message]


# --- 17: smaller ones ------------------------------------------------------------------


async def test_a_wrong_client_secret_shows_the_not_signed_in_screen(tmp_path: Path) -> None:
    app, sb, _session = make_app(tmp_path, sandbox=Sandbox(now=NOW))
    sb.app_secret = "not-the-secret-the-app-was-given"
    async with app.run_test(size=(120, 40)) as pilot:
        await until(
            pilot, lambda: isinstance(app.screen, SignInScreen) and bool(app.screen.query("Label"))
        )
        text = " ".join(str(s.content) for s in app.screen.query(Static))
        assert "not signed in" in " ".join(
            str(label.content) for label in app.screen.query("Label")
        )
        assert "hsinbox auth login" in text and "refused the sign-in" in text


async def test_reply_left_untouched_keeps_no_signature_only_draft(tmp_path: Path) -> None:
    app, _sb, session = make_app(tmp_path, signature="-- \nMaya, Support")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        current = screen.table.current
        await pilot.press("r")
        await settle(pilot, session)
        assert isinstance(app.screen, ComposerScreen)
        assert "Maya, Support" in app.screen.body
        await pilot.press("escape")
        await settle(pilot, session)
        assert session.drafts.load(current.id, "reply") is None
        # typed text is still kept
        await pilot.press("r")
        await settle(pilot, session)
        await pilot.press(*"Thanks")
        await pilot.press("escape")
        await settle(pilot, session)
        kept = session.drafts.load(current.id, "reply")
        assert kept is not None and "Thanks" in kept.text


async def test_a_tag_made_in_the_picker_is_offered_on_the_next_conversation(
    tmp_path: Path,
) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        await pilot.press("t", *"brandnew", "enter", "ctrl+s")
        await settle(pilot, session)
        first = screen_of(app).table.current
        assert any(t["tag"] == "brandnew" for t in conv(sb, first.number)["tags"])
        await pilot.press("j", "t")
        await settle(pilot, session)
        assert isinstance(app.screen, TagsScreen)
        assert "brandnew" in app.screen.known


async def test_sort_is_kept_across_restarts_and_works_from_the_thread(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        screen = await open_thread(pilot)
        await pilot.press("W")  # the thread has the focus: the key still sorts
        assert screen.table.sort_index == 1
    app2, _sb, session2 = make_app(tmp_path, sandbox=sb)
    async with app2.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session2)
        screen = screen_of(app2)
        assert screen.table.sort_index == 1 and "sort: longest waiting first" in status_text(app2)
        await pilot.press("o")
        assert screen.table.sort_index == 2


async def test_u_with_nothing_to_undo_says_so(tmp_path: Path) -> None:
    app, _sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        await pilot.press("u")
        await pilot.pause()
        assert [n.message for n in app._notifications][-1:] == ["Nothing to undo."]


async def test_the_folder_pane_footer_offers_no_conversation_keys(tmp_path: Path) -> None:
    app, _sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        assert "Reply" in footer_text(screen)
        await pilot.press("shift+tab")  # list → sidebar
        await pilot.pause()
        assert isinstance(screen.focused, Sidebar)
        footer = footer_text(screen)
        assert "Reply" not in footer and "Note" not in footer


def footer_text(screen: InboxScreen) -> str:
    return " ".join(entry.description for entry in screen.query_one(KeyFooter).entries())


async def test_the_palette_goes_to_a_folder_and_finds_mailbox(tmp_path: Path) -> None:
    app, _sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        await pilot.press("ctrl+p", *"mailbox")
        await until(pilot, lambda: "Go to mailbox Billing" in palette_text(app))
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)
        await pilot.press("ctrl+p", *"go to folder billing")
        await until(pilot, lambda: "Go to folder Billing" in palette_text(app))
        await pilot.press("enter")
        await settle(pilot, session)
        assert app.screen is screen
        assert screen.view.mailbox_id == BILLING and screen.view.folder_id is not None


async def test_a_new_conversation_draft_is_named_by_its_subject(tmp_path: Path) -> None:
    app, _sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        await pilot.press("c")
        await settle(pilot, session)
        await pilot.press(*"ann", "tab", *"Refund please", "escape")
        await settle(pilot, session)
        await pilot.press("D")
        await settle(pilot, session)
        row = [str(cell) for cell in app.screen.query_one(DataTable).get_row_at(0)]
        assert row[0] == "new: Refund please"
