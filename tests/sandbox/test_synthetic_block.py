"""The lazy synthetic block answers exactly as the same conversations stored as dicts.

Two sandboxes with the same clock: one stores 300 synthetic conversations as dicts (the path
every route has always scanned), the other keeps them as a lazy block (counted, generated
per row). Every answer compared here is the whole JSON body. Then writes to block rows stick,
the block persists as its parameters, and a million cost no stored conversation.
"""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path
from typing import Any

import httpx
import pytest
from testdata import NOW, SUPPORT

from hsinbox.sandbox import Sandbox
from hsinbox.sandbox.seed import add_synthetic_conversations

COUNT = 300


class Raw:
    """A signed-in raw client of one sandbox, through its synchronous core."""

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        token = sb.issue_token(sb.me_id, refresh=False, grant="client_credentials")
        self.auth = {"Authorization": f"Bearer {token['access_token']}"}

    def send(self, method: str, path: str, body: Any = None, **params: str) -> httpx.Response:
        request = httpx.Request(
            method, f"http://127.0.0.1{path}", params=params, json=body, headers=self.auth
        )
        return self.sb.handle(request)

    def get(self, path: str, **params: str) -> Any:
        response = self.send("GET", path, **params)
        assert response.status_code == 200, response.text
        return response.json()

    def write(self, method: str, path: str, body: Any = None) -> None:
        response = self.send(method, path, body)
        assert response.status_code in (201, 204), response.text


def sandbox(*, lazy: bool, count: int = COUNT, mailbox_id: int | None = SUPPORT) -> Sandbox:
    sb = Sandbox(now=NOW)
    add_synthetic_conversations(sb.state, count, mailbox_id=mailbox_id, lazy=lazy)
    sb.api.reindex()
    return sb


@pytest.fixture
def pair() -> tuple[Raw, Raw]:
    """(stored, lazy): the same help desk, the synthetic rows as dicts and as a block."""
    return Raw(sandbox(lazy=False)), Raw(sandbox(lazy=True))


def block_ids(raw: Raw) -> list[int]:
    block = raw.sb.api.block
    assert block is not None
    return [block.id_of(n) for n in range(block.count)]


SORTS = [
    {},
    {"sortField": "createdAt", "sortOrder": "asc"},
    {"sortField": "modifiedAt", "sortOrder": "desc"},
    {"sortField": "waitingSince", "sortOrder": "asc"},
    {"sortField": "number", "sortOrder": "desc"},
    {"sortField": "number", "sortOrder": "asc"},
    {"sortField": "customerName", "sortOrder": "asc"},
    {"sortField": "status", "sortOrder": "desc"},
    {"sortField": "subject", "sortOrder": "asc"},  # not the block's: every row is scanned
]
FILTERS = [
    {},
    {"status": "all"},
    {"status": "open", "mailbox": str(SUPPORT)},
    {"status": "closed"},
    {"status": "pending"},
    {"modifiedSince": "2026-02-10T00:00:00Z"},
    {"tag": "vip,bug"},
    {"status": "open", "assigned_to": "431001", "embed": "threads"},
    {"query": "login"},  # bare words read the subject: every row is scanned
]


def folder_ids(raw: Raw, mailbox: int = SUPPORT) -> list[int]:
    return [f["id"] for f in raw.sb.state["folders"] if f["sandbox"]["mailboxId"] == mailbox]


