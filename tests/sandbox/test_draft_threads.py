"""A draft reply is published in place (``replace /draft false`` on the thread): one reply."""

from __future__ import annotations

import httpx

from hsinbox.sandbox import Sandbox

from .conftest import an_active, assert_vnd_error


async def test_a_draft_reply_is_published_in_place(sb: Sandbox, api: httpx.AsyncClient) -> None:
    conv = an_active(sb)
    cid = conv["id"]
    r = await api.post(
        f"/v2/conversations/{cid}/reply",
        json={
            "text": "<p>draft</p>",
            "customer": {"id": conv["primaryCustomer"]["id"]},
            "draft": True,
        },
    )
    tid = int(r.headers["Resource-ID"])
    path = f"/v2/conversations/{cid}/threads/{tid}"
    r = await api.patch(path, json={"op": "replace", "path": "/text", "value": "<p>final</p>"})
    assert r.status_code == 204
    assert sb.conversation(cid)["preview"] != "final", "a draft is not the preview"
    r = await api.patch(path, json={"op": "replace", "path": "/draft", "value": False})
    assert r.status_code == 204
    again = await api.patch(path, json={"op": "replace", "path": "/draft", "value": False})
    assert again.status_code == 204, "a retry of the publish changes nothing"
    replies = [t for t in sb.threads_of(cid) if t["type"] == "message" and t["id"] == tid]
    assert [(t["state"], t["body"]) for t in replies] == [("published", "<p>final</p>")]
    assert sb.conversation(cid)["preview"] == "final"
    refused = await api.patch(path, json={"op": "replace", "path": "/draft", "value": True})
    assert_vnd_error(refused, 400)
