"""What colleagues do, as Help Scout's lists show it: ratings and opens on replies, other
users' drafts among the threads, a search across every mailbox, and a count on every list."""

from __future__ import annotations

import httpx
import pytest

from hsinbox.sandbox import Sandbox

from .conftest import SUPPORT, assert_vnd_error


async def threads(api: httpx.AsyncClient, cid: int) -> list[dict]:
    r = await api.get(f"/v2/conversations/{cid}/threads")
    assert r.status_code == 200, r.text
    return r.json()["_embedded"]["threads"]


async def test_rated_replies_carry_the_rating_and_when_the_customer_opened_them(
    sb: Sandbox, api: httpx.AsyncClient
) -> None:
    seen = []
    for cid in sb.state["sandboxNotes"]["ratedConversations"]:
        rated = [t for t in await threads(api, cid) if "rating" in t]
        assert len(rated) == 1
        reply = rated[0]
        assert reply["type"] == "message" and reply["createdBy"]["type"] == "user"
        assert set(reply["rating"]) == {"customerId", "rating", "comments"}
        assert reply["rating"]["customerId"] == sb.conversation(cid)["primaryCustomer"]["id"]
        assert reply["openedAt"] > reply["createdAt"]
        seen.append(reply["rating"]["rating"])
    assert seen == ["great", "not_good"]


async def test_a_colleagues_draft_is_listed_among_the_threads(
    sb: Sandbox, api: httpx.AsyncClient
) -> None:
    cid = sb.state["sandboxNotes"]["colleagueDraft"]
    drafts = [t for t in await threads(api, cid) if t["state"] == "draft"]
    assert len(drafts) == 1
    author = drafts[0]["createdBy"]
    assert author["type"] == "user" and author["id"] != sb.me_id
    assert author["id"] == sb.conversation(cid)["assignee"]["id"]
    assert drafts[0]["_links"]["createdByUser"]["href"].endswith(f"/v2/users/{author['id']}")
    # A draft is not what the customer sees: the preview stays the last published thread.
    r = await api.get(f"/v2/conversations/{cid}")
    assert "looking into this now" not in r.json()["preview"]


async def test_a_search_without_a_mailbox_spans_every_mailbox(
    sb: Sandbox, api: httpx.AsyncClient
) -> None:
    r = await api.get("/v2/conversations", params={"query": "status:active", "status": "all"})
    assert r.status_code == 200, r.text
    body = r.json()
    found = body["_embedded"]["conversations"]
    assert len({c["mailboxId"] for c in found}) > 1
    expected = [
        c
        for c in sb.state["conversations"]
        if c["status"] == "active" and c["state"] == "published"
    ]
    assert body["page"]["totalElements"] == len(expected)
    one = await api.get("/v2/conversations", params={"query": "status:active", "mailbox": SUPPORT})
    assert one.json()["page"]["totalElements"] < len(expected)


async def test_a_number_query_finds_a_conversation_in_any_mailbox(
    sb: Sandbox, api: httpx.AsyncClient
) -> None:
    other = next(
        c
        for c in sb.state["conversations"]
        if c["mailboxId"] != SUPPORT and c["state"] == "published"
    )
    r = await api.get(
        "/v2/conversations", params={"query": f"(number:{other['number']})", "status": "all"}
    )
    body = r.json()
    assert [c["id"] for c in body["_embedded"]["conversations"]] == [other["id"]]
    assert body["page"]["totalElements"] == 1


async def test_a_bad_query_without_a_mailbox_is_refused(api: httpx.AsyncClient) -> None:
    r = await api.get("/v2/conversations", params={"query": "(number:"})
    assert_vnd_error(r, 400)


@pytest.mark.parametrize(
    "path",
    [
        "/v2/conversations",
        "/v2/mailboxes",
        f"/v2/mailboxes/{SUPPORT}/folders",
        "/v2/users",
        "/v2/tags",
        "/v2/customers",
        "/v2/workflows",
    ],
)
async def test_every_list_page_carries_its_total(api: httpx.AsyncClient, path: str) -> None:
    r = await api.get(path)
    assert r.status_code == 200, r.text
    page = r.json()["page"]
    assert isinstance(page["totalElements"], int) and page["totalElements"] > 0
    assert page["totalPages"] == -(-page["totalElements"] // page["size"])


async def test_a_thread_page_carries_its_total(sb: Sandbox, api: httpx.AsyncClient) -> None:
    cid = sb.state["sandboxNotes"]["colleagueDraft"]
    r = await api.get(f"/v2/conversations/{cid}/threads")
    assert r.json()["page"]["totalElements"] == len(sb.threads_of(cid))
