"""The one write path against the sandbox: exact requests, sandbox state, and the events."""

from __future__ import annotations

import asyncio
import stat
import time
from typing import Any

from testdata import until

from hsinbox.helpscout.models import NewConversation, NewThread, User
from hsinbox.inbox.actions import (
    Assign,
    Bulk,
    CreateConversation,
    Delete,
    Move,
    Note,
    Reply,
    SetStatus,
    SetTags,
)
from hsinbox.inbox.drafts import Draft
from hsinbox.inbox.events import (
    ActionApplied,
    ActionCancelled,
    ActionConfirmed,
    ActionFailed,
    AuthRequired,
    BulkFinished,
    ConnectionChanged,
    QueueChanged,
    RateLimitWait,
)
from hsinbox.inbox.journal import JOURNAL_NAME, Journal
from hsinbox.inbox.view import View


def writes(sb: Any, since: int = 0) -> list[Any]:
    """Requests that change something (the token endpoint excluded)."""
    return [
        r for r in sb.requests[since:] if r.method != "GET" and not r.path.startswith("/v2/oauth2")
    ]


def api_requests(sb: Any, since: int = 0) -> list[Any]:
    return [r for r in sb.requests[since:] if not r.path.startswith("/v2/oauth2")]


async def active(session: Any, count: int = 1) -> list[Any]:
    """Active conversations of the first mailbox, loaded into the store."""
    view = View(session.mailboxes[0].id)
    conversations = await session.load_view(view)
    assert len(conversations) >= count
    return conversations[:count]


def raw(sb: Any, cid: int) -> dict[str, Any]:
    return next(c for c in sb.state["conversations"] if c["id"] == cid)


async def test_status_change_is_one_request_and_optimistic(
    session_and_events: Any, sb: Any
) -> None:
    session, events = session_and_events
    (conv,) = await active(session)
    before = len(sb.requests)
    action = SetStatus.of(conv, "pending")
    session.submit(action)
    # Visible at once, before anything reached the sandbox.
    assert session.store.get(conv.id).status == "pending"
    assert raw(sb, conv.id)["status"] == "active"
    assert session.queue_length == 1
    await session.drain()
    sent = writes(sb, before)
    assert [(r.method, r.path, r.json) for r in sent] == [
        (
            "PATCH",
            f"/v2/conversations/{conv.id}",
            {"op": "replace", "path": "/status", "value": "pending"},
        )
    ]
    assert len(sb.requests) - before == 1, "no GET before the write"
    assert raw(sb, conv.id)["status"] == "pending"
    assert events.kinds() == ["ActionApplied", "QueueChanged", "ActionConfirmed", "QueueChanged"]
    assert events.of(QueueChanged)[-1].length == 0


async def test_every_conversation_action_sends_exactly_one_request(
    session_and_events: Any, sb: Any
) -> None:
    session, events = session_and_events
    c1, c2, c3 = await active(session, 3)
    other_user = next(u for u in session.users_for_mailbox(c1.mailbox_id) if u.id != sb.me_id)
    other_mailbox = session.mailboxes[1]
    actions = [
        Assign.of(c1, other_user),
        SetTags.of(c1, ["alpha", "beta"]),
        Reply.of(c2, "<p>Thanks, fixed.</p>", status="pending"),
        Note(c2.id, "<p>internal</p>"),
        Move.of(c3, other_mailbox.id, other_mailbox.name),
    ]
    before = len(sb.requests)
    for action in actions:
        session.submit(action)
    await session.drain()
    sent = writes(sb, before)
    assert [(r.method, r.path) for r in sent] == [
        ("PATCH", f"/v2/conversations/{c1.id}"),
        ("PUT", f"/v2/conversations/{c1.id}/tags"),
        ("POST", f"/v2/conversations/{c2.id}/reply"),
        ("POST", f"/v2/conversations/{c2.id}/notes"),
        ("PATCH", f"/v2/conversations/{c3.id}"),
    ]
    # Five writes and one read: the tag PUT replaces every tag, so it is built on a fresh
    # GET (a colleague's tags are kept).
    assert len(sb.requests) - before == 6
    assert sent[0].json == {"op": "replace", "path": "/assignTo", "value": other_user.id}
    assert sent[1].json == {"tags": ["alpha", "beta"]}
    assert sent[2].json["customer"] == {"id": c2.primary_customer.id}
    assert sent[2].json["status"] == "pending"
    assert sent[4].json == {"op": "move", "path": "/mailboxId", "value": other_mailbox.id}
    assert raw(sb, c1.id)["assignee"]["id"] == other_user.id
    assert sorted(t["tag"] for t in raw(sb, c1.id)["tags"]) == ["alpha", "beta"]
    assert raw(sb, c3.id)["mailboxId"] == other_mailbox.id
    bodies = [t.get("body") for t in sb.threads_of(c2.id)]
    assert "<p>Thanks, fixed.</p>" in bodies and "<p>internal</p>" in bodies
    confirmed = events.of(ActionConfirmed)
    assert [e.action for e in confirmed] == actions
    assert isinstance(confirmed[2].result, int)  # the new thread id from Resource-ID
    assert confirmed[2].result in [t["id"] for t in sb.threads_of(c2.id)]


