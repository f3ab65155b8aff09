"""The agent-day endpoints: saved replies, custom fields, snooze, workflows, attachments,
customer history and merged conversations, strict where Help Scout is."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import httpx

from hsinbox.sandbox import Sandbox
from hsinbox.sandbox.seed_agent_day import LOG_BYTES, PNG_BYTES

from .conftest import NOW, SUPPORT, an_active, assert_vnd_error

BILLING = 8402


async def test_saved_replies_list_and_get(sb: Sandbox, api: httpx.AsyncClient) -> None:
    listed = (await api.get(f"/v2/mailboxes/{SUPPORT}/saved-replies")).json()
    assert isinstance(listed, list) and len(listed) == 4
    assert {"id", "name", "preview"} <= set(listed[0])
    one = (await api.get(f"/v2/mailboxes/{SUPPORT}/saved-replies/{listed[0]['id']}")).json()
    assert one["name"] == "Greeting"
    assert "{%customer.firstName,fallback=there%}" in one["text"]
    assert one["text"].startswith("<p>")
    other = (await api.get(f"/v2/mailboxes/{BILLING}/saved-replies")).json()[0]["id"]
    missing = await api.get(f"/v2/mailboxes/{SUPPORT}/saved-replies/{other}")
    assert_vnd_error(missing, 404)


async def test_support_fields_seeded(api: httpx.AsyncClient) -> None:
    fields = (await api.get(f"/v2/mailboxes/{SUPPORT}/fields")).json()["_embedded"]["fields"]
    by_type = {f["type"]: f for f in fields}
    assert set(by_type) == {"dropdown", "date", "number", "singleline"}
    assert by_type["dropdown"]["required"] is True
    assert [f["order"] for f in fields] == sorted(f["order"] for f in fields)


async def test_put_fields_replaces_the_whole_set(sb: Sandbox, api: httpx.AsyncClient) -> None:
    conv = an_active(sb)
    fields = (await api.get(f"/v2/mailboxes/{SUPPORT}/fields")).json()["_embedded"]["fields"]
    by_type = {f["type"]: f for f in fields}
    option = by_type["dropdown"]["options"][1]
    body = {
        "fields": [
            {"id": by_type["dropdown"]["id"], "value": option["id"]},
            {"id": by_type["date"]["id"], "value": "2026-11-20"},
            {"id": by_type["number"]["id"], "value": "4521"},
        ]
    }
    r = await api.put(f"/v2/conversations/{conv['id']}/fields", json=body)
    assert r.status_code == 204, r.text
    shown = (await api.get(f"/v2/conversations/{conv['id']}")).json()["customFields"]
    assert [(f["id"], f["value"], f["text"]) for f in shown] == [
        (by_type["dropdown"]["id"], str(option["id"]), option["label"]),
        (by_type["date"]["id"], "2026-11-20", "2026-11-20"),
        (by_type["number"]["id"], "4521", "4521"),
    ]
    # Leaving a field out removes it: the PUT is a full replacement.
    r = await api.put(
        f"/v2/conversations/{conv['id']}/fields",
        json={"fields": [{"id": by_type["number"]["id"], "value": "7"}]},
    )
    assert r.status_code == 204
    assert [f["id"] for f in sb.conversation(conv["id"])["customFields"]] == [
        by_type["number"]["id"]
    ]


async def test_put_fields_is_strict(sb: Sandbox, api: httpx.AsyncClient) -> None:
    conv = an_active(sb)
    before = list(sb.conversation(conv["id"])["customFields"])
    fields = (await api.get(f"/v2/mailboxes/{SUPPORT}/fields")).json()["_embedded"]["fields"]
    by_type = {f["type"]: f for f in fields}
    url = f"/v2/conversations/{conv['id']}/fields"
    cases = [
        ({"id": by_type["dropdown"]["id"], "value": "Growth"}, "fields[0].value"),
        ({"id": by_type["date"]["id"], "value": "20/11/2026"}, "fields[0].value"),
        ({"id": by_type["date"]["id"], "value": "2026-02-30"}, "fields[0].value"),
        ({"id": by_type["number"]["id"], "value": "twelve"}, "fields[0].value"),
        ({"id": 602, "value": "x"}, "fields[0].id"),  # a field of another mailbox
    ]
    for item, path in cases:
        assert_vnd_error(await api.put(url, json={"fields": [item]}), 400, path)
    assert_vnd_error(await api.put(url, json={}), 400, "fields")
    assert sb.conversation(conv["id"])["customFields"] == before


def stamp(moment: datetime) -> str:
    """Help Scout's UTC form, relative to the sandbox's clock (not a date that ages)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def test_snooze_limits(sb: Sandbox, api: httpx.AsyncClient) -> None:
    conv = an_active(sb)
    url = f"/v2/conversations/{conv['id']}/snooze"
    past = {"snoozedUntil": stamp(NOW - timedelta(hours=1)), "unsnoozeOnCustomerReply": True}
    assert_vnd_error(await api.put(url, json=past), 400, "snoozedUntil")
    late = {"snoozedUntil": "2100-01-02T00:00:00Z", "unsnoozeOnCustomerReply": True}
    assert_vnd_error(await api.put(url, json=late), 400, "snoozedUntil")
    assert "snooze" not in sb.conversation(conv["id"])
    ok = {"snoozedUntil": stamp(NOW + timedelta(hours=21)), "unsnoozeOnCustomerReply": False}
    assert (await api.put(url, json=ok)).status_code == 204
    listed = await api.get("/v2/conversations", params={"query": f"(id:{conv['id']})"})
    assert listed.json()["_embedded"]["conversations"][0]["snooze"]["snoozedUntil"] == (
        stamp(NOW + timedelta(hours=21))
    )


