"""Background work within its share of Help Scout's rate budget; a resumable mailbox sync."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hsinbox.config import Settings
from hsinbox.inbox.budget import Budget
from hsinbox.inbox.session import InboxSession, SyncProgress
from hsinbox.inbox.view import View


def api_requests(sb: Any, since: int = 0) -> list[Any]:
    return [r for r in sb.requests[since:] if not r.path.startswith("/v2/oauth2")]


@pytest.fixture
def limited(fake_time: Any) -> Any:
    """A sandbox allowing 40 requests a minute, on the same fake clock as the session."""
    from hsinbox.sandbox import Sandbox

    return Sandbox(rate_limit_per_minute=40, clock=fake_time)


async def started_session(
    client: Any, data_dir: Path, fake_time: Any, **settings: Any
) -> InboxSession:
    session = InboxSession(
        client,
        settings=Settings(undo_delay=0, **settings),
        data_dir=data_dir,
        sleep=fake_time.sleep,
        clock=fake_time,
    )
    await session.start()
    return session


def thread_paths(requests: list[Any]) -> list[str]:
    return [r.path for r in requests if r.path.endswith("/threads")]


async def test_the_sandbox_reports_both_rate_headers(limited: Any, sandbox_client: Any) -> None:
    client = sandbox_client(limited)
    await client.get_me()
    assert client.rate_limit_limit == 40
    assert client.rate_limit_remaining is not None and client.rate_limit_remaining < 40


def test_budget_share_and_floor_without_a_server() -> None:
    class Source:
        rate_limit_limit: int | None = 400
        rate_limit_remaining: int | None = 400

    now = [0.0]
    source = Source()
    budget = Budget(source, share=0.25, floor=20, clock=lambda: now[0])
    assert [budget.take() for _ in range(101)].count(True) == 100  # 25 % of 400
    assert "share" in (budget.paused_reason or "")
    now[0] += 60
    assert budget.take()
    source.rate_limit_remaining = 19
    assert not budget.take() and "19 left" in (budget.paused_reason or "")
    now[0] += 59
    assert not budget.allows()
    now[0] += 1
    assert budget.take(), "a window has surely reset: one probe"
    assert not budget.take(), "the probe's answer is awaited (still low: wait again)"
    source.rate_limit_remaining = 380  # a foreground answer from the new window
    assert budget.take()


async def test_background_pauses_at_the_floor_and_the_agent_still_gets_through(
    limited: Any, sandbox_client: Any, fake_time: Any, tmp_path: Path
) -> None:
    client = sandbox_client(limited, sleep=fake_time.sleep)
    session = await started_session(client, tmp_path / "data", fake_time)
    try:
        conversations = await session.load_view(View(session.mailboxes[0].id))
        ids = [c.id for c in conversations]
        # The agent's own reads spend the minute down to the floor.
        while (client.rate_limit_remaining or 0) >= 20:
            await session.refresh_folders(session.mailboxes[0].id)
        assert client.rate_limit_remaining == 19
        before = len(limited.requests)
        session.prefetch_threads(ids[:3])
        await session.wait_prefetched()
        assert (await session.refresh_folders(session.mailboxes[0].id, background=True)) == (
            session.folders[session.mailboxes[0].id]
        )
        assert api_requests(limited, before) == [], "background work stops at the floor"
        # The agent's key still goes out at once.
        await session.load_threads(ids[0])
        sent = thread_paths(api_requests(limited, before))
        assert sent == [f"/v2/conversations/{ids[0]}/threads"]
        # A minute later Help Scout's window has surely reset: one probe goes first...
        fake_time.now += 60
        before = len(limited.requests)
        session.prefetch_threads(ids[1:3])
        await session.wait_prefetched()
        sent = thread_paths(api_requests(limited, before))
        assert sent == [f"/v2/conversations/{ids[1]}/threads"]
        assert (client.rate_limit_remaining or 0) >= 20
        # ... and its answer (a fresh window) lets background work resume.
        session.prefetch_threads(ids[2:4])
        await session.wait_prefetched()
        sent = thread_paths(api_requests(limited, before))
        assert sorted(sent) == sorted(f"/v2/conversations/{i}/threads" for i in ids[1:4])
        assert all(r.fault is None for r in api_requests(limited, before))
    finally:
        await session.close()


async def test_background_uses_at_most_its_share_of_the_minute(
    limited: Any, sandbox_client: Any, fake_time: Any, tmp_path: Path
) -> None:
    limited.rate_limit_per_minute = 400
    client = sandbox_client(limited, sleep=fake_time.sleep)
    session = await started_session(client, tmp_path / "data", fake_time, background_share=0.05)
    try:
        mailbox_id = session.mailboxes[0].id
        before = len(limited.requests)
        for _ in range(25):
            await session.refresh_folders(mailbox_id, background=True)
        folder_asks = [r for r in api_requests(limited, before) if r.path.endswith("/folders")]
        assert len(folder_asks) == 20  # 5 % of 400 a minute
        assert session.budget.paused_reason is not None
        # The agent's refresh is not background work: it goes out.
        await session.refresh_folders(mailbox_id)
        assert len(api_requests(limited, before)) == 21
        fake_time.now += 60
        await session.refresh_folders(mailbox_id, background=True)
        assert len(api_requests(limited, before)) == 22
    finally:
        await session.close()


# --- the mailbox sync ----------------------------------------------------------------


@pytest.fixture
def big(fake_time: Any) -> Any:
    from hsinbox.sandbox import Sandbox
    from hsinbox.sandbox.seed import add_synthetic_conversations

    sb = Sandbox(clock=fake_time)
    add_synthetic_conversations(sb.state, 150, mailbox_id=sb.state["mailboxes"][0]["id"])
    sb.api.reindex()
    return sb


class Stopped(Exception):
    """Stands for a cancel or a kill at a page boundary."""


def list_pages(requests: list[Any]) -> list[tuple[str, str | None]]:
    return [
        (r.query.get("page", "1"), r.query.get("modifiedSince"))
        for r in requests
        if r.path == "/v2/conversations"
    ]


async def test_a_sync_stopped_after_two_pages_resumes_with_the_rest(
    big: Any, sandbox_client: Any, fake_time: Any, tmp_path: Path
) -> None:
    client = sandbox_client(big, sleep=fake_time.sleep)
    data_dir = tmp_path / "data"
    session = await started_session(client, data_dir, fake_time)
    mailbox_id = session.mailboxes[0].id
    progress: list[SyncProgress] = []
    try:
        assert session.sync_state(mailbox_id) is None, "no sync unless asked"
        before = len(big.requests)

        def stop_after_two(p: SyncProgress) -> None:
            progress.append(p)
            if p.done == 2:
                raise Stopped  # as if the app died here: page 2 was kept, nothing after

        with pytest.raises(Stopped):
            await session.sync_mailbox(mailbox_id, concurrency=1, on_progress=stop_after_two)
        first_run = list_pages(api_requests(big, before))
        assert first_run[:2] == [("1", None), ("2", None)]
        state = session.sync_state(mailbox_id)
        assert state is not None and state.phase == "pages" and state.next_page == 3
        total = state.total_pages
        assert total >= 5 and progress[-1].total == total
        query = api_requests(big, before)[0].query
        assert (query["sortField"], query["sortOrder"], query["status"]) == (
            "createdAt",
            "asc",
            "all",
        )
    finally:
        await session.close()

    # A new run (the app restarted) knows the sync is unfinished and resumes at page 3.
    session = await started_session(client, data_dir, fake_time)
    try:
        assert session.unfinished_syncs() == [mailbox_id]
        before = len(big.requests)
        resumed: list[SyncProgress] = []
        await session.sync_mailbox(mailbox_id, on_progress=resumed.append)
        asked = list_pages(api_requests(big, before))
        pages = sorted(int(p) for p, since in asked if since is None)
        assert pages == list(range(3, total + 1)), "only the remaining pages"
        closing = [since for _p, since in asked if since is not None]
        assert len(closing) == 1, "one closing question: what changed since the sync began"
        assert resumed[0].done == 2 and resumed[-1].done == resumed[-1].total == total
        assert session.sync_state(mailbox_id).phase == "done"  # type: ignore[union-attr]
        assert session.unfinished_syncs() == []
        published = {
            c["id"]
            for c in big.state["conversations"]
            if c["mailboxId"] == mailbox_id and c["state"] == "published"
        }
        assert session.cache is not None
        assert set(session.cache.get_conversations(sorted(published))) == published
        # Syncing again asks only what changed since.
        before = len(big.requests)
        await session.sync_mailbox(mailbox_id)
        again = list_pages(api_requests(big, before))
        assert len(again) == 1 and again[0][1] is not None
    finally:
        await session.close()


async def test_a_cancelled_sync_is_not_resumed_at_start(
    big: Any, sandbox_client: Any, fake_time: Any, tmp_path: Path
) -> None:
    client = sandbox_client(big, sleep=fake_time.sleep)
    session = await started_session(client, tmp_path / "data", fake_time)
    try:
        mailbox_id = session.mailboxes[0].id

        def stop(p: SyncProgress) -> None:
            if p.done == 1:
                raise Stopped

        with pytest.raises(Stopped):
            await session.sync_mailbox(mailbox_id, concurrency=1, on_progress=stop)
        session.cancel_sync(mailbox_id)
        assert session.unfinished_syncs() == []
        assert session.sync_state(mailbox_id).next_page == 2  # type: ignore[union-attr]
    finally:
        await session.close()


async def test_a_sync_pauses_at_the_floor_and_resumes_when_the_window_resets(
    big: Any, sandbox_client: Any, fake_time: Any, tmp_path: Path
) -> None:
    big.rate_limit_per_minute = 40
    client = sandbox_client(big, sleep=fake_time.sleep)
    session = await started_session(client, tmp_path / "data", fake_time)
    try:
        mailbox_id = session.mailboxes[0].id
        at_start = fake_time.now
        paused: list[str] = []
        await session.sync_mailbox(
            mailbox_id, on_progress=lambda p: paused.append(p.paused) if p.paused else None
        )
        pages = [r for r in api_requests(big) if r.path == "/v2/conversations"]
        assert all(r.fault is None for r in pages), "no page hit Help Scout's limit"
        assert fake_time.now - at_start >= 60, "it waited for a new window"
        assert any("left this minute" in p or "share" in p for p in paused)
    finally:
        await session.close()
