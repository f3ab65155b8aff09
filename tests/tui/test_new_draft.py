"""The new-conversation form keeps its draft: saved while typing, restored, resumed, sent."""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import DataTable, Input, Select, TextArea
from tui_helpers import BILLING, NOW, SUPPORT, make_app, settle, writes

from hsinbox.inbox.drafts import Draft
from hsinbox.sandbox import Sandbox
from hsinbox.tui.compose import NewConversationScreen
from hsinbox.tui.drafts_screen import DraftsScreen
from hsinbox.tui.inbox_screen import InboxScreen


def draft_file(tmp_path: Path) -> Path:
    return tmp_path / "data" / "drafts" / "new-new.json"


def values(form: NewConversationScreen) -> dict[str, object]:
    return {
        "mailbox": form.query_one("#new-mailbox", Select).value,
        "email": form.query_one("#new-email", Input).value,
        "subject": form.query_one("#new-subject", Input).value,
        "type": form.query_one("#new-type", Select).value,
        "body": form.query_one("#new-body", TextArea).text,
        "tags": form.query_one("#new-tags", Input).value,
        "assignee": form.query_one("#new-assignee", Select).value,
        "status": form.query_one("#new-status", Select).value,
    }


async def open_form(pilot) -> NewConversationScreen:
    await pilot.press("c")
    await pilot.pause()
    form = pilot.app.screen
    assert isinstance(form, NewConversationScreen)
    return form


async def fill(pilot, form: NewConversationScreen, assignee: int) -> None:
    """Type as an agent would: keys into the focused email field, then the rest."""
    await pilot.press(*"ana@client.example")
    form.query_one("#new-mailbox", Select).value = BILLING
    form.query_one("#new-subject", Input).value = "Invoice copy"
    form.query_one("#new-type", Select).value = "phone"
    form.query_one("#new-body", TextArea).insert("Called about **March**")
    form.query_one("#new-tags", Input).value = "billing, callback"
    form.query_one("#new-assignee", Select).value = assignee
    form.query_one("#new-status", Select).value = "pending"


FILLED = {
    "mailbox": BILLING,
    "email": "ana@client.example",
    "subject": "Invoice copy",
    "type": "phone",
    "body": "Called about **March**",
    "tags": "billing, callback",
    "status": "pending",
}


def colleague(session) -> int:
    """A teammate offered in both mailboxes: the form lists the users of the view's mailbox."""
    me = session.me.id
    billing = {u.id for u in session.users_for_mailbox(BILLING)}
    return next(u.id for u in session.users_for_mailbox(SUPPORT) if u.id in billing - {me})


async def test_typing_saves_and_reopening_restores_every_field(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot, session)
        form = await open_form(pilot)
        assignee = colleague(session)
        await fill(pilot, form, assignee)
        await settle(pilot, session)  # the debounce fired while the form is still open
        saved = json.loads(draft_file(tmp_path).read_text(encoding="utf-8"))
        assert saved["kind"] == "new" and saved["conversation_id"] is None
        assert saved["text"] == "Called about **March**"
        assert saved["fields"]["subject"] == "Invoice copy"
        assert saved["fields"]["mailbox_id"] == BILLING
        await pilot.press("escape")
        assert isinstance(app.screen, InboxScreen)
        assert not writes(sb)
        form = await open_form(pilot)
        assert values(form) == {**FILLED, "assignee": assignee}


async def test_the_draft_outlives_the_app(tmp_path: Path) -> None:
    """Killed before the debounce even ran out: escape saved it, a new run restores it."""
    sb = Sandbox(now=NOW)
    app, _sb, session = make_app(tmp_path, sandbox=sb)
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot, session)
        form = await open_form(pilot)
        await pilot.press(*"ana@client.example")
        form.query_one("#new-subject", Input).value = "Invoice copy"
        await pilot.press("escape")
    app, _sb, session = make_app(tmp_path, sandbox=sb)
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot, session)
        form = await open_form(pilot)
        restored = values(form)
        assert restored["email"] == "ana@client.example"
        assert restored["subject"] == "Invoice copy"
        assert restored["mailbox"] == SUPPORT


async def test_opening_and_leaving_an_empty_form_leaves_no_draft(tmp_path: Path) -> None:
    app, _sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot, session)
        form = await open_form(pilot)
        form.query_one("#new-type", Select).value = "chat"  # a choice alone is no draft
        await settle(pilot, session)
        await pilot.press("escape")
        await settle(pilot, session)
        assert not draft_file(tmp_path).exists()
        assert session.drafts.list() == []


