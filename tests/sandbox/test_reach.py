"""The reach endpoints: scheduled replies, organizations, customer properties, original
source, attachment state and real image bytes, strict where Help Scout is."""

from __future__ import annotations

import base64
from datetime import timedelta
from email import message_from_string
from typing import Any

import httpx

from hsinbox.sandbox import Sandbox
from hsinbox.sandbox.seed_reach import PHOTO_JPEG, SCREENSHOT_PNG
from hsinbox.sandbox.util import iso

from .conftest import NOW, an_active, assert_vnd_error

LATER = iso(NOW + timedelta(hours=20))


def an_email(sb: Sandbox) -> dict[str, Any]:
    """An active email conversation (it has customer threads)."""
    return an_active(sb, type="email")


async def _draft(sb: Sandbox, api: httpx.AsyncClient) -> tuple[dict[str, Any], int]:
    conv = an_email(sb)
    r = await api.post(
        f"/v2/conversations/{conv['id']}/reply",
        json={
            "text": "<p>Morning!</p>",
            "customer": {"id": conv["primaryCustomer"]["id"]},
            "draft": True,
        },
    )
    assert r.status_code == 201, r.text
    return conv, int(r.headers["Resource-ID"])


def _schedule_url(conv: dict[str, Any], tid: int) -> str:
    return f"/v2/conversations/{conv['id']}/threads/{tid}/schedule"


async def _thread(api: httpx.AsyncClient, conv: dict[str, Any], tid: int) -> dict[str, Any]:
    threads = (await api.get(f"/v2/conversations/{conv['id']}/threads")).json()
    return next(t for t in threads["_embedded"]["threads"] if t["id"] == tid)


async def test_schedule_a_draft_reply(sb: Sandbox, api: httpx.AsyncClient) -> None:
    conv, tid = await _draft(sb, api)
    r = await api.put(
        _schedule_url(conv, tid),
        json={"scheduledFor": LATER, "unscheduleOnCustomerReply": True},
    )
    assert r.status_code == 204, r.text
    thread = await _thread(api, conv, tid)
    assert thread["state"] == "draft"
    assert thread["scheduled"]["scheduledFor"] == LATER
    assert thread["scheduled"]["unscheduleOnCustomerReply"] is True
    assert thread["scheduled"]["scheduledBy"] == sb.me_id
    got = (await api.get(f"/v2/conversations/{conv['id']}")).json()
    assert got["nextEvent"]["eventType"] == "scheduled"
    assert got["nextEvent"]["time"] == LATER


async def test_schedule_is_strict(sb: Sandbox, api: httpx.AsyncClient) -> None:
    conv, tid = await _draft(sb, api)
    url = _schedule_url(conv, tid)
    assert_vnd_error(await api.put(url, json={}), 400, "scheduledFor")
    past = iso(NOW - timedelta(minutes=1))
    assert_vnd_error(await api.put(url, json={"scheduledFor": past}), 400, "scheduledFor")
    assert_vnd_error(
        await api.put(url, json={"scheduledFor": "2100-01-01T00:00:00Z"}), 400, "scheduledFor"
    )
    assert_vnd_error(
        await api.put(url, json={"scheduledFor": "2026-12-09 09:00"}), 400, "scheduledFor"
    )
    assert_vnd_error(
        await api.put(url, json={"scheduledFor": LATER, "unscheduleOnCustomerReply": "yes"}),
        400,
        "unscheduleOnCustomerReply",
    )
    # A published reply and a customer thread cannot be scheduled.
    threads = (await api.get(f"/v2/conversations/{conv['id']}/threads")).json()
    customer = next(t for t in threads["_embedded"]["threads"] if t["type"] == "customer")
    assert_vnd_error(
        await api.put(_schedule_url(conv, customer["id"]), json={"scheduledFor": LATER}), 400
    )
    assert_vnd_error(await api.put(_schedule_url(conv, 1), json={"scheduledFor": LATER}), 404)