async def test_refused_action_rolls_back_with_a_sentence(session_and_events: Any, sb: Any) -> None:
    session, events = session_and_events
    (conv,) = await active(session)
    previous = conv.assignee
    before = len(sb.requests)
    session.submit(Assign.of(conv, User(id=987654, first_name="Nobody")))
    assert session.store.get(conv.id).assignee.id == 987654
    await session.drain()
    assert len(writes(sb, before)) == 1
    assert session.store.get(conv.id).assignee == previous
    (failed,) = events.of(ActionFailed)
    assert failed.reason.endswith(".") and "\n" not in failed.reason
    assert failed.reason.startswith("Help Scout")
    assert (raw(sb, conv.id).get("assignee") or {}).get("id") == (previous.id if previous else None)
    assert session.queue_length == 0


async def test_network_down_then_back_sends_in_order_and_loses_nothing(
    session_and_events: Any, sb: Any, fake_time: Any
) -> None:
    session, events = session_and_events
    c1, c2 = await active(session, 2)
    sb.faults.drop(times=3)  # every request fails before reaching the API, three times
    before = len(sb.requests)
    first = SetStatus.of(c1, "pending")
    second = SetTags.of(c2, ["queued"])
    third = Note(c1.id, "<p>after the status</p>")
    for action in (first, second, third):
        session.submit(action)
    await session.drain()
    sent = writes(sb, before)
    assert [(r.method, r.path, r.fault) for r in sent] == [
        ("PATCH", f"/v2/conversations/{c1.id}", "drop"),
        ("PATCH", f"/v2/conversations/{c1.id}", "drop"),
        ("PATCH", f"/v2/conversations/{c1.id}", "drop"),
        ("PATCH", f"/v2/conversations/{c1.id}", None),
        ("PUT", f"/v2/conversations/{c2.id}/tags", None),
        ("POST", f"/v2/conversations/{c1.id}/notes", None),
    ]
    assert [e.online for e in events.of(ConnectionChanged)] == [False, True]
    assert [e.action for e in events.of(ActionConfirmed)] == [first, second, third]
    assert raw(sb, c1.id)["status"] == "pending"
    assert [t["tag"] for t in raw(sb, c2.id)["tags"]] == ["queued"]
    assert fake_time.slept[:3] == [1.0, 2.0, 4.0]  # back-off between the attempts
    assert session.online is True
    assert max(e.length for e in events.of(QueueChanged)) == 3


async def test_dropped_answer_after_reply_landed_gives_exactly_one_reply(
    session_and_events: Any, sb: Any
) -> None:
    session, events = session_and_events
    (conv,) = await active(session)
    await session.load_threads(conv.id)
    threads_before = len(sb.threads_of(conv.id))
    sb.faults.drop(times=1, method="POST", path=r"/reply$", after_apply=True)
    before = len(sb.requests)
    action = Reply.of(conv, "<p>We refunded the order.</p>", status="pending")
    session.submit(action)
    await session.drain()
    posts = [r for r in writes(sb, before) if r.method == "POST"]
    assert len(posts) == 1 and posts[0].fault == "drop-after-apply"
    assert len(sb.threads_of(conv.id)) == threads_before + 1
    body = "<p>We refunded the order.</p>"
    replies = [t for t in sb.threads_of(conv.id) if t.get("body") == body]
    assert len(replies) == 1
    (confirmed,) = events.of(ActionConfirmed)
    assert confirmed.result == replies[0]["id"]
    checks = [r for r in sb.requests[before:] if r.method == "GET"]
    assert [r.path for r in checks] == [f"/v2/conversations/{conv.id}/threads"]


