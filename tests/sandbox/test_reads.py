"""Read endpoints: shapes as in the fixtures, pagination, filters, search and strictness."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx

from hsinbox.sandbox import Sandbox

from .conftest import NOW, SUPPORT, an_active, assert_vnd_error


async def test_me_and_users(
    sb: Sandbox, api: httpx.AsyncClient, api_example: Callable[[str], Any]
) -> None:
    me = (await api.get("/v2/users/me")).json()
    expected = api_example("docs/users-me.json")
    assert me["id"] == sb.me_id and me["companyId"]
    assert "companyId" in expected and set(expected) <= set(me)
    users = (await api.get("/v2/users")).json()
    assert users["page"]["totalElements"] == 6
    assert all("firstName" in u and "sandbox" not in u for u in users["_embedded"]["users"])
    billing = (await api.get("/v2/users", params={"mailbox": 8402})).json()
    ids = {u["id"] for u in billing["_embedded"]["users"]}
    assert sb.me_id in ids and len(ids) < 6
    one = await api.get(f"/v2/users/{sb.me_id + 1}")
    assert one.json()["firstName"] == "Tomás"
    assert (await api.get("/v2/users/1")).status_code == 404


async def test_mailboxes_folders_fields(sb: Sandbox, api: httpx.AsyncClient) -> None:
    boxes = (await api.get("/v2/mailboxes")).json()["_embedded"]["mailboxes"]
    assert [b["name"] for b in boxes] == ["Support", "Billing", "Partnerships"]
    assert set(boxes[0]["_links"]) == {"self", "folders", "fields"}
    one = (await api.get(f"/v2/mailboxes/{SUPPORT}")).json()
    assert one["name"] == "Support" and one["email"].startswith("support@")
    assert (await api.get("/v2/mailboxes/1")).status_code == 404
    folders = (await api.get(f"/v2/mailboxes/{SUPPORT}/folders")).json()["_embedded"]["folders"]
    names = [f["name"] for f in folders]
    assert names == [
        "Unassigned",
        "Mine",
        "Assigned",
        "Drafts",
        "Needs Attention",
        "Closed",
        "Spam",
        "VIP",
    ]
    assert set(folders[0]) == {
        "id",
        "name",
        "type",
        "userId",
        "totalCount",
        "activeCount",
        "updatedAt",
    }
    all_ids = []
    for box in boxes:
        fs = (await api.get(f"/v2/mailboxes/{box['id']}/folders")).json()["_embedded"]
        all_ids += [f["id"] for f in fs["folders"]]
    assert len(all_ids) == len(set(all_ids)) == 24
    fields = (await api.get(f"/v2/mailboxes/{SUPPORT}/fields")).json()["_embedded"]["fields"]
    assert fields[0]["type"] == "dropdown" and fields[0]["options"]


async def test_folder_counts_follow_status_changes(sb: Sandbox, api: httpx.AsyncClient) -> None:
    async def counts() -> dict[str, tuple[int, int]]:
        body = (await api.get(f"/v2/mailboxes/{SUPPORT}/folders")).json()
        return {
            f["type"]: (f["activeCount"], f["totalCount"]) for f in body["_embedded"]["folders"]
        }

    conv = next(
        c
        for c in sb.state["conversations"]
        if c["mailboxId"] == SUPPORT
        and c["status"] == "active"
        and c["state"] == "published"
        and not c.get("assignee")
    )
    before = await counts()
    r = await api.patch(
        f"/v2/conversations/{conv['id']}",
        json={"op": "replace", "path": "/status", "value": "closed"},
    )
    assert r.status_code == 204
    after = await counts()
    assert after["unassigned"] == (before["unassigned"][0] - 1, before["unassigned"][1] - 1)
    assert after["closed"] == (0, before["closed"][1] + 1)
    await api.patch(
        f"/v2/conversations/{conv['id']}",
        json={"op": "replace", "path": "/assignTo", "value": sb.me_id},
    )
    await api.patch(
        f"/v2/conversations/{conv['id']}",
        json={"op": "replace", "path": "/status", "value": "pending"},
    )
    pending = await counts()
    assert pending["mine"] == (before["mine"][0], before["mine"][1] + 1)
    assert pending["unassigned"] == after["unassigned"]
    await api.delete(f"/v2/conversations/{conv['id']}")
    assert (await counts())["mine"] == before["mine"]


async def test_tags_alphabetical_with_live_counts(sb: Sandbox, api: httpx.AsyncClient) -> None:
    tags = (await api.get("/v2/tags")).json()["_embedded"]["tags"]
    names = [t["name"] for t in tags]
    assert names == sorted(names) and len(names) == 15
    assert set(tags[0]) >= {"id", "slug", "name", "color", "createdAt", "ticketCount"}
    assert all(t["color"].isalpha() for t in tags)
    conv = an_active(sb)
    await api.put(f"/v2/conversations/{conv['id']}/tags", json={"tags": ["Brand New"]})
    tags2 = {t["name"]: t for t in (await api.get("/v2/tags")).json()["_embedded"]["tags"]}
    assert tags2["brand new"]["ticketCount"] == 1 and tags2["brand new"]["slug"] == "brand-new"


async def test_conversation_list_pages(sb: Sandbox, api: httpx.AsyncClient) -> None:
    first = (await api.get("/v2/conversations", params={"status": "all"})).json()
    total = len([c for c in sb.state["conversations"] if c["state"] == "published"])
    assert first["page"] == {
        "size": 25,
        "totalElements": total,
        "totalPages": -(-total // 25),
        "number": 1,
    }
    assert len(first["_embedded"]["conversations"]) == 25
    links = first["_links"]
    assert "previous" not in links and "status=all" in links["next"]["href"]
    assert links["page"]["templated"] is True
    last_n = first["page"]["totalPages"]
    last = (await api.get("/v2/conversations", params={"status": "all", "page": last_n})).json()
    assert "next" not in last["_links"] and "previous" in last["_links"]
    beyond = (await api.get("/v2/conversations", params={"status": "all", "page": 99})).json()
    assert "_embedded" not in beyond and beyond["page"]["number"] == 99
    assert_vnd_error(await api.get("/v2/conversations", params={"page": 0}), 400, "page")
    ids: set[int] = set()
    for n in range(1, last_n + 1):
        page = (await api.get("/v2/conversations", params={"status": "all", "page": n})).json()
        ids |= {c["id"] for c in page["_embedded"]["conversations"]}
    assert len(ids) == total


async def test_conversation_shape(sb: Sandbox, api: httpx.AsyncClient) -> None:
    body = (await api.get("/v2/conversations")).json()
    conv = body["_embedded"]["conversations"][0]
    assert isinstance(conv["threads"], int)
    assert "modifiedAt" not in conv and "sandbox" not in conv
    assert set(conv["primaryCustomer"]) >= {"id", "first", "last", "email"}
    for tag in conv["tags"]:
        assert set(tag) == {"id", "tag", "color"} and tag["color"].startswith("#")
    assert conv["customerWaitingSince"]["friendly"].endswith("ago")
    assert conv["_links"]["self"]["href"] == f"http://127.0.0.1/v2/conversations/{conv['id']}"
    created = [c["createdAt"] for c in body["_embedded"]["conversations"]]
    assert created == sorted(created, reverse=True)
    assert all(c["status"] == "active" for c in body["_embedded"]["conversations"])


async def test_list_filters(sb: Sandbox, api: httpx.AsyncClient) -> None:
    async def ids(**params: str) -> set[int]:
        out: set[int] = set()
        page = 1
        while True:
            r = await api.get("/v2/conversations", params={**params, "page": str(page)})
            assert r.status_code == 200, r.text
            body = r.json()
            out |= {c["id"] for c in body.get("_embedded", {}).get("conversations", [])}
            if page >= body["page"]["totalPages"]:
                return out
            page += 1

    state = [c for c in sb.state["conversations"] if c["state"] == "published"]
    assert await ids(status="pending") == {c["id"] for c in state if c["status"] == "pending"}
    assert await ids(status="open") == {
        c["id"] for c in state if c["status"] in ("active", "pending")
    }
    assert await ids(status="all", mailbox="8402,8403") == {
        c["id"] for c in state if c["mailboxId"] in (8402, 8403)
    }
    assert await ids(status="all", tag="vip,refund") == {
        c["id"] for c in state if {"vip", "refund"} & {t["tag"] for t in c["tags"]}
    }
    assert await ids(status="all", assigned_to=str(sb.me_id)) == {
        c["id"] for c in state if (c.get("assignee") or {}).get("id") == sb.me_id
    }
    some = state[5]
    assert await ids(status="all", number=str(some["number"])) == {some["id"]}
    drafts = await ids(folder="2204")
    assert drafts and drafts == {
        c["id"]
        for c in sb.state["conversations"]
        if c["state"] == "draft" and c["mailboxId"] == SUPPORT
    }
    vip = await ids(folder="2208", status="all")
    assert vip == {
        c["id"]
        for c in state
        if c["mailboxId"] == SUPPORT
        and c["status"] != "spam"
        and "vip" in {t["tag"] for t in c["tags"]}
    }
    closed_default = await ids(folder="2206")
    assert closed_default == set()


async def test_list_strictness(api: httpx.AsyncClient) -> None:
    for params, path in [
        ({"status": "weird"}, "status"),
        ({"sortField": "color"}, "sortField"),
        ({"sortOrder": "up"}, "sortOrder"),
        ({"mailbox": "abc"}, "mailbox"),
        ({"folder": "1"}, "folder"),
        ({"query": '(subject:"x"'}, "query"),
        ({"query": 'colour:"red"'}, "query"),
        ({"modifiedSince": "2026-11-01T00:00:00.000Z"}, "modifiedSince"),
        ({"modifiedSince": "2026-11-01"}, "modifiedSince"),
    ]:
        body = assert_vnd_error(await api.get("/v2/conversations", params=params), 400, path)
        if path == "modifiedSince":
            assert "Malformed date" in body["_embedded"]["errors"][0]["message"]


async def test_modified_since_and_sort(sb: Sandbox, api: httpx.AsyncClient) -> None:
    conv = an_active(sb)
    sb.now = NOW + timedelta(hours=1)
    await api.put(f"/v2/conversations/{conv['id']}/tags", json={"tags": ["vip"]})
    r = await api.get(
        "/v2/conversations", params={"status": "all", "modifiedSince": "2026-03-02T12:30:00Z"}
    )
    assert [c["id"] for c in r.json()["_embedded"]["conversations"]] == [conv["id"]]
    by_mod = (
        await api.get(
            "/v2/conversations",
            params={"status": "all", "sortField": "modifiedAt", "sortOrder": "desc"},
        )
    ).json()
    assert by_mod["_embedded"]["conversations"][0]["id"] == conv["id"]
    by_number = (
        await api.get(
            "/v2/conversations", params={"status": "all", "sortField": "number", "sortOrder": "asc"}
        )
    ).json()
    numbers = [c["number"] for c in by_number["_embedded"]["conversations"]]
    assert numbers == sorted(numbers)
    for field in ("subject", "customerName", "customerEmail", "waitingSince", "status"):
        r = await api.get("/v2/conversations", params={"status": "all", "sortField": field})
        assert r.status_code == 200


async def test_search_query(sb: Sandbox, api: httpx.AsyncClient) -> None:
    async def subjects(query: str) -> list[str]:
        r = await api.get("/v2/conversations", params={"status": "all", "query": query})
        assert r.status_code == 200, r.text
        return [c["subject"] for c in r.json().get("_embedded", {}).get("conversations", [])]

    assert set(await subjects('subject:"charged twice"')) == {"Charged twice this month"}
    assert set(await subjects("CHARGED")) >= {"Charged twice this month"}
    both = await subjects('(subject:"dark mode" OR subject:"vat invoice") AND NOT tag:"vip"')
    assert set(both) <= {"Feature request: dark mode", "Need a VAT invoice"} and both
    assert await subjects('body:"1Z999AA10123456784"')
    assert set(await subjects('email:"mallory@hostile.example"')) == {
        "\x1b[31mURGENT\x1b[0m refund \x1b]0;pwned\x07now"
    }
    some = sb.state["conversations"][7]
    assert len(await subjects(f'number:"{some["number"]}"')) == 1
    assert await subjects('subject:"no such subject anywhere"') == []
    recent = await subjects("createdAt:[2026-03-02T11:00:00Z TO *]")
    expected = [
        c["subject"]
        for c in sb.state["conversations"]
        if c["createdAt"] >= "2026-03-02T11:00:00Z"
        and c["status"] in ("active", "pending", "closed", "spam")
        and c["state"] == "published"
    ]
    assert recent and sorted(recent) == sorted(expected)
    bad = await api.get("/v2/conversations", params={"query": "createdAt:[yesterday TO *]"})
    assert_vnd_error(bad, 400, "query")


async def test_get_conversation_and_threads(sb: Sandbox, api: httpx.AsyncClient) -> None:
    conv = max(sb.state["conversations"], key=lambda c: len(sb.threads_of(c["id"])))
    plain = (await api.get(f"/v2/conversations/{conv['id']}")).json()
    assert "_embedded" not in plain and plain["threads"] == len(sb.threads_of(conv["id"]))
    full = (await api.get(f"/v2/conversations/{conv['id']}", params={"embed": "threads"})).json()
    assert len(full["_embedded"]["threads"]) == plain["threads"]
    listed = (await api.get(f"/v2/conversations/{conv['id']}/threads")).json()
    threads = listed["_embedded"]["threads"]
    stamps = [(t["createdAt"], t["id"]) for t in threads]
    assert stamps == sorted(stamps, reverse=True)
    assert listed["page"]["size"] == 50
    assert (await api.get("/v2/conversations/123")).status_code == 404


async def test_seed_has_every_kind_of_thread(sb: Sandbox) -> None:
    kinds = {t["type"] for t in sb.state["threads"]}
    assert {
        "customer",
        "message",
        "note",
        "lineitem",
        "forwardparent",
        "forwardchild",
        "beaconchat",
        "chat",
        "phone",
    } <= kinds
    assert any(t["state"] == "draft" and t["type"] == "message" for t in sb.state["threads"])
    assert any(t["_embedded"]["attachments"] for t in sb.state["threads"])
    lineitems = [t["action"]["text"] for t in sb.state["threads"] if t["type"] == "lineitem"]
    assert any(text.startswith("Marked as Pending by") for text in lineitems)
    statuses = {c["status"] for c in sb.state["conversations"]}
    assert statuses == {"active", "pending", "closed", "spam"}
    assert {c["type"] for c in sb.state["conversations"]} == {"email", "chat", "phone"}
    assert 140 <= len(sb.state["conversations"]) <= 170
    bodies = "".join(t["body"] or "" for t in sb.state["threads"])
    for marker in (
        "<ul>",
        "<ol>",
        "<a href",
        "<blockquote>",
        "gmail_quote",
        "<strong>",
        "<em>",
        "<br>",
        "\x1b]52;c;",
        "[bold red]not bold[/]",
        "[link=http://evil]x[/link]",
        "\u200f",
        "🙏",
    ):
        assert marker in bodies, marker
    assert any(t["body"] is None and t["type"] == "customer" for t in sb.state["threads"])
    assert max(len(t["body"] or "") for t in sb.state["threads"]) >= 300_000
    assert any(c["firstName"] is None and c["lastName"] is None for c in sb.state["customers"])


async def test_seed_is_deterministic_and_relative_to_now() -> None:
    a = Sandbox(now=NOW).state
    b = Sandbox(now=NOW).state
    later = Sandbox(now=NOW + timedelta(days=1)).state
    assert a == b
    assert a["conversations"][0]["subject"] == later["conversations"][0]["subject"]
    assert a["conversations"][0]["createdAt"] != later["conversations"][0]["createdAt"]


async def test_hostile_conversations_show_on_first_page(api: httpx.AsyncClient) -> None:
    body = (await api.get("/v2/conversations", params={"mailbox": str(SUPPORT)})).json()
    subjects = [c["subject"] for c in body["_embedded"]["conversations"]]
    assert any("\x1b[31m" in s for s in subjects)
    assert any("[bold red]" in s for s in subjects)
    assert any("\u200f" in s for s in subjects)
