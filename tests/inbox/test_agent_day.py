"""The agent day through the one write path: exact requests, sandbox state afterwards."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from testdata import load_every_page

from hsinbox.helpscout.models import Conversation
from hsinbox.inbox.actions import Action, Bulk, Note, action_from_json
from hsinbox.inbox.agent_actions import (
    RunWorkflow,
    SetCustomFields,
    SetSubject,
    Snooze,
    Unsnooze,
)
from hsinbox.inbox.attachments import MAX_ATTACHMENT_BYTES, AttachmentRefused
from hsinbox.inbox.custom_fields import FieldValueRefused
from hsinbox.inbox.drafts import Draft
from hsinbox.inbox.events import (
    ActionConfirmed,
    ActionFailed,
    BulkFinished,
    MergedConversation,
)
from hsinbox.inbox.view import View
from hsinbox.sandbox.seed_agent_day import PNG_BYTES

SUPPORT = 8401


def writes(sb: Any, since: int = 0) -> list[Any]:
    return [
        r for r in sb.requests[since:] if r.method != "GET" and not r.path.startswith("/v2/oauth2")
    ]


async def support_view(session: Any) -> list[Conversation]:
    return await session.load_view(View(SUPPORT))


async def test_snooze_is_one_request_and_shows_the_wake_up(session_and_events: Any, sb: Any):
    session, events = session_and_events
    conv = (await support_view(session))[0]
    until = sb.now + timedelta(hours=3)
    start = len(sb.requests)
    session.snooze([conv], until, unsnooze_on_customer_reply=True)
    assert session.store.get(conv.id).snooze.snoozed_until == until.replace(microsecond=0)
    await session.drain()
    (put,) = writes(sb, start)
    assert (put.method, put.path) == ("PUT", f"/v2/conversations/{conv.id}/snooze")
    assert put.json["unsnoozeOnCustomerReply"] is True
    assert sb.conversation(conv.id)["snooze"]["snoozedUntil"] == put.json["snoozedUntil"]
    assert [type(e.action) for e in events.of(ActionConfirmed)] == [Snooze]
    session.unsnooze([session.store.get(conv.id)])
    await session.drain()
    assert "snooze" not in sb.conversation(conv.id)
    assert session.store.get(conv.id).snooze is None
    assert [r.method for r in writes(sb, start)] == ["PUT", "DELETE"]


async def test_snooze_in_the_past_rolls_back_in_one_sentence(session_and_events: Any, sb: Any):
    session, events = session_and_events
    conv = (await support_view(session))[0]
    session.snooze([conv], sb.now - timedelta(minutes=5))
    await session.drain()
    (failed,) = events.of(ActionFailed)
    assert "future" in failed.reason and failed.reason.endswith(".")
    assert session.store.get(conv.id).snooze is None


async def test_bulk_snooze_can_be_undone_in_the_window(make_session: Any, sb: Any) -> None:
    session, _events = await make_session(undo_delay=5.0)
    convs = (await support_view(session))[:3]
    start = len(sb.requests)
    bulk = session.snooze(convs, sb.now + timedelta(days=1))
    assert isinstance(bulk, Bulk) and all(session.store.get(c.id).snooze for c in convs)
    assert session.cancel(bulk.id)
    assert all(session.store.get(c.id).snooze is None for c in convs)
    await session.drain()
    assert writes(sb, start) == []


async def test_custom_fields_put_carries_the_full_set(session_and_events: Any, sb: Any):
    session, events = session_and_events
    definitions = await session.custom_fields(SUPPORT)
    by_type = {d.type: d for d in definitions}
    conv = next(c for c in await support_view(session) if c.custom_fields)
    start = len(sb.requests)
    action = SetCustomFields.of(conv, definitions, {by_type["number"].id: "42"})
    session.submit(action)
    await session.drain()
    (put,) = writes(sb, start)
    sent = {f["id"]: f["value"] for f in put.json["fields"]}
    before = {f.id: f.value for f in conv.custom_fields}
    assert sent == {**before, by_type["number"].id: "42"}
    stored = {f["id"]: f["value"] for f in sb.conversation(conv.id)["customFields"]}
    assert stored == sent
    assert await session.custom_fields(SUPPORT) == definitions
    assert len([r for r in sb.requests if r.path.endswith("/fields")]) == 2  # GET once + PUT
    assert events.of(ActionConfirmed)


async def test_custom_field_values_are_checked_before_sending(session_and_events: Any):
    session, _ = session_and_events
    definitions = await session.custom_fields(SUPPORT)
    by_type = {d.type: d for d in definitions}
    conv = (await support_view(session))[0]
    with pytest.raises(FieldValueRefused, match="YYYY-MM-DD"):
        SetCustomFields.of(conv, definitions, {by_type["date"].id: "26/11/2026"})
    with pytest.raises(FieldValueRefused, match="number"):
        SetCustomFields.of(conv, definitions, {by_type["number"].id: "ten"})
    with pytest.raises(FieldValueRefused, match="Starter"):
        SetCustomFields.of(conv, definitions, {by_type["dropdown"].id: "Platinum"})
    by_label = SetCustomFields.of(conv, definitions, {by_type["dropdown"].id: "growth"})
    (chosen,) = [f for f in by_label.fields if f.id == by_type["dropdown"].id]
    assert chosen.text == "Growth" and chosen.value == str(by_type["dropdown"].options[1].id)


async def test_closing_asks_about_a_required_empty_field(session_and_events: Any, sb: Any):
    session, _ = session_and_events
    convs = await support_view(session)
    empty = next(c for c in convs if not c.custom_fields)
    missing = await session.missing_required_fields(empty)
    assert [d.name for d in missing] == ["Plan"]
    filled = next(c for c in convs if c.custom_fields)
    assert await session.missing_required_fields(filled) == []


async def test_workflow_run_batches_and_refreshes_rows(session_and_events: Any, sb: Any):
    session, events = session_and_events
    for conv in sb.state["conversations"]:
        if conv["mailboxId"] == SUPPORT and conv["state"] == "published":
            conv["status"] = "active"
    convs = (await load_every_page(session, View(SUPPORT)))[:60]
    assert len({c.id for c in convs}) == 60
    (flow, _other) = await session.workflows(SUPPORT)
    start = len(sb.requests)
    action = session.run_workflow(flow, convs)
    assert isinstance(action, Bulk) and len(action.actions) == 2
    await session.drain()
    await session.settle_background()
    runs = writes(sb, start)
    assert [len(r.json["conversationIds"]) for r in runs] == [50, 10]
    assert all(r.path == f"/v2/workflows/{flow.id}/run" for r in runs)
    (summary,) = events.of(BulkFinished)
    assert summary.message.startswith("Ran workflow “Escalate to tier 2” on 2 of 2")
    for conv in convs:
        assert "escalated" in session.store.get(conv.id).tag_names


async def test_workflow_refuses_another_mailboxs_conversation(session_and_events: Any):
    session, _ = session_and_events
    (flow, _other) = await session.workflows(SUPPORT)
    other = await session.load_view(View(8402))
    with pytest.raises(ValueError, match="another mailbox"):
        session.run_workflow(flow, other[:1])


async def test_workflow_unknown_outcome_is_never_resent(session_and_events: Any, sb: Any):
    session, events = session_and_events
    conv = (await support_view(session))[0]
    (flow, _other) = await session.workflows(SUPPORT)
    sb.faults.drop(times=1, method="POST", path=r"/run$", after_apply=True)
    start = len(sb.requests)
    session.run_workflow(flow, [conv])
    await session.drain()
    assert len([r for r in sb.requests[start:] if r.path.endswith("/run")]) == 1
    (failed,) = events.of(ActionFailed)
    assert "may or may not have run" in failed.reason


async def test_subject_edit_is_one_patch_and_undoable(session_and_events: Any, sb: Any):
    session, _ = session_and_events
    conv = (await support_view(session))[0]
    start = len(sb.requests)
    action = SetSubject.of(conv, "  Printer   on fire ")
    session.submit(action)
    await session.drain()
    (patch,) = writes(sb, start)
    assert patch.json == {"op": "replace", "path": "/subject", "value": "Printer on fire"}
    assert sb.conversation(conv.id)["subject"] == "Printer on fire"
    session.submit(action.inverse())
    await session.drain()
    assert sb.conversation(conv.id)["subject"] == conv.subject


async def test_reply_with_attachments_is_one_request(
    session_and_events: Any, sb: Any, tmp_path: Path
):
    session, _ = session_and_events
    conv = (await support_view(session))[0]
    (tmp_path / "shot.png").write_bytes(PNG_BYTES)
    (tmp_path / "app.log").write_text("boom\n")
    files = (session.attach(tmp_path / "shot.png"), session.attach(tmp_path / "app.log"))
    start = len(sb.requests)
    session.submit(session.reply_action(conv, "<p>See attached</p>", attachments=files))
    pending = session.store.pending_threads[conv.id][0]
    assert [(a.filename, a.size) for a in pending.attachments] == [
        ("shot.png", len(PNG_BYTES)),
        ("app.log", 5),
    ]
    await session.drain()
    (post,) = writes(sb, start)
    assert [a["fileName"] for a in post.json["attachments"]] == ["shot.png", "app.log"]
    assert post.json["attachments"][0]["mimeType"] == "image/png"
    stored = sb.threads_of(conv.id)[-1]["_embedded"]["attachments"]
    assert [(a["filename"], a["size"]) for a in stored] == [
        ("shot.png", len(PNG_BYTES)),
        ("app.log", 5),
    ]


def test_attachments_survive_the_journal_round_trip() -> None:
    from hsinbox.helpscout.models import NewAttachment

    note = Note(5, "<p>x</p>", attachments=(NewAttachment.of("a.bin", "x/y", b"\0\1\2"),))
    again = action_from_json(json.loads(json.dumps(note.to_json())))
    assert again == note and again.attachments[0].raw == b"\0\1\2"


def test_files_that_cannot_be_attached_are_refused(tmp_path: Path) -> None:
    from hsinbox.inbox.attachments import load_attachment

    with pytest.raises(AttachmentRefused, match="no such file"):
        load_attachment(tmp_path / "missing.txt")
    big = tmp_path / "big.bin"
    with big.open("wb") as f:
        f.truncate(MAX_ATTACHMENT_BYTES + 1)
    with pytest.raises(AttachmentRefused) as refused:
        load_attachment(big)
    # 10 MB + 1 byte rounds to "10.0 MB": the sentence gives the exact bytes too.
    assert str(refused.value) == (
        "big.bin was not attached: it is 10,485,761 bytes (10.0 MB), over Help Scout's "
        "limit of 10,485,760 bytes (10.0 MB)."
    )
    with pytest.raises(AttachmentRefused, match="not a file"):
        load_attachment(tmp_path)
    locked = tmp_path / "locked.txt"
    locked.write_text("x")
    locked.chmod(0)
    try:
        if os.geteuid() != 0:
            with pytest.raises(AttachmentRefused, match="cannot be read"):
                load_attachment(locked)
    finally:
        locked.chmod(0o600)


async def test_download_saves_without_overwriting(session_and_events: Any, sb: Any, tmp_path: Path):
    session, _ = session_and_events
    cid = sb.state["sandboxNotes"]["attachmentConversation"]
    await session.load_threads(cid)
    atts = {a.filename: a for _tid, a in session.conversation_attachments(cid)}
    png = atts["screenshot.png"]
    first = await session.download_attachment(cid, png, tmp_path)
    second = await session.download_attachment(cid, png, tmp_path)
    assert first.name == "screenshot.png" and second.name == "screenshot (1).png"
    assert first.read_bytes() == PNG_BYTES == second.read_bytes()
    data_gets = [r for r in sb.requests if r.path.endswith(f"/attachments/{png.id}/data")]
    assert len(data_gets) == 2


async def test_customer_history_newest_first(session_and_events: Any, sb: Any):
    session, _ = session_and_events
    customer = sb.state["sandboxNotes"]["historyCustomer"]
    history = await session.customer_history(customer)
    assert len(history) >= 3
    assert all(c.primary_customer.id == customer for c in history)
    stamps = [c.created_at for c in history]
    assert stamps == sorted(stamps, reverse=True)


async def test_saved_replies_cached_and_filled(session_and_events: Any, sb: Any):
    session, _ = session_and_events
    conv = (await support_view(session))[0]
    listed = await session.saved_replies(SUPPORT)
    await session.saved_replies(SUPPORT)
    assert len([r for r in sb.requests if r.path.endswith("/saved-replies")]) == 1
    by_name = {r.name: r for r in listed}
    greeting = await session.insertable_saved_reply(conv, by_name["Greeting"].id)
    first = conv.primary_customer.first or "there"
    assert greeting.text == f"Hi {first},\n\nThanks for reaching out to Support!"
    sign_off = await session.insertable_saved_reply(conv, by_name["Sign-off"].id)
    assert sign_off.unknown == ("company.name",)
    assert sign_off.notice == "Left as written: unknown variable {%company.name%}."
    assert "{%company.name%}" in sign_off.text and session.me.first_name in sign_off.text


# --- merged conversations ---------------------------------------------------------------


async def test_a_queued_write_follows_a_merge(make_session: Any, sb: Any, data_dir: Path):
    session, events = await make_session(undo_delay=0.0)
    convs = await support_view(session)
    old, new = convs[0], convs[1]
    session.drafts.save(Draft(old.id, "reply", text="half-written"))
    sb.merge(old.id, new.id)
    start = len(sb.requests)
    session.submit(Note(old.id, "<p>after the merge</p>", number=old.number))
    await session.drain()
    await session.settle_background()
    posts = [r for r in writes(sb, start)]
    assert [(r.method, r.path) for r in posts] == [
        ("POST", f"/v2/conversations/{old.id}/notes"),
        ("POST", f"/v2/conversations/{new.id}/notes"),
    ]
    notes = [t for t in sb.threads_of(new.id) if t["body"] == "<p>after the merge</p>"]
    assert len(notes) == 1
    (merged,) = events.of(MergedConversation)
    assert merged.message == f"#{old.number} was merged into #{new.number}."
    assert old.id not in session.store.view_ids(View(SUPPORT))
    assert new.id in session.store.view_ids(View(SUPPORT))
    assert session.drafts.load(old.id, "reply") is None
    assert session.drafts.load(new.id, "reply").text == "half-written"
    (confirmed,) = events.of(ActionConfirmed)
    assert confirmed.action.conversation_id == new.id


async def test_every_queued_action_moves_and_nothing_is_sent_twice(
    make_session: Any, sb: Any
) -> None:
    session, _events = await make_session(undo_delay=0.0)
    convs = await support_view(session)
    old, new = convs[0], convs[1]
    sb.merge(old.id, new.id)
    session.worker.paused = True
    session.submit(Note(old.id, "<p>one</p>", number=old.number))
    session.submit(SetSubject.of(old, "Two"))
    pending_ids = [a.id for a in session.pending_actions]
    session.follow_merge(old.id, new.id)  # as a GET's 301 would
    assert [a.conversation_id for a in session.pending_actions] == [new.id, new.id]
    assert [a.id for a in session.pending_actions] == pending_ids
    start = len(sb.requests)
    session.resume()
    await session.drain()
    assert [(r.method, r.path) for r in writes(sb, start)] == [
        ("POST", f"/v2/conversations/{new.id}/notes"),
        ("PATCH", f"/v2/conversations/{new.id}"),
    ]


async def test_a_retargeted_action_replays_to_the_survivor(
    make_session: Any, sb: Any, data_dir: Path
) -> None:
    session, _ = await make_session(undo_delay=0.0)
    convs = await support_view(session)
    old, new = convs[0], convs[1]
    session.worker.paused = True
    session.submit(Note(old.id, "<p>journaled</p>", number=old.number))
    session.worker.retarget(old.id, new.id, new.number)
    await session.close()
    from hsinbox.inbox.journal import Journal

    journal = Journal(data_dir)
    (record,) = journal.pending()
    journal.close()
    assert record.action.conversation_id == new.id


async def test_opening_a_merged_conversation_follows_it(session_and_events: Any, sb: Any):
    session, events = session_and_events
    old, new = sb.state["sandboxNotes"]["mergedPair"]
    conv = await session.load_conversation(old)
    await session.settle_background()
    assert conv.id == new
    (merged,) = events.of(MergedConversation)
    assert merged.new_id == new and merged.message.endswith(f"#{conv.number}.")


def test_new_actions_round_trip_the_journal() -> None:
    from datetime import UTC, datetime

    from hsinbox.helpscout.models import CustomField

    until = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    actions: list[Action] = [
        Snooze(1, until, False, number=7),
        Unsnooze(1),
        SetCustomFields(1, (CustomField(id=2, name="n", value="3", text="3"),)),
        SetSubject(1, "s", "p"),
        RunWorkflow(9, (1, 2), "Flow", (10, 11)),
    ]
    for action in actions:
        assert action_from_json(json.loads(json.dumps(action.to_json()))) == action
    with pytest.raises(ValueError):
        RunWorkflow(9, tuple(range(51)))


async def test_a_hostile_attachment_name_stays_in_the_download_folder(
    session_and_events: Any, sb: Any, tmp_path: Path
) -> None:
    session, _ = session_and_events
    cid = sb.state["sandboxNotes"]["attachmentConversation"]
    await session.load_threads(cid)
    (hostile,) = [
        a for _tid, a in session.conversation_attachments(cid) if "bashrc" in (a.filename or "")
    ]
    root = tmp_path / "jail"
    target = root / "downloads"
    saved = await session.download_attachment(cid, hostile, target)
    assert saved.parent == target
    assert "/" not in saved.name and ".." not in saved.name and "\x1b" not in saved.name
    assert saved.read_bytes() == b"echo pwned\n"
    assert [p.name for p in root.iterdir()] == ["downloads"]
    assert not (tmp_path / ".bashrc").exists()


async def test_download_dir_defaults_to_the_setting(make_session: Any, tmp_path: Path) -> None:
    session, _ = await make_session(download_dir=str(tmp_path / "here"))
    assert session.download_dir == tmp_path / "here"


async def test_a_delete_does_not_follow_a_merge(session_and_events: Any, sb: Any) -> None:
    from hsinbox.inbox.actions import Delete

    session, events = session_and_events
    convs = await support_view(session)
    old, new = convs[0], convs[1]
    sb.merge(old.id, new.id)
    start = len(sb.requests)
    session.submit(Delete.of(old))
    await session.drain()
    assert [r.method for r in writes(sb, start)] == ["DELETE"]
    assert sb.conversation(new.id)
    (failed,) = events.of(ActionFailed)
    assert failed.reason == f"it was merged into conversation {new.id}, so it was left as it is."


async def test_read_only_sends_no_agent_day_write(make_session: Any, sb: Any) -> None:
    session, events = await make_session(read_only=True)
    conv = (await support_view(session))[0]
    (flow, _other) = await session.workflows(SUPPORT)
    start = len(sb.requests)
    session.snooze([conv], sb.now + timedelta(hours=3))
    session.run_workflow(flow, [conv])
    session.submit(SetSubject.of(conv, "x"))
    await session.drain()
    assert writes(sb, start) == []
    assert len(events.of(ActionFailed)) == 3
