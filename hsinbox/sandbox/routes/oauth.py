"""OAuth: the token endpoint (three grants) and the authorize redirect that hands out codes."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from hsinbox.sandbox.routes.request import Req, Route
from hsinbox.sandbox.util import PLAIN_JSON, ApiError, FieldProblem, iso, json_response

if TYPE_CHECKING:
    from hsinbox.sandbox.routes.router import Api

DEFAULT_REDIRECT = "http://127.0.0.1:8765/callback"
GRANTS = ("client_credentials", "authorization_code", "refresh_token")


def _oauth_answer(status: int, body: dict[str, object]) -> httpx.Response:
    return json_response(status, body, PLAIN_JSON, {"Cache-Control": "no-store"})


def _oauth_error(status: int, error: str, description: str) -> httpx.Response:
    return _oauth_answer(status, {"error": error, "error_description": description})


def token(api: Api, req: Req) -> httpx.Response:
    sb = api.sb
    ctype = req.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        raise ApiError(
            400,
            "Unsupported Content-Type: the token endpoint takes application/x-www-form-urlencoded",
            [
                FieldProblem(
                    "Content-Type",
                    "must be application/x-www-form-urlencoded",
                    ctype or None,
                    "Invalid",
                    "HEADER",
                )
            ],
        )
    try:
        form = dict(parse_qsl(req.body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        return _oauth_error(400, "invalid_request", "Malformed form body")
    grant = form.get("grant_type", "")
    if grant not in GRANTS:
        return _oauth_error(
            400, "unsupported_grant_type", f"Unsupported grant type: {grant or 'none'}"
        )
    client_id = form.get("client_id", "")
    client_secret = form.get("client_secret", "")
    if not client_id or not client_secret:
        return _oauth_error(400, "invalid_request", "client_id and client_secret are required")
    if not (
        secrets.compare_digest(client_id, sb.app_id)
        and secrets.compare_digest(client_secret, sb.app_secret)
    ):
        return _oauth_error(401, "invalid_client", "Bad client credentials")
    auth = sb.state["auth"]
    if grant == "client_credentials":
        body = sb.issue_token(sb.me_id, refresh=False, grant=grant)
    elif grant == "authorization_code":
        code = form.get("code", "")
        entry = auth["codes"].pop(code, None) if code else None
        if entry is not None:
            sb.mark_dirty(data=False)
        if entry is None or entry["expiresAt"] <= api.now:
            return _oauth_error(400, "invalid_grant", "Invalid authorization code")
        if entry.get("redirectUri") and form.get("redirect_uri") != entry["redirectUri"]:
            return _oauth_error(400, "invalid_grant", "Redirect URI mismatch")
        body = sb.issue_token(entry["userId"], refresh=True, grant=grant)
    else:
        refresh = form.get("refresh_token", "")
        entry = auth["refresh"].pop(refresh, None) if refresh else None
        if entry is None:
            return _oauth_error(400, "invalid_grant", "Invalid refresh token")
        body = sb.issue_token(entry["userId"], refresh=True, grant=grant)
    return _oauth_answer(200, body)


def authorize(api: Api, req: Req) -> httpx.Response:
    """Sign in as the sandbox's own user at once and redirect back with a code."""
    sb = api.sb
    client_id = req.query.get("client_id", "")
    if not client_id or not secrets.compare_digest(client_id, sb.app_id):
        raise ApiError(400, "Unknown client_id")
    redirect = req.query.get("redirect_uri")
    parts = urlsplit(redirect or DEFAULT_REDIRECT)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ApiError(400, "Invalid redirect_uri")
    code = f"sbx-code-{secrets.token_hex(12)}"
    sb.state["auth"]["codes"][code] = {
        "userId": sb.me_id,
        "redirectUri": redirect,
        "expiresAt": iso(sb.now + timedelta(minutes=10)),
    }
    sb.mark_dirty(data=False)
    params = parse_qsl(parts.query, keep_blank_values=True)
    params.append(("code", code))
    if "state" in req.query:
        params.append(("state", req.query["state"]))
    location = urlunsplit(parts._replace(query=urlencode(params)))
    return httpx.Response(302, headers={"Location": location}, content=b"")


ROUTES = [
    Route("POST", r"/v2/oauth2/token", token, auth=False),
    Route("GET", r"/authentication/authorizeClientApplication", authorize, auth=False),
]
