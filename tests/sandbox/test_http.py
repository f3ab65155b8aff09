"""Over real loopback HTTP: same answers, dropped connections, the authorize redirect."""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from hsinbox.sandbox import Sandbox

from .conftest import an_active


def token(c: httpx.Client, sb: Sandbox) -> str:
    r = c.post(
        "/v2/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": sb.app_id,
            "client_secret": sb.app_secret,
        },
    )
    return str(r.json()["access_token"])


def test_http_reads_and_writes(sb: Sandbox) -> None:
    conv = an_active(sb)
    with sb.serve() as url, httpx.Client(base_url=url, timeout=5) as c:
        assert url.startswith("http://127.0.0.1:")
        c.headers["Authorization"] = f"Bearer {token(c, sb)}"
        page = c.get("/v2/conversations", params={"status": "all", "page": 2})
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("application/hal+json")
        assert page.json()["_links"]["self"]["href"].startswith(url + "/v2/conversations?")
        assert page.headers["X-RateLimit-Remaining-Minute"]
        r = c.patch(
            f"/v2/conversations/{conv['id']}",
            json={"op": "replace", "path": "/status", "value": "spam"},
        )
        assert r.status_code == 204
        assert sb.conversation(conv["id"])["status"] == "spam"
        created = c.post("/v2/customers", json={"firstName": "Net"})
        assert created.status_code == 201 and created.headers["Resource-ID"]
        bad = c.patch(
            f"/v2/conversations/{conv['id']}",
            json=[{"op": "replace", "path": "/status", "value": "closed"}],
        )
        assert bad.status_code == 400
        assert bad.headers["content-type"].startswith("application/vnd.error+json")
        huge = max(
            sb.state["conversations"],
            key=lambda x: max(len(t["body"] or "") for t in sb.threads_of(x["id"])),
        )
        threads = c.get(f"/v2/conversations/{huge['id']}/threads").json()
        assert max(len(t["body"] or "") for t in threads["_embedded"]["threads"]) >= 300_000
    assert sb.requests[-1].path == f"/v2/conversations/{huge['id']}/threads"


def test_http_faults_drop_and_status(sb: Sandbox) -> None:
    conv = an_active(sb)
    count = len(sb.threads_of(conv["id"]))
    with sb.serve() as url, httpx.Client(base_url=url, timeout=5) as c:
        c.headers["Authorization"] = f"Bearer {token(c, sb)}"
        sb.faults.drop(method="POST", path="/notes", after_apply=True)
        with pytest.raises(httpx.RemoteProtocolError):
            c.post(f"/v2/conversations/{conv['id']}/notes", json={"text": "applied"})
        assert len(sb.threads_of(conv["id"])) == count + 1
        sb.faults.drop(method="POST", path="/notes")
        with pytest.raises(httpx.RemoteProtocolError):
            c.post(f"/v2/conversations/{conv['id']}/notes", json={"text": "not applied"})
        assert len(sb.threads_of(conv["id"])) == count + 1
        r = c.post("/_sandbox/faults", json={"status": 503, "method": "GET"})
        assert r.status_code == 200
        assert c.get("/v2/users/me").status_code == 503
        assert c.get("/v2/users/me").status_code == 200


def test_http_latency(sb: Sandbox) -> None:
    with sb.serve() as url:
        sb.faults.latency = 0.15
        start = time.monotonic()
        r = httpx.post(
            f"{url}/v2/oauth2/token", data={"grant_type": "client_credentials"}, timeout=5
        )
        assert time.monotonic() - start >= 0.15
        assert r.status_code == 400 and r.json()["error"] == "invalid_request"


def test_authorize_redirect_reaches_the_callback(sb: Sandbox) -> None:
    seen: list[str] = []

    class Callback(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    callback = HTTPServer(("127.0.0.1", 0), Callback)
    thread = threading.Thread(target=callback.handle_request, daemon=True)
    thread.start()
    redirect = f"http://127.0.0.1:{callback.server_address[1]}/callback"
    try:
        with sb.serve() as url:
            r = httpx.get(
                f"{url}/authentication/authorizeClientApplication",
                params={"client_id": sb.app_id, "state": "s1", "redirect_uri": redirect},
                follow_redirects=True,
                timeout=5,
            )
            assert r.status_code == 200 and r.text == "ok"
            thread.join(timeout=2)
            query = parse_qs(urlsplit(seen[0]).query)
            assert query["state"] == ["s1"]
            grant = httpx.post(
                f"{url}/v2/oauth2/token",
                data={
                    "grant_type": "authorization_code",
                    "code": query["code"][0],
                    "client_id": sb.app_id,
                    "client_secret": sb.app_secret,
                    "redirect_uri": redirect,
                },
                timeout=5,
            )
            assert grant.status_code == 200 and grant.json()["refresh_token"]
    finally:
        callback.server_close()


def test_used_port_raises() -> None:
    sb = Sandbox()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OSError), sb.serve(port=port):
            pass


def test_request_log_over_http(sb: Sandbox) -> None:
    """What a benchmark in another process reads to count the requests a key cost."""
    with sb.serve() as url, httpx.Client(base_url=url, timeout=5) as c:
        c.headers["Authorization"] = f"Bearer {token(c, sb)}"
        assert c.get("/v2/conversations", params={"status": "all", "page": 2}).status_code == 200
        log = c.get("/_sandbox/requests").json()
        assert log["count"] == 2
        assert [r["path"] for r in log["requests"]] == ["/v2/oauth2/token", "/v2/conversations"]
        assert log["requests"][1]["query"] == {"status": "all", "page": "2"}
        tail = c.get("/_sandbox/requests", params={"since": 1}).json()
        assert [r["path"] for r in tail["requests"]] == ["/v2/conversations"]
        assert c.get("/_sandbox/requests", params={"since": "x"}).status_code == 400
    assert len(sb.requests) == 2  # the log's own reads are not Help Scout requests