def assert_lists_equal(stored: Raw, lazy: Raw, queries: list[dict[str, str]]) -> None:
    for query in queries:
        first = stored.get("/v2/conversations", **query)
        pages = max(first["page"]["totalPages"], 1)
        for page in sorted({1, 2, pages // 2 + 1, pages, pages + 1}):
            params = {**query, "page": str(page)}
            assert lazy.get("/v2/conversations", **params) == stored.get(
                "/v2/conversations", **params
            ), params


def template_query(raw: Raw) -> dict[str, str]:
    """A search on template fields only (the block answers it without a scan)."""
    block = raw.sb.api.block
    assert block is not None
    customer = block.templates[3]["primaryCustomer"]["id"]
    return {"status": "all", "query": f"(customerIds:{customer} OR tag:refund)"}


def every_list(lazy: Raw) -> list[dict[str, str]]:
    folders = [{"folder": str(f), "status": "all"} for f in folder_ids(lazy)]
    filters = [*FILTERS, template_query(lazy)]
    return [{**f, **s} for f in filters for s in SORTS] + [
        {**f, **s} for f in folders for s in SORTS[:3]
    ]


def counting(raw: Raw) -> list[int]:
    """The block rows materialized from now on, one entry each."""
    block = raw.sb.api.block
    assert block is not None
    made: list[int] = []
    original = block.conversation

    def conversation(n: int) -> dict[str, Any]:
        made.append(n)
        return original(n)

    block.conversation = conversation  # type: ignore[method-assign]
    return made


def test_list_pages_equal_the_stored_conversations_pages(pair: tuple[Raw, Raw]) -> None:
    stored, lazy = pair
    assert len(lazy.sb.state["conversations"]) == len(stored.sb.state["conversations"]) - COUNT
    assert_lists_equal(stored, lazy, every_list(lazy))
    number = stored.sb.api.convs[block_ids(lazy)[140]]["number"]
    assert_lists_equal(stored, lazy, [{"number": str(number)}, {"number": "1"}])
    # The searches find block rows; one on template fields materializes only its page.
    made = counting(lazy)
    found = lazy.get("/v2/conversations", **template_query(lazy))
    rows = [c["id"] for c in found["_embedded"]["conversations"] if c["id"] in block_ids(lazy)]
    assert len(rows) >= 4 and len(made) == len(rows)
    words = lazy.get("/v2/conversations", query="login")["page"]["totalElements"]
    assert words > COUNT // 100 and len(made) > COUNT, "bare words scan every row"


def test_folder_counts_tags_and_single_reads_equal(pair: tuple[Raw, Raw]) -> None:
    stored, lazy = pair
    for mailbox in stored.sb.state["mailboxes"]:
        path = f"/v2/mailboxes/{mailbox['id']}/folders"
        assert lazy.get(path) == stored.get(path)
    assert lazy.get("/v2/tags") == stored.get("/v2/tags")
    ids = block_ids(lazy)
    for cid in [*ids[::23], ids[-1]]:
        path = f"/v2/conversations/{cid}"
        assert lazy.get(path, embed="threads") == stored.get(path, embed="threads")
        assert lazy.get(path + "/threads") == stored.get(path + "/threads")
    for missing in (ids[-1] + 37, ids[0] + 1):
        assert lazy.send("GET", f"/v2/conversations/{missing}").status_code == 404
    assert len(lazy.sb.state["conversations"]) == len(stored.sb.state["conversations"]) - COUNT


def test_writes_to_block_rows_stick_and_show_in_lists(pair: tuple[Raw, Raw]) -> None:
    stored, lazy = pair
    ids = block_ids(lazy)
    seeded = len(lazy.sb.state["conversations"])
    customer = stored.sb.api.convs[ids[7]]["primaryCustomer"]["id"]
    me = stored.sb.me_id
    rename = [{"op": "replace", "path": "/lastName", "value": "Renamed"}]
    writes: list[tuple[str, str, Any]] = [
        ("PATCH", f"/{ids[3]}", {"op": "replace", "path": "/status", "value": "closed"}),
        ("PATCH", f"/{ids[250]}", {"op": "replace", "path": "/assignTo", "value": me}),
        ("PUT", f"/{ids[120]}/tags", {"tags": ["urgent", "vip"]}),
        ("POST", f"/{ids[121]}/notes", {"text": "looked at it", "status": "pending"}),
        ("DELETE", f"/{ids[200]}", None),
    ]
    for method, path, body in writes:
        stored.write(method, f"/v2/conversations{path}", body)
        lazy.write(method, f"/v2/conversations{path}", body)
    stored.write("PATCH", f"/v2/customers/{customer}", rename)
    lazy.write("PATCH", f"/v2/customers/{customer}", rename)
    stored.sb.merge(ids[40], ids[41])
    lazy.sb.merge(ids[40], ids[41])
    # The rows written to are stored now; the rest of the block is still only counted.
    kept = {c["id"] for c in lazy.sb.state["conversations"][seeded:]}
    assert kept == {ids[3], ids[250], ids[120], ids[121], ids[41]}
    assert lazy.sb.conversation(ids[3])["status"] == "closed"
    assert lazy.send("GET", f"/v2/conversations/{ids[200]}").status_code == 404
    assert lazy.send("GET", f"/v2/conversations/{ids[40]}").status_code == 301
    assert_lists_equal(stored, lazy, every_list(lazy))
    for cid in (ids[3], ids[7], ids[41], ids[121], ids[122]):
        path = f"/v2/conversations/{cid}"
        assert lazy.get(path, embed="threads") == stored.get(path, embed="threads")
    for mailbox in stored.sb.state["mailboxes"]:
        path = f"/v2/mailboxes/{mailbox['id']}/folders"
        assert lazy.get(path) == stored.get(path)
    assert lazy.get("/v2/tags") == stored.get("/v2/tags")


def test_a_block_over_every_mailbox_persists_as_its_parameters(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    lazy = Raw(Sandbox(now=NOW, state_path=path, extra_conversations=COUNT))
    stored = Raw(sandbox(lazy=False, mailbox_id=None))
    ids = block_ids(lazy)
    body = {"op": "replace", "path": "/status", "value": "pending"}
    lazy.write("PATCH", f"/v2/conversations/{ids[5]}", body)
    stored.write("PATCH", f"/v2/conversations/{ids[5]}", body)
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert len(saved["conversations"]) == len(stored.sb.state["conversations"]) - COUNT + 1
    assert saved["synthetic"]["count"] == COUNT and saved["synthetic"]["taken"] == [5]
    again = Raw(Sandbox(now=NOW, state_path=path))
    assert again.sb.conversation(ids[5])["status"] == "pending"
    queries = [
        {"mailbox": str(m["id"]), **s} for m in stored.sb.state["mailboxes"] for s in SORTS[:5]
    ]
    assert_lists_equal(stored, again, [{"status": "all"}, *queries])
    for mailbox in stored.sb.state["mailboxes"]:
        folders = f"/v2/mailboxes/{mailbox['id']}/folders"
        assert again.get(folders) == stored.get(folders)


def test_a_million_are_built_without_a_conversation_dict() -> None:
    sb = Sandbox(now=NOW)
    stored = len(sb.state["conversations"])
    tracemalloc.start()
    try:
        add_synthetic_conversations(sb.state, 1_000_000, mailbox_id=SUPPORT, lazy=True)
        sb.api.reindex()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20, f"building a million took {peak / 2**20:.1f} MiB"
    raw = Raw(sb)
    made = counting(raw)
    first = raw.get("/v2/conversations", status="all")
    published = sum(1 for c in sb.state["conversations"] if c["state"] == "published")
    assert first["page"]["totalElements"] == published + 1_000_000
    last = raw.get("/v2/conversations", status="all", page=str(first["page"]["totalPages"]))
    oldest = last["_embedded"]["conversations"][-1]
    assert sb.api.block is not None and oldest["id"] == sb.api.block.id_of(999_999)
    assert raw.get(f"/v2/conversations/{oldest['id']}/threads")["_embedded"]["threads"]
    folders = raw.get(f"/v2/mailboxes/{SUPPORT}/folders")["_embedded"]["folders"]
    counts = {f["type"]: f["totalCount"] for f in folders}
    assert counts["closed"] > 100_000 and counts["unassigned"] > 100_000
    raw.get("/v2/conversations", **template_query(raw), page="30000")
    raw.get("/v2/tags")
    # Two pages, a search and a GET made rows; the counts made none but the templates'.
    assert len(made) <= 3 * 25 + 1 + len(sb.api.block.templates)
    assert len(sb.state["conversations"]) == len(sb.api.convs) == stored


def test_one_lazy_block_a_state() -> None:
    sb = sandbox(lazy=True, count=10)
    with pytest.raises(ValueError, match="one lazy block"):
        add_synthetic_conversations(sb.state, 10, lazy=True)
