"""Saved replies: a mailbox's list (a bare JSON array, as Help Scout answers) and one reply."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from hsinbox.sandbox.routes.checks import found
from hsinbox.sandbox.routes.request import Req, Route
from hsinbox.sandbox.util import ApiError, html_to_preview, json_response

if TYPE_CHECKING:
    from hsinbox.sandbox.routes.router import Api


def _replies(api: Api, req: Req) -> list[dict[str, Any]]:
    mbox = found(api.mailboxes, req.params["id"], "Mailbox")
    return [r for r in api.sb.state.get("savedReplies", []) if r["mailboxId"] == mbox["id"]]


def list_saved_replies(api: Api, req: Req) -> httpx.Response:
    items = [
        {
            "id": r["id"],
            "name": r["name"],
            "preview": html_to_preview(r["text"], 100),
            "chatPreview": None,
        }
        for r in _replies(api, req)
    ]
    return json_response(200, items)


def get_saved_reply(api: Api, req: Req) -> httpx.Response:
    for r in _replies(api, req):
        if r["id"] == req.params["rid"]:
            return json_response(
                200, {"id": r["id"], "name": r["name"], "text": r["text"], "chatText": None}
            )
    raise ApiError(404, "Saved reply not found")


ROUTES = [
    Route("GET", r"/v2/mailboxes/(?P<id>\d+)/saved-replies", list_saved_replies),
    Route("GET", r"/v2/mailboxes/(?P<id>\d+)/saved-replies/(?P<rid>\d+)", get_saved_reply),
]
