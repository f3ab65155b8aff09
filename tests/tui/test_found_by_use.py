"""Issue 11: what an afternoon of real use found that left Help Scout in the wrong state.

Each test drives the real keys over the in-process sandbox and asserts the sandbox's state
and the exact requests, or the screen text.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from textual.widgets import Checkbox, DataTable, Input, Select, Static, TextArea
from tui_helpers import conv, make_app, settle, writes

from hsinbox.sandbox import Sandbox
from hsinbox.tui.app import HsInboxApp
from hsinbox.tui.compose import ComposerScreen, CustomerEditScreen, NewConversationScreen
from hsinbox.tui.dialogs import QuitScreen
from hsinbox.tui.drafts_screen import DraftsScreen
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
    app, sb, session = make_app(tmp_path, sandbox=sb, session_sleep=gate)
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
    again, _sb, session2 = make_app(tmp_path, sandbox=sb, session_sleep=gate)
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


# --- 2. `e` (and every marked-row action) applies to the marks ---------------------------


async def test_close_next_closes_the_marked_rows_not_the_cursor_row(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        rows = [c.id for c in screen.table.visible()[:4]]
        await pilot.press("x", "j", "x")  # mark rows 1 and 3; the cursor is on row 4
        await settle(pilot, session)
        assert screen.table.marked == {rows[0], rows[2]}
        assert screen.table.current_id == rows[3]
        before = len(sb.requests)
        await pilot.press("e")
        await settle(pilot, session)
        patches = sorted(
            (r.path, r.json["value"])
            for r in sb.requests[before:]
            if r.method == "PATCH" and r.fault is None
        )
        assert patches == sorted((f"/v2/conversations/{i}", "closed") for i in (rows[0], rows[2]))
        assert sb.conversation(rows[0])["status"] == "closed"
        assert sb.conversation(rows[2])["status"] == "closed"
        assert sb.conversation(rows[3])["status"] == "active"
        assert not screen.table.marked
        assert screen.table.current_id not in (rows[0], rows[2])


async def test_assign_to_me_with_marks_assigns_each_marked_row(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        rows = [c.id for c in screen.table.visible()[:3]]
        await pilot.press("x", "x")
        await settle(pilot, session)
        await pilot.press("A")
        await settle(pilot, session)
        assert [sb.conversation(i)["assignee"]["id"] for i in rows[:2]] == [sb.me_id] * 2
        assert (sb.conversation(rows[2]).get("assignee") or {}).get("id") != sb.me_id
        assert not screen.table.marked


async def test_reply_with_marks_says_it_goes_to_the_cursor_row_only(tmp_path: Path) -> None:
    app, _sb, session = make_app(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, session)
        await pilot.press("x", "x", "r")
        await settle(pilot, session)
        assert any(
            "A reply applies to one conversation" in n.message and "2 marked rows" in n.message
            for n in app._notifications
        )


# --- 3. customer emails and phones go entry by entry; a failed save keeps the form --------


async def test_customer_form_sends_entries_one_by_one_and_keeps_the_form_on_failure(
    tmp_path: Path,
) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        row = screen.table.current
        assert row is not None and row.primary_customer is not None
        cid = row.primary_customer.id
        cust = sb.customer(cid)
        email = cust["_embedded"]["emails"][0]["value"]
        cust["_embedded"]["phones"] = [{"id": 990001, "value": "+1-555-000-1111", "type": "mobile"}]
        await pilot.press("I")
        await until(pilot, lambda: isinstance(app.screen, CustomerEditScreen))
        await settle(pilot, session)
        form = app.screen
        form.query_one("#cust-first", Input).value = "Renamed"
        form.query_one("#cust-job", Input).value = "Head of Ops"
        form.query_one("#cust-emails", Input).value = f"{email}, second@example.org"
        form.query_one("#cust-phones", Input).value = ""
        before = len(sb.requests)
        await pilot.press("ctrl+s")
        await settle(pilot, session)
        sent = [r for r in sb.requests[before:] if r.method != "GET"]
        # The name and job title: one JSON Patch; each changed entry: its own request on
        # Help Scout's entry endpoints (never riding in the patch).
        assert [(r.method, r.path, r.json if r.body else None) for r in sent] == [
            (
                "PATCH",
                f"/v2/customers/{cid}",
                [
                    {"op": "replace", "path": "/firstName", "value": "Renamed"},
                    {"op": "replace", "path": "/jobTitle", "value": "Head of Ops"},
                ],
            ),
            (
                "POST",
                f"/v2/customers/{cid}/emails",
                {"type": "work", "value": "second@example.org"},
            ),
            ("DELETE", f"/v2/customers/{cid}/phones/990001", None),
        ]
        patches = sent
        assert patches[0].fault is None
        after = sb.customer(cid)
        assert after["firstName"] == "Renamed" and after["jobTitle"] == "Head of Ops"
        assert [e["value"] for e in after["_embedded"]["emails"]] == [email, "second@example.org"]
        assert after["_embedded"]["phones"] == []
        assert not isinstance(app.screen, CustomerEditScreen), "a landed save closes the form"

        # Help Scout refuses the next save: the form stays, with everything typed.
        await pilot.press("I")
        await until(pilot, lambda: isinstance(app.screen, CustomerEditScreen))
        await settle(pilot, session)
        form = app.screen
        form.query_one("#cust-last", Input).value = "Typed-Last"
        form.query_one("#cust-phones", Input).value = "+1-555-222-3333"
        sb.faults.add(status=400, times=1, method="PATCH", path=r"^/v2/customers/")
        await pilot.press("ctrl+s")
        await settle(pilot, session)
        assert app.screen is form, "a refused save keeps the form open"
        assert form.query_one("#cust-last", Input).value == "Typed-Last"
        assert form.query_one("#cust-phones", Input).value == "+1-555-222-3333"
        assert form.query_one("#cust-first", Input).value == "Renamed"
        assert "Not saved" in str(form.query_one("#cust-problem", Static).content)
        assert sb.customer(cid)["lastName"] != "Typed-Last"
        # Saved again once the trouble is gone: the same typed values land.
        await pilot.press("ctrl+s")
        await settle(pilot, session)
        assert sb.customer(cid)["lastName"] == "Typed-Last"
        assert [p["value"] for p in sb.customer(cid)["_embedded"]["phones"]] == ["+1-555-222-3333"]
        assert not isinstance(app.screen, CustomerEditScreen)


# --- 5. leaving the composer keeps every field ------------------------------------------


async def test_escape_keeps_cc_bcc_and_status_and_sending_uses_them(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, session)
        target = screen_of(app).table.current
        assert target is not None
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ComposerScreen))
        composer = app.screen
        composer.query_one("#composer-cc", Input).value = "boss@example.org"
        composer.query_one("#composer-bcc", Input).value = "audit@example.org, log@example.org"
        composer.query_one("#composer-status", Select).value = "closed"
        composer.query_one(TextArea).load_text("Kept across escape")
        await pilot.pause()
        await pilot.press("escape")
        await settle(pilot, session)
        assert not isinstance(app.screen, ComposerScreen)
        assert any("kept as a draft" in n.message for n in app._notifications)
        draft = session.drafts.load(target.id, "reply")
        assert draft is not None
        assert (draft.text, draft.cc, draft.bcc, draft.status) == (
            "Kept across escape",
            ["boss@example.org"],
            ["audit@example.org", "log@example.org"],
            "closed",
        )

        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ComposerScreen))
        await settle(pilot, session)
        composer = app.screen
        assert composer.query_one("#composer-cc", Input).value == "boss@example.org"
        assert (
            composer.query_one("#composer-bcc", Input).value == "audit@example.org, log@example.org"
        )
        assert composer.query_one("#composer-status", Select).value == "closed"
        assert composer.query_one(TextArea).text == "Kept across escape"
        before = len(sb.requests)
        await pilot.press("ctrl+s")
        await settle(pilot, session)
        posts = [
            r for r in sb.requests[before:] if r.method == "POST" and r.path.endswith("/reply")
        ]
        assert len(posts) == 1
        body = posts[0].json
        assert body["cc"] == ["boss@example.org"]
        assert body["bcc"] == ["audit@example.org", "log@example.org"]
        assert body["status"] == "closed"
        assert sb.conversation(target.id)["status"] == "closed"
        assert session.drafts.load(target.id, "reply") is None


# --- 6. quitting asks about unsent work ---------------------------------------------------


async def test_quit_in_the_undo_window_asks_and_send_now_sends_then_quits(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path, undo_delay=60)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        target = screen.table.current
        assert target is not None
        await pilot.press("e")
        await until(pilot, lambda: screen.pending_undo is not None)
        await pilot.press("q")
        await until(pilot, lambda: isinstance(app.screen, QuitScreen))
        question = str(app.screen.query_one("#confirm-question", Static).content)
        assert "1 change is not sent" in question and "undo window" in question
        assert sb.conversation(target.id)["status"] == "active"
        assert not app._exit
        await pilot.press("s")
        await until(pilot, lambda: app._exit)
    assert sb.conversation(target.id)["status"] == "closed"
    patches = [r for r in sb.requests if r.method == "PATCH" and r.fault is None]
    assert [(r.path, r.json) for r in patches] == [
        (f"/v2/conversations/{target.id}", {"op": "replace", "path": "/status", "value": "closed"})
    ]


async def test_quit_later_keeps_the_change_for_the_next_start_and_cancel_stays(
    tmp_path: Path,
) -> None:
    app, sb, session = make_app(tmp_path, undo_delay=60)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        target = screen.table.current
        assert target is not None
        await pilot.press("e")
        await until(pilot, lambda: screen.pending_undo is not None)
        await pilot.press("ctrl+q")
        await until(pilot, lambda: isinstance(app.screen, QuitScreen))
        await pilot.press("c")  # cancel: back to the inbox, nothing sent, nothing lost
        await until(pilot, lambda: app.screen is screen)
        assert not app._exit and session.queue_length == 1
        await pilot.press("ctrl+c")
        await until(pilot, lambda: isinstance(app.screen, QuitScreen))
        await pilot.press("l")
        await until(pilot, lambda: app._exit)
    assert sb.conversation(target.id)["status"] == "active"
    assert not [r for r in sb.requests if r.method == "PATCH"]

    again, _sb, session2 = make_app(tmp_path, sandbox=sb)
    async with again.run_test(size=(140, 40)) as pilot:
        await settle(pilot, session2)
        assert sb.conversation(target.id)["status"] == "closed", "sent on the next start"


async def test_quit_with_nothing_pending_does_not_ask(tmp_path: Path) -> None:
    app, _sb, session = make_app(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, session)
        await pilot.press("q")
        await until(pilot, lambda: app._exit)
        assert not isinstance(app.screen, QuitScreen)


# --- 7. a new conversation is an outbound email unless the agent logs the customer's -----


async def new_conversation(pilot: Any, session: Any, sb: Sandbox, direction: str | None) -> Any:
    """Fill the form as an agent would and create; the POST that went out."""
    await pilot.press("c")
    await until(pilot, lambda: isinstance(pilot.app.screen, NewConversationScreen))
    form = pilot.app.screen
    assert form.query_one("#new-direction", Select).value == "outbound", "outbound by default"
    await pilot.press(*"ana@client.example")
    form.query_one("#new-subject", Input).value = f"Hello ({direction or 'default'})"
    form.query_one("#new-body", TextArea).insert("Your order shipped")
    if direction is not None:
        form.query_one("#new-direction", Select).value = direction
    await pilot.pause()
    before = len(sb.requests)
    await pilot.press("ctrl+s")
    await settle(pilot, session)
    posts = [
        r for r in sb.requests[before:] if r.method == "POST" and r.path == "/v2/conversations"
    ]
    assert len(posts) == 1 and posts[0].fault is None
    return posts[0]


async def test_new_conversation_is_an_outbound_email_by_default(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(140, 50)) as pilot:
        await settle(pilot, session)
        post = await new_conversation(pilot, session, sb, None)
        body = post.json
        assert body["type"] == "email" and body["user"] == sb.me_id
        assert body["customer"] == {"email": "ana@client.example"}
        assert body["threads"] == [
            {
                "type": "reply",
                "text": "<p>Your order shipped</p>",
                "customer": {"email": "ana@client.example"},
                "user": sb.me_id,
            }
        ]
        conv = next(c for c in sb.state["conversations"] if c["subject"] == "Hello (default)")
        assert conv["createdBy"]["type"] == "user" and conv["createdBy"]["id"] == sb.me_id
        assert conv["source"]["via"] == "user"
        (thread,) = sb.threads_of(conv["id"])
        assert thread["type"] == "message" and thread["createdBy"]["type"] == "user"


async def test_new_conversation_can_log_what_the_customer_sent(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(140, 50)) as pilot:
        await settle(pilot, session)
        post = await new_conversation(pilot, session, sb, "customer")
        assert "user" not in post.json
        assert [t["type"] for t in post.json["threads"]] == ["customer"]
        conv = next(c for c in sb.state["conversations"] if c["subject"] == "Hello (customer)")
        assert conv["createdBy"]["type"] == "customer"
        (thread,) = sb.threads_of(conv["id"])
        assert thread["type"] == "customer"


# --- 8. Help Scout drafts are shown, listed, resumed and sent as a new reply -------------


async def test_help_scout_draft_is_shown_listed_resumed_and_sent_as_a_new_reply(
    tmp_path: Path,
) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(140, 50)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        await pilot.press("enter")
        await settle(pilot, session)
        target = screen.thread.conversation
        assert target is not None
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ComposerScreen))
        composer = app.screen
        composer.query_one(TextArea).load_text("Draft of the answer")
        composer.query_one("#composer-draft", Checkbox).value = True
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot, session)
        drafts = [t for t in sb.threads_of(target.id) if t["state"] == "draft"]
        assert [t["body"] for t in drafts] == ["<p>Draft of the answer</p>"]
        draft_id = drafts[0]["id"]
        # Shown at once, without R.
        body = str(screen.thread.query_one("#thread-body", Static).content)
        assert "Draft" in body and "Draft of the answer" in body

        await pilot.press("D")
        await until(pilot, lambda: isinstance(app.screen, DraftsScreen))
        await settle(pilot, session)
        listed = app.screen
        assert [d.conversation_id for d in listed.drafts] == [target.id]
        assert "Help Scout draft" in str(listed.query_one(DataTable).get_row_at(0))
        await pilot.press("escape")
        await settle(pilot, session)

        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ComposerScreen))
        await settle(pilot, session)
        composer = app.screen
        assert composer.query_one(TextArea).text == "Draft of the answer"
        composer.query_one(TextArea).load_text("Final answer")
        await pilot.pause()
        before = len(sb.requests)
        await pilot.press("ctrl+s")
        await settle(pilot, session)
        sent = [(r.method, r.path, r.json) for r in sb.requests[before:] if r.method != "GET"]
        status = session.settings.status_after_reply
        # One documented request: a new reply with the text (and the status in it); the Help
        # Scout draft is left as it is (no undocumented `replace /draft` on the thread).
        assert [(m, p) for m, p, _ in sent] == [("POST", f"/v2/conversations/{target.id}/reply")]
        assert sent[0][2]["text"] == "<p>Final answer</p>" and "draft" not in sent[0][2]
        assert sb.conversation(target.id)["status"] == status
        mine = [
            t
            for t in sb.threads_of(target.id)
            if t["type"] == "message" and "answer" in (t.get("body") or "")
        ]
        assert [(t["state"], t["body"]) for t in mine] == [
            ("draft", "<p>Draft of the answer</p>"),
            ("published", "<p>Final answer</p>"),
        ]
        assert mine[0]["id"] == draft_id