async def test_workflows_list_filters(api: httpx.AsyncClient) -> None:
    r = await api.get("/v2/workflows", params={"mailboxId": SUPPORT, "type": "manual"})
    flows = r.json()["_embedded"]["workflows"]
    assert len(flows) == 2 and {f["type"] for f in flows} == {"manual"}
    assert {f["mailboxId"] for f in flows} == {SUPPORT}
    assert r.json()["page"]["totalElements"] == 2
    every = (await api.get("/v2/workflows", params={"mailboxId": SUPPORT})).json()
    assert sorted(f["type"] for f in every["_embedded"]["workflows"]) == [
        "automatic",
        "manual",
        "manual",
    ]
    assert_vnd_error(await api.get("/v2/workflows", params={"type": "nope"}), 400, "type")


async def _flows(api: httpx.AsyncClient, mailbox: int = SUPPORT) -> dict[str, dict]:
    r = await api.get("/v2/workflows", params={"mailboxId": mailbox})
    return {f["name"]: f for f in r.json()["_embedded"]["workflows"]}


async def test_workflow_run_effects(sb: Sandbox, api: httpx.AsyncClient) -> None:
    flows = await _flows(api)
    convs = [c for c in sb.state["conversations"] if c["mailboxId"] == SUPPORT][:3]
    ids = [c["id"] for c in convs]
    r = await api.post(
        f"/v2/workflows/{flows['Escalate to tier 2']['id']}/run", json={"conversationIds": ids}
    )
    assert r.status_code == 204, r.text
    for cid in ids:
        assert "escalated" in [t["tag"] for t in sb.conversation(cid)["tags"]]
        assert sb.threads_of(cid)[-1]["action"]["text"] == "Workflow Escalate to tier 2 ran"
    r = await api.post(
        f"/v2/workflows/{flows['Hand over to Priya and wait']['id']}/run",
        json={"conversationIds": ids[:1]},
    )
    assert r.status_code == 204
    conv = sb.conversation(ids[0])
    assert conv["assignee"]["first"] == "Priya" and conv["status"] == "pending"


async def test_workflow_run_is_strict(sb: Sandbox, api: httpx.AsyncClient) -> None:
    flows = await _flows(api)
    manual = flows["Escalate to tier 2"]["id"]
    support = [c["id"] for c in sb.state["conversations"] if c["mailboxId"] == SUPPORT]
    billing = next(c["id"] for c in sb.state["conversations"] if c["mailboxId"] == BILLING)
    before = sb.snapshot()["conversations"]
    url = f"/v2/workflows/{manual}/run"
    assert_vnd_error(await api.post(url, json={"conversationIds": support[:51]}), 400)
    assert_vnd_error(
        await api.post(url, json={"conversationIds": [support[0], billing]}),
        400,
        "conversationIds[1]",
    )
    assert_vnd_error(await api.post(url, json={"conversationIds": []}), 400)
    auto = flows["Close stale pending"]["id"]
    assert_vnd_error(
        await api.post(f"/v2/workflows/{auto}/run", json={"conversationIds": support[:1]}), 400
    )
    assert_vnd_error(
        await api.post("/v2/workflows/1/run", json={"conversationIds": support[:1]}), 404
    )
    assert sb.state["conversations"] == before
    ok = await api.post(url, json={"conversationIds": support[:50]})
    assert ok.status_code == 204


