"""Fault injection in-process: canned errors, drops before/after applying, latency."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from hsinbox.sandbox import Sandbox

from .conftest import an_active


async def test_status_fault_then_normal(sb: Sandbox, api: httpx.AsyncClient) -> None:
    sb.faults.add(status=503, times=2, method="GET", path=r"^/v2/users/me$")
    codes = [(await api.get("/v2/users/me")).status_code for _ in range(3)]
    assert codes == [503, 503, 200]
    assert [r.fault for r in sb.requests if r.path == "/v2/users/me"] == [
        "status:503",
        "status:503",
        None,
    ]
    assert sb.faults.pending == []


async def test_429_fault_headers_and_body(sb: Sandbox, api: httpx.AsyncClient) -> None:
    sb.faults.add(status=429)
    r = await api.get("/v2/mailboxes")
    assert r.status_code == 429
    assert r.headers["X-RateLimit-Retry-After"] == "1" and r.headers["Retry-After"] == "1"
    assert r.json() == {"message": "API rate limit exceeded"}
    sb.faults.add(status=500, headers={"X-Custom": "1"}, body={"message": "boom"})
    r = await api.get("/v2/mailboxes")
    assert r.status_code == 500 and r.json() == {"message": "boom"}
    assert r.headers["X-Custom"] == "1"


async def test_fault_matching_is_by_method_and_path(sb: Sandbox, api: httpx.AsyncClient) -> None:
    conv = an_active(sb)
    sb.faults.add(status=500, method="PATCH", path="/v2/conversations/")
    assert (await api.get(f"/v2/conversations/{conv['id']}")).status_code == 200
    r = await api.patch(
        f"/v2/conversations/{conv['id']}",
        json={"op": "replace", "path": "/status", "value": "closed"},
    )
    assert r.status_code == 500
    assert sb.conversation(conv["id"])["status"] == "active"


async def test_drop_before_apply(sb: Sandbox, api: httpx.AsyncClient) -> None:
    conv = an_active(sb)
    count = len(sb.threads_of(conv["id"]))
    sb.faults.drop(method="POST", path="/notes")
    with pytest.raises(httpx.ConnectError):
        await api.post(f"/v2/conversations/{conv['id']}/notes", json={"text": "lost"})
    assert len(sb.threads_of(conv["id"])) == count
    assert sb.requests[-1].fault == "drop" and sb.requests[-1].json == {"text": "lost"}
    ok = await api.post(f"/v2/conversations/{conv['id']}/notes", json={"text": "sent"})
    assert ok.status_code == 201


async def test_drop_after_apply(sb: Sandbox, api: httpx.AsyncClient) -> None:
    conv = an_active(sb)
    count = len(sb.threads_of(conv["id"]))
    sb.faults.drop(method="POST", after_apply=True)
    with pytest.raises(httpx.ReadError):
        await api.post(f"/v2/conversations/{conv['id']}/notes", json={"text": "applied"})
    assert len(sb.threads_of(conv["id"])) == count + 1
    assert sb.threads_of(conv["id"])[-1]["body"] == "applied"


async def test_latency_does_not_block_the_loop(sb: Sandbox, api: httpx.AsyncClient) -> None:
    sb.faults.latency = 0.3
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    start = time.monotonic()
    await asyncio.gather(api.get("/v2/users/me"), api.get("/v2/mailboxes"))
    elapsed = time.monotonic() - start
    task.cancel()
    assert 0.3 <= elapsed < 0.58  # concurrent: one after the other would take 0.6 s
    assert ticks >= 10  # the event loop kept running meanwhile
    sb.faults.clear()
    assert sb.faults.latency == 0.0


async def test_clear_and_control_endpoint(sb: Sandbox, api: httpx.AsyncClient) -> None:
    sb.faults.add(status=500, times=5)
    sb.faults.clear()
    assert (await api.get("/v2/users/me")).status_code == 200
    r = await api.post("/_sandbox/faults", json={"status": 502, "times": 1, "method": "GET"})
    assert r.status_code == 200 and r.json()["faults"][0]["status"] == 502
    assert (await api.get("/v2/users/me")).status_code == 502
    await api.post("/_sandbox/faults", json={"drop": True, "after_apply": False})
    with pytest.raises(httpx.ConnectError):
        await api.get("/v2/users/me")
    await api.post("/_sandbox/faults", json={"expire_tokens": True})
    assert (await api.get("/v2/users/me")).status_code == 401
    bad = await api.post("/_sandbox/faults", json={"status": 500, "path": "("})
    assert bad.status_code == 400
    assert not any(r.path.startswith("/_sandbox") for r in sb.requests)


async def test_state_dump_and_reset(sb: Sandbox, api: httpx.AsyncClient) -> None:
    conv = an_active(sb)
    await api.delete(f"/v2/conversations/{conv['id']}")
    dump = (await api.get("/_sandbox/state")).json()
    assert "auth" not in dump
    assert conv["id"] not in {c["id"] for c in dump["conversations"]}
    assert (await api.post("/_sandbox/reset")).status_code == 204
    assert sb.conversation(conv["id"])["status"] == "active"
    assert (await api.get("/v2/users/me")).status_code == 200  # still signed in
