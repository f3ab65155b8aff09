"""A Help Scout draft reply: saving it again is the documented ``replace /text`` (one request,
it stays a draft); sending it is a new reply (see tests/tui/test_found_by_use.py)."""

from __future__ import annotations

from typing import Any

from hsinbox.inbox.actions import Reply, SendDraft, action_from_json
from hsinbox.inbox.events import ActionConfirmed
from hsinbox.inbox.view import View

SUPPORT = 8401


async def a_draft(session: Any, sb: Any) -> tuple[Any, int]:
    conv = (await session.load_view(View(SUPPORT)))[0]
    session.submit(Reply.of(conv, "<p>first words</p>", draft=True))
    await session.drain()
    (draft,) = [t for t in sb.threads_of(conv.id) if t["state"] == "draft"]
    await session.load_threads(conv.id)
    return conv, draft["id"]


async def test_saving_a_draft_again_is_one_text_patch(session_and_events: Any, sb: Any) -> None:
    session, events = session_and_events
    conv, tid = await a_draft(session, sb)
    start = len(sb.requests)
    session.submit(SendDraft(conv.id, tid, "<p>better words</p>", number=conv.number))
    await session.drain()
    writes = [(r.method, r.path, r.json) for r in sb.requests[start:] if r.method != "GET"]
    assert writes == [
        (
            "PATCH",
            f"/v2/conversations/{conv.id}/threads/{tid}",
            {"op": "replace", "path": "/text", "value": "<p>better words</p>"},
        )
    ]
    (thread,) = [t for t in sb.threads_of(conv.id) if t["id"] == tid]
    assert (thread["state"], thread["body"]) == ("draft", "<p>better words</p>")
    local = next(t for t in session.store.threads[conv.id] if t.id == tid)
    assert local.is_draft and local.body == "<p>better words</p>"
    assert (
        events.of(ActionConfirmed)[-1].message == f"Update the draft reply to #{conv.number}: done."
    )


async def test_an_older_journal_line_that_published_in_place_saves_the_text_and_says_so(
    session_and_events: Any, sb: Any
) -> None:
    session, events = session_and_events
    conv, tid = await a_draft(session, sb)
    legacy = action_from_json(
        {
            "type": "SendDraft",
            "conversation_id": conv.id,
            "thread_id": tid,
            "text_html": "<p>sent long ago</p>",
            "status": "closed",
            "publish": True,
            "id": "old-line",
            "number": conv.number,
        }
    )
    start = len(sb.requests)
    session.submit(legacy)
    await session.drain()
    assert [r.json["path"] for r in sb.requests[start:] if r.method == "PATCH"] == ["/text"]
    (thread,) = [t for t in sb.threads_of(conv.id) if t["id"] == tid]
    assert thread["state"] == "draft"
    assert sb.conversation(conv.id)["status"] != "closed"
    assert events.of(ActionConfirmed)[-1].message == (
        f"Save the text of the draft reply to #{conv.number} (send it from Help Scout: drafts "
        "are no longer sent in place): done."
    )
