"""The token endpoint, the authorize redirect, bearer checks and rate-limit headers."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx

from hsinbox.sandbox import Sandbox

from .conftest import NOW, assert_vnd_error, sign_in


def client(sb: Sandbox) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=sb.transport(), base_url="http://127.0.0.1")


async def authorize(c: httpx.AsyncClient, sb: Sandbox, **extra: str) -> dict[str, list[str]]:
    response = await c.get(
        "/authentication/authorizeClientApplication",
        params={"client_id": sb.app_id, "state": "xyz", **extra},
    )
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    return {
        "target": [f"{location.scheme}://{location.netloc}{location.path}"],
        **parse_qs(location.query),
    }


async def test_client_credentials_shape(sb: Sandbox) -> None:
    async with client(sb) as c:
        r = await c.post(
            "/v2/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": sb.app_id,
                "client_secret": sb.app_secret,
            },
        )
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"token_type", "access_token", "expires_in"}
    assert body["token_type"] == "bearer" and body["expires_in"] == 172800


async def test_json_token_body_is_refused(sb: Sandbox) -> None:
    async with client(sb) as c:
        r = await c.post(
            "/v2/oauth2/token",
            json={
                "grant_type": "client_credentials",
                "client_id": sb.app_id,
                "client_secret": sb.app_secret,
            },
        )
    assert_vnd_error(r, 400)
    assert sb.state["auth"]["access"] == {}


async def test_wrong_secret_is_invalid_client(sb: Sandbox) -> None:
    async with client(sb) as c:
        r = await c.post(
            "/v2/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": sb.app_id,
                "client_secret": "nope",
            },
        )
        unknown = await c.post(
            "/v2/oauth2/token",
            data={"grant_type": "password", "client_id": sb.app_id, "client_secret": sb.app_secret},
        )
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    assert "nope" not in r.text
    assert unknown.status_code == 400 and unknown.json()["error"] == "unsupported_grant_type"


async def test_code_flow_single_use_and_redirect_check(sb: Sandbox) -> None:
    redirect = "http://127.0.0.1:9999/cb"
    async with client(sb) as c:
        q = await authorize(c, sb, redirect_uri=redirect)
        assert q["target"] == [redirect] and q["state"] == ["xyz"]
        code = q["code"][0]
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": sb.app_id,
            "client_secret": sb.app_secret,
        }
        mismatch = await c.post("/v2/oauth2/token", data={**form, "redirect_uri": "http://x/"})
        assert mismatch.status_code == 400 and mismatch.json()["error"] == "invalid_grant"
        # The failed attempt used the code up, as a real authorization server would.
        q = await authorize(c, sb, redirect_uri=redirect)
        form["code"] = q["code"][0]
        ok = await c.post("/v2/oauth2/token", data={**form, "redirect_uri": redirect})
        assert ok.status_code == 200
        assert ok.json()["refresh_token"] and ok.json()["expires_in"] == 172800
        again = await c.post("/v2/oauth2/token", data={**form, "redirect_uri": redirect})
        assert again.status_code == 400
        me = await c.get(
            "/v2/users/me", headers={"Authorization": f"Bearer {ok.json()['access_token']}"}
        )
        assert me.json()["id"] == sb.me_id


async def test_authorize_defaults_to_loopback_callback(sb: Sandbox) -> None:
    async with client(sb) as c:
        q = await authorize(c, sb)
        assert q["target"] == ["http://127.0.0.1:8765/callback"]
        r = await c.get(
            "/authentication/authorizeClientApplication", params={"client_id": "someone-else"}
        )
        assert r.status_code == 400


async def test_refresh_rotates(sb: Sandbox) -> None:
    async with client(sb) as c:
        q = await authorize(c, sb)
        first = (
            await c.post(
                "/v2/oauth2/token",
                data={
                    "grant_type": "authorization_code",
                    "code": q["code"][0],
                    "client_id": sb.app_id,
                    "client_secret": sb.app_secret,
                },
            )
        ).json()
        form = {
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
            "client_id": sb.app_id,
            "client_secret": sb.app_secret,
        }
        second = await c.post("/v2/oauth2/token", data=form)
        assert second.status_code == 200
        assert second.json()["refresh_token"] != first["refresh_token"]
        reused = await c.post("/v2/oauth2/token", data=form)
        assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"


async def test_bearer_required_and_expiry(sb: Sandbox) -> None:
    async with client(sb) as c:
        missing = await c.get("/v2/users/me")
        assert missing.status_code == 401 and missing.json()["message"]
        bogus = await c.get("/v2/users/me", headers={"Authorization": "Bearer bogus"})
        assert bogus.status_code == 401
        token = await sign_in(c, sb)
        auth = {"Authorization": f"Bearer {token}"}
        assert (await c.get("/v2/users/me", headers=auth)).status_code == 200
        sb.now = NOW + timedelta(seconds=172800)
        assert (await c.get("/v2/users/me", headers=auth)).status_code == 401


async def test_expire_tokens_keeps_refresh_tokens(sb: Sandbox) -> None:
    async with client(sb) as c:
        q = await authorize(c, sb)
        tokens = (
            await c.post(
                "/v2/oauth2/token",
                data={
                    "grant_type": "authorization_code",
                    "code": q["code"][0],
                    "client_id": sb.app_id,
                    "client_secret": sb.app_secret,
                },
            )
        ).json()
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        sb.faults.expire_tokens()
        assert (await c.get("/v2/users/me", headers=auth)).status_code == 401
        renewed = await c.post(
            "/v2/oauth2/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": tokens["refresh_token"],
                "client_id": sb.app_id,
                "client_secret": sb.app_secret,
            },
        )
        assert renewed.status_code == 200


async def test_rate_limit_headers_count_writes_double(sb: Sandbox, api: httpx.AsyncClient) -> None:
    r1 = await api.get("/v2/users/me")
    left = int(r1.headers["X-RateLimit-Remaining-Minute"])
    assert r1.headers["X-RateLimit-Limit-Minute"] == "400"
    r2 = await api.put("/v2/conversations/1/tags", json={"tags": []})
    assert r2.status_code == 404
    assert int(r2.headers["X-RateLimit-Remaining-Minute"]) == left - 2
    r3 = await api.get("/v2/nowhere")
    assert_vnd_error(r3, 404)
    assert int(r3.headers["X-RateLimit-Remaining-Minute"]) == left - 3


async def test_rate_limit_enforced() -> None:
    ticks = [0.0]
    sb = Sandbox(now=NOW, rate_limit_per_minute=3, clock=lambda: ticks[0])
    async with client(sb) as c:
        auth = {"Authorization": f"Bearer {await sign_in(c, sb)}"}
        assert (await c.get("/v2/users/me", headers=auth)).status_code == 200
        assert (await c.post("/v2/conversations/1/notes", headers=auth, json={})).status_code == 404
        ticks[0] = 20.0
        limited = await c.get("/v2/users/me", headers=auth)
        assert limited.status_code == 429
        assert limited.json() == {"message": "API rate limit exceeded"}
        assert limited.headers["X-RateLimit-Retry-After"] == "40"
        assert limited.headers["X-RateLimit-Remaining-Minute"] == "0"
        ticks[0] = 61.0
        assert (await c.get("/v2/users/me", headers=auth)).status_code == 200
