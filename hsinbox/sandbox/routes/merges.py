"""Merged conversations: the merged-away id answers a GET with 301 to the survivor.

Writes to the old id answer 404 (it is no longer a conversation), as Help Scout does.
Other reads under the old id (threads, attachments) answer 404 too: the sandbox chooses
to redirect only ``GET /v2/conversations/{id}``, the one the docs name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import httpx

from hsinbox.sandbox.routes.tags import conversation_tags
from hsinbox.sandbox.util import ApiError, empty_response

if TYPE_CHECKING:
    from hsinbox.sandbox.routes.request import Req
    from hsinbox.sandbox.routes.router import Api


def survivor_of(api: Api, conversation_id: int) -> int | None:
    """Where a merged-away conversation went (following merges of merges), or None."""
    merged: dict[str, Any] = api.sb.state.get("merged", {})
    seen = set()
    target = None
    key = conversation_id
    while str(key) in merged and key not in seen:
        seen.add(key)
        key = merged[str(key)]["into"]
        target = key
    return target


def redirect(api: Api, req: Req) -> httpx.Response | None:
    """The 301 for a GET of a merged-away conversation, else None."""
    target = survivor_of(api, req.params["id"])
    if target is None or req.params["id"] in api.convs:
        return None
    query = f"?{urlencode(req.query)}" if req.query else ""
    return empty_response(301, {"Location": f"{req.origin}/v2/conversations/{target}{query}"})


def merge(api: Api, old_id: int, into_id: int) -> None:
    """Merge ``old_id`` into ``into_id``: its threads move over, its id now redirects."""
    if old_id == into_id:
        raise ApiError(400, "A conversation cannot be merged into itself")
    old = api.conv(old_id)
    new = api.conv(into_id)
    if old is None or new is None:
        raise ApiError(404, "Conversation not found")
    state = api.sb.state
    for t in state["threads"]:
        if t["sandbox"]["conversationId"] == old_id:
            t["sandbox"]["conversationId"] = into_id
    api.threads.setdefault(into_id, []).extend(api.threads.pop(old_id, []))
    state["conversations"] = [c for c in state["conversations"] if c["id"] != old_id]
    del api.convs[old_id]
    state.setdefault("merged", {})[str(old_id)] = {"into": into_id, "number": old["number"]}
    names = [t["tag"] for t in new["tags"]] + [t["tag"] for t in old["tags"]]
    new["tags"] = conversation_tags(api, names)
    api.touch(new)
