"""The agent-day client methods: exact request shapes (MockApi) and behaviour over the sandbox."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from hsinbox.helpscout import AppCredentials, ConversationMerged, HelpScoutClient, NotFound
from hsinbox.helpscout.models import NewAttachment
from hsinbox.sandbox import Sandbox
from hsinbox.sandbox.seed_agent_day import PNG_BYTES

from .mockapi import BASE, FakeSleep, MockApi, hal, make_client

NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)
SUPPORT = 8401


# --- exact request shapes --------------------------------------------------------------


async def test_saved_replies_are_a_bare_array() -> None:
    api = MockApi().on(
        "GET",
        "/v2/mailboxes/7/saved-replies",
        httpx.Response(200, json=[{"id": 1, "name": "Hi", "preview": "Hello"}]),
    )
    api.on(
        "GET",
        "/v2/mailboxes/7/saved-replies/1",
        httpx.Response(200, json={"id": 1, "name": "Hi", "text": "<p>Hello</p>"}),
    )
    async with make_client(api) as client:
        (summary,) = await client.list_saved_replies(7)
        reply = await client.get_saved_reply(7, 1)
    assert (summary.id, summary.name, summary.preview) == (1, "Hi", "Hello")
    assert reply.text == "<p>Hello</p>"


async def test_set_custom_fields_puts_every_field() -> None:
    api = MockApi().on("PUT", "/v2/conversations/5/fields", httpx.Response(204))
    async with make_client(api) as client:
        sent = await client.set_custom_fields(5, {601: 7002, 611: "2026-11-20", 612: ""})
    (seen,) = api.requests
    assert seen.json == {
        "fields": [{"id": 601, "value": "7002"}, {"id": 611, "value": "2026-11-20"}]
    }
    assert sent == seen.json["fields"]


async def test_snooze_and_unsnooze_shapes() -> None:
    api = MockApi().on("PUT", "/v2/conversations/5/snooze", httpx.Response(204))
    api.on("DELETE", "/v2/conversations/5/snooze", httpx.Response(204))
    until = datetime(2026, 11, 27, 10, 0, 0, 123, tzinfo=UTC)
    async with make_client(api) as client:
        await client.snooze(5, until)
        await client.snooze(5, until, unsnooze_on_customer_reply=False)
        await client.unsnooze(5)
    put1, put2, delete = api.requests
    assert put1.json == {"snoozedUntil": "2026-11-27T10:00:00Z", "unsnoozeOnCustomerReply": True}
    assert put2.json["unsnoozeOnCustomerReply"] is False
    assert (delete.method, delete.body) == ("DELETE", b"")


async def test_workflow_run_goes_in_batches_of_fifty() -> None:
    api = MockApi().on("POST", "/v2/workflows/9/run", httpx.Response(204))
    ids = [*range(1, 121), 3]  # a duplicate is sent once
    async with make_client(api) as client:
        count = await client.run_workflow(9, ids)
    assert count == 3
    sizes = [len(r.json["conversationIds"]) for r in api.requests]
    assert sizes == [50, 50, 20]
    sent = [i for r in api.requests for i in r.json["conversationIds"]]
    assert sent == list(range(1, 121))


async def test_list_workflows_pages_and_filters() -> None:
    flow = {"id": 1, "mailboxId": 7, "type": "manual", "name": "A", "order": 2}
    api = MockApi().on(
        "GET",
        "/v2/workflows",
        hal("workflows", [flow], number=1, total_pages=2),
        hal("workflows", [{**flow, "id": 2, "order": 1}], number=2, total_pages=2),
    )
    async with make_client(api) as client:
        flows = await client.list_workflows(7)
    assert [f.id for f in flows] == [2, 1]
    assert api.requests[0].query["mailboxId"] == ["7"]
    assert api.requests[0].query["type"] == ["manual"]


async def test_reply_with_attachments_is_one_request() -> None:
    api = MockApi().on(
        "POST", "/v2/conversations/5/reply", httpx.Response(201, headers={"Resource-ID": "77"})
    )
    att = NewAttachment.of("a.png", "image/png", PNG_BYTES)
    async with make_client(api) as client:
        assert await client.reply(5, "hi", customer_id=3, attachments=[att]) == 77
    (seen,) = api.requests
    assert seen.json["attachments"] == [
        {"fileName": "a.png", "mimeType": "image/png", "data": base64.b64encode(PNG_BYTES).decode()}
    ]


async def test_get_follows_a_merge_and_reports_it() -> None:
    api = MockApi().on(
        "GET",
        "/v2/conversations/5",
        httpx.Response(301, headers={"Location": f"{BASE}/v2/conversations/9"}),
    )
    api.on("GET", "/v2/conversations/9", httpx.Response(200, json={"id": 9, "number": 1240}))
    heard: list[tuple[int, int]] = []
    async with make_client(api) as client:
        client.on_merged = lambda old, new: heard.append((old, new))
        conv = await client.get_conversation(5)
        assert conv.id == 9 and client.merged == {5: 9}
        assert heard == [(5, 9)]
        api.on("PATCH", "/v2/conversations/5", httpx.Response(404))
        with pytest.raises(ConversationMerged) as info:
            await client.update_status(5, "closed")
    assert (info.value.old_id, info.value.new_id) == (5, 9)
    assert str(info.value) == "Conversation 5 was merged into conversation 9."


async def test_a_plain_404_write_stays_one_request_and_survivor_of_asks_once() -> None:
    api = MockApi().on("PATCH", "/v2/conversations/5", httpx.Response(404))
    api.on(
        "GET",
        "/v2/conversations/5",
        httpx.Response(301, headers={"Location": f"{BASE}/v2/conversations/9"}),
    )
    async with make_client(api) as client:
        with pytest.raises(NotFound) as info:
            await client.update_status(5, "closed")
        assert not isinstance(info.value, ConversationMerged)
        assert len(api.requests) == 1
        assert await client.survivor_of(5) == 9
    assert [r.method for r in api.requests] == ["PATCH", "GET"]


# --- over the sandbox ------------------------------------------------------------------


@pytest.fixture
def sb() -> Sandbox:
    return Sandbox(now=NOW)


@pytest.fixture
async def client(sb: Sandbox):
    c = HelpScoutClient(
        "https://api.helpscout.net",
        credentials=AppCredentials(sb.app_id, sb.app_secret),
        transport=sb.transport(),
        sleep=FakeSleep(),
    )
    yield c
    await c.aclose()


def writes(sb: Sandbox) -> list[Any]:
    return [r for r in sb.requests if r.method != "GET" and "oauth2" not in r.path]


def an_active(sb: Sandbox) -> dict[str, Any]:
    return next(
        c
        for c in sb.state["conversations"]
        if c["mailboxId"] == SUPPORT and c["status"] == "active" and c["state"] == "published"
    )


async def test_fields_roundtrip_over_the_sandbox(sb: Sandbox, client: HelpScoutClient) -> None:
    fields = await client.list_custom_fields(SUPPORT)
    assert [f.type for f in fields] == ["dropdown", "date", "number", "singleline"]
    dropdown = fields[0]
    assert dropdown.required and dropdown.options[0].label == "Starter"
    conv = an_active(sb)
    await client.set_custom_fields(
        conv["id"], {dropdown.id: dropdown.options[2].id, fields[3].id: "v4.2"}
    )
    got = await client.get_conversation(conv["id"])
    assert [(f.id, f.text) for f in got.custom_fields] == [
        (dropdown.id, "Enterprise"),
        (fields[3].id, "v4.2"),
    ]
    assert len(writes(sb)) == 1


async def test_snooze_over_the_sandbox(sb: Sandbox, client: HelpScoutClient) -> None:
    conv = an_active(sb)
    await client.snooze(conv["id"], NOW + timedelta(hours=3))
    got = await client.get_conversation(conv["id"])
    assert got.snooze is not None and got.snooze.snoozed_until == NOW + timedelta(hours=3)
    assert got.snooze.unsnooze_on_customer_reply is True
    await client.unsnooze(conv["id"])
    assert "snooze" not in sb.conversation(conv["id"])


async def test_workflows_over_the_sandbox(sb: Sandbox, client: HelpScoutClient) -> None:
    flows = await client.list_workflows(SUPPORT)
    assert [f.name for f in flows] == ["Escalate to tier 2", "Hand over to Priya and wait"]
    ids = [c["id"] for c in sb.state["conversations"] if c["mailboxId"] == SUPPORT][:60]
    assert await client.run_workflow(flows[0].id, ids) == 2
    runs = [r for r in writes(sb) if r.path.endswith("/run")]
    assert [len(r.json["conversationIds"]) for r in runs] == [50, 10]
    assert all("escalated" in [t["tag"] for t in sb.conversation(i)["tags"]] for i in ids)


async def test_attachments_over_the_sandbox(sb: Sandbox, client: HelpScoutClient) -> None:
    cid = sb.state["sandboxNotes"]["attachmentConversation"]
    threads = await client.list_threads(cid)
    png = next(a for t in threads for a in t.attachments if a.filename == "screenshot.png")
    assert await client.get_attachment_data(cid, png.id) == PNG_BYTES
    conv = an_active(sb)
    att = NewAttachment.of("n.txt", "text/plain", b"note file")
    await client.add_note(conv["id"], "see file", attachments=[att])
    assert len(writes(sb)) == 1
    stored = sb.threads_of(conv["id"])[-1]["_embedded"]["attachments"]
    assert [(a["filename"], a["size"]) for a in stored] == [("n.txt", 9)]


async def test_customer_history_over_the_sandbox(sb: Sandbox, client: HelpScoutClient) -> None:
    customer = sb.state["sandboxNotes"]["historyCustomer"]
    page = await client.list_customer_conversations(customer)
    assert len(page.items) >= 3
    assert all(c.primary_customer and c.primary_customer.id == customer for c in page.items)
    stamps = [c.created_at for c in page.items]
    assert stamps == sorted(stamps, reverse=True)
    (req,) = [r for r in sb.requests if r.path == "/v2/conversations"]
    assert req.query["status"] == "all" and req.query["query"] == f"(customerIds:{customer})"


async def test_merged_over_the_sandbox(sb: Sandbox, client: HelpScoutClient) -> None:
    old, new = sb.state["sandboxNotes"]["mergedPair"]
    conv = await client.get_conversation(old)
    assert conv.id == new and client.merged == {old: new}
    with pytest.raises(ConversationMerged):
        await client.add_note(old, "hi")
    assert len([r for r in writes(sb) if r.path.endswith("/notes")]) == 1
