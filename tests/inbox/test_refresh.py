"""Incremental refresh, concurrent mailbox sync and thread prefetch, counted in requests."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx

from hsinbox.inbox.view import View

ISO_SECONDS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def api_requests(sb: Any, since: int = 0) -> list[Any]:
    return [r for r in sb.requests[since:] if not r.path.startswith("/v2/oauth2")]


async def first_mailbox_loaded(session: Any) -> tuple[int, View]:
    """The first mailbox's id and its default view, page 1 loaded."""
    mailbox_id = session.mailboxes[0].id
    view = View(mailbox_id)
    await session.load_view(view)
    return mailbox_id, view


def raw_conversations(sb: Any, mailbox_id: int, **match: Any) -> list[dict[str, Any]]:
    return [
        c
        for c in sb.state["conversations"]
        if c["mailboxId"] == mailbox_id
        and c["state"] == "published"
        and all(c.get(k) == v for k, v in match.items())
    ]


async def test_refresh_with_nothing_new_is_one_request(session_and_events: Any, sb: Any) -> None:
    session, _ = session_and_events
    view = View(session.mailboxes[0].id)
    await session.load_view(view)
    before = len(sb.requests)
    result = await session.refresh_view(view)
    sent = api_requests(sb, before)
    assert len(sent) == 1 and result.requests == 1
    assert (result.new, result.changed, result.removed, result.full) == ([], [], [], False)
    query = sent[0].query
    assert sent[0].path == "/v2/conversations"
    assert query["status"] == "all" and query["mailbox"] == str(view.mailbox_id)
    assert query["sortField"] == "modifiedAt" and query["sortOrder"] == "desc"
    assert ISO_SECONDS.match(query["modifiedSince"])
    assert "folder" not in query
    # And again: the boundary conversation that comes back each time is not "new".
    before = len(sb.requests)
    again = await session.refresh_view(view)
    assert len(api_requests(sb, before)) == 1 and again.new == [] and again.changed == []