async def test_attachment_data_is_real(sb: Sandbox, api: httpx.AsyncClient) -> None:
    cid = sb.state["sandboxNotes"]["attachmentConversation"]
    threads = (await api.get(f"/v2/conversations/{cid}/threads")).json()["_embedded"]["threads"]
    atts = {a["filename"]: a for t in threads for a in t["_embedded"]["attachments"]}
    png = atts["screenshot.png"]
    assert png["size"] == len(PNG_BYTES) and png["_links"]["data"]["href"].endswith("/data")
    r = await api.get(f"/v2/conversations/{cid}/attachments/{png['id']}/data")
    assert base64.b64decode(r.json()["data"]) == PNG_BYTES
    assert PNG_BYTES.startswith(b"\x89PNG")
    log = atts["sync.log"]
    r = await api.get(f"/v2/conversations/{cid}/attachments/{log['id']}/data")
    assert base64.b64decode(r.json()["data"]) == LOG_BYTES
    assert_vnd_error(await api.get(f"/v2/conversations/{cid}/attachments/1/data"), 404)


async def test_reply_and_note_carry_attachments(sb: Sandbox, api: httpx.AsyncClient) -> None:
    conv = an_active(sb)
    blob = b"hello log\n"
    att = {"fileName": "a.txt", "mimeType": "text/plain", "data": base64.b64encode(blob).decode()}
    r = await api.post(
        f"/v2/conversations/{conv['id']}/reply",
        json={
            "text": "see file",
            "customer": {"id": conv["primaryCustomer"]["id"]},
            "attachments": [att, {**att, "fileName": "b.txt"}],
        },
    )
    assert r.status_code == 201, r.text
    thread = sb.threads_of(conv["id"])[-1]
    assert [a["filename"] for a in thread["_embedded"]["attachments"]] == ["a.txt", "b.txt"]
    aid = thread["_embedded"]["attachments"][0]["id"]
    data = (await api.get(f"/v2/conversations/{conv['id']}/attachments/{aid}/data")).json()
    assert base64.b64decode(data["data"]) == blob
    r = await api.post(
        f"/v2/conversations/{conv['id']}/notes", json={"text": "n", "attachments": [att]}
    )
    assert r.status_code == 201
    assert sb.threads_of(conv["id"])[-1]["_embedded"]["attachments"][0]["size"] == len(blob)


async def test_attachment_uploads_are_checked(sb: Sandbox, api: httpx.AsyncClient) -> None:
    conv = an_active(sb)
    count = len(sb.threads_of(conv["id"]))
    url = f"/v2/conversations/{conv['id']}/notes"
    bad = {"fileName": "a.txt", "mimeType": "text/plain", "data": "not base64!"}
    assert_vnd_error(
        await api.post(url, json={"text": "n", "attachments": [bad]}), 400, "attachments[0].data"
    )
    big = base64.b64encode(b"\0" * (10 * 1024 * 1024 + 1)).decode()
    assert_vnd_error(
        await api.post(url, json={"text": "n", "attachments": [{**bad, "data": big}]}),
        400,
        "attachments[0].data",
    )
    assert_vnd_error(
        await api.post(url, json={"text": "n", "attachments": [{"data": "aGk="}]}),
        400,
        "attachments[0].fileName",
    )
    assert len(sb.threads_of(conv["id"])) == count


async def test_customer_history(sb: Sandbox, api: httpx.AsyncClient) -> None:
    customer = sb.state["sandboxNotes"]["historyCustomer"]
    r = await api.get(
        "/v2/conversations",
        params={"query": f"(customerIds:{customer})", "status": "all", "sortField": "createdAt"},
    )
    convs = r.json()["_embedded"]["conversations"]
    assert len(convs) >= 3
    assert {c["primaryCustomer"]["id"] for c in convs} == {customer}
    assert len({c["status"] for c in convs}) >= 2
    assert [c["createdAt"] for c in convs] == sorted((c["createdAt"] for c in convs), reverse=True)