async def test_publish_now_and_unschedule(sb: Sandbox, api: httpx.AsyncClient) -> None:
    conv, tid = await _draft(sb, api)
    url = _schedule_url(conv, tid)
    assert (await api.put(url, json={"scheduledFor": LATER})).status_code == 204
    assert (await api.delete(url)).status_code == 204
    thread = await _thread(api, conv, tid)
    assert thread["state"] == "draft" and "scheduled" not in thread
    assert "nextEvent" not in (await api.get(f"/v2/conversations/{conv['id']}")).json()
    # Publishing needs a schedule; with one, the reply is sent now.
    publish = {"op": "replace", "path": "/state", "value": "published"}
    assert_vnd_error(await api.patch(url, json=publish), 400)
    await api.put(url, json={"scheduledFor": LATER})
    bad = await api.patch(url, json={"op": "replace", "path": "/state", "value": "draft"})
    assert_vnd_error(bad, 400)
    assert (await api.patch(url, json=publish)).status_code == 204
    thread = await _thread(api, conv, tid)
    assert thread["state"] == "published" and "scheduled" not in thread
    assert (await api.patch(url, json=publish)).status_code == 204  # a retry: no change
    assert_vnd_error(await api.delete(url), 400)


async def test_customer_reply_cancels_when_asked(sb: Sandbox, api: httpx.AsyncClient) -> None:
    conv, tid = await _draft(sb, api)
    _, other = await _draft(sb, api)
    await api.put(
        _schedule_url(conv, tid), json={"scheduledFor": LATER, "unscheduleOnCustomerReply": True}
    )
    await api.put(_schedule_url(conv, other), json={"scheduledFor": LATER})
    r = await api.post(
        f"/v2/conversations/{conv['id']}/customer",
        json={"text": "Actually, never mind", "customer": {"id": conv["primaryCustomer"]["id"]}},
    )
    assert r.status_code == 201
    assert "scheduled" not in await _thread(api, conv, tid)
    assert (await _thread(api, conv, other))["scheduled"]["scheduledFor"] == LATER


async def test_a_due_reply_is_sent(sb: Sandbox, api: httpx.AsyncClient) -> None:
    conv, tid = await _draft(sb, api)
    await api.put(_schedule_url(conv, tid), json={"scheduledFor": LATER})
    sb.now = NOW + timedelta(days=1)
    thread = await _thread(api, conv, tid)
    assert thread["state"] == "published" and "scheduled" not in thread


async def test_organization_and_its_conversations(sb: Sandbox, api: httpx.AsyncClient) -> None:
    cid = sb.state["sandboxNotes"]["propertiesCustomer"]
    customer = (await api.get(f"/v2/customers/{cid}")).json()
    org_id = customer["organizationId"]
    assert customer["_links"]["organization"]["href"].endswith(f"/v2/organizations/{org_id}")
    org = (await api.get(f"/v2/organizations/{org_id}")).json()
    assert org["name"] == customer["organization"]
    assert org["website"].startswith("https://") and org["domains"]
    assert org["customerCount"] >= 1 and org["conversationCount"] >= 2
    page = (await api.get(f"/v2/organizations/{org_id}/conversations")).json()
    convs = page["_embedded"]["conversations"]
    assert page["page"]["totalElements"] == org["conversationCount"]
    assert [c["createdAt"] for c in convs] == sorted((c["createdAt"] for c in convs), reverse=True)
    members = (await api.get(f"/v2/organizations/{org_id}/customers")).json()
    assert cid in [c["id"] for c in members["_embedded"]["customers"]]
    assert_vnd_error(await api.get("/v2/organizations/1"), 404)


