"""Garbage, 5xx, unknown values, a skewed clock and a revoked sign-in: nothing lost or doubled."""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from testdata import until

from hsinbox.config import Settings
from hsinbox.helpscout.errors import AuthError, InvalidResponse
from hsinbox.inbox.actions import Note, Reply, SetStatus
from hsinbox.inbox.events import ActionConfirmed, ActionFailed, AuthRequired, QueueChanged
from hsinbox.inbox.session import InboxSession
from hsinbox.inbox.view import View


async def first(session: Any) -> Any:
    view = View(session.mailboxes[0].id)
    conversations = await session.load_view(view)
    return conversations[0]


def bodies(sb: Any, cid: int, text: str) -> list[dict[str, Any]]:
    return [t for t in sb.threads_of(cid) if t.get("body") == text]


async def test_garbage_answer_to_a_note_is_checked_not_doubled(
    session_and_events: Any, sb: Any
) -> None:
    session, events = session_and_events
    conv = await first(session)
    await session.load_threads(conv.id)
    sb.faults.add(status=200, times=1, method="POST", path=r"/notes$", body="not json")
    before = len(sb.requests)
    session.submit(Note(conv.id, "<p>garbage-proof</p>"))
    await session.drain()
    assert len(bodies(sb, conv.id, "<p>garbage-proof</p>")) == 1
    posts = [r for r in sb.requests[before:] if r.method == "POST" and "notes" in r.path]
    # The garbage answer applied nothing, so the re-read found nothing and it was sent again.
    assert [r.fault for r in posts] == ["status:200", None]
    assert len(events.of(ActionConfirmed)) == 1 and not events.of(ActionFailed)
    assert [e.length for e in events.of(QueueChanged)][-1] == 0


async def test_server_errors_keep_the_action_queued_until_it_lands(
    session_and_events: Any, sb: Any
) -> None:
    session, events = session_and_events
    conv = await first(session)
    sb.faults.add(status=503, times=3, method="PATCH")
    session.submit(SetStatus.of(conv, "pending"))
    await session.drain()
    patches = [r for r in sb.requests if r.method == "PATCH"]
    assert [r.fault for r in patches] == ["status:503"] * 3 + [None]
    assert sb.conversation(conv.id)["status"] == "pending"
    assert len(events.of(ActionConfirmed)) == 1 and not events.of(ActionFailed)


async def test_garbage_on_a_read_is_an_error_not_a_crash(session_and_events: Any, sb: Any) -> None:
    session, _events = session_and_events
    sb.faults.add(status=200, times=1, method="GET", path=r"^/v2/conversations$", body="<html>")
    with pytest.raises(InvalidResponse):
        await session.load_view(View(session.mailboxes[0].id))
    assert session.online  # a garbage answer is still an answer
    assert await session.load_view(View(session.mailboxes[0].id))


async def test_unknown_fields_and_enum_values_are_read(
    session_and_events: Any, sb: Any, client: Any
) -> None:
    session, _events = session_and_events
    mailbox = session.mailboxes[0].id
    token = client.token.access_token
    async with httpx.AsyncClient(transport=sb.transport()) as raw:
        page = (
            await raw.get(
                "http://127.0.0.1/v2/conversations",
                params={"mailbox": mailbox, "status": "active"},
                headers={"Authorization": f"Bearer {token}"},
            )
        ).json()
    odd = copy.deepcopy(page)
    item = odd["_embedded"]["conversations"][0]
    item["status"] = "snoozed"
    item["type"] = "whatsapp"
    item["brandNewField"] = {"nested": [1, 2]}
    item["source"] = {"type": "carrier-pigeon", "via": "bird"}
    sb.faults.add(status=200, times=1, method="GET", path=r"^/v2/conversations$", body=odd)
    conversations = await session.load_view(View(mailbox, status="all"))
    got = next(c for c in conversations if c.id == item["id"])
    assert (got.status, got.type) == ("snoozed", "whatsapp")


async def test_exactly_once_with_a_clock_far_from_help_scouts(
    sb: Any, client: Any, data_dir: Path, fake_time: Any
) -> None:
    """The laptop's clock is a day ahead: the re-read still recognises the landed reply."""
    session = InboxSession(
        client,
        settings=Settings(undo_delay=0),
        data_dir=data_dir,
        sleep=fake_time.sleep,
        clock=fake_time,
        wall_clock=lambda: time.time() + 86400,
    )
    await session.start()
    try:
        conv = await first(session)
        await session.load_threads(conv.id)
        sb.faults.drop(times=1, method="POST", path=r"/reply$", after_apply=True)
        session.submit(Reply.of(conv, "<p>skewed but once</p>"))
        await session.drain()
        assert len(bodies(sb, conv.id, "<p>skewed but once</p>")) == 1
        assert len([r for r in sb.requests if r.path.endswith("/reply")]) == 1
    finally:
        await session.close()


async def test_revoked_sign_in_pauses_then_sign_in_again_resumes(
    session_and_events: Any, sb: Any
) -> None:
    session, events = session_and_events
    conv = await first(session)
    secret = sb.app_secret
    sb.app_secret = "revoked"
    sb.faults.expire_tokens()
    session.submit(SetStatus.of(conv, "pending"))
    await until(lambda: events.of(AuthRequired), "the revoked sign-in to pause the outbox")
    assert len(events.of(AuthRequired)) == 1
    assert session.queue_length == 1
    with pytest.raises(AuthError):
        await session.sign_in_again()
    assert session.queue_length == 1 and sb.conversation(conv.id)["status"] == "active"
    sb.app_secret = secret
    await session.sign_in_again()
    session.resume()
    await session.drain()
    assert sb.conversation(conv.id)["status"] == "pending"
    assert len(events.of(ActionConfirmed)) == 1


async def test_load_conversation_uses_the_store_then_the_api(
    session_and_events: Any, sb: Any
) -> None:
    session, _events = session_and_events
    conv = await first(session)
    before = len(sb.requests)
    assert (await session.load_conversation(conv.id)).id == conv.id
    assert len(sb.requests) == before
    other = next(c for c in sb.state["conversations"] if c["id"] not in session.store.conversations)
    fetched = await session.load_conversation(other["id"])
    assert fetched.id == other["id"] and session.store.get(other["id"]) is not None
    assert sb.requests[-1].path == f"/v2/conversations/{other['id']}"
