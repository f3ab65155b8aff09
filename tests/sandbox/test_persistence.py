"""State on disk: loaded if present, saved (0600, atomically) after every change."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import httpx

from hsinbox.sandbox import Sandbox

from .conftest import NOW, an_active, sign_in


async def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "demo" / "state.json"
    sb = Sandbox(state_path=path, now=NOW)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    conv = an_active(sb)
    original = conv["subject"]
    async with httpx.AsyncClient(transport=sb.transport(), base_url="http://127.0.0.1") as c:
        c.headers["Authorization"] = f"Bearer {await sign_in(c, sb)}"
        r = await c.patch(
            f"/v2/conversations/{conv['id']}",
            json={"op": "replace", "path": "/subject", "value": "Kept"},
        )
        assert r.status_code == 204
        on_disk = json.loads(path.read_text())
        assert (
            next(x for x in on_disk["conversations"] if x["id"] == conv["id"])["subject"] == "Kept"
        )
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        token = c.headers["Authorization"]

    again = Sandbox(state_path=path, now=NOW)
    assert again.conversation(conv["id"])["subject"] == "Kept"
    async with httpx.AsyncClient(transport=again.transport(), base_url="http://127.0.0.1") as c:
        # the token survives a restart, so the demo needs no new sign-in
        me = await c.get("/v2/users/me", headers={"Authorization": token})
        assert me.status_code == 200
    again.reset()
    assert again.conversation(conv["id"])["subject"] == original != "Kept"
    on_disk = json.loads(path.read_text())
    assert next(x for x in on_disk["conversations"] if x["id"] == conv["id"])["subject"] == original
    assert on_disk["auth"]["access"]  # sign-ins survive a reset
    assert not list(path.parent.glob(".*tmp*"))


def test_corrupt_or_old_state_is_reseeded(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text("{not json")
    sb = Sandbox(state_path=path, now=NOW)
    assert len(sb.state["conversations"]) > 100
    assert json.loads(path.read_text())["version"] == sb.state["version"]
    path.write_text(json.dumps({"version": -1}))
    assert len(Sandbox(state_path=path, now=NOW).state["conversations"]) > 100


async def test_unseeded_sandbox_is_empty_but_signed_in() -> None:
    sb = Sandbox(seed=False, now=NOW)
    async with httpx.AsyncClient(transport=sb.transport(), base_url="http://127.0.0.1") as c:
        c.headers["Authorization"] = f"Bearer {await sign_in(c, sb)}"
        assert (await c.get("/v2/users/me")).json()["id"] == sb.me_id
        body = (await c.get("/v2/conversations")).json()
        assert "_embedded" not in body and body["page"]["totalElements"] == 0
        assert "_embedded" not in (await c.get("/v2/mailboxes")).json()


def test_requests_do_not_leak_tokens_in_repr(sb: Sandbox) -> None:
    request = httpx.Request(
        "GET", "http://127.0.0.1/v2/users/me", headers={"Authorization": "Bearer secret-token"}
    )
    sb.handle(request)
    assert sb.requests[-1].headers["authorization"] == "Bearer secret-token"
    assert "secret-token" not in repr(sb.requests[-1])
    assert sb.app_secret not in repr(sb)