async def test_reply_not_landed_is_sent_again_once(session_and_events: Any, sb: Any) -> None:
    session, events = session_and_events
    (conv,) = await active(session)
    threads_before = len(sb.threads_of(conv.id))
    sb.faults.drop(times=1, method="POST", path=r"/notes$", after_apply=False)
    session.submit(Note(conv.id, "<p>one note</p>"))
    await session.drain()
    assert len(sb.threads_of(conv.id)) == threads_before + 1
    assert len(events.of(ActionConfirmed)) == 1


async def test_dropped_answer_after_create_gives_one_conversation(
    session_and_events: Any, sb: Any
) -> None:
    session, events = session_and_events
    mailbox = session.mailboxes[0]
    count = len(sb.state["conversations"])
    sb.faults.drop(times=1, method="POST", path=r"^/v2/conversations$", after_apply=True)
    new = NewConversation(
        subject="Invoice 77 is wrong",
        mailbox_id=mailbox.id,
        customer={"email": "newcustomer@example.com", "firstName": "New"},
        threads=[NewThread(type="customer", text="<p>Please fix invoice 77.</p>")],
    )
    session.submit(CreateConversation(new))
    await session.drain()
    assert len(sb.state["conversations"]) == count + 1
    created = [c for c in sb.state["conversations"] if c["subject"] == "Invoice 77 is wrong"]
    assert len(created) == 1
    (confirmed,) = events.of(ActionConfirmed)
    assert confirmed.result == created[0]["id"]


async def test_rate_limit_burst_waits_and_succeeds(
    session_and_events: Any, sb: Any, fake_time: Any
) -> None:
    session, events = session_and_events
    (conv,) = await active(session)
    sb.faults.add(status=429, times=6, method="PATCH", headers={"X-RateLimit-Retry-After": "7"})
    before = len(sb.requests)
    session.submit(SetStatus.of(conv, "pending"))
    await session.drain()
    sent = writes(sb, before)
    assert [r.fault for r in sent] == ["status:429"] * 6 + [None]
    assert raw(sb, conv.id)["status"] == "pending"
    waits = events.of(RateLimitWait)
    assert waits and all(w.seconds == 7 for w in waits)
    assert fake_time.slept.count(7.0) == 6
    assert len(events.of(ActionConfirmed)) == 1 and not events.of(ActionFailed)


async def test_expired_sign_in_pauses_until_resume(session_and_events: Any, sb: Any) -> None:
    session, events = session_and_events
    c1, c2 = await active(session, 2)
    sb.faults.add(status=401, times=2, method="PATCH")
    session.submit(SetStatus.of(c1, "pending"))
    session.submit(SetStatus.of(c2, "pending"))
    await until(lambda: events.of(AuthRequired), "the 401 to pause the outbox")
    assert len(events.of(AuthRequired)) == 1
    assert session.queue_length == 2
    assert session.store.get(c1.id).status == "pending"  # still shown, not rolled back
    session.resume()
    await session.drain()
    assert raw(sb, c1.id)["status"] == "pending" and raw(sb, c2.id)["status"] == "pending"
    assert len(events.of(ActionConfirmed)) == 2


async def test_undo_within_the_delay_sends_nothing(
    make_session: Any, sb: Any, fake_time: Any
) -> None:
    session, events = await make_session(undo_delay=5)
    (conv,) = await active(session)
    fake_time.gate = asyncio.Event()  # time stands still until the test opens the gate
    before = len(sb.requests)
    action = SetStatus.of(conv, "closed")
    session.submit(action)
    await until(lambda: fake_time.slept, "the outbox to wait out the undo delay")
    assert fake_time.slept == [5]
    assert session.store.get(conv.id).status == "closed"
    assert session.cancel(action.id) is True
    assert session.cancel(action.id) is False
    fake_time.gate.set()
    # Nothing is left to send: the queue is empty and nothing is in flight.
    await session.drain()
    assert session.queue_length == 0
    assert sb.requests[before:] == []
    assert session.store.get(conv.id).status == "active"
    assert raw(sb, conv.id)["status"] == "active"
    assert [type(e) for e in events.events if not isinstance(e, QueueChanged)] == [
        ActionApplied,
        ActionCancelled,
    ]
    assert session.worker.journal.pending() == []


