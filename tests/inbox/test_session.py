"""The read side against the sandbox: start, views, threads, customers, folders, users."""

from __future__ import annotations

from typing import Any

from testdata import load_every_page

from hsinbox.inbox.events import ConnectionChanged
from hsinbox.inbox.view import View


def writes(sb: Any, since: int = 0) -> list[Any]:
    """Requests that change something (the token endpoint excluded)."""
    return [
        r for r in sb.requests[since:] if r.method != "GET" and not r.path.startswith("/v2/oauth2")
    ]


def api_requests(sb: Any, since: int = 0) -> list[Any]:
    return [r for r in sb.requests[since:] if not r.path.startswith("/v2/oauth2")]


async def test_start_loads_everything(session_and_events: Any, sb: Any) -> None:
    session, _events = session_and_events
    state = sb.state
    assert session.me.id == sb.me_id
    assert sorted(m.id for m in session.mailboxes) == sorted(
        m["id"] for m in state["mailboxes"] if m["id"] in _visible_mailboxes(sb)
    )
    for mailbox in session.mailboxes:
        assert session.folders[mailbox.id], "every mailbox has its folders"
        assert all(f.id for f in session.folders[mailbox.id])
    assert {u.id for u in session.users} == {u["id"] for u in state["users"]}
    assert {t.name for t in session.tags} == {t["name"] for t in state["tags"]}
    assert session.store.me is not None and session.store.me.id == sb.me_id
    paths = {r.path for r in api_requests(sb)}
    assert "/v2/users/me" in paths and "/v2/mailboxes" in paths and "/v2/tags" in paths
    assert all(r.method == "GET" for r in api_requests(sb))


def _visible_mailboxes(sb: Any) -> set[int]:
    me = next(u for u in sb.state["users"] if u["id"] == sb.me_id)
    return set(me.get("sandbox", {}).get("mailboxes", [m["id"] for m in sb.state["mailboxes"]]))


async def test_users_for_mailbox_puts_me_first(session_and_events: Any) -> None:
    session, _ = session_and_events
    mailbox = session.mailboxes[0]
    users = session.users_for_mailbox(mailbox.id)
    assert users[0].id == session.me.id
    assert len({u.id for u in users}) == len(users)


async def test_load_view_threads_customer(session_and_events: Any, sb: Any) -> None:
    session, _ = session_and_events
    mailbox = session.mailboxes[0]
    view = View(mailbox.id)
    first = await session.load_view(view)
    expected = {
        c["id"]
        for c in sb.state["conversations"]
        if c["mailboxId"] == mailbox.id
        and c["status"] == "active"
        and c.get("state", "published") == "published"  # drafts live in the Drafts folder
    }
    # Page 1 only, and the server's count; the rest comes a page at a time.
    assert len(first) == min(25, len(expected)) and {c.id for c in first} <= expected
    assert session.view_total(view) == len(expected)
    conversations = await load_every_page(session, view)
    assert {c.id for c in conversations} == expected
    assert session.store.view_ids(view) == [c.id for c in conversations]
    listing = [r for r in api_requests(sb) if r.path == "/v2/conversations"]
    assert listing and all(r.query["mailbox"] == str(mailbox.id) for r in listing)
    assert all(r.query["status"] == "active" for r in listing)

    conv = conversations[0]
    threads = await session.load_threads(conv.id)
    raw = sb.threads_of(conv.id)
    assert [t.id for t in threads] == [t["id"] for t in raw]
    assert session.cached_threads(conv.id) == threads

    assert conv.primary_customer is not None and conv.primary_customer.id is not None
    customer = await session.load_customer(conv.primary_customer.id)
    assert customer.id == conv.primary_customer.id
    assert session.store.customers[customer.id] == customer


async def test_folder_view_asks_for_all_statuses(session_and_events: Any, sb: Any) -> None:
    session, _ = session_and_events
    mailbox = session.mailboxes[0]
    folder = session.folders[mailbox.id][0]
    before = len(sb.requests)
    await session.load_view(View(mailbox.id, folder.id))
    listing = [r for r in api_requests(sb, before) if r.path == "/v2/conversations"]
    assert listing[0].query["folder"] == str(folder.id)
    assert listing[0].query["status"] == "all"
    refreshed = await session.refresh_folders(mailbox.id)
    assert [f.id for f in refreshed] == [f.id for f in session.folders[mailbox.id]]


async def test_new_threads_since(session_and_events: Any, sb: Any) -> None:
    session, _ = session_and_events
    view = View(session.mailboxes[0].id)
    conv = (await session.load_view(view))[0]
    seen = {t.id for t in await session.load_threads(conv.id)}
    assert await session.new_threads_since(conv.id, seen) == []
    # Someone else adds a note meanwhile (straight through the client, not the session).
    other = await session.client.add_note(conv.id, "<p>I am on this one</p>")
    fresh = await session.new_threads_since(conv.id, seen)
    assert [t.id for t in fresh] == [other]


async def test_read_failure_marks_offline(session_and_events: Any, sb: Any) -> None:
    session, events = session_and_events
    sb.faults.drop(times=10, method="GET")
    try:
        await session.load_view(View(session.mailboxes[0].id))
    except Exception as exc:
        assert "reach Help Scout" in str(exc)
    else:
        raise AssertionError("the read should have failed")
    assert session.online is False
    assert [e.online for e in events.of(ConnectionChanged)] == [False]
