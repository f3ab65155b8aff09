"""Cold start: the first list is asked for with the folders, not after them."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from testdata import new_sandbox_client, until

from hsinbox.inbox.session import InboxSession
from hsinbox.inbox.view import View


class HeldFolders(httpx.AsyncBaseTransport):
    """The sandbox, with every folders answer held until ``release`` is set."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.release = asyncio.Event()
        self.held = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/folders"):
            self.held += 1
            await self.release.wait()
        return await self.inner.handle_async_request(request)


def conversation_requests(sb: Any) -> list[Any]:
    return [r for r in sb.requests if r.method == "GET" and r.path == "/v2/conversations"]


async def started(sb: Any, tmp_path: Any, first_view: Any, *, cache: bool = True) -> Any:
    transport = HeldFolders(sb.transport())
    client = new_sandbox_client(sb, transport=transport)
    session = InboxSession(client, data_dir=tmp_path / "data", cache_path=tmp_path / "c.db")
    if not cache:
        session.cache = None
    session.prefetch_start(first_view)
    return client, session, transport


async def test_first_list_is_asked_while_folders_are_unanswered(sb: Any, tmp_path: Any) -> None:
    mailbox_id = sb.state["mailboxes"][0]["id"]
    client, session, transport = await started(sb, tmp_path, lambda mbs: View(mbs[0].id))
    try:
        start = asyncio.ensure_future(session.start())
        await until(
            lambda: conversation_requests(sb) and transport.held == len(sb.state["mailboxes"]),
            "the first list and the folders to be asked for",
        )
        # The list went out in the folders' round: none of them has been answered yet.
        assert not any(r.path.endswith("/folders") for r in sb.requests)
        assert conversation_requests(sb)[0].query["mailbox"] == str(mailbox_id)
        transport.release.set()
        await start
        before = len(conversation_requests(sb))
        rows = await session.load_view(View(mailbox_id))
        # load_view took the list already asked for: no second request.
        assert len(conversation_requests(sb)) == before
        fresh = await client.list_conversations(**View(mailbox_id).list_params())
        assert [c.id for c in rows] == [c.id for c in fresh.items]
        assert session.store.view_ids(View(mailbox_id)) == [c.id for c in rows]
        assert session.cache is not None
        state = session.cache.get_view(View(mailbox_id).key)
        assert state is not None and state.ids == [c.id for c in rows]
        # Used once: the next load asks again.
        await session.load_view(View(mailbox_id))
        assert len(conversation_requests(sb)) > before
    finally:
        await session.close()
        await client.aclose()


async def test_another_first_view_asks_again(sb: Any, tmp_path: Any) -> None:
    mailboxes = [m["id"] for m in sb.state["mailboxes"]]
    client, session, transport = await started(sb, tmp_path, lambda mbs: View(mbs[0].id))
    transport.release.set()
    try:
        await session.start()
        await until(lambda: conversation_requests(sb), "the first list to be asked for")
        early = len(conversation_requests(sb))
        await session.load_view(View(mailboxes[1]))
        asked = conversation_requests(sb)[early:]
        assert asked and all(r.query["mailbox"] == str(mailboxes[1]) for r in asked)
        # The guess was dropped: opening it later asks afresh.
        await session.load_view(View(mailboxes[0]))
        assert any(
            r.query["mailbox"] == str(mailboxes[0])
            for r in conversation_requests(sb)[early + len(asked) :]
        )
    finally:
        await session.close()
        await client.aclose()


async def test_known_account_asks_only_at_load(sb: Any, tmp_path: Any) -> None:
    """With the account cached the screen paints from the cache and asks what changed."""
    client, session, transport = await started(sb, tmp_path, lambda mbs: View(mbs[0].id))
    transport.release.set()
    await session.start()
    await session.close()
    await client.aclose()
    sb.requests.clear()
    client, session, transport = await started(sb, tmp_path, lambda mbs: View(mbs[0].id))
    transport.release.set()
    try:
        await session.start()
        for _ in range(50):
            await asyncio.sleep(0)
        assert conversation_requests(sb) == []
    finally:
        await session.close()
        await client.aclose()


async def test_start_without_prefetch_asks_in_order(
    sb: Any, tmp_path: Any, sandbox_client: Any
) -> None:
    client = sandbox_client(sb)
    session = InboxSession(client, data_dir=tmp_path / "data", cache_path=tmp_path / "c.db")
    try:
        await session.start()
        assert conversation_requests(sb) == []
        assert session.me is not None and session.me.id == sb.me_id
        assert set(session.folders) == {m["id"] for m in sb.state["mailboxes"]}
        assert set(session.mailbox_users) == set(session.folders)
    finally:
        await session.close()
        await client.aclose()


async def test_first_list_asks_page_one_only(sb: Any, tmp_path: Any) -> None:
    """A cold first list is one request, whatever the size of the view."""
    from hsinbox.sandbox.seed import add_synthetic_conversations

    mailbox_id = sb.state["mailboxes"][0]["id"]
    add_synthetic_conversations(sb.state, 120, mailbox_id=mailbox_id)
    sb.api.reindex()
    client, session, transport = await started(sb, tmp_path, lambda mbs: View(mbs[0].id))
    try:
        start = asyncio.ensure_future(session.start())
        await until(lambda: conversation_requests(sb), "the first page to be asked for")
        assert not any(r.path.endswith("/folders") for r in sb.requests)
        transport.release.set()
        await start
        early = await session.load_view(View(mailbox_id))
        assert [r.query.get("page") for r in conversation_requests(sb)] == ["1"]
        fresh = await client.list_conversations(**View(mailbox_id).list_params())
        assert fresh.info.total_pages >= 3
        assert [c.id for c in early] == [c.id for c in fresh.items]
        assert session.view_total(View(mailbox_id)) == fresh.info.total_elements
    finally:
        await session.close()
        await client.aclose()
