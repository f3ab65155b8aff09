"""Pilot tests: every action goes through the real session to the in-process Sandbox."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Input, OptionList, TextArea
from tui_helpers import BILLING, NOW, SUPPORT, conv, make_app, settle, until, writes

from hsinbox.inbox import actions as act
from hsinbox.tui.compose import ComposerScreen, run_external_editor
from hsinbox.tui.dialogs import ConfirmScreen, HelpScreen, PickerScreen, SignInScreen
from hsinbox.tui.inbox_screen import InboxScreen


def screen_of(app) -> InboxScreen:
    screen = app.inbox_screen
    assert screen is not None
    return screen


async def go_to(pilot, number: int) -> None:
    screen = screen_of(pilot.app)
    target = next(c for c in screen.table.conversations.values() if c.number == number)
    screen.table.go_to(target.id)
    await pilot.pause()


async def test_start_shows_first_mailbox_and_remembers_view(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        assert screen.view is not None and screen.view.mailbox_id == SUPPORT
        assert screen.view.folder_id is None
        listed = session.store.view_ids(screen.view)
        assert screen.table.row_count == len(listed) > 20
        assert all(
            c["mailboxId"] == SUPPORT for c in sb.state["conversations"] if c["id"] in listed
        )
        sidebar = app.screen.query_one("#sidebar", OptionList)
        labels = [sidebar.get_option_at_index(i).prompt.plain for i in range(sidebar.option_count)]
        assert "Billing" in labels and any("Unassigned" in label for label in labels)
        # choose Billing's second row (its first folder)
        index = labels.index("Billing") + 1
        sidebar.focus()
        sidebar.highlighted = index
        await pilot.press("enter")
        await settle(pilot, session)
        assert screen.view.mailbox_id == BILLING and screen.view.folder_id is not None
        folder_id = screen.view.folder_id
    app2, _sb, session2 = make_app(tmp_path, sandbox=sb)
    async with app2.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session2)
        view = screen_of(app2).view
        assert view is not None and (view.mailbox_id, view.folder_id) == (BILLING, folder_id)


async def test_status_picker_closes_and_sends_one_patch(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        await go_to(pilot, 10021)
        before = len(writes(sb))
        await pilot.press("s")
        assert app.screen.__class__.__name__ == "StatusPicker"
        await pilot.press("c")
        await settle(pilot, session)
        c = conv(sb, 10021)
        assert writes(sb)[before:] == [
            (
                "PATCH",
                f"/v2/conversations/{c['id']}",
                {"op": "replace", "path": "/status", "value": "closed"},
            )
        ]
        assert c["status"] == "closed"
        shown = screen_of(app).table.conversations[c["id"]]
        assert shown.status == "closed"


async def test_failed_status_rolls_back_with_one_sentence(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        await go_to(pilot, 10021)
        c = conv(sb, 10021)
        sb.faults.add(status=400, method="PATCH", times=1)
        await pilot.press("s", "p")
        await settle(pilot, session)
        assert conv(sb, 10021)["status"] == "active"
        screen = screen_of(app)
        assert screen.table.conversations[c["id"]].status == "active"
        errors = [n for n in app._notifications if n.severity == "error"]
        assert errors and "failed" in errors[-1].message
        assert screen.failures


async def test_close_and_next_moves_cursor(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        first = screen.table.current
        nxt = screen.table.next_id_after(first.id)
        await pilot.press("e")
        await settle(pilot, session)
        assert conv(sb, first.number)["status"] == "closed"
        assert screen.table.current_id == nxt


async def test_assign_picker_filters_and_assigns(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        await go_to(pilot, 10021)
        await pilot.press("a")
        assert isinstance(app.screen, PickerScreen)
        first_label = app.screen.query_one(OptionList).get_option_at_index(0).prompt.plain
        assert first_label.startswith("me")
        other = next(u for u in session.users_for_mailbox(SUPPORT) if u.id != sb.me_id)
        await pilot.press(*list(other.first_name.lower()[:4]))
        await pilot.press("enter")
        await settle(pilot, session)
        c = conv(sb, 10021)
        assert writes(sb)[-1] == (
            "PATCH",
            f"/v2/conversations/{c['id']}",
            {"op": "replace", "path": "/assignTo", "value": other.id},
        )
        assert screen_of(app).table.conversations[c["id"]].assignee.id == other.id


async def test_assign_to_me_and_unassign(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        await go_to(pilot, 10021)
        c = conv(sb, 10021)
        await pilot.press("A")
        await settle(pilot, session)
        assert writes(sb)[-1][2] == {"op": "replace", "path": "/assignTo", "value": sb.me_id}
        await pilot.press("a")
        for ch in "unassign":
            await pilot.press(ch)
        await pilot.press("enter")
        await settle(pilot, session)
        assert writes(sb)[-1] == (
            "PATCH",
            f"/v2/conversations/{c['id']}",
            {"op": "remove", "path": "/assignTo"},
        )


async def test_assign_missing_user_rolls_back(tmp_path: Path) -> None:
    from hsinbox.helpscout.models import User
    from hsinbox.inbox.actions import Assign

    app, _sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        await go_to(pilot, 10021)
        screen = screen_of(app)
        current = screen.table.current
        screen.submit(Assign.of(current, User(id=999999, first_name="Ghost")))
        await settle(pilot, session)
        assert screen.table.conversations[current.id].assignee == current.assignee
        assert any(n.severity == "error" for n in app._notifications)


async def test_move_to_other_mailbox(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        await go_to(pilot, 10021)
        c = conv(sb, 10021)
        await pilot.press("v")
        for ch in "bill":
            await pilot.press(ch)
        await pilot.press("enter")
        await settle(pilot, session)
        assert writes(sb)[-1] == (
            "PATCH",
            f"/v2/conversations/{c['id']}",
            {"op": "move", "path": "/mailboxId", "value": BILLING},
        )
        assert conv(sb, 10021)["mailboxId"] == BILLING


async def test_tags_add_new_and_remove_existing(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        await go_to(pilot, 10063)
        c = conv(sb, 10063)
        before = [t["tag"] for t in c.get("tags", [])]
        assert before
        await pilot.press("t")
        for ch in "urgent-x":
            await pilot.press(ch)
        await pilot.press("enter")  # new tag: added
        for ch in before[0]:
            await pilot.press(ch)
        await pilot.press("enter")  # existing tag: toggled off
        await pilot.press("ctrl+s")
        await settle(pilot, session)
        expected = [*before[1:], "urgent-x"]
        assert writes(sb)[-1] == ("PUT", f"/v2/conversations/{c['id']}/tags", {"tags": expected})
        assert sorted(t["tag"] for t in conv(sb, 10063)["tags"]) == sorted(expected)


async def test_delete_asks_naming_the_conversation(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        await go_to(pilot, 10021)
        c = conv(sb, 10021)
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmScreen)
        assert "#10021" in app.screen.question.plain
        assert "How do I add a teammate?" in app.screen.question.plain
        await pilot.press("n")
        await settle(pilot, session)
        assert not [w for w in writes(sb) if w[0] == "DELETE"]
        await pilot.press("d", "y")
        await settle(pilot, session)
        assert writes(sb)[-1] == ("DELETE", f"/v2/conversations/{c['id']}", None)
        assert c["id"] not in screen_of(app).table.conversations


async def test_bulk_status_on_marked_gives_one_summary(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        screen.table.focus()
        ids = [screen.table.current_id]
        await pilot.press("x")
        ids.append(screen.table.current_id)
        await pilot.press("space")
        assert screen.table.marked == set(ids)
        await pilot.press("s", "p")
        await settle(pilot, session)
        patched = [w for w in writes(sb) if w[0] == "PATCH"]
        assert sorted(int(p[1].rsplit("/", 1)[1]) for p in patched) == sorted(ids)
        assert all(
            p[2] == {"op": "replace", "path": "/status", "value": "pending"} for p in patched
        )
        summaries = [n.message for n in app._notifications if "2 conversations" in n.message]
        assert len(summaries) == 1
        assert not screen.table.marked


async def test_reply_sends_html_with_status_and_clears_draft(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path, status_after_reply="closed")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        await go_to(pilot, 10021)
        c = conv(sb, 10021)
        await pilot.press("r")
        assert isinstance(app.screen, ComposerScreen)
        app.screen.query_one(TextArea).insert("Hi **there**")
        await settle(pilot, session)  # the debounced draft save is a screen timer
        assert session.drafts.load(c["id"], "reply").text == "Hi **there**"
        await pilot.press("ctrl+s")
        await settle(pilot, session)
        method, path, body = writes(sb)[-1]
        assert (method, path) == ("POST", f"/v2/conversations/{c['id']}/reply")
        assert body["text"] == "<p>Hi <strong>there</strong></p>"
        assert body["status"] == "closed"
        assert body["customer"]["id"] == c["primaryCustomer"]["id"]
        assert session.drafts.load(c["id"], "reply") is None


async def test_composer_escape_keeps_draft_and_reopens_it(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        await go_to(pilot, 10021)
        await pilot.press("n")
        app.screen.query_one(TextArea).insert("half a thought")
        await pilot.press("escape")
        assert isinstance(app.screen, InboxScreen)
        assert not writes(sb)
        await pilot.press("n")
        assert app.screen.query_one(TextArea).text == "half a thought"
        await pilot.press("ctrl+s")
        await settle(pilot, session)
        c = conv(sb, 10021)
        assert writes(sb)[-1][:2] == ("POST", f"/v2/conversations/{c['id']}/notes")
        assert writes(sb)[-1][2]["text"] == "<p>half a thought</p>"


async def test_composer_external_editor_is_injected(tmp_path: Path) -> None:
    seen: list[str] = []

    async def editor(_app, text: str) -> str:
        seen.append(text)
        return text + "from the editor\n"

    app, _sb, session = make_app(tmp_path, editor=editor)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        await pilot.press("n")
        app.screen.query_one(TextArea).insert("typed ")
        await pilot.press("ctrl+e")
        await settle(pilot, session)
        assert seen == ["typed "]
        assert app.screen.query_one(TextArea).text == "typed from the editor"


async def test_the_outbox_sends_while_the_external_editor_is_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """$EDITOR runs in a thread behind App.suspend: the loop (the outbox) goes on."""
    flag = tmp_path / "close-the-editor"
    script = tmp_path / "editor.sh"
    # Waits (5 s at most, so a blocked loop fails instead of hanging) until told to close.
    script.write_text(
        "i=0\n"
        f'while [ ! -e "{flag}" ] && [ $i -lt 250 ]; do sleep 0.02; i=$((i+1)); done\n'
        'printf "written in the editor" > "$1"\n'
    )
    app, sb, session = make_app(tmp_path)
    app.editor = lambda app_, text: run_external_editor(app_, text, f"sh {script}")
    suspended: list[str] = []

    @contextlib.contextmanager
    def suspend() -> Iterator[None]:
        # The headless test driver cannot hand the terminal over; record that it was asked.
        suspended.append("in")
        yield
        suspended.append("out")

    monkeypatch.setattr(app, "suspend", suspend)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        await go_to(pilot, 10021)
        target = session.store.get(screen_of(app).table.current_id)
        await pilot.press("n")
        await pilot.press("ctrl+e")
        await until(pilot, lambda: suspended == ["in"])
        session.submit(act.SetStatus.of(target, "pending"))
        await until(pilot, lambda: conv(sb, 10021)["status"] == "pending")
        assert suspended == ["in"]  # the editor is still open
        flag.write_text("")
        await until(pilot, lambda: suspended == ["in", "out"])
        await until(pilot, lambda: app.screen.query_one(TextArea).text == "written in the editor")


async def test_new_conversation_form(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        await pilot.press("c")
        form = app.screen
        form.query_one("#new-email", Input).value = "new@customer.example"
        form.query_one("#new-subject", Input).value = "Hello from the terminal"
        form.query_one("#new-body", TextArea).insert("First *message*")
        form.query_one("#new-tags", Input).value = "vip, trial"
        await pilot.press("ctrl+s")
        await settle(pilot, session)
        method, path, body = writes(sb)[-1]
        assert (method, path) == ("POST", "/v2/conversations")
        assert body["subject"] == "Hello from the terminal"
        assert body["mailboxId"] == SUPPORT
        assert body["customer"] == {"email": "new@customer.example"}
        assert body["tags"] == ["vip", "trial"]
        assert body["threads"][0]["text"] == "<p>First <em>message</em></p>"
        assert any(c["subject"] == "Hello from the terminal" for c in sb.state["conversations"])


async def test_customer_edit_sends_patch(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        await go_to(pilot, 10021)
        c = conv(sb, 10021)
        await pilot.press("I")
        await settle(pilot, session)
        app.screen.query_one("#cust-org", Input).value = "Acme Widgets"
        await pilot.press("ctrl+s")
        await settle(pilot, session)
        method, path, body = writes(sb)[-1]
        assert (method, path) == ("PATCH", f"/v2/customers/{c['primaryCustomer']['id']}")
        assert {"op": "replace", "path": "/organization", "value": "Acme Widgets"} in body


async def test_undo_cancels_a_delayed_close(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path, undo_delay=30)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        await go_to(pilot, 10021)
        c = conv(sb, 10021)
        await pilot.press("s", "c")
        await pilot.pause()
        assert screen.pending_undo is not None
        assert "u to undo" in str(screen.query_one("#status-line").render())
        assert screen.table.conversations[c["id"]].status == "closed"
        await pilot.press("u")
        await pilot.pause()
        assert screen.table.conversations[c["id"]].status == "active"
        assert not writes(sb)
        assert conv(sb, 10021)["status"] == "active"


def footer_undo_enabled(app) -> bool | None:
    """Whether the footer shows ``u Undo`` enabled (None: not shown at all)."""
    from hsinbox.tui.key_footer import KeyFooter

    entries = app.screen.query_one(KeyFooter).entries()
    keys = [e for e in entries if e.action.endswith("undo")]
    if not keys:
        return None
    return keys[0].enabled


async def test_footer_undo_is_enabled_exactly_while_undo_is_possible(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path, undo_delay=30)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        await go_to(pilot, 10021)
        assert screen.check_action("undo", ()) is None
        assert footer_undo_enabled(app) is False
        await pilot.press("s", "c")
        await pilot.pause()
        await pilot.pause()
        assert screen.check_action("undo", ()) is True
        assert footer_undo_enabled(app) is True
        await pilot.press("u")
        await pilot.pause()
        await pilot.pause()
        assert screen.check_action("undo", ()) is None
        assert footer_undo_enabled(app) is False
        assert not writes(sb)


async def test_filter_as_you_type_and_sort(tmp_path: Path) -> None:
    app, _sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        table = screen_of(app).table
        total = table.row_count
        await pilot.press("slash", *list("dark mode"))
        assert 0 < table.row_count < total
        assert all("dark mode" in (c.subject or "").lower() for c in table.visible())
        await pilot.press("escape")
        assert table.row_count == total
        await pilot.press("o")
        waits = [c.customer_waiting_since.time for c in table.visible() if c.customer_waiting_since]
        assert waits == sorted(waits)


async def test_hostile_conversations_render_literally(tmp_path: Path) -> None:
    for size in ((80, 24), (120, 40)):
        app, _sb, session = make_app(tmp_path / str(size[0]))
        async with app.run_test(size=size) as pilot:
            await settle(pilot, session)
            screen = screen_of(app)
            for number in (10151, 10152, 10154, 10156):
                await go_to(pilot, number)
                await pilot.press("enter")
                await settle(pilot, session)
                svg = app.export_screenshot()
                assert "\x1b" not in svg and "\x07" not in svg and "\u202e" not in svg
                await pilot.press("q")
            await go_to(pilot, 10152)
            await pilot.press("enter")
            await settle(pilot, session)
            assert (
                "[bold red]not bold[/]" in screen.thread.query_one("#thread-header").render().plain
            )  # type: ignore[attr-defined]


async def test_help_lists_keys_as_rebound(tmp_path: Path) -> None:
    app, _sb, session = make_app(tmp_path, keymap={"reply": "ctrl+r"})
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        rows = {row[3]: row[1] for row in app.screen.rows}
        assert rows["reply"] == "^r"
        assert rows["close_next"] == "e"
        await pilot.press("escape")
        await pilot.press("ctrl+r")
        assert isinstance(app.screen, ComposerScreen)


async def test_read_only_blocks_writes(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path, read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        await pilot.press("r", "s", "d", "e")
        await settle(pilot, session)
        assert isinstance(app.screen, InboxScreen)
        assert not writes(sb)


async def test_narrow_terminal_opens_thread_on_enter_and_back(tmp_path: Path) -> None:
    app, _sb, session = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        assert screen.has_class("-narrow")
        assert not screen.query_one("#reading").display or not screen.thread.region.width
        await pilot.press("enter")
        await settle(pilot, session)
        assert screen.has_class("thread-open") and app.focused is screen.thread
        assert screen.thread.threads
        await pilot.press("q")
        assert not screen.has_class("thread-open")
        assert app.focused is screen.table


async def test_sign_in_screen_without_session(tmp_path: Path) -> None:
    from hsinbox.tui.app import HsInboxApp

    app = HsInboxApp(None, sign_in_problem="No Help Scout credentials found.", now=lambda: NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, SignInScreen)
        text = app.export_screenshot()
        assert "hsinbox&#160;auth&#160;login" in text or "auth" in text


async def test_the_first_painted_row_shows_its_customer(tmp_path: Path) -> None:
    """Rows are drawn from the conversations when painted: no width settles later (was a flake)."""
    app, _sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        table = screen_of(app).table
        table.set_conversations(list(table.conversations.values()))
        first = table.current
        assert first is not None and first.primary_customer is not None
        assert first.primary_customer.display[:10] in table.render_line(1).text


async def test_debug_marker_hook_writes_the_first_paint_time(tmp_path: Path, monkeypatch) -> None:
    marker = tmp_path / "painted"
    monkeypatch.setenv("HSINBOX_DEBUG_MARKERS", str(marker))
    app, _sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        await pilot.pause()
        assert float(marker.read_text(encoding="utf-8")) > 0
