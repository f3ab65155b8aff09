"""Layer rules and the recording contract."""

from __future__ import annotations

import ast
import threading
from pathlib import Path

import httpx

import hsinbox.sandbox
from hsinbox.sandbox import Sandbox

from .conftest import an_active


def test_sandbox_imports_only_paths_from_hsinbox() -> None:
    root = Path(hsinbox.sandbox.__file__).parent
    for source in root.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                if name.startswith("hsinbox"):
                    assert name == "hsinbox.paths" or name.startswith("hsinbox.sandbox"), (
                        f"{source.name} imports {name}"
                    )


async def test_requests_are_recorded_exactly(sb: Sandbox, api: httpx.AsyncClient) -> None:
    conv = an_active(sb)
    mark = len(sb.requests)
    await api.get("/v2/conversations", params={"status": "all", "tag": "vip,urgent"})
    await api.patch(
        f"/v2/conversations/{conv['id']}",
        json={"op": "replace", "path": "/status", "value": "pending"},
        headers={"Content-Type": "application/json-patch+json"},
    )
    listed, patched = sb.requests[mark:]
    assert (listed.method, listed.path) == ("GET", "/v2/conversations")
    assert listed.query == {"status": "all", "tag": "vip,urgent"}
    assert listed.body == b"" and listed.json is None
    assert patched.method == "PATCH" and patched.json == {
        "op": "replace",
        "path": "/status",
        "value": "pending",
    }
    assert patched.headers["content-type"] == "application/json-patch+json"
    assert patched.headers["authorization"].startswith("Bearer ")


def test_concurrent_writes_over_http_are_all_applied(sb: Sandbox) -> None:
    conv = an_active(sb)
    before = len(sb.threads_of(conv["id"]))
    with sb.serve() as url:
        token = httpx.post(
            f"{url}/v2/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": sb.app_id,
                "client_secret": sb.app_secret,
            },
            timeout=5,
        ).json()["access_token"]
        ids: list[int] = []

        def note(n: int) -> None:
            r = httpx.post(
                f"{url}/v2/conversations/{conv['id']}/notes",
                json={"text": f"note {n}"},
                headers={"Authorization": f"Bearer {token}"},
                timeout=5,
            )
            ids.append(int(r.headers["Resource-ID"]))

        workers = [threading.Thread(target=note, args=(n,)) for n in range(12)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(timeout=5)
    assert len(set(ids)) == 12
    assert len(sb.threads_of(conv["id"])) == before + 12
