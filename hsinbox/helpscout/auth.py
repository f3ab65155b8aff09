"""Signing in: app credentials, the OAuth token grants and the authorize URL (the browser's
callback listener is in ``callback``).

Token requests are form-urlencoded: every client that talks to Help Scout agrees that works,
while JSON bodies are reported to fail by some of them.
"""

from __future__ import annotations

import ipaddress
import logging
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from hsinbox import __version__
from hsinbox.helpscout.errors import (
    AuthError,
    InvalidResponse,
    NetworkError,
    RateLimited,
    ServerError,
    clean_detail,
    parse_error_body,
)
from hsinbox.helpscout.models import Token

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.helpscout.net"
DEFAULT_AUTHORIZE_URL = "https://secure.helpscout.net/authentication/authorizeClientApplication"
AUTHORIZE_PATH = "/authentication/authorizeClientApplication"
TOKEN_PATH = "/v2/oauth2/token"
DEFAULT_CALLBACK_PORT = 8765
USER_AGENT = f"hsinbox/{__version__}"


@dataclass(frozen=True)
class AppCredentials:
    """A Help Scout app's id and secret; the secret never shows in a repr."""

    app_id: str
    app_secret: str = field(repr=False)

    def __str__(self) -> str:
        return f"AppCredentials(app_id={self.app_id!r})"


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_base_url(url: str) -> str:
    """Return the API base without a trailing slash; refuse plain http to non-loopback hosts."""
    text = url.strip().rstrip("/")
    if text.endswith("/v2"):
        text = text[: -len("/v2")]
    parts = urlsplit(text)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        raise ValueError(f"The Help Scout API address {url!r} is not an http(s) URL.")
    if parts.scheme == "http" and not _is_loopback(host):
        raise ValueError(
            f"Refusing to send Help Scout credentials over plain http:// to {host}; "
            "use https:// (plain http is allowed only for 127.0.0.1, ::1 and localhost)."
        )
    return text


def api_base_from_env() -> str:
    """``HSINBOX_API_URL`` (validated) or the real Help Scout API."""
    return validate_base_url(os.environ.get("HSINBOX_API_URL") or DEFAULT_API_URL)


def authorize_url(
    app_id: str, state: str, redirect_uri: str | None = None, *, api_base: str | None = None
) -> str:
    """Where the browser goes to approve the app.

    ``HSINBOX_AUTHORIZE_URL`` wins; a non-default API base (the local sandbox) serves the page
    itself; otherwise it is Help Scout's secure site.
    """
    override = os.environ.get("HSINBOX_AUTHORIZE_URL")
    base = validate_base_url(api_base) if api_base else api_base_from_env()
    if override:
        endpoint = override
    elif base == DEFAULT_API_URL:
        endpoint = DEFAULT_AUTHORIZE_URL
    else:
        endpoint = base + AUTHORIZE_PATH
    params = {"client_id": app_id, "state": state}
    if redirect_uri:
        params["redirect_uri"] = redirect_uri
    sep = "&" if "?" in endpoint else "?"
    return f"{endpoint}{sep}{urlencode(params)}"


def token_from_payload(payload: Any, grant: str, now: datetime | None = None) -> Token:
    """Turn a token endpoint answer into a ``Token`` with an absolute expiry."""
    if not isinstance(payload, dict):
        raise InvalidResponse("the token answer was not a JSON object")
    access = payload.get("access_token")
    if not isinstance(access, str) or not access:
        raise InvalidResponse("the token answer had no access_token")
    token_type = payload.get("token_type", "bearer")
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        raise InvalidResponse(f"unexpected token type {clean_detail(token_type, 40)!r}")
    expires_in = payload.get("expires_in")
    expires_at = None
    if isinstance(expires_in, int | float) and not isinstance(expires_in, bool):
        expires_at = (now or datetime.now(UTC)) + timedelta(seconds=float(expires_in))
    refresh = payload.get("refresh_token")
    return Token(
        access_token=access,
        refresh_token=refresh if isinstance(refresh, str) and refresh else None,
        token_type="bearer",
        expires_at=expires_at,
        grant=grant,
    )