async def test_refresh_merges_new_changed_and_removed_without_moving_rows(
    session_and_events: Any, sb: Any
) -> None:
    session, _ = session_and_events
    mailbox_id, view = await first_mailbox_loaded(session)
    order = session.store.view_ids(view)
    closed = raw_conversations(sb, mailbox_id, status="closed")[0]["id"]
    leaving, tagged = order[-1], order[len(order) // 2]

    client = session.client
    await client.update_status(closed, "active")  # arrives in the active view
    await client.update_status(leaving, "closed")  # leaves it
    await client.set_tags(tagged, ["vip", "refund"])  # changes in place

    before = len(sb.requests)
    result = await session.refresh_view(view)
    assert len(api_requests(sb, before)) == 1
    assert [c.id for c in result.new] == [closed]
    assert result.removed == [leaving]
    assert tagged in {c.id for c in result.changed}
    ids = session.store.view_ids(view)
    assert ids[0] == closed, "new rows go on top"
    assert ids[1:] == [i for i in order if i != leaving], "existing rows keep their order"
    assert set(session.store.get(tagged).tag_names) == {"vip", "refund"}


async def test_folder_view_asks_twice_only_when_something_changed(
    session_and_events: Any, sb: Any
) -> None:
    session, _ = session_and_events
    mailbox_id = session.mailboxes[0].id
    mine = next(f for f in session.folders[mailbox_id] if f.type == "mine")
    view = View(mailbox_id, mine.id)
    await session.load_view(view)
    await session.refresh_view(view)  # settle the boundary after the first full load

    before = len(sb.requests)
    quiet = await session.refresh_view(view)
    assert len(api_requests(sb, before)) == 1 and quiet.new == [] and quiet.removed == []

    unassigned = next(
        c["id"] for c in raw_conversations(sb, mailbox_id, status="active") if not c.get("assignee")
    )
    mine_now = session.store.view_ids(view)[0]
    await session.client.assign(unassigned, sb.me_id)
    await session.client.unassign(mine_now)

    before = len(sb.requests)
    result = await session.refresh_view(view)
    sent = api_requests(sb, before)
    assert len(sent) == 2
    assert "folder" not in sent[0].query and sent[1].query["folder"] == str(mine.id)
    assert [c.id for c in result.new] == [unassigned]
    assert result.removed == [mine_now]
    assert session.store.view_ids(view)[0] == unassigned
    assert mine_now not in session.store.view_ids(view)


async def test_refresh_of_an_unknown_view_loads_it(session_and_events: Any, sb: Any) -> None:
    session, _ = session_and_events
    view = View(session.mailboxes[0].id)
    result = await session.refresh_view(view)
    assert result.full is True and result.new == []
    assert session.store.view_ids(view)


async def test_refresh_after_restart_resumes_from_the_cache(make_session: Any, sb: Any) -> None:
    first, _ = await make_session()
    view = View(first.mailboxes[0].id)
    await first.load_view(view)
    await first.refresh_view(view)
    await first.close()

    second, _ = await make_session(start=False)
    assert second.restore()
    assert second.cached_view(view)
    before = len(sb.requests)
    result = await second.refresh_view(view)
    assert len(api_requests(sb, before)) == 1
    assert result.full is False and result.new == [] and result.changed == []


async def test_a_new_thread_invalidates_the_loaded_threads(session_and_events: Any) -> None:
    session, _ = session_and_events
    view = View(session.mailboxes[0].id)
    target = (await session.load_view(view))[0]
    await session.load_threads(target.id)
    await session.client.add_note(target.id, "<p>seen elsewhere</p>")
    result = await session.refresh_view(view)
    assert target.id in {c.id for c in result.changed}
    assert session.cached_threads(target.id) is None


# --- full sync -------------------------------------------------------------------------


class Counting(httpx.AsyncBaseTransport):
    """Wraps a transport and records the most requests that were in flight at once.

    The in-process sandbox answers without yielding, so nothing would overlap: list pages
    after the first are held until ``bound`` requests are in flight together (then none is
    held again). A sync that asks fewer at once never fills it and fails on the deadline; one
    that asks more shows a peak above the bound.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport, bound: int) -> None:
        self.inner = inner
        self.bound = bound
        self.active = 0
        self.peak = 0
        self.full = asyncio.Event()

    def reset(self) -> None:
        """Measure afresh (after the start's own requests)."""
        self.peak = 0
        self.full = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.active += 1
        self.peak = max(self.peak, self.active)
        if self.active >= self.bound:
            self.full.set()
        try:
            later_page = request.url.params.get("page", "1") != "1"
            if request.url.path == "/v2/conversations" and later_page:
                await asyncio.wait_for(self.full.wait(), timeout=10)
            return await self.inner.handle_async_request(request)
        finally:
            self.active -= 1


async def test_sync_reads_every_page_concurrently_within_a_bound(
    tmp_path: Any, fake_time: Any, sandbox_client: Any
) -> None:
    from hsinbox.sandbox import Sandbox
    from hsinbox.sandbox.seed import add_synthetic_conversations

    sb = Sandbox()
    mailbox_id = sb.state["mailboxes"][0]["id"]
    add_synthetic_conversations(sb.state, 160, mailbox_id=mailbox_id)
    sb.api.reindex()
    transport = Counting(sb.transport(), bound=3)
    async with sandbox_client(sb, transport=transport, sleep=fake_time.sleep) as client:
        from hsinbox.config import Settings
        from hsinbox.inbox.session import InboxSession

        session = InboxSession(client, settings=Settings(), data_dir=tmp_path / "sync")
        try:
            await session.start()
            transport.reset()
            progress: list[tuple[int, int]] = []
            synced = await session.sync_mailbox(
                mailbox_id, concurrency=3, on_progress=lambda p: progress.append((p.done, p.total))
            )
            expected = {c["id"] for c in sb.state["conversations"] if c["mailboxId"] == mailbox_id}
            published = {
                c["id"]
                for c in sb.state["conversations"]
                if c["mailboxId"] == mailbox_id and c["state"] == "published"
            }
            assert {c.id for c in synced} == published and published <= expected
            pages = [
                r
                for r in api_requests(sb)
                if r.path == "/v2/conversations" and "modifiedSince" not in r.query
            ]
            assert sorted(int(r.query["page"]) for r in pages) == list(
                range(1, progress[-1][1] + 1)
            )
            assert transport.peak == 3
            assert progress[-1][0] == progress[-1][1]
            assert session.search_local(synced[-1].subject or "")
            assert fake_time.slept == [], "a full budget means no pauses"
        finally:
            await session.close()


async def test_sync_waits_below_the_floor_instead_of_hitting_the_limit(
    session_and_events: Any, sb: Any, fake_time: Any
) -> None:
    from hsinbox.sandbox.seed import add_synthetic_conversations

    session, _ = session_and_events
    mailbox_id = session.mailboxes[0].id
    add_synthetic_conversations(sb.state, 100, mailbox_id=mailbox_id)
    sb.api.reindex()
    sb.rate_limit_per_minute = 400
    sb._window_used = 378  # the other integrations of the account used most of this minute
    before = len(sb.requests)
    await session.sync_mailbox(mailbox_id, concurrency=4)
    pages = [r for r in api_requests(sb, before) if r.path == "/v2/conversations"]
    assert len(pages) > 2
    assert sum(fake_time.slept) >= 60, "it paused for a new window at the floor"
    assert all(r.fault is None for r in pages), "no request hit the limit"


# --- prefetch --------------------------------------------------------------------------


async def test_prefetch_makes_opening_free(session_and_events: Any, sb: Any) -> None:
    session, _ = session_and_events
    view = View(session.mailboxes[0].id)
    ids = session.store.view_ids(view) or [c.id for c in await session.load_view(view)]
    neighbours = ids[:3]
    before = len(sb.requests)
    session.prefetch_threads(neighbours)
    session.prefetch_threads(neighbours)  # already on their way: skipped
    await session.wait_prefetched()
    fetched = [r.path for r in api_requests(sb, before)]
    assert sorted(fetched) == sorted(f"/v2/conversations/{i}/threads" for i in neighbours)
    before = len(sb.requests)
    for ident in neighbours:
        assert session.cached_threads(ident) is not None
    session.prefetch_threads(neighbours)
    await session.wait_prefetched()
    assert api_requests(sb, before) == []


async def test_opening_while_prefetching_does_not_ask_twice(
    session_and_events: Any, sb: Any
) -> None:
    session, _ = session_and_events
    view = View(session.mailboxes[0].id)
    target = (await session.load_view(view))[0]
    before = len(sb.requests)
    session.prefetch_threads([target.id])
    threads = await session.load_threads(target.id)
    assert [t.id for t in threads] == [t["id"] for t in sb.threads_of(target.id)]
    assert len(api_requests(sb, before)) == 1


async def test_prefetch_queue_is_bounded(session_and_events: Any, sb: Any) -> None:
    from hsinbox.inbox.session import PREFETCH_QUEUE

    session, _ = session_and_events
    view = View(session.mailboxes[0].id)
    ids = [c.id for c in await session.load_view(view)]
    assert len(ids) > PREFETCH_QUEUE + 2
    before = len(sb.requests)
    session.prefetch_threads(ids)
    assert len(session._prefetches) == PREFETCH_QUEUE
    assert list(session._prefetches) == ids[-PREFETCH_QUEUE:]
    await session.wait_prefetched()
    assert len(api_requests(sb, before)) == PREFETCH_QUEUE


async def test_sandbox_list_memo_sees_changes_made_through_the_api(
    fake_time: Any, sandbox_client: Any
) -> None:
    from hsinbox.sandbox import Sandbox

    sb = Sandbox(memo_lists=True)
    async with sandbox_client(sb, sleep=fake_time.sleep) as client:
        mailbox_id = sb.state["mailboxes"][0]["id"]
        first = await client.list_all_conversations(mailbox=mailbox_id)
        again = await client.list_all_conversations(mailbox=mailbox_id)
        assert [c.id for c in again] == [c.id for c in first]
        await client.update_status(first[0].id, "closed")
        after = await client.list_all_conversations(mailbox=mailbox_id)
        assert first[0].id not in {c.id for c in after}
        assert len(after) == len(first) - 1


def changed_later(sb: Any, mailbox_id: int, count: int) -> None:
    """``count`` new conversations in the mailbox, all modified three days from the sandbox's
    now: after anything the session has seen."""
    from datetime import timedelta

    from hsinbox.sandbox.seed import add_synthetic_conversations
    from hsinbox.sandbox.util import iso

    ids = set(add_synthetic_conversations(sb.state, count, mailbox_id=mailbox_id))
    sb.api.reindex()
    later = iso(sb.now + timedelta(days=3))
    for conv in sb.state["conversations"]:
        if conv["id"] in ids:
            conv["sandbox"]["modifiedAt"] = later


async def test_refresh_after_a_long_absence_starts_the_view_over(
    session_and_events: Any, sb: Any
) -> None:
    """More than CHANGES_MAX_PAGES pages changed: page 1 afresh, not every page of changes."""
    from hsinbox.inbox.session import CHANGES_MAX_PAGES

    session, _ = session_and_events
    mailbox_id, view = await first_mailbox_loaded(session)
    changed_later(sb, mailbox_id, CHANGES_MAX_PAGES * 25 + 30)
    before = len(sb.requests)
    result = await session.refresh_view(view)
    sent = api_requests(sb, before)
    assert [r.query.get("modifiedSince") is not None for r in sent] == [True, False]
    assert [r.query["page"] for r in sent] == ["1", "1"]
    assert result.full and result.requests == 2
    assert len(session.store.view_ids(view)) == 25  # page 1 only: paging goes on from there
    assert session.view_total(view) == len(raw_conversations(sb, mailbox_id, status="active"))


async def test_refresh_with_a_few_pages_of_changes_reads_just_those(
    session_and_events: Any, sb: Any
) -> None:
    session, _ = session_and_events
    mailbox_id, view = await first_mailbox_loaded(session)
    changed_later(sb, mailbox_id, 40)
    before = len(sb.requests)
    result = await session.refresh_view(view)
    sent = api_requests(sb, before)
    assert [r.query["page"] for r in sent] == ["1", "2"]
    assert all(r.query.get("modifiedSince") for r in sent)
    assert not result.full and result.requests == 2
