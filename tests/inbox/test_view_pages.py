"""Issue 9: views are read a page at a time; what arrives later still shows unsent changes."""

from __future__ import annotations

from typing import Any

from hsinbox.inbox.actions import SetStatus
from hsinbox.inbox.view import View
from hsinbox.sandbox.seed import add_synthetic_conversations


def list_requests(sb: Any, since: int = 0) -> list[Any]:
    return [r for r in sb.requests[since:] if r.method == "GET" and r.path == "/v2/conversations"]


def grow(sb: Any, count: int = 120) -> int:
    mailbox_id = sb.state["mailboxes"][0]["id"]
    add_synthetic_conversations(sb.state, count, mailbox_id=mailbox_id)
    sb.api.reindex()
    return mailbox_id


async def test_load_more_asks_one_page_and_stops_at_the_end(make_session: Any, sb: Any) -> None:
    mailbox_id = grow(sb)
    session, _events = await make_session()
    view = View(mailbox_id)
    before = len(sb.requests)
    first = await session.load_view(view)
    total = session.view_total(view)
    assert len(first) == 25 and total is not None and total > 75
    pages = 1
    while not session.view_complete(view):
        added = await session.load_more(view)
        pages += 1
        assert added and len(added) <= 25
    ids = session.store.view_ids(view)
    assert len(ids) == len(set(ids)) == total
    asked = list_requests(sb, before)
    assert [r.query.get("page", "1") for r in asked] == [str(n) for n in range(1, pages + 1)]
    # Complete: nothing more is asked.
    assert await session.load_more(view) == []
    assert len(list_requests(sb, before)) == pages
    # The cache keeps the loaded pages' order.
    assert session.cache is not None
    cached = session.cache.get_view(view.key)
    assert cached is not None and cached.ids == ids


async def test_a_row_arriving_later_shows_its_unsent_change(make_session: Any, sb: Any) -> None:
    mailbox_id = grow(sb)
    session, _events = await make_session(undo_delay=60)
    view = View(mailbox_id)
    await session.load_view(view)
    page_two = await session.client.list_conversations(page=2, **view.list_params())
    later = page_two.items[3]
    assert later.id not in session.store.view_ids(view)
    # Closed from elsewhere (take-next, a search): the close is still in its undo window.
    session.submit(SetStatus.of(later, "closed"))
    assert session.queue_length == 1
    await session.load_more(view)
    assert later.id in session.store.view_ids(view)
    assert session.store.get(later.id).status == "closed"


async def test_a_refresh_of_a_partly_loaded_view_is_one_request(make_session: Any, sb: Any) -> None:
    mailbox_id = grow(sb)
    session, _events = await make_session()
    view = View(mailbox_id)
    await session.load_view(view)
    await session.load_more(view)
    before = len(sb.requests)
    result = await session.refresh_view(view)
    assert result.requests == 1 and not (result.new or result.changed or result.removed)
    assert len(list_requests(sb, before)) == 1
    assert len(session.store.view_ids(view)) == 50


async def test_sorted_view_is_another_list_in_help_scouts_order(make_session: Any, sb: Any) -> None:
    mailbox_id = grow(sb)
    session, _events = await make_session()
    view = View(mailbox_id).sorted_by("waitingSince", "asc")
    assert view.key != View(mailbox_id).key
    before = len(sb.requests)
    rows = await session.load_view(view)
    (asked,) = list_requests(sb, before)
    assert (asked.query["sortField"], asked.query["sortOrder"]) == ("waitingSince", "asc")
    times = [c.customer_waiting_since.time for c in rows]
    assert times == sorted(times)


async def test_server_search_is_paged_like_a_view(make_session: Any, sb: Any) -> None:
    mailbox_id = grow(sb)
    session, _events = await make_session()
    # Every synthetic subject repeats a seeded one: a common word finds many pages.
    word = "the"
    before = len(sb.requests)
    found = await session.search_server(word, mailbox_id=mailbox_id)
    assert [r.query.get("page", "1") for r in list_requests(sb, before)] == ["1"]
    results = session.search_view(word, mailbox_id)
    total = session.view_total(results)
    assert total is not None and total > len(found) == 25
    more = await session.load_more(results)
    assert more and not {c.id for c in more} & {c.id for c in found}
    assert [r.query.get("page", "1") for r in list_requests(sb, before)] == ["1", "2"]
