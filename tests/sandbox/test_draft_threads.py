"""The thread PATCH is exactly the documented one: ``replace`` of ``/text`` or ``/hidden``.

A draft reply cannot be published through it (``/draft`` is documented for a draft
conversation only); hsinbox sends a new reply with the draft's text instead.
"""

from __future__ import annotations

import httpx
import pytest

from hsinbox.sandbox import Sandbox

from .conftest import an_active, assert_vnd_error


async def draft_reply(sb: Sandbox, api: httpx.AsyncClient) -> tuple[int, int]:
    conv = an_active(sb)
    r = await api.post(
        f"/v2/conversations/{conv['id']}/reply",
        json={
            "text": "<p>draft</p>",
            "customer": {"id": conv["primaryCustomer"]["id"]},
            "draft": True,
        },
    )
    return conv["id"], int(r.headers["Resource-ID"])


async def test_a_draft_replys_text_is_replaced_and_it_stays_a_draft(
    sb: Sandbox, api: httpx.AsyncClient, api_example
) -> None:
    cid, tid = await draft_reply(sb, api)
    path = f"/v2/conversations/{cid}/threads/{tid}"
    body = {**api_example("docs/requests/thread-patch-text.json"), "value": "<p>final</p>"}
    assert (await api.patch(path, json=body)).status_code == 204
    (thread,) = [t for t in sb.threads_of(cid) if t["id"] == tid]
    assert (thread["state"], thread["body"]) == ("draft", "<p>final</p>")
    assert sb.conversation(cid)["preview"] != "final", "a draft is not the preview"


@pytest.mark.parametrize(
    "body",
    [
        {"op": "replace", "path": "/draft", "value": False},
        {"op": "replace", "path": "/draft", "value": True},
        {"op": "replace", "path": "/state", "value": "published"},
        {"op": "remove", "path": "/text"},
        {"op": "replace", "path": "/hidden", "value": False},  # not a way to publish a draft
    ],
)
async def test_anything_else_on_a_draft_thread_is_refused(
    sb: Sandbox, api: httpx.AsyncClient, body: dict
) -> None:
    cid, tid = await draft_reply(sb, api)
    path = f"/v2/conversations/{cid}/threads/{tid}"
    assert_vnd_error(await api.patch(path, json=body), 400)
    (thread,) = [t for t in sb.threads_of(cid) if t["id"] == tid]
    assert (thread["state"], thread["body"]) == ("draft", "<p>draft</p>")