async def test_delayed_close_does_not_hold_back_other_conversations(
    make_session: Any, sb: Any, fake_time: Any
) -> None:
    session, events = await make_session(undo_delay=5)
    c1, c2 = await active(session, 2)
    fake_time.gate = asyncio.Event()
    before = len(sb.requests)
    close = SetStatus.of(c1, "closed")
    note_same = Note(c1.id, "<p>after close</p>")
    note_other = Note(c2.id, "<p>independent</p>")
    for action in (close, note_same, note_other):
        session.submit(action)
    await until(
        lambda: events.of(ActionConfirmed) and fake_time.slept,
        "the other conversation's note to land while the close waits",
    )
    assert [e.action for e in events.of(ActionConfirmed)] == [note_other]
    assert fake_time.slept == [5]  # the close still waits out its undo delay
    assert [r.path for r in writes(sb, before)] == [f"/v2/conversations/{c2.id}/notes"]
    fake_time.gate.set()
    await session.drain()
    assert [r.path for r in writes(sb, before)] == [
        f"/v2/conversations/{c2.id}/notes",
        f"/v2/conversations/{c1.id}",
        f"/v2/conversations/{c1.id}/notes",
    ]
    assert [e.action for e in events.of(ActionConfirmed)] == [note_other, close, note_same]


async def test_bulk_sends_each_and_reports_once(session_and_events: Any, sb: Any) -> None:
    session, events = session_and_events
    convs = await active(session, 3)
    missing = convs[0].model_copy(update={"id": 99999999, "number": 4242})
    children = tuple(SetStatus.of(c, "closed") for c in [*convs, missing])
    before = len(sb.requests)
    session.submit(Bulk(children))
    await session.drain()
    assert len(writes(sb, before)) == 4
    assert all(raw(sb, c.id)["status"] == "closed" for c in convs)
    (finished,) = events.of(BulkFinished)
    assert finished.summary.startswith("Closed 3 of 4 conversations; #4242 failed: Help Scout")
    assert not events.of(ActionConfirmed) and not events.of(ActionFailed)
    assert len(events.of(ActionApplied)) == 1


async def test_bulk_undo_cancels_every_child(make_session: Any, sb: Any, fake_time: Any) -> None:
    session, events = await make_session(undo_delay=3)
    convs = await active(session, 2)
    fake_time.gate = asyncio.Event()
    bulk = Bulk(tuple(Delete.of(c) for c in convs))
    before = len(sb.requests)
    view = View(session.mailboxes[0].id)
    ids_before = session.store.view_ids(view)
    session.submit(bulk)
    assert not set(session.store.view_ids(view)) & {c.id for c in convs}
    assert session.cancel(bulk.id) is True
    fake_time.gate.set()
    # Nothing is left to send: every child left the queue and nothing is in flight.
    await session.drain()
    assert session.queue_length == 0
    assert sb.requests[before:] == []
    assert session.store.view_ids(view) == ids_before
    assert [type(e) for e in events.events if not isinstance(e, QueueChanged)] == [
        ActionApplied,
        ActionCancelled,
    ]


async def test_journal_survives_a_new_session(make_session: Any, sb: Any, data_dir: Any) -> None:
    first, _ = await make_session()
    (conv,) = await active(first)
    await first.close()
    journal = Journal(data_dir)
    action = SetStatus.of(conv, "pending")
    journal.submit(action, 0.0)
    journal.close()
    assert stat.S_IMODE((data_dir / JOURNAL_NAME).stat().st_mode) == 0o600

    before = len(sb.requests)
    second, events = await make_session()
    await second.drain()
    sent = writes(sb, before)
    assert [(r.method, r.path, r.json["value"]) for r in sent] == [
        ("PATCH", f"/v2/conversations/{conv.id}", "pending")
    ]
    assert raw(sb, conv.id)["status"] == "pending"
    assert [e.action for e in events.of(ActionConfirmed)] == [action]
    assert second.worker.journal.pending() == []


