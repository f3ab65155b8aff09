"""Fixtures: a sandbox pinned to a fixed "now" and a raw httpx client signed in to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from testdata import NOW, SUPPORT

from hsinbox.sandbox import Sandbox

__all__ = ["NOW", "SUPPORT", "an_active", "assert_vnd_error", "sign_in"]


@pytest.fixture
def sb() -> Sandbox:
    return Sandbox(now=NOW)


async def sign_in(client: httpx.AsyncClient, sb: Sandbox) -> str:
    response = await client.post(
        "/v2/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": sb.app_id,
            "client_secret": sb.app_secret,
        },
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


@pytest.fixture
async def api(sb: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=sb.transport(), base_url="http://127.0.0.1") as c:
        c.headers["Authorization"] = f"Bearer {await sign_in(c, sb)}"
        yield c


def an_active(sb: Sandbox, mailbox: int = SUPPORT, **match: Any) -> dict[str, Any]:
    """A published, active seeded conversation (optionally matching more fields)."""
    for conv in sb.state["conversations"]:
        if (
            conv["mailboxId"] == mailbox
            and conv["status"] == "active"
            and conv["state"] == "published"
            and conv["primaryCustomer"]["email"]
            and all(conv.get(k) == v for k, v in match.items())
        ):
            return conv
    raise AssertionError("no such seeded conversation")


def assert_vnd_error(response: httpx.Response, status: int, path: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/vnd.error+json")
    body = response.json()
    assert body["message"] and body["logRef"]
    if path is not None:
        paths = [e["path"] for e in body["_embedded"]["errors"]]
        assert path in paths, paths
    return body