async def request_token(
    http: httpx.AsyncClient,
    base_url: str,
    form: dict[str, str],
    *,
    now: datetime | None = None,
) -> Token:
    """POST one grant to the token endpoint and parse the answer."""
    grant = form["grant_type"]
    try:
        response = await http.post(
            base_url + TOKEN_PATH,
            data=form,
            headers={"Accept": "application/json", "User-Agent": USER_AGENT},
        )
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        log.debug("sign-in transport error %s", type(exc).__name__)
        host = urlsplit(base_url).netloc
        raise NetworkError(f"the sign-in request to {host} failed") from None
    if response.status_code == 429:
        raise RateLimited("while signing in", status=429)
    if response.status_code >= 500:
        raise ServerError("while signing in", status=response.status_code)
    if response.status_code >= 400:
        message, errors, log_ref = parse_error_body(response)
        raise AuthError(
            message or f"HTTP {response.status_code}",
            status=response.status_code,
            errors=errors,
            log_ref=log_ref,
        )
    try:
        payload = response.json()
    except (ValueError, UnicodeDecodeError):
        raise InvalidResponse("the token answer was not JSON", status=200) from None
    return token_from_payload(payload, grant, now)


async def _with_http(
    form: dict[str, str],
    base_url: str | None,
    http: httpx.AsyncClient | None,
    transport: httpx.AsyncBaseTransport | None,
    now: datetime | None,
) -> Token:
    base = validate_base_url(base_url) if base_url else api_base_from_env()
    if http is not None:
        return await request_token(http, base, form, now=now)
    async with httpx.AsyncClient(transport=transport, timeout=30.0) as own:
        return await request_token(own, base, form, now=now)


async def client_credentials_grant(
    credentials: AppCredentials,
    *,
    base_url: str | None = None,
    http: httpx.AsyncClient | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    now: datetime | None = None,
) -> Token:
    form = {
        "grant_type": "client_credentials",
        "client_id": credentials.app_id,
        "client_secret": credentials.app_secret,
    }
    return await _with_http(form, base_url, http, transport, now)


async def authorization_code_grant(
    credentials: AppCredentials,
    code: str,
    redirect_uri: str,
    *,
    base_url: str | None = None,
    http: httpx.AsyncClient | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    now: datetime | None = None,
) -> Token:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": credentials.app_id,
        "client_secret": credentials.app_secret,
        "redirect_uri": redirect_uri,
    }
    return await _with_http(form, base_url, http, transport, now)


async def refresh_token_grant(
    credentials: AppCredentials,
    refresh_token: str,
    *,
    base_url: str | None = None,
    http: httpx.AsyncClient | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    now: datetime | None = None,
) -> Token:
    form = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": credentials.app_id,
        "client_secret": credentials.app_secret,
    }
    token = await _with_http(form, base_url, http, transport, now)
    if token.refresh_token is None:
        # Help Scout rotates refresh tokens; if one is not sent back the old one stays valid.
        token = token.model_copy(update={"refresh_token": refresh_token})
    return token


READY_TOKEN_GRANT = "access_token"
"""``Token.grant`` of an access token given as it is (``HSINBOX_TOKEN``, ``auth login
--token``): nothing can renew it, so a 401 means signing in again."""
READY_TOKEN_REFUSED = (
    "the access token was refused (expired or revoked); sign in again with "
    "`hsinbox auth login --token` or a fresh HSINBOX_TOKEN"
)


def ready_token(access_token: str) -> Token:
    """An access token obtained elsewhere; its expiry is unknown, so none is set."""
    text = access_token.strip()
    if text.lower().startswith("bearer "):
        text = text[len("bearer ") :].strip()
    if not text or any(c.isspace() for c in text):
        raise ValueError("That is not an access token: it is empty or has spaces in it.")
    return Token(access_token=text, grant=READY_TOKEN_GRANT)


__all__ = [
    "DEFAULT_API_URL",
    "READY_TOKEN_GRANT",
    "AppCredentials",
    "api_base_from_env",
    "authorization_code_grant",
    "authorize_url",
    "client_credentials_grant",
    "ready_token",
    "refresh_token_grant",
    "request_token",
    "token_from_payload",
    "validate_base_url",
]