async def test_read_only_start_leaves_the_journal_unsent_but_kept(
    make_session: Any, sb: Any, data_dir: Any
) -> None:
    first, _ = await make_session()
    (conv,) = await active(first)
    await first.close()
    journal = Journal(data_dir)
    action = SetStatus.of(conv, "pending")
    journal.submit(action, 0.0)
    journal.close()

    before = len(sb.requests)
    shadow, _ = await make_session(read_only=True)
    await shadow.drain()
    assert writes(sb, before) == []
    assert raw(sb, conv.id)["status"] != "pending"
    await shadow.close()

    normal, _ = await make_session()
    await normal.drain()
    assert [r.json["value"] for r in writes(sb, before)] == ["pending"]


async def test_crash_after_reply_was_sent_is_not_sent_twice(
    make_session: Any, sb: Any, data_dir: Any
) -> None:
    first, _ = await make_session()
    (conv,) = await active(first)
    await first.close()
    # The previous run journaled the reply, marked the attempt, sent it, and died.
    action = Reply.of(conv, "<p>Sent just before the crash.</p>")
    journal = Journal(data_dir)
    journal.submit(action, time.time() - 1)
    journal.attempt(action.id)
    journal.close()
    await first.client.reply(conv.id, action.text_html, customer_id=action.customer_id)
    count = len(sb.threads_of(conv.id))

    before = len(sb.requests)
    second, events = await make_session()
    await second.drain()
    assert len(sb.threads_of(conv.id)) == count
    assert not [r for r in writes(sb, before)]
    assert len(events.of(ActionConfirmed)) == 1


async def test_draft_deleted_only_after_confirmed_send(session_and_events: Any, sb: Any) -> None:
    session, _ = session_and_events
    c1, c2 = await active(session, 2)
    ok = session.drafts.save(Draft(c1.id, "reply", text="fine"))
    bad = session.drafts.save(Draft(c2.id, "note", text="refused"))
    session.submit(Reply.of(c1, "<p>fine</p>", draft_key=ok.key))
    sb.faults.add(status=403, times=1, method="POST", path=r"/notes$")
    session.submit(Note(c2.id, "<p>refused</p>", draft_key=bad.key))
    assert session.drafts.load(c1.id, "reply") is not None
    await session.drain()
    assert session.drafts.load(c1.id, "reply") is None
    assert session.drafts.load(c2.id, "note") is not None


async def test_read_only_sends_nothing(make_session: Any, sb: Any) -> None:
    session, events = await make_session(read_only=True)
    (conv,) = await active(session)
    before = len(sb.requests)
    session.submit(SetStatus.of(conv, "closed"))
    await session.drain()
    assert sb.requests[before:] == []
    assert session.store.get(conv.id).status == "active"
    assert "read-only" in events.of(ActionFailed)[0].reason


async def test_action_queued_offline_is_sent_by_the_next_session(
    make_session: Any, sb: Any
) -> None:
    first, _ = await make_session()
    (conv,) = await active(first)
    sb.faults.drop(times=1000, method="PATCH")
    first.submit(SetStatus.of(conv, "pending"))
    await until(lambda: not first.online, "the dropped connection to take the outbox offline")
    assert first.online is False and first.queue_length == 1
    await first.close()  # the app quits (or dies) while offline
    sb.faults.clear()

    before = len(sb.requests)
    second, events = await make_session()
    assert second.store.get(conv.id) is None or second.store.get(conv.id).status == "pending"
    await second.drain()
    sent = writes(sb, before)
    assert [(r.method, r.path, r.fault) for r in sent] == [
        ("PATCH", f"/v2/conversations/{conv.id}", None)
    ]
    assert raw(sb, conv.id)["status"] == "pending"
    assert len(events.of(ActionConfirmed)) == 1


async def test_a_full_disk_refuses_the_action_in_one_sentence_with_nothing_applied(
    session_and_events: Any, sb: Any, monkeypatch: Any
) -> None:
    import errno

    session, events = session_and_events
    (conv,) = await active(session)

    def enospc(*_args: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("hsinbox.inbox.journal.os.write", enospc)
    before = len(sb.requests)
    session.submit(SetStatus.of(conv, "pending"))
    session.submit(Bulk((SetStatus.of(conv, "closed"),)))
    assert session.store.get(conv.id).status == "active"  # nothing shown optimistically
    assert session.queue_length == 0
    failed = events.of(ActionFailed)
    assert len(failed) == 2 and not events.of(ActionApplied)
    assert failed[0].reason == (
        "the outbox could not be written to disk (No space left on device), so nothing was changed."
    )
    await session.drain()
    assert writes(sb, before) == []
