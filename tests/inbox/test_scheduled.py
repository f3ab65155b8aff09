"""Send later through the outbox: one action of two requests, resumed and never re-sent
blindly; send now and unschedule are one request each."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, timedelta
from typing import Any

from testdata import until

from hsinbox.inbox.events import ActionConfirmed
from hsinbox.inbox.journal import JOURNAL_NAME
from hsinbox.inbox.scheduled import PublishScheduled, ScheduleReply, Unschedule
from hsinbox.inbox.view import View
from hsinbox.sandbox.util import iso

TEXT = "<p>Good morning, the fix is live.</p>"


def writes(sb: Any, since: int = 0) -> list[Any]:
    """Requests that change something (the token endpoint excluded)."""
    return [
        r for r in sb.requests[since:] if r.method != "GET" and not r.path.startswith("/v2/oauth2")
    ]


async def active(session: Any, count: int) -> list[Any]:
    return await session.load_view(View(session.mailboxes[0].id))


def _drafts(sb: Any, cid: int) -> list[dict[str, Any]]:
    return [t for t in sb.threads_of(cid) if t.get("body") == TEXT]


async def _email(session: Any) -> Any:
    convs = await active(session, 5)
    return next(c for c in convs if c.type == "email")


async def test_schedule_is_a_draft_then_its_schedule(session_and_events: Any, sb: Any) -> None:
    session, events = session_and_events
    conv = await _email(session)
    await session.load_threads(conv.id)
    when = (sb.now + timedelta(hours=20)).replace(second=0, microsecond=0)
    before = len(sb.requests)
    action = ScheduleReply.schedule(conv, TEXT, when)
    session.submit(action)
    shown = session.store.get(conv.id)
    assert shown.next_event is not None and shown.next_event.time == when.astimezone(UTC)
    await session.drain()
    post, put = writes(sb, before)
    assert (post.method, post.json["draft"]) == ("POST", True)
    (draft,) = _drafts(sb, conv.id)
    assert put.method == "PUT" and put.path.endswith(f"/threads/{draft['id']}/schedule")
    assert put.json == {"scheduledFor": iso(when), "unscheduleOnCustomerReply": True}
    assert draft["state"] == "draft" and draft["scheduled"]["scheduledFor"] == iso(when)
    (confirmed,) = events.of(ActionConfirmed)
    assert confirmed.result == draft["id"]
    local = next(t for t in session.store.threads[conv.id] if t.id == draft["id"])
    assert local.is_draft and local.scheduled is not None


async def test_a_lost_answer_to_the_create_is_read_back_not_resent(
    session_and_events: Any, sb: Any
) -> None:
    session, _ = session_and_events
    conv = await _email(session)
    await session.load_threads(conv.id)
    sb.faults.drop(times=1, method="POST", path=r"/reply$", after_apply=True)
    before = len(sb.requests)
    session.submit(ScheduleReply.schedule(conv, TEXT, sb.now + timedelta(days=1)))
    await session.drain()
    assert len(_drafts(sb, conv.id)) == 1
    sent = [(r.method, r.path.rsplit("/", 1)[-1]) for r in sb.requests[before:]]
    assert sent == [("POST", "reply"), ("GET", "threads"), ("PUT", "schedule")]
    assert _drafts(sb, conv.id)[0]["scheduled"] is not None


async def test_offline_between_the_two_requests_resumes_with_the_schedule_only(
    make_session: Any, sb: Any, data_dir: Any, fake_time: Any
) -> None:
    first, _ = await make_session()
    conv = await _email(first)
    fake_time.gate = asyncio.Event()  # the back-off after the failed PUT never ends
    sb.faults.drop(times=1, method="PUT", path=r"/schedule$")
    before = len(sb.requests)
    first.submit(ScheduleReply.schedule(conv, TEXT, sb.now + timedelta(days=1)))
    await until(lambda: any(r.fault for r in sb.requests[before:]), "the dropped PUT")
    (draft,) = _drafts(sb, conv.id)
    assert "scheduled" not in draft
    # On disk, the journal already knows the draft's id (the last line about the action).
    lines = [json.loads(x) for x in (data_dir / JOURNAL_NAME).read_text().splitlines()]
    last_submit = [x for x in lines if x["op"] == "submit"][-1]
    assert last_submit["action"]["type"] == "ScheduleReply"
    assert last_submit["action"]["thread_id"] == draft["id"]
    await first.close()
    fake_time.gate = None

    restart = len(sb.requests)
    second, events = await make_session()
    await second.drain()
    (put,) = writes(sb, restart)
    assert put.method == "PUT" and put.path.endswith(f"/threads/{draft['id']}/schedule")
    assert len(_drafts(sb, conv.id)) == 1 and _drafts(sb, conv.id)[0]["scheduled"]
    assert len(events.of(ActionConfirmed)) == 1


async def test_send_now_and_unschedule_are_one_request_each(
    session_and_events: Any, sb: Any
) -> None:
    session, _ = session_and_events
    conv = await _email(session)
    session.submit(ScheduleReply.schedule(conv, TEXT, sb.now + timedelta(days=1)))
    await session.drain()
    threads = await session.load_threads(conv.id)
    thread = next(t for t in threads if t.scheduled is not None)
    before = len(sb.requests)
    session.submit(Unschedule.of(conv, thread))
    await session.drain()
    (delete,) = writes(sb, before)
    assert delete.method == "DELETE" and "scheduled" not in _drafts(sb, conv.id)[0]
    session.submit(
        ScheduleReply.schedule(conv, TEXT.replace("live", "out"), sb.now + timedelta(days=2))
    )
    await session.drain()
    threads = await session.load_threads(conv.id)
    thread = next(t for t in threads if t.scheduled is not None)
    before = len(sb.requests)
    session.submit(PublishScheduled.of(conv, thread))
    await session.drain()
    (patch,) = writes(sb, before)
    assert patch.method == "PATCH" and patch.json["value"] == "published"
    sent = next(t for t in sb.threads_of(conv.id) if t["id"] == thread.id)
    assert sent["state"] == "published"
