"""A client written for api.helpscout.net works against the sandbox with only a new base URL.

``walk`` below is what any third-party script does: form token grant, follow absolute
``_links.next`` hrefs, read ``Resource-ID``/``Location`` after a create.
"""

from __future__ import annotations

from typing import Any

import httpx

from hsinbox.sandbox import Sandbox


def walk(base_url: str, app_id: str, app_secret: str) -> dict[str, Any]:
    with httpx.Client(base_url=base_url, timeout=5) as c:
        tok = c.post(
            "/v2/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": app_id,
                "client_secret": app_secret,
            },
        )
        tok.raise_for_status()
        c.headers["Authorization"] = f"Bearer {tok.json()['access_token']}"
        mailbox = c.get("/v2/mailboxes").json()["_embedded"]["mailboxes"][0]
        folders = c.get(mailbox["_links"]["folders"]["href"]).json()["_embedded"]["folders"]
        seen = []
        url: str | None = f"/v2/conversations?mailbox={mailbox['id']}&status=all"
        while url:
            page = c.get(url).json()
            seen += page.get("_embedded", {}).get("conversations", [])
            url = page["_links"].get("next", {}).get("href")
        created = c.post(
            "/v2/conversations",
            json={
                "subject": "From a script",
                "type": "email",
                "mailboxId": mailbox["id"],
                "status": "active",
                "customer": {"email": "script@example.org"},
                "threads": [{"type": "customer", "text": "hello"}],
            },
        )
        created.raise_for_status()
        conv = c.get(created.headers["Location"]).json()
        reply = c.post(
            f"/v2/conversations/{created.headers['Resource-ID']}/reply",
            json={"text": "hi", "customer": {"id": conv["primaryCustomer"]["id"]}, "draft": True},
        )
        reply.raise_for_status()
        threads = c.get(conv["_links"]["threads"]["href"]).json()["_embedded"]["threads"]
        return {
            "mailbox": mailbox,
            "folders": folders,
            "seen": seen,
            "conv": conv,
            "threads": threads,
        }


def test_a_plain_script_only_needs_the_base_url(sb: Sandbox) -> None:
    with sb.serve() as url:
        result = walk(url, sb.app_id, sb.app_secret)
    box = result["mailbox"]["id"]
    expected = {
        c["id"]
        for c in sb.state["conversations"]
        if c["mailboxId"] == box and c["state"] == "published"
    }
    # the walk listed before it created, so it saw every seeded conversation of the mailbox
    assert {c["id"] for c in result["seen"]} == expected - {result["conv"]["id"]}
    assert len(result["seen"]) > 25
    assert result["conv"]["subject"] == "From a script"
    assert [t["type"] for t in result["threads"]] == ["message", "customer"]
    assert result["threads"][0]["state"] == "draft"
    assert len(result["folders"]) == 8