async def test_clearing_a_restored_form_discards_its_draft(tmp_path: Path) -> None:
    app, _sb, session = make_app(tmp_path)
    session.drafts.save(
        Draft(None, "new", "body", fields={"subject": "Old", "customer_email": "a@b.example"})
    )
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot, session)
        form = await open_form(pilot)
        assert values(form)["subject"] == "Old"
        for wid in ("#new-email", "#new-subject"):
            form.query_one(wid, Input).value = ""
        form.query_one("#new-body", TextArea).load_text("")
        await pilot.press("escape")
        assert session.drafts.load(None, "new") is None


async def test_resume_from_the_drafts_list(tmp_path: Path) -> None:
    app, _sb, session = make_app(tmp_path)
    session.drafts.save(
        Draft(
            None,
            "new",
            "Body first line\nsecond",
            status="closed",
            fields={
                "mailbox_id": BILLING,
                "customer_email": "ana@client.example",
                "subject": "Invoice copy",
                "type": "chat",
                "tags": "x",
            },
        )
    )
    async with app.run_test(size=(140, 50)) as pilot:
        await settle(pilot, session)
        await pilot.press("D")
        await pilot.pause()
        assert isinstance(app.screen, DraftsScreen)
        table = app.screen.query_one(DataTable)
        row = [str(cell) for cell in table.get_row_at(0)]
        # Named by its subject (issue 11, 17); the first line is the message's
        assert row[:3] == ["new: Invoice copy", "new conversation", "Body first line"]
        await pilot.press("enter")
        await settle(pilot, session)
        form = app.screen
        assert isinstance(form, NewConversationScreen)
        assert values(form) == {
            "mailbox": BILLING,
            "email": "ana@client.example",
            "subject": "Invoice copy",
            "type": "chat",
            "body": "Body first line\nsecond",
            "tags": "x",
            "assignee": Select.NULL,
            "status": "closed",
        }


async def test_a_hand_edited_draft_falls_back_instead_of_failing(tmp_path: Path) -> None:
    app, _sb, session = make_app(tmp_path)
    session.drafts.save(
        Draft(
            None,
            "new",
            "kept",
            status="sideways",
            fields={"mailbox_id": 999, "type": "fax", "assignee_id": 12345, "subject": 7},
        )
    )
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot, session)
        form = await open_form(pilot)
        got = values(form)
        assert got["mailbox"] == SUPPORT  # the view's mailbox
        assert (got["type"], got["status"], got["assignee"]) == ("email", "active", Select.NULL)
        assert (got["subject"], got["body"]) == ("", "kept")


async def test_create_deletes_the_draft_only_once_help_scout_confirmed(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot, session)
        form = await open_form(pilot)
        assignee = colleague(session)
        await fill(pilot, form, assignee)
        # Help Scout refuses the first attempt: the draft must survive it.
        sb.faults.add(status=400, times=1, method="POST", path="/v2/conversations")
        await pilot.press("ctrl+s")
        await settle(pilot, session)
        assert isinstance(app.screen, InboxScreen)
        assert not any(c["subject"] == "Invoice copy" for c in sb.state["conversations"])
        assert draft_file(tmp_path).exists()
        # Reopened with everything, sent again: now it lands and the draft goes.
        form = await open_form(pilot)
        assert values(form) == {**FILLED, "assignee": assignee}
        await pilot.press("ctrl+s")
        await settle(pilot, session)
        created = [c for c in sb.state["conversations"] if c["subject"] == "Invoice copy"]
        assert len(created) == 1
        method, path, body = writes(sb)[-1]
        assert (method, path) == ("POST", "/v2/conversations")
        assert body["mailboxId"] == BILLING
        assert body["type"] == "phone" and body["status"] == "pending"
        assert body["customer"] == {"email": "ana@client.example"}
        assert body["tags"] == ["billing", "callback"]
        assert body["assignTo"] == assignee
        assert body["threads"][0]["text"] == "<p>Called about <strong>March</strong></p>"
        assert not draft_file(tmp_path).exists()
        assert session.drafts.list() == []


async def test_unassigned_stays_unassigned_in_a_mailbox_that_auto_assigns(
    tmp_path: Path,
) -> None:
    """ "unassigned" in the form sends ``"assignTo": null``: left out, the inbox's default
    (here the sandbox's auto-assign) would have assigned it to a colleague."""
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot, session)
        sb.state["sandboxAutoAssign"] = {str(BILLING): colleague(session)}
        form = await open_form(pilot)
        await fill(pilot, form, colleague(session))
        form.query_one("#new-assignee", Select).value = Select.NULL  # "unassigned"
        await pilot.press("ctrl+s")
        await settle(pilot, session)
        method, path, body = writes(sb)[-1]
        assert (method, path) == ("POST", "/v2/conversations")
        assert "assignTo" in body and body["assignTo"] is None
        (created,) = [c for c in sb.state["conversations"] if c["subject"] == "Invoice copy"]
        assert created.get("assignee") is None