async def test_merged_pair_redirects_reads_and_refuses_writes(
    sb: Sandbox, api: httpx.AsyncClient
) -> None:
    old, new = sb.state["sandboxNotes"]["mergedPair"]
    r = await api.get(f"/v2/conversations/{old}", params={"embed": "threads"})
    assert r.status_code == 301
    assert r.headers["location"] == f"http://127.0.0.1/v2/conversations/{new}?embed=threads"
    followed = await api.get(f"/v2/conversations/{old}", follow_redirects=True)
    assert followed.json()["id"] == new
    assert_vnd_error(
        await api.patch(
            f"/v2/conversations/{old}", json={"op": "replace", "path": "/status", "value": "closed"}
        ),
        404,
    )
    assert_vnd_error(await api.post(f"/v2/conversations/{old}/notes", json={"text": "x"}), 404)


async def test_merge_moves_threads_and_redirects(sb: Sandbox, api: httpx.AsyncClient) -> None:
    a = an_active(sb)
    b = next(
        c
        for c in sb.state["conversations"]
        if c["mailboxId"] == SUPPORT and c["id"] != a["id"] and c["status"] == "active"
    )
    moved = len(sb.threads_of(a["id"]))
    had = len(sb.threads_of(b["id"]))
    sb.merge(a["id"], b["id"])
    assert len(sb.threads_of(b["id"])) == had + moved
    r = await api.get(f"/v2/conversations/{a['id']}")
    assert r.status_code == 301 and r.headers["location"].endswith(f"/{b['id']}")
    listed = await api.get(
        "/v2/conversations", params={"status": "all", "query": f"(id:{a['id']})"}
    )
    assert "_embedded" not in listed.json()


async def test_subject_patch_exists(sb: Sandbox, api: httpx.AsyncClient) -> None:
    conv = an_active(sb)
    r = await api.patch(
        f"/v2/conversations/{conv['id']}",
        json={"op": "replace", "path": "/subject", "value": "New subject"},
    )
    assert r.status_code == 204
    assert sb.conversation(conv["id"])["subject"] == "New subject"


async def test_seeded_snooze_and_fields_show_and_a_past_snooze_wakes(
    sb: Sandbox, api: httpx.AsyncClient
) -> None:
    cid = sb.state["sandboxNotes"]["snoozedConversation"]
    shown = (await api.get(f"/v2/conversations/{cid}")).json()
    assert shown["snooze"]["snoozedUntil"] > stamp(NOW)
    assert [f["name"] for f in shown["customFields"]] == [
        "Plan",
        "Ticket date",
        "Order number",
        "Product version",
    ]
    sb.now = NOW + timedelta(days=5)
    later = (await api.get(f"/v2/conversations/{cid}")).json()
    assert "snooze" not in later and "nextEvent" not in later


async def test_a_hostile_attachment_name_is_served_as_is(sb: Sandbox, api: httpx.AsyncClient):
    cid = sb.state["sandboxNotes"]["attachmentConversation"]
    threads = (await api.get(f"/v2/conversations/{cid}/threads")).json()["_embedded"]["threads"]
    names = [a["filename"] for t in threads for a in t["_embedded"]["attachments"]]
    assert "../../.bashrc\x1b[31m" in names


async def test_merge_over_the_control_endpoint(sb: Sandbox, api: httpx.AsyncClient) -> None:
    a = an_active(sb)
    b = next(
        c for c in sb.state["conversations"] if c["id"] != a["id"] and c["mailboxId"] == SUPPORT
    )
    r = await api.post("/_sandbox/merge", json={"from": a["id"], "into": b["id"]})
    assert r.status_code == 204
    assert (await api.get(f"/v2/conversations/{a['id']}")).status_code == 301
    again = await api.post("/_sandbox/merge", json={"from": a["id"], "into": b["id"]})
    assert again.status_code == 404
    assert (await api.post("/_sandbox/merge", json={"from": "x"})).status_code == 400