async def test_customer_properties(sb: Sandbox, api: httpx.AsyncClient) -> None:
    defs = (await api.get("/v2/customer-properties")).json()["_embedded"]["customer-properties"]
    assert {d["slug"]: d["type"] for d in defs}["plan"] == "dropdown"
    cid = sb.state["sandboxNotes"]["propertiesCustomer"]
    props = (await api.get(f"/v2/customers/{cid}")).json()["_embedded"]["properties"]
    assert {p["slug"]: p["text"] for p in props}["plan"] == "Team"
    url = f"/v2/customers/{cid}/properties"
    ok = [
        {"op": "replace", "path": "/plan", "value": "4"},
        {"op": "replace", "path": "/mrr", "value": 990},
        {"op": "remove", "path": "/account-id"},
    ]
    assert (await api.patch(url, json=ok)).status_code == 204
    props = (await api.get(f"/v2/customers/{cid}")).json()["_embedded"]["properties"]
    by_slug = {p["slug"]: p for p in props}
    assert by_slug["plan"]["text"] == "Enterprise" and by_slug["mrr"]["value"] == "990"
    assert "account-id" not in by_slug
    for bad, where in (
        ([{"op": "replace", "path": "/plan", "value": "99"}], "[0].value"),
        ([{"op": "replace", "path": "/mrr", "value": "lots"}], "[0].value"),
        ([{"op": "replace", "path": "/signup-date", "value": "12/09/2026"}], "[0].value"),
        ([{"op": "replace", "path": "/admin-url", "value": "javascript:x"}], "[0].value"),
        ([{"op": "replace", "path": "/nope", "value": "x"}], "[0].path"),
    ):
        assert_vnd_error(await api.patch(url, json=bad), 400, where)
    assert_vnd_error(await api.patch(url, json={"op": "replace"}), 400)


async def test_original_source_of_a_customer_thread(sb: Sandbox, api: httpx.AsyncClient) -> None:
    conv = an_email(sb)
    threads = (await api.get(f"/v2/conversations/{conv['id']}/threads")).json()
    customer = next(t for t in threads["_embedded"]["threads"] if t["type"] == "customer")
    url = f"/v2/conversations/{conv['id']}/threads/{customer['id']}/original-source"
    original = (await api.get(url)).json()["original"]
    message = message_from_string(original)
    assert message["Subject"] == conv["subject"]
    assert conv["primaryCustomer"]["email"] in message["From"]
    assert message["Message-ID"] and message.get_payload()
    raw = await api.get(url, headers={"Accept": "message/rfc822"})
    assert raw.headers["content-type"] == "message/rfc822"
    assert raw.text == original
    note = next(t for t in threads["_embedded"]["threads"] if t["type"] != "customer")
    bad = f"/v2/conversations/{conv['id']}/threads/{note['id']}/original-source"
    assert_vnd_error(await api.get(bad), 404)


async def test_images_have_real_bytes_and_a_flagged_file_is_refused(
    sb: Sandbox, api: httpx.AsyncClient
) -> None:
    notes = sb.state["sandboxNotes"]
    cid = notes["imageConversation"]
    threads = (await api.get(f"/v2/conversations/{cid}/threads")).json()["_embedded"]["threads"]
    atts = {a["filename"]: a for t in threads for a in t["_embedded"]["attachments"]}
    png, jpg, flagged = atts["error-dialog.png"], atts["desk-photo.jpg"], atts["invoice.png"]
    assert flagged["id"] == notes["flaggedAttachment"] and flagged["state"] != "valid"
    for att, blob in ((png, SCREENSHOT_PNG), (jpg, PHOTO_JPEG)):
        assert att["state"] == "valid"
        data = (await api.get(f"/v2/conversations/{cid}/attachments/{att['id']}/data")).json()
        assert base64.b64decode(data["data"]) == blob
    assert SCREENSHOT_PNG.startswith(b"\x89PNG") and PHOTO_JPEG.startswith(b"\xff\xd8")
    assert PHOTO_JPEG.endswith(b"\xff\xd9")
    refused = await api.get(f"/v2/conversations/{cid}/attachments/{flagged['id']}/data")
    assert_vnd_error(refused, 403)
