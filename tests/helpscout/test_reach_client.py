"""The reach client methods: exact request shapes (MockApi), lenient parsing of the
unverified shapes, and behaviour over the sandbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from testdata import NOW

from hsinbox.helpscout import HelpScoutClient, InvalidResponse
from hsinbox.helpscout.reach import CustomerProperty, property_patch
from hsinbox.sandbox import Sandbox

from .mockapi import MockApi, hal, make_client

SCHEDULE = "/v2/conversations/5/threads/9/schedule"


async def test_schedule_publish_unschedule_shapes() -> None:
    api = MockApi().on("PUT", SCHEDULE, httpx.Response(204))
    api.on("PATCH", SCHEDULE, httpx.Response(204)).on("DELETE", SCHEDULE, httpx.Response(204))
    when = datetime(2026, 12, 9, 9, 0, 0, 500, tzinfo=UTC)
    async with make_client(api) as client:
        await client.schedule_thread(5, 9, when)
        await client.publish_scheduled(5, 9)
        await client.unschedule(5, 9)
        with pytest.raises(ValueError):
            await client.schedule_thread(5, 9, datetime(2100, 1, 1, tzinfo=UTC))
        with pytest.raises(ValueError):
            await client.schedule_thread(5, 9, datetime(2026, 12, 9, 9))
    put, patch, delete = api.requests
    assert put.json == {"scheduledFor": "2026-12-09T09:00:00Z", "unscheduleOnCustomerReply": True}
    assert patch.json == {"op": "replace", "path": "/state", "value": "published"}
    assert (delete.method, delete.body) == ("DELETE", b"")


async def test_properties_are_read_leniently() -> None:
    definitions = [
        {
            "slug": "plan",
            "name": "Plan",
            "type": "dropdown",
            "options": [{"id": 1, "label": "Free"}],
        },
        {"slug": "x", "type": "colour", "extra": True},
    ]
    api = MockApi().on("GET", "/v2/customer-properties", hal("customerProperties", definitions))
    async with make_client(api) as client:
        plan, odd = await client.list_customer_properties()
    assert plan.option("1") is not None and plan.option(1).label == "Free"  # type: ignore[union-attr]
    assert odd.type == "colour" and odd.options == []
    bare = MockApi().on("GET", "/v2/customer-properties", httpx.Response(200, json=definitions))
    async with make_client(bare) as client:
        assert len(await client.list_customer_properties()) == 2
    bad = MockApi().on("GET", "/v2/customer-properties", httpx.Response(200, json="nope"))
    async with make_client(bad) as client:
        with pytest.raises(InvalidResponse):
            await client.list_customer_properties()


def test_property_patch_replaces_and_removes() -> None:
    defs = [CustomerProperty(slug="plan"), CustomerProperty(slug="mrr")]
    assert property_patch(defs, {"plan": "3", "mrr": " "}) == [
        {"op": "replace", "path": "/plan", "value": "3"},
        {"op": "remove", "path": "/mrr"},
    ]
    with pytest.raises(ValueError):
        property_patch(defs, {"nope": "1"})


async def test_original_source_needs_text() -> None:
    path = "/v2/conversations/5/threads/9/original-source"
    api = MockApi().on("GET", path, httpx.Response(200, json={"original": "From: a@b.c\r\n"}))
    async with make_client(api) as client:
        assert await client.get_original_source(5, 9) == "From: a@b.c\r\n"
    empty = MockApi().on("GET", path, httpx.Response(200, json={}))
    async with make_client(empty) as client:
        with pytest.raises(InvalidResponse):
            await client.get_original_source(5, 9)


# --- over the sandbox -------------------------------------------------------------------


@pytest.fixture
def sb() -> Sandbox:
    return Sandbox(now=NOW)


@pytest.fixture
def client(sb: Sandbox, sandbox_client: Any) -> HelpScoutClient:
    return sandbox_client(sb)


def an_email(sb: Sandbox) -> dict[str, Any]:
    return next(
        c
        for c in sb.state["conversations"]
        if c["status"] == "active" and c["state"] == "published" and c["type"] == "email"
    )


async def test_scheduled_reply_over_the_sandbox(sb: Sandbox, client: HelpScoutClient) -> None:
    conv = an_email(sb)
    tid = await client.reply(
        conv["id"], "<p>Tomorrow</p>", customer_id=conv["primaryCustomer"]["id"], draft=True
    )
    when = NOW + timedelta(hours=21)
    await client.schedule_thread(conv["id"], tid, when)
    got = await client.get_conversation(conv["id"])
    assert got.next_event is not None and got.next_event.event_type == "scheduled"
    assert got.next_event.time == when
    thread = next(t for t in await client.list_threads(conv["id"]) if t.id == tid)
    assert thread.is_draft and thread.scheduled is not None
    assert thread.scheduled.scheduled_for == when
    assert thread.scheduled.unschedule_on_customer_reply is True
    await client.unschedule(conv["id"], tid)
    thread = next(t for t in await client.list_threads(conv["id"]) if t.id == tid)
    assert thread.scheduled is None and thread.is_draft
    await client.schedule_thread(conv["id"], tid, when)
    await client.publish_scheduled(conv["id"], tid)
    thread = next(t for t in await client.list_threads(conv["id"]) if t.id == tid)
    assert thread.state == "published"


async def test_organization_and_properties_over_the_sandbox(
    sb: Sandbox, client: HelpScoutClient
) -> None:
    cid = sb.state["sandboxNotes"]["propertiesCustomer"]
    customer = await client.get_customer(cid)
    assert {p.slug: p.shown for p in customer.properties}["plan"] == "Team"
    assert customer.organization_id is not None
    org = await client.get_organization(customer.organization_id)
    assert org.name == customer.organization and org.domains and org.website
    page = await client.organization_conversations(org.id)
    assert page.info.total_elements == org.conversation_count and page.items
    definitions = await client.list_customer_properties()
    await client.update_customer_properties(cid, property_patch(definitions, {"plan": "4"}))
    customer = await client.get_customer(cid)
    assert {p.slug: p.shown for p in customer.properties}["plan"] == "Enterprise"


async def test_original_source_over_the_sandbox(sb: Sandbox, client: HelpScoutClient) -> None:
    conv = an_email(sb)
    customer = next(t for t in await client.list_threads(conv["id"]) if t.type == "customer")
    raw = await client.get_original_source(conv["id"], customer.id)
    assert raw.startswith("From: ") and f"Subject: {conv['subject']}" in raw
