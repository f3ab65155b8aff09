"""Conversation and thread writes: what changes in the state, and what is refused."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest

from hsinbox.sandbox import Sandbox

from .conftest import NOW, SUPPORT, an_active, assert_vnd_error

NEW = {
    "subject": "Printer on fire",
    "type": "email",
    "mailboxId": SUPPORT,
    "status": "active",
    "customer": {"email": "fire@example.org", "firstName": "Fi", "lastName": "Re"},
    "threads": [{"type": "customer", "text": "<p>Help!</p>"}],
    "tags": ["urgent", "Brand New"],
}


async def test_create_conversation(sb: Sandbox, api: httpx.AsyncClient) -> None:
    customers = len(sb.state["customers"])
    r = await api.post("/v2/conversations", json=NEW)
    assert r.status_code == 201 and r.content == b""
    cid = int(r.headers["Resource-ID"])
    assert r.headers["Location"] == f"http://127.0.0.1/v2/conversations/{cid}"
    assert len(sb.state["customers"]) == customers + 1
    conv = (await api.get(f"/v2/conversations/{cid}")).json()
    assert conv["subject"] == "Printer on fire" and conv["threads"] == 1
    assert conv["primaryCustomer"]["first"] == "Fi" and conv["preview"] == "Help!"
    assert [t["tag"] for t in conv["tags"]] == ["urgent", "brand new"]
    assert conv["state"] == "published" and conv["createdAt"] == "2026-03-02T12:00:00Z"
    # the same email again reuses the customer
    again = await api.post("/v2/conversations", json=NEW)
    again_conv = sb.conversation(int(again.headers["Resource-ID"]))
    assert again_conv["primaryCustomer"]["id"] == conv["primaryCustomer"]["id"]


async def test_create_conversation_variants(sb: Sandbox, api: httpx.AsyncClient) -> None:
    customer_id = sb.state["customers"][0]["id"]
    body = {
        **NEW,
        "customer": {"id": customer_id},
        "assignTo": sb.me_id,
        "status": "closed",
        "threads": [
            {"type": "customer", "text": "q"},
            {"type": "reply", "text": "a", "customer": {"id": customer_id}},
            {"type": "note", "text": "n"},
        ],
        "imported": True,
        "autoReply": False,
    }
    r = await api.post("/v2/conversations", json=body)
    conv = sb.conversation(int(r.headers["Resource-ID"]))
    assert conv["status"] == "closed" and conv["closedBy"] == sb.me_id
    assert conv["assignee"]["id"] == sb.me_id
    types = [t["type"] for t in sb.threads_of(conv["id"])]
    assert types == ["customer", "message", "note"]
    draft = {
        **NEW,
        "threads": [
            {"type": "reply", "text": "draft", "draft": True, "customer": {"email": "x@y.org"}}
        ],
    }
    d = sb.conversation(
        int((await api.post("/v2/conversations", json=draft)).headers["Resource-ID"])
    )
    assert d["state"] == "draft" and sb.threads_of(d["id"])[0]["state"] == "draft"


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"subject": ""}, "subject"),
        ({"type": "fax"}, "type"),
        ({"mailboxId": 1}, "mailboxId"),
        ({"status": "spam"}, "status"),
        ({"customer": None}, "customer"),
        ({"customer": {"id": 5}}, "customer.id"),
        ({"customer": {"email": "not-an-email"}}, "customer.email"),
        ({"threads": []}, "threads"),
        ({"threads": [{"type": "customer"}]}, "threads[0].text"),
        ({"threads": [{"type": "tweet", "text": "x"}]}, "threads[0].type"),
        ({"assignTo": 42}, "assignTo"),
        ({"threads": [{"type": "reply", "text": "x"}]}, "threads[0].customer"),
        (
            {"type": "chat", "threads": [{"type": "reply", "text": "x", "customer": {"id": 1}}]},
            "type",
        ),
        ({"user": 42}, "user"),
        ({"createdAt": "2026-01-01T00:00:00.123Z"}, "createdAt"),
    ],
)
async def test_create_conversation_validation(
    sb: Sandbox, api: httpx.AsyncClient, change: dict, path: str
) -> None:
    before = sb.snapshot()
    r = await api.post("/v2/conversations", json={**NEW, **change})
    assert_vnd_error(r, 400, path)
    assert sb.state["conversations"] == before["conversations"]
    assert sb.state["customers"] == before["customers"]


async def test_create_reports_every_problem_and_412(api: httpx.AsyncClient) -> None:
    r = await api.post("/v2/conversations", json={"threads": [{"type": "customer", "text": "x"}]})
    body = assert_vnd_error(r, 400)
    paths = {e["path"] for e in body["_embedded"]["errors"]}
    assert {"subject", "type", "mailboxId", "status", "customer"} <= paths
    many = {**NEW, "threads": [{"type": "customer", "text": "x"}] * 101}
    assert_vnd_error(await api.post("/v2/conversations", json=many), 412)
    bad = await api.post(
        "/v2/conversations", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert_vnd_error(bad, 400)


async def test_reply(sb: Sandbox, api: httpx.AsyncClient) -> None:
    conv = next(
        c
        for c in sb.state["conversations"]
        if c["status"] == "pending" and c["state"] == "published"
    )
    cid = conv["id"]
    count = len(sb.threads_of(cid))
    sb.now = NOW + timedelta(minutes=5)
    body = {
        "text": "<p>Fixed now</p>",
        "customer": {"id": conv["primaryCustomer"]["id"]},
        "cc": ["boss@example.org"],
    }
    r = await api.post(f"/v2/conversations/{cid}/reply", json=body)
    assert r.status_code == 201 and r.content == b""
    tid = int(r.headers["Resource-ID"])
    thread = sb.threads_of(cid)[-1]
    assert thread["id"] == tid and thread["type"] == "message" and thread["state"] == "published"
    assert thread["createdBy"]["id"] == sb.me_id and thread["cc"] == ["boss@example.org"]
    conv = sb.conversation(cid)
    assert conv["status"] == "active"  # a reply without status reactivates
    assert conv["preview"] == "Fixed now"
    assert conv["userUpdatedAt"] == "2026-03-02T12:05:00Z"
    assert conv["customerWaitingSince"]["latestReplyFrom"] == "user"
    shown = (await api.get(f"/v2/conversations/{cid}")).json()
    assert shown["threads"] == count + 1


async def test_reply_draft_and_status(sb: Sandbox, api: httpx.AsyncClient) -> None:
    conv = an_active(sb)
    cid, customer = conv["id"], {"id": conv["primaryCustomer"]["id"]}
    preview = conv["preview"]
    r = await api.post(
        f"/v2/conversations/{cid}/reply",
        json={"text": "draft", "customer": customer, "draft": True, "status": "closed"},
    )
    assert r.status_code == 201
    assert sb.threads_of(cid)[-1]["state"] == "draft"
    assert sb.conversation(cid)["status"] == "active" and sb.conversation(cid)["preview"] == preview
    r = await api.post(
        f"/v2/conversations/{cid}/reply",
        json={"text": "bye", "customer": customer, "status": "closed", "assignTo": sb.me_id + 2},
    )
    assert sb.conversation(cid)["status"] == "closed"
    assert sb.conversation(cid)["assignee"]["id"] == sb.me_id + 2


async def test_reply_requires_customer_and_text(sb: Sandbox, api: httpx.AsyncClient) -> None:
    conv = an_active(sb)
    count = len(sb.threads_of(conv["id"]))
    assert_vnd_error(
        await api.post(f"/v2/conversations/{conv['id']}/reply", json={"text": "hi"}),
        400,
        "customer",
    )
    assert_vnd_error(
        await api.post(
            f"/v2/conversations/{conv['id']}/reply",
            json={"customer": {"id": conv["primaryCustomer"]["id"]}},
        ),
        400,
        "text",
    )
    assert_vnd_error(
        await api.post(
            f"/v2/conversations/{conv['id']}/reply",
            json={"text": "x", "customer": {"id": conv["primaryCustomer"]["id"]}, "cc": ["nope"]},
        ),
        400,
        "cc[0]",
    )
    form = await api.post(f"/v2/conversations/{conv['id']}/reply", data={"text": "x"})
    assert_vnd_error(form, 415)
    assert len(sb.threads_of(conv["id"])) == count
    assert (await api.post("/v2/conversations/5/reply", json={"text": "x"})).status_code == 404


async def test_note_and_customer_thread(sb: Sandbox, api: httpx.AsyncClient) -> None:
    conv = next(c for c in sb.state["conversations"] if c["status"] == "closed")
    cid = conv["id"]
    r = await api.post(f"/v2/conversations/{cid}/notes", json={"text": "internal"})
    assert r.status_code == 201
    note = sb.threads_of(cid)[-1]
    assert note["type"] == "note" and note["id"] == int(r.headers["Resource-ID"])
    assert sb.conversation(cid)["status"] == "closed"
    await api.post(f"/v2/conversations/{cid}/notes", json={"text": "hold", "status": "pending"})
    assert sb.conversation(cid)["status"] == "pending"
    assert_vnd_error(
        await api.post(f"/v2/conversations/{cid}/notes", json={"text": ""}), 400, "text"
    )
    sb.now = NOW + timedelta(hours=2)
    r = await api.post(
        f"/v2/conversations/{cid}/customer",
        json={"text": "<p>me again</p>", "customer": {"id": conv["primaryCustomer"]["id"]}},
    )
    assert r.status_code == 201
    conv = sb.conversation(cid)
    assert conv["status"] == "active" and conv["preview"] == "me again"
    assert conv["customerWaitingSince"] == {
        "time": "2026-03-02T14:00:00Z",
        "latestReplyFrom": "customer",
    }
    assert sb.threads_of(cid)[-1]["createdBy"]["type"] == "customer"


async def test_thread_cap_is_412(sb: Sandbox, api: httpx.AsyncClient) -> None:
    conv = an_active(sb)
    for _ in range(99 - len(sb.threads_of(conv["id"]))):
        assert (
            await api.post(f"/v2/conversations/{conv['id']}/notes", json={"text": "n"})
        ).status_code == 201
    assert_vnd_error(
        await api.post(f"/v2/conversations/{conv['id']}/notes", json={"text": "n"}), 412
    )


async def test_thread_patch_and_delete(sb: Sandbox, api: httpx.AsyncClient) -> None:
    conv = an_active(sb)
    tid = sb.threads_of(conv["id"])[0]["id"]
    url = f"/v2/conversations/{conv['id']}/threads/{tid}"
    r = await api.patch(url, json={"op": "replace", "path": "/text", "value": "edited"})
    assert r.status_code == 204 and sb.threads_of(conv["id"])[0]["body"] == "edited"
    r = await api.patch(url, json={"op": "replace", "path": "/hidden", "value": True})
    assert r.status_code == 204 and sb.threads_of(conv["id"])[0]["state"] == "hidden"
    assert_vnd_error(
        await api.patch(url, json=[{"op": "replace", "path": "/text", "value": "x"}]), 400
    )
    assert_vnd_error(await api.patch(url, json={"op": "remove", "path": "/text"}), 400)
    assert_vnd_error(await api.delete(url), 400)
    assert any(t["id"] == tid for t in sb.threads_of(conv["id"]))
    assert (await api.delete(f"/v2/conversations/{conv['id']}/threads/1")).status_code == 404


def patch(
    api: httpx.AsyncClient, cid: int, body: object, ctype: str = "application/json"
) -> object:
    return api.patch(
        f"/v2/conversations/{cid}", content=json.dumps(body), headers={"Content-Type": ctype}
    )


async def test_conversation_patch_paths(sb: Sandbox, api: httpx.AsyncClient) -> None:
    conv = an_active(sb)
    cid = conv["id"]
    lines = len(sb.threads_of(cid))
    r = await patch(
        api,
        cid,
        {"op": "replace", "path": "/status", "value": "pending"},
        "application/json-patch+json",
    )
    assert r.status_code == 204 and r.content == b""
    assert sb.conversation(cid)["status"] == "pending"
    assert sb.threads_of(cid)[-1]["action"]["text"] == "Marked as Pending by Maya"
    assert len(sb.threads_of(cid)) == lines + 1
    await patch(api, cid, {"op": "replace", "path": "/assignTo", "value": sb.me_id + 1})
    assert sb.conversation(cid)["assignee"]["first"] == "Tomás"
    await patch(api, cid, {"op": "remove", "path": "/assignTo"})
    assert "assignee" not in sb.conversation(cid)
    await patch(api, cid, {"op": "move", "path": "/mailboxId", "value": 8402})
    assert sb.conversation(cid)["mailboxId"] == 8402
    await patch(api, cid, {"op": "replace", "path": "/mailboxId", "value": 8403})
    assert sb.conversation(cid)["mailboxId"] == 8403
    await patch(api, cid, {"op": "replace", "path": "/subject", "value": "Renamed"})
    assert sb.conversation(cid)["subject"] == "Renamed"
    other = sb.state["customers"][5]
    await patch(api, cid, {"op": "replace", "path": "/primaryCustomer.id", "value": other["id"]})
    assert sb.conversation(cid)["primaryCustomer"]["id"] == other["id"]
    await patch(api, cid, {"op": "replace", "path": "/status", "value": "closed"})
    assert sb.conversation(cid)["closedBy"] == sb.me_id


async def test_publish_draft(sb: Sandbox, api: httpx.AsyncClient) -> None:
    draft = next(c for c in sb.state["conversations"] if c["state"] == "draft")
    r = await patch(api, draft["id"], {"op": "replace", "path": "/draft", "value": False})
    assert r.status_code == 204
    assert sb.conversation(draft["id"])["state"] == "published"
    assert all(t["state"] == "published" for t in sb.threads_of(draft["id"]))


@pytest.mark.parametrize(
    "body",
    [
        [{"op": "replace", "path": "/status", "value": "closed"}],
        {"op": "replace", "path": "/status", "value": "done"},
        {"op": "replace", "path": "/assignTo", "value": 12345},
        {"op": "replace", "path": "/assignTo"},
        {"op": "add", "path": "/status", "value": "closed"},
        {"op": "replace", "path": "/color", "value": "red"},
        {"op": "copy", "path": "/subject", "value": "x"},
        {"op": "move", "path": "/mailboxId", "value": 1},
        {"op": "replace", "path": "/subject", "value": ""},
        {"op": "replace", "path": "/primaryCustomer.id", "value": 3},
    ],
)
async def test_conversation_patch_refusals(sb: Sandbox, api: httpx.AsyncClient, body) -> None:
    conv = an_active(sb)
    before = json.dumps(sb.conversation(conv["id"]), sort_keys=True)
    assert_vnd_error(await patch(api, conv["id"], body), 400)
    assert json.dumps(sb.conversation(conv["id"]), sort_keys=True) == before


async def test_patch_content_type_and_missing(sb: Sandbox, api: httpx.AsyncClient) -> None:
    conv = an_active(sb)
    body = {"op": "replace", "path": "/status", "value": "closed"}
    assert_vnd_error(await patch(api, conv["id"], body, "text/plain"), 415)
    assert (await patch(api, 99, body)).status_code == 404


async def test_tags_snooze_delete(sb: Sandbox, api: httpx.AsyncClient) -> None:
    conv = an_active(sb)
    cid = conv["id"]
    r = await api.put(f"/v2/conversations/{cid}/tags", json={"tags": ["vip", "Zebra", "VIP"]})
    assert r.status_code == 204
    assert [t["tag"] for t in sb.conversation(cid)["tags"]] == ["vip", "zebra"]
    await api.put(f"/v2/conversations/{cid}/tags", json={"tags": []})
    assert sb.conversation(cid)["tags"] == []
    assert_vnd_error(await api.put(f"/v2/conversations/{cid}/tags", json=["vip"]), 400, "tags")

    r = await api.put(
        f"/v2/conversations/{cid}/snooze",
        json={"snoozedUntil": "2026-03-03T09:00:00Z", "unsnoozeOnCustomerReply": True},
    )
    assert r.status_code == 204
    shown = (await api.get(f"/v2/conversations/{cid}")).json()
    assert shown["snooze"] == {
        "snoozedBy": sb.me_id,
        "snoozedUntil": "2026-03-03T09:00:00Z",
        "unsnoozeOnCustomerReply": True,
    }
    assert shown["nextEvent"]["eventType"] == "snooze"
    assert_vnd_error(
        await api.put(
            f"/v2/conversations/{cid}/snooze", json={"snoozedUntil": "2026-03-03T09:00:00.000Z"}
        ),
        400,
    )
    assert (await api.delete(f"/v2/conversations/{cid}/snooze")).status_code == 204
    assert "snooze" not in (await api.get(f"/v2/conversations/{cid}")).json()

    assert (await api.delete(f"/v2/conversations/{cid}")).status_code == 204
    assert (await api.get(f"/v2/conversations/{cid}")).status_code == 404
    assert (await api.delete(f"/v2/conversations/{cid}")).status_code == 404
    assert sb.threads_of(cid) == []
    assert not any(t["sandbox"]["conversationId"] == cid for t in sb.state["threads"])


async def test_assign_to_left_out_follows_the_inbox_default_and_null_keeps_it_unassigned(
    sb: Sandbox, api: httpx.AsyncClient
) -> None:
    box = sb.state["mailboxes"][0]["id"]
    sb.state["sandboxAutoAssign"] = {str(box): sb.me_id}
    base = {
        "subject": "Auto",
        "type": "email",
        "mailboxId": box,
        "status": "active",
        "customer": {"email": "auto@example.org"},
        "threads": [{"type": "customer", "text": "hi", "customer": {"email": "auto@example.org"}}],
    }
    left_out = await api.post("/v2/conversations", json=base)
    kept = await api.post("/v2/conversations", json={**base, "assignTo": None})
    assert left_out.status_code == kept.status_code == 201
    auto = sb.conversation(int(left_out.headers["Resource-ID"]))
    assert auto["assignee"]["id"] == sb.me_id  # the inbox's auto-assign decided
    assert sb.conversation(int(kept.headers["Resource-ID"])).get("assignee") is None
