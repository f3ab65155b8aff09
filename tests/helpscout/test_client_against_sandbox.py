"""Every client method against the local sandbox, in-process and over loopback HTTP.

The sandbox is strict where Help Scout is strict, so a request the real API would refuse
fails here too.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from hsinbox.helpscout import (
    AppCredentials,
    HelpScoutClient,
    MemoryTokenStore,
    NetworkError,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    ServerError,
)
from hsinbox.helpscout.auth import authorization_code_grant, authorize_url
from hsinbox.helpscout.callback import CallbackServer
from hsinbox.helpscout.client import customer_entry_changes, customer_patch
from hsinbox.helpscout.models import NewConversation, NewThread
from hsinbox.sandbox import Sandbox

from .mockapi import FakeSleep


@pytest.fixture
def sb() -> Any:
    return Sandbox()


@pytest.fixture
def client(sb, sandbox_client) -> HelpScoutClient:
    return sandbox_client(sb, sleep=FakeSleep())


def conv_state(sb: Any, conversation_id: int) -> dict[str, Any]:
    return next(c for c in sb.state["conversations"] if c["id"] == conversation_id)


def threads_state(sb: Any, conversation_id: int) -> list[dict[str, Any]]:
    return sb.threads_of(conversation_id)


def first_conv(sb: Any, **match: Any) -> dict[str, Any]:
    for conv in sb.state["conversations"]:
        if all(conv.get(k) == v for k, v in match.items()) and conv.get("primaryCustomer"):
            return conv
    raise AssertionError(f"no seeded conversation matching {match}")


# --- reads ---------------------------------------------------------------------------


async def test_me_mailboxes_folders_users_tags(sb, client) -> None:
    me = await client.get_me()
    assert me.id == sb.me_id
    assert client.token is not None and client.token.grant == "client_credentials"

    mailboxes = await client.list_mailboxes()
    assert {m.id for m in mailboxes} == {m["id"] for m in sb.state["mailboxes"]}
    box = mailboxes[0]
    assert (await client.get_mailbox(box.id)).name == box.name

    folders = await client.list_folders(box.id)
    assert folders and all(isinstance(f.id, int) for f in folders)

    users = await client.list_users()
    assert sb.me_id in {u.id for u in users}
    in_box = await client.list_users(box.id)
    assert in_box and {u.id for u in in_box} <= {u.id for u in users}

    tags = await client.list_tags()
    assert {t.name for t in tags} == {t["name"] for t in sb.state["tags"]}
    assert client.rate_limit_limit is not None and client.rate_limit_remaining is not None


async def test_conversation_lists_and_pages(sb, client) -> None:
    page = await client.list_conversations(status="all")
    assert page.info.size >= len(page.items) > 0
    everything = await client.list_all_conversations(status="all", concurrency=3)
    assert len(everything) == page.info.total_elements
    assert len({c.id for c in everything}) == len(everything)

    box = sb.state["mailboxes"][0]["id"]
    in_box = await client.list_all_conversations(mailbox=box, status="all")
    assert in_box and all(c.mailbox_id == box for c in in_box)

    active = await client.list_all_conversations()
    assert active and all(c.status == "active" for c in active)

    since = datetime.now(UTC) + timedelta(days=3650)
    assert (await client.list_conversations(status="all", modified_since=since)).items == []
    sent = [r for r in sb.requests if "modifiedSince" in r.query]
    assert sent and sent[-1].query["modifiedSince"].endswith("Z")


async def test_get_conversation_and_threads_oldest_first(sb, client) -> None:
    seeded = max(sb.state["conversations"], key=lambda c: len(threads_state(sb, c["id"])))
    conv = await client.get_conversation(seeded["id"], embed_threads=True)
    assert conv.id == seeded["id"] and conv.embedded_threads
    threads = await client.list_threads(seeded["id"])
    assert len(threads) == len(threads_state(sb, seeded["id"]))
    stamps = [t.created_at for t in threads if t.created_at]
    assert stamps == sorted(stamps)


async def test_customer_read_create_update(sb, client) -> None:
    conv = first_conv(sb)
    customer = await client.get_customer(conv["primaryCustomer"]["id"])
    assert customer.id == conv["primaryCustomer"]["id"]

    new_id = await client.create_customer("Ada", "Lovelace", emails=["ada@example.org"])
    created = await client.get_customer(new_id)
    assert created.first_name == "Ada" and created.emails[0].value == "ada@example.org"

    ops = customer_patch(created, last_name="King", job_title="Countess")
    await client.update_customer(new_id, ops)
    for change in customer_entry_changes(
        created, emails=["ada@example.net", "countess@example.org"], phones=["555"]
    ):
        await client.change_customer_entry(new_id, change)
    after = await client.get_customer(new_id)
    assert after.last_name == "King" and after.job_title == "Countess"
    assert after.emails[0].id == created.emails[0].id  # changed in place: the id is kept
    assert [e.value for e in after.emails] == ["ada@example.net", "countess@example.org"]
    assert [p.value for p in after.phones] == ["555"]


# --- writes --------------------------------------------------------------------------


async def test_create_reply_note(sb, client) -> None:
    box = sb.state["mailboxes"][0]["id"]
    new = NewConversation(
        subject="Printer on fire",
        mailbox_id=box,
        customer={"email": "fire@example.org", "firstName": "Fi", "lastName": "Re"},
        threads=[NewThread(text="Help!")],
        tags=["urgent"],
    )
    conv_id = await client.create_conversation(new)
    conv = await client.get_conversation(conv_id)
    assert conv.subject == "Printer on fire" and conv.primary_customer is not None

    mark = len(sb.requests)
    thread_id = await client.reply_to(conv, "<p>On it</p>", status="pending", draft=True)
    assert [(r.method, r.path) for r in sb.requests[mark:]] == [
        ("POST", f"/v2/conversations/{conv_id}/reply")
    ]
    assert sb.requests[mark].json["customer"] == {"id": conv.primary_customer.id}
    note_id = await client.add_note(conv_id, "called the fire brigade")
    ids = {t["id"] for t in threads_state(sb, conv_id)}
    assert {thread_id, note_id} <= ids


async def test_status_assign_move_subject_tags_delete(sb, client) -> None:
    conv = first_conv(sb, status="active")
    cid = conv["id"]
    other_box = next(m["id"] for m in sb.state["mailboxes"] if m["id"] != conv["mailboxId"])

    await client.update_status(cid, "pending")
    assert conv_state(sb, cid)["status"] == "pending"

    await client.assign(cid, sb.me_id)
    assert conv_state(sb, cid)["assignee"]["id"] == sb.me_id
    await client.unassign(cid)
    assert not conv_state(sb, cid).get("assignee")

    await client.move(cid, other_box)
    assert conv_state(sb, cid)["mailboxId"] == other_box
    moves = [r.json for r in sb.requests if r.method == "PATCH" and "mailboxId" in r.body.decode()]
    assert moves == [{"op": "move", "path": "/mailboxId", "value": other_box}]

    await client.update_subject(cid, "Renamed")
    assert conv_state(sb, cid)["subject"] == "Renamed"

    current = [t["tag"] for t in conv_state(sb, cid).get("tags", [])]
    sent = await client.add_tags(cid, current, ["Zebra"])
    assert [t["tag"] for t in conv_state(sb, cid)["tags"]] == sent or {
        t["tag"].lower() for t in conv_state(sb, cid)["tags"]
    } == {t.lower() for t in sent}
    await client.remove_tags(cid, sent, ["zebra"])
    assert "zebra" not in {t["tag"].lower() for t in conv_state(sb, cid).get("tags", [])}
    await client.set_tags(cid, [])
    assert not conv_state(sb, cid).get("tags")

    patches = [r for r in sb.requests if r.method == "PATCH"]
    assert all(isinstance(r.json, dict) for r in patches)
    assert all(r.headers["content-type"] == "application/json-patch+json" for r in patches)

    await client.delete_conversation(cid)
    with pytest.raises(NotFound):
        await client.get_conversation(cid)


# --- faults --------------------------------------------------------------------------


async def test_429_is_waited_out(sb, client) -> None:
    sb.faults.add(status=429, times=2, method="GET", path="/v2/users/me")
    hooked: list[float] = []
    client.on_rate_limit = hooked.append
    assert (await client.get_me()).id == sb.me_id
    assert hooked == [1.0, 1.0]


async def test_429_beyond_budget(sb, client) -> None:
    sb.faults.add(status=429, times=10, path="/v2/mailboxes")
    with pytest.raises(RateLimited):
        await client.list_mailboxes()


async def test_get_5xx_retried_write_5xx_not(sb, client) -> None:
    conv = first_conv(sb, status="active")
    sb.faults.add(status=503, times=2, method="GET")
    await client.get_conversation(conv["id"])
    sb.faults.add(status=503, times=1, method="PATCH")
    with pytest.raises(ServerError):
        await client.update_status(conv["id"], "closed")
    assert conv_state(sb, conv["id"])["status"] == "active"
    assert len([r for r in sb.requests if r.method == "PATCH"]) == 1


async def test_dropped_writes(sb, client) -> None:
    conv = first_conv(sb, status="active")
    before = len(threads_state(sb, conv["id"]))
    await client.get_me()
    sb.faults.drop(times=1, method="POST", path="/notes")
    with pytest.raises(NetworkError):
        await client.add_note(conv["id"], "never sent")
    assert len(threads_state(sb, conv["id"])) == before
    sb.faults.drop(times=1, method="POST", path="/notes", after_apply=True)
    with pytest.raises(OutcomeUnknown):
        await client.add_note(conv["id"], "sent, answer lost")
    assert len(threads_state(sb, conv["id"])) == before + 1


async def test_expired_tokens_are_reminted(sb, client) -> None:
    await client.get_me()
    first = client.token
    sb.faults.expire_tokens()
    await client.get_me()
    assert client.token is not None and first is not None
    assert client.token.access_token != first.access_token


# --- over real loopback HTTP ---------------------------------------------------------


async def test_over_http_read_write_and_faults(sb, sandbox_client) -> None:
    with sb.serve() as url:
        async with sandbox_client(sb, url=url, sleep=FakeSleep()) as client:
            assert (await client.get_me()).id == sb.me_id
            convs = await client.list_all_conversations(status="all", max_pages=2)
            assert convs
            conv = first_conv(sb, status="active")
            await client.update_status(conv["id"], "closed")
            assert conv_state(sb, conv["id"])["status"] == "closed"
            sb.faults.add(status=429, times=1, path="/v2/users/me")
            await client.get_me()
            sb.faults.drop(times=1, method="PATCH", after_apply=True)
            with pytest.raises(OutcomeUnknown):
                await client.update_status(conv["id"], "active")
            assert conv_state(sb, conv["id"])["status"] == "active"


async def test_code_flow_with_callback_and_refresh(sb, sandbox_client) -> None:
    store = MemoryTokenStore()
    creds = AppCredentials(sb.app_id, sb.app_secret)
    with sb.serve() as url, CallbackServer(port=0, timeout=5) as callback:
        address = authorize_url(sb.app_id, callback.state, callback.redirect_uri, api_base=url)
        assert address.startswith(url + "/authentication/authorizeClientApplication?")
        answers: list[httpx.Response] = []

        def browser() -> None:
            answers.append(httpx.get(address, follow_redirects=True, timeout=5))

        t = threading.Thread(target=browser)
        t.start()
        code = callback.wait()
        t.join()
        assert answers[0].status_code == 200

        token = await authorization_code_grant(creds, code, callback.redirect_uri, base_url=url)
        assert token.refresh_token and token.grant == "authorization_code"
        store.save(token, creds)

        async with sandbox_client(sb, url=url, token_store=store) as client:
            assert (await client.get_me()).id == sb.me_id
            sb.faults.expire_tokens()
            await client.get_me()
        saved = store.load()
        assert saved is not None
        assert saved.refresh_token and saved.refresh_token != token.refresh_token
        assert saved.access_token != token.access_token
        grants = [r for r in sb.requests if r.path == "/v2/oauth2/token"]
        assert [g.body.decode().split("grant_type=")[1].split("&")[0] for g in grants] == [
            "authorization_code",
            "refresh_token",
        ]


async def test_token_store_calls_of_a_refresh_run_off_the_event_loop(sb, sandbox_client) -> None:
    """A keyring can take seconds (a D-Bus prompt): its calls run in a thread."""

    class RecordingStore(MemoryTokenStore):
        def __init__(self) -> None:
            super().__init__()
            self.threads: list[str] = []

        def _read(self) -> str | None:
            self.threads.append(threading.current_thread().name)
            return super()._read()

        def _write(self, text: str) -> None:
            self.threads.append(threading.current_thread().name)
            super()._write(text)

    store = RecordingStore()
    async with sandbox_client(sb, token_store=store) as client:
        await client.get_me()  # loads (nothing saved), mints and saves a token
        sb.faults.expire_tokens()
        await client.get_me()  # refused: mints and saves another
    assert store.saves == 2 and len(store.threads) >= 3
    assert threading.main_thread().name not in store.threads
