"""Users: the signed-in user, one user, and the list filtered by mailbox or email."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from hsinbox.sandbox.routes.checks import found, int_param
from hsinbox.sandbox.routes.request import Req, Route
from hsinbox.sandbox.routes.responses import page_response
from hsinbox.sandbox.util import json_response

if TYPE_CHECKING:
    from hsinbox.sandbox.routes.router import Api


def render_user(req: Req, user: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in user.items() if k != "sandbox"}
    out["_links"] = {"self": {"href": f"{req.origin}/v2/users/{user['id']}"}}
    return out


def first_name(api: Api, uid: int) -> str:
    """How line items name a user ("Marked as Closed by Maya")."""
    u = api.users.get(uid)
    if not u:
        return f"user {uid}"
    return u["firstName"] or u["email"] or f"user {uid}"


def get_me(api: Api, req: Req) -> httpx.Response:
    out = render_user(req, api.users[req.user_id])
    links = out.pop("_links")
    out["companyId"] = api.sb.state["companyId"]
    out["_links"] = links
    return json_response(200, out)


def get_user(api: Api, req: Req) -> httpx.Response:
    user = found(api.users, req.params["id"], "User")
    return json_response(200, render_user(req, user))


def list_users(api: Api, req: Req) -> httpx.Response:
    users = list(api.users.values())
    mailbox = int_param(req.query, "mailbox")
    if mailbox is not None:
        users = [u for u in users if mailbox in u["sandbox"]["mailboxes"]]
    email = req.query.get("email")
    if email:
        users = [u for u in users if u["email"].lower() == email.lower()]
    return page_response(req, [render_user(req, u) for u in users], "users")


ROUTES = [
    Route("GET", r"/v2/users/me", get_me),
    Route("GET", r"/v2/users", list_users),
    Route("GET", r"/v2/users/(?P<id>\d+)", get_user),
]
