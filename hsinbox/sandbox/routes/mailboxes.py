"""Mailboxes with their folders (membership computed live) and custom fields."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from hsinbox.sandbox.routes.checks import found
from hsinbox.sandbox.routes.request import Req, Route
from hsinbox.sandbox.routes.responses import page_response
from hsinbox.sandbox.util import json_response

if TYPE_CHECKING:
    from hsinbox.sandbox.routes.router import Api


def render_mailbox(req: Req, mbox: dict[str, Any]) -> dict[str, Any]:
    base = f"{req.origin}/v2/mailboxes/{mbox['id']}"
    return {
        **mbox,
        "_links": {
            "fields": {"href": f"{base}/fields"},
            "folders": {"href": f"{base}/folders"},
            "self": {"href": base},
        },
    }


def _mailbox(api: Api, req: Req) -> dict[str, Any]:
    return found(api.mailboxes, req.params["id"], "Mailbox")


def list_mailboxes(api: Api, req: Req) -> httpx.Response:
    items = [render_mailbox(req, m) for m in api.mailboxes.values()]
    return page_response(req, items, "mailboxes")


def get_mailbox(api: Api, req: Req) -> httpx.Response:
    return json_response(200, render_mailbox(req, _mailbox(api, req)))


def in_folder(conv: dict[str, Any], folder: dict[str, Any]) -> bool:
    """Folder membership, computed live from a conversation's state."""
    if conv["mailboxId"] != folder["sandbox"]["mailboxId"]:
        return False
    kind = folder["type"]
    if kind == "drafts":
        return conv["state"] == "draft"
    if conv["state"] != "published":
        return False
    status = conv["status"]
    open_ = status in ("active", "pending")
    assignee = conv.get("assignee")
    if kind == "unassigned":
        return open_ and not assignee
    if kind == "mine":
        return open_ and bool(assignee) and assignee["id"] == folder["userId"]
    if kind == "assigned":
        return open_ and bool(assignee)
    if kind == "needsattention":
        return open_ and bool(conv["sandbox"].get("needsAttention"))
    if kind == "closed":
        return status == "closed"
    if kind == "spam":
        return status == "spam"
    tag = folder["sandbox"].get("tag")
    return status != "spam" and any(t["tag"] == tag for t in conv["tags"])


def folder_id_of(api: Api, conv: dict[str, Any]) -> int | None:
    """The folder a conversation shows up in first (its ``folderId``)."""
    folders = [f for f in api.folders.values() if f["sandbox"]["mailboxId"] == conv["mailboxId"]]
    by_type = {f["type"]: f for f in folders}
    assignee = conv.get("assignee")
    if conv["state"] == "draft":
        kind = "drafts"
    elif conv["status"] in ("spam", "closed"):
        kind = conv["status"]
    elif assignee and by_type.get("mine", {}).get("userId") == assignee["id"]:
        kind = "mine"
    elif assignee:
        kind = "assigned"
    else:
        kind = "unassigned"
    folder = by_type.get(kind)
    return folder["id"] if folder else None


def list_folders(api: Api, req: Req) -> httpx.Response:
    mbox = _mailbox(api, req)
    memo = (api.sb.generation, ("folders", mbox["id"])) if api.sb.memo_lists else None
    if memo is not None and memo in api.list_memo:
        # Load tests: Help Scout keeps folder counts; this fake counts by scanning every
        # conversation, which a benchmark must not measure as the app's cost.
        return page_response(req, api.list_memo[memo], "folders")
    convs = [c for c in api.convs.values() if c["mailboxId"] == mbox["id"]]
    block = api.block
    items = []
    for folder in api.folders.values():
        if folder["sandbox"]["mailboxId"] != mbox["id"]:
            continue
        members = [c for c in convs if in_folder(c, folder)]
        total = len(members)
        active = sum(1 for c in members if c["status"] == "active")
        if block is not None:
            # A synthetic row's membership is its template's: count residue classes.
            total += block.live_count(block.residues(lambda c, f=folder: in_folder(c, f)))
            active += block.live_count(
                block.residues(lambda c, f=folder: c["status"] == "active" and in_folder(c, f))
            )
        items.append(
            {
                "id": folder["id"],
                "name": folder["name"],
                "type": folder["type"],
                "userId": folder["userId"],
                "totalCount": total,
                "activeCount": active,
                "updatedAt": folder["updatedAt"],
            }
        )
    if memo is not None:
        api.list_memo[memo] = items
    return page_response(req, items, "folders")


def list_fields(api: Api, req: Req) -> httpx.Response:
    mbox = _mailbox(api, req)
    items = [
        {k: v for k, v in f.items() if k != "sandbox"}
        for f in api.sb.state["fields"]
        if f["sandbox"]["mailboxId"] == mbox["id"]
    ]
    return page_response(req, items, "fields")


ROUTES = [
    Route("GET", r"/v2/mailboxes", list_mailboxes),
    Route("GET", r"/v2/mailboxes/(?P<id>\d+)", get_mailbox),
    Route("GET", r"/v2/mailboxes/(?P<id>\d+)/folders", list_folders),
    Route("GET", r"/v2/mailboxes/(?P<id>\d+)/fields", list_fields),
]
