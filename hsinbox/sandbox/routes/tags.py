"""Tags: the list with ticket counts, and the find-or-create every tagging goes through."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from hsinbox.sandbox.routes.request import Req, Route
from hsinbox.sandbox.routes.responses import page_response
from hsinbox.sandbox.util import slugify

if TYPE_CHECKING:
    from hsinbox.sandbox.routes.router import Api


def tag_named(api: Api, name: str) -> dict[str, Any]:
    """The tag called ``name`` (case-insensitive), created when unknown."""
    key = name.strip().lower()
    for tag in api.sb.state["tags"]:
        if tag["name"].lower() == key:
            return tag
    tag = {
        "id": api.next_id("tag"),
        "slug": slugify(key),
        "name": key,
        "color": "grey",
        "createdAt": api.now,
        "sandbox": {"hex": "#929499"},
    }
    api.sb.state["tags"].append(tag)
    return tag


def conversation_tags(api: Api, names: list[str]) -> list[dict[str, Any]]:
    """The tag refs a conversation stores for ``names``, each tag once, in order."""
    refs: list[dict[str, Any]] = []
    for name in names:
        tag = tag_named(api, name)
        if all(r["id"] != tag["id"] for r in refs):
            refs.append({"id": tag["id"], "color": tag["sandbox"]["hex"], "tag": tag["name"]})
    return refs


def list_tags(api: Api, req: Req) -> httpx.Response:
    memo = (api.sb.generation, ("tags",)) if api.sb.memo_lists else None
    if memo is not None and memo in api.list_memo:
        return page_response(req, api.list_memo[memo], "tags")  # load tests: see list_folders
    counts: dict[int, int] = {}
    for conv in api.convs.values():
        for t in conv["tags"]:
            counts[t["id"]] = counts.get(t["id"], 0) + 1
    block = api.block
    if block is not None:
        # A synthetic row's tags are its template's: count each residue class once.
        for r, conv in enumerate(block.representatives()):
            rows = block.live_count([r])
            for t in conv["tags"]:
                counts[t["id"]] = counts.get(t["id"], 0) + rows
    tags = sorted(api.sb.state["tags"], key=lambda t: (t["name"].lower(), t["id"]))
    items = []
    for tag in tags:
        item = {k: v for k, v in tag.items() if k != "sandbox"}
        item["ticketCount"] = counts.get(tag["id"], 0)
        items.append(item)
    if memo is not None:
        api.list_memo[memo] = items
    return page_response(req, items, "tags")


ROUTES = [Route("GET", r"/v2/tags", list_tags)]
