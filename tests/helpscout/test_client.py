"""Each Help Scout quirk, checked against the exact request the client sends."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from contextlib import aclosing
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest

from hsinbox.helpscout import (
    AuthError,
    HelpScoutClient,
    HelpScoutError,
    InvalidResponse,
    MemoryTokenStore,
    NetworkError,
    NotFound,
    NotSignedIn,
    OutcomeUnknown,
    RateLimited,
    ServerError,
    ValidationFailed,
)
from hsinbox.helpscout.auth import AppCredentials
from hsinbox.helpscout.client import (
    customer_entry_changes,
    customer_patch,
    format_datetime,
    merge_tags,
)
from hsinbox.helpscout.errors import SignInUnavailable
from hsinbox.helpscout.models import Conversation, Customer, NewConversation, NewThread

from .mockapi import (
    BASE,
    NOW,
    FakeSleep,
    MockApi,
    created,
    hal,
    make_client,
    token,
    token_answer,
)

ME = {"id": 7, "firstName": "Ada", "lastName": "Agent", "email": "ada@example.com"}


def me_ok() -> httpx.Response:
    return httpx.Response(200, json=ME)


# --- sign-in and tokens ------------------------------------------------------------


async def test_client_credentials_mint_sends_form_body_and_bearer() -> None:
    api = MockApi().on("POST", "/v2/oauth2/token", token_answer("minted", expires_in=172800))
    api.on("GET", "/v2/users/me", me_ok())
    async with make_client(api, token=None) as client:
        me = await client.get_me()
    assert me.first_name == "Ada"
    grant, call = api.requests
    assert grant.headers["content-type"] == "application/x-www-form-urlencoded"
    assert grant.form == {
        "grant_type": "client_credentials",
        "client_id": "app-id",
        "client_secret": "app-secret",
    }
    assert call.headers["authorization"] == "Bearer minted"
    assert client.token is not None
    assert client.token.expires_at == NOW + timedelta(seconds=172800)


async def test_token_type_is_compared_case_insensitively() -> None:
    api = MockApi().on("POST", "/v2/oauth2/token", token_answer("t", token_type="Bearer"))
    api.on("GET", "/v2/users/me", me_ok())
    async with make_client(api, token=None) as client:
        await client.get_me()
    assert api.seen("GET")[0].headers["authorization"] == "Bearer t"


async def test_unknown_token_type_is_a_sign_in_that_did_not_work() -> None:
    """A garbled token answer is not the request's answer: nothing was sent (see
    test_transport_errors for what the write path makes of it)."""
    api = MockApi().on("POST", "/v2/oauth2/token", token_answer("t", token_type="mac"))
    async with make_client(api, token=None) as client:
        with pytest.raises(SignInUnavailable) as err:
            await client.get_me()
    assert str(err.value) == (
        "Could not sign in to Help Scout just now: its sign-in sent an answer hsinbox could "
        "not read; nothing was sent."
    )
    assert api.seen("GET") == []


async def test_refreshes_shortly_before_expiry_and_saves_rotated_refresh_token() -> None:
    store = MemoryTokenStore()
    api = MockApi().on("POST", "/v2/oauth2/token", token_answer("tok-2", "ref-2"))
    api.on("GET", "/v2/users/me", me_ok())
    old = token("tok-1", refresh="ref-1", minutes=4)  # inside the 5 minute margin
    async with make_client(api, token=old, token_store=store) as client:
        await client.get_me()
    grant = api.seen("POST", "/v2/oauth2/token")[0]
    assert grant.form == {
        "grant_type": "refresh_token",
        "refresh_token": "ref-1",
        "client_id": "app-id",
        "client_secret": "app-secret",
    }
    assert api.seen("GET")[0].headers["authorization"] == "Bearer tok-2"
    saved = store.load()
    assert saved is not None and saved.refresh_token == "ref-2"
    assert saved.access_token == "tok-2"
    creds = store.load_credentials()
    assert creds == AppCredentials("app-id", "app-secret")


async def test_token_far_from_expiry_is_not_refreshed() -> None:
    api = MockApi().on("GET", "/v2/users/me", me_ok())
    async with make_client(api, token=token(minutes=6)) as client:
        await client.get_me()
    assert [r.path for r in api.requests] == ["/v2/users/me"]


async def test_401_refreshes_once_and_retries_the_request() -> None:
    store = MemoryTokenStore()
    api = MockApi().on("POST", "/v2/oauth2/token", token_answer("tok-2", "ref-2"))
    api.on("GET", "/v2/users/me", httpx.Response(401, json={"message": "expired"}), me_ok())
    async with make_client(api, token_store=store) as client:
        me = await client.get_me()
    assert me.id == 7
    assert [(r.method, r.path) for r in api.requests] == [
        ("GET", "/v2/users/me"),
        ("POST", "/v2/oauth2/token"),
        ("GET", "/v2/users/me"),
    ]
    assert api.requests[0].headers["authorization"] == "Bearer tok-1"
    assert api.requests[2].headers["authorization"] == "Bearer tok-2"
    assert store.load().refresh_token == "ref-2"  # type: ignore[union-attr]


async def test_second_401_is_auth_error_without_a_loop() -> None:
    api = MockApi().on("POST", "/v2/oauth2/token", token_answer("tok-2", "ref-2"))
    api.on("GET", "/v2/users/me", httpx.Response(401, json={"message": "Unauthorized"}))
    async with make_client(api) as client:
        with pytest.raises(AuthError) as err:
            await client.get_me()
    assert len(api.seen("GET")) == 2
    assert len(api.seen("POST")) == 1
    assert "tok" not in str(err.value)


async def test_concurrent_401s_refresh_only_once() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.headers["authorization"] == "Bearer tok-1":
            return httpx.Response(401)
        return hal("mailboxes", [])

    api = MockApi().on("POST", "/v2/oauth2/token", token_answer("tok-2", "ref-2"))
    api.on("GET", "/v2/mailboxes", answer)
    async with make_client(api) as client:
        await asyncio.gather(*(client.list_mailboxes() for _ in range(3)))
    assert len(api.seen("POST", "/v2/oauth2/token")) == 1


async def test_client_credentials_session_mints_instead_of_failing() -> None:
    old = token("cc-1", refresh=None, grant="client_credentials")
    api = MockApi().on("POST", "/v2/oauth2/token", token_answer("cc-2"))
    api.on("GET", "/v2/users/me", httpx.Response(401), me_ok())
    async with make_client(api, token=old) as client:
        await client.get_me()
    assert api.seen("POST")[0].form["grant_type"] == "client_credentials"
    assert api.seen("GET")[1].headers["authorization"] == "Bearer cc-2"


async def test_expired_client_credentials_token_is_reminted_up_front() -> None:
    old = token("cc-1", refresh=None, minutes=-1, grant="client_credentials")
    api = MockApi().on("POST", "/v2/oauth2/token", token_answer("cc-2"))
    api.on("GET", "/v2/users/me", me_ok())
    async with make_client(api, token=old) as client:
        await client.get_me()
    assert [r.method for r in api.requests] == ["POST", "GET"]


async def test_failed_sign_in_is_auth_error_with_server_message() -> None:
    api = MockApi().on(
        "POST",
        "/v2/oauth2/token",
        httpx.Response(401, json={"error": "invalid_client", "error_description": "Bad client"}),
    )
    async with make_client(api, token=None) as client:
        with pytest.raises(AuthError) as err:
            await client.get_me()
    assert "Bad client" in str(err.value)
    assert "app-secret" not in str(err.value)


async def test_from_env_uses_app_credentials_and_stores_nothing(monkeypatch) -> None:
    monkeypatch.setenv("HSINBOX_APP_ID", "env-id")
    monkeypatch.setenv("HSINBOX_APP_SECRET", "env-secret")
    store = MemoryTokenStore()
    client = HelpScoutClient.from_env(store)
    try:
        assert client.credentials == AppCredentials("env-id", "env-secret")
        assert client.token_store is None
    finally:
        await client.aclose()
    assert store.saves == 0


async def test_from_env_uses_stored_token_and_credentials() -> None:
    store = MemoryTokenStore(token("stored"), AppCredentials("sid", "ssecret"))
    client = HelpScoutClient.from_env(store)
    try:
        assert client.token is not None and client.token.access_token == "stored"
        assert client.credentials == AppCredentials("sid", "ssecret")
    finally:
        await client.aclose()


async def test_reload_token_picks_up_a_sign_in_saved_elsewhere() -> None:
    store = MemoryTokenStore()
    api = MockApi().on("GET", "/v2/users/me", me_ok())
    async with make_client(api, token=token("old"), credentials=None, token_store=store) as client:
        assert client.reload_token() is False  # nothing saved yet: keep what we have
        store.save(token("fresh"), AppCredentials("sid", "ssecret"))
        assert client.reload_token() is True
        assert client.credentials == AppCredentials("sid", "ssecret")
        await client.get_me()
        assert client.reload_token() is False
    assert api.requests[-1].headers["Authorization"] == "Bearer fresh"


def test_from_env_without_anything_says_how_to_sign_in() -> None:
    with pytest.raises(NotSignedIn) as err:
        HelpScoutClient.from_env(MemoryTokenStore())
    assert "hsinbox auth login" in str(err.value)
    assert "HSINBOX_APP_ID" in str(err.value)


# --- base URL ----------------------------------------------------------------------


@pytest.mark.parametrize("url", ["http://api.example.com", "http://10.0.0.1:8080"])
def test_plain_http_is_refused_for_remote_hosts(url: str) -> None:
    with pytest.raises(ValueError) as err:
        HelpScoutClient(url)
    assert "https://" in str(err.value)
    assert str(err.value).count(".") >= 1 and "\n" not in str(err.value)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9000", "http://127.5.5.5", "http://[::1]:80", "http://localhost:1"]
)
async def test_plain_http_is_allowed_for_loopback(url: str) -> None:
    client = HelpScoutClient(url)
    assert client.base_url == url
    await client.aclose()


async def test_base_url_from_env(monkeypatch) -> None:
    monkeypatch.setenv("HSINBOX_API_URL", "http://127.0.0.1:5000/")
    client = HelpScoutClient()
    assert client.base_url == "http://127.0.0.1:5000"
    await client.aclose()
    monkeypatch.delenv("HSINBOX_API_URL")
    client = HelpScoutClient()
    assert client.base_url == "https://api.helpscout.net"
    await client.aclose()


def test_env_http_to_remote_host_is_refused(monkeypatch) -> None:
    monkeypatch.setenv("HSINBOX_API_URL", "http://evil.example")
    with pytest.raises(ValueError):
        HelpScoutClient()


# --- rate limits -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({"X-RateLimit-Retry-After": "7"}, 7.0),
        ({"Retry-After": "11"}, 11.0),
        ({"X-RateLimit-Retry-After": "3", "Retry-After": "99"}, 3.0),
        ({}, 60.0),
    ],
)
async def test_429_waits_for_the_header_then_retries(headers: dict[str, str], wait: float) -> None:
    sleep = FakeSleep()
    hooked: list[float] = []
    limited = httpx.Response(429, headers=headers, json={"message": "API rate limit exceeded"})
    api = MockApi().on("GET", "/v2/users/me", limited, me_ok())
    async with make_client(api, sleep=sleep) as client:
        client.on_rate_limit = hooked.append
        await client.get_me()
    assert sleep.calls == [wait]
    assert hooked == [wait]
    assert len(api.requests) == 2


async def test_429_gives_up_after_the_retry_budget() -> None:
    sleep = FakeSleep()
    limited = httpx.Response(429, headers={"X-RateLimit-Retry-After": "2"})
    api = MockApi().on("GET", "/v2/users/me", limited)
    async with make_client(api, sleep=sleep) as client:
        with pytest.raises(RateLimited) as err:
            await client.get_me()
    assert err.value.retry_after == 2.0
    assert sleep.calls == [2.0, 2.0]
    assert len(api.requests) == 3


@pytest.mark.parametrize(
    "off", [{"max_attempts_429": 1}, {"max_attempts_429": False}, {"retry": False}]
)
async def test_429_retry_switched_off_raises_at_once(off: dict) -> None:
    sleep = FakeSleep()
    api = MockApi().on("GET", "/v2/users/me", httpx.Response(429, headers={"Retry-After": "5"}))
    async with make_client(api, sleep=sleep, **off) as client:
        with pytest.raises(RateLimited) as err:
            await client.get_me()
    assert sleep.calls == []
    assert len(api.requests) == 1
    assert "try again in 5 s" in str(err.value)


async def test_async_rate_limit_hook_is_awaited() -> None:
    hooked: list[float] = []

    async def hook(seconds: float) -> None:
        hooked.append(seconds)

    api = MockApi().on("GET", "/v2/users/me", httpx.Response(429), me_ok())
    async with make_client(api, on_rate_limit=hook) as client:
        await client.get_me()
    assert hooked == [60.0]


async def test_write_answered_429_is_retried() -> None:
    api = MockApi().on("PATCH", "/v2/conversations/5", httpx.Response(429), httpx.Response(204))
    async with make_client(api) as client:
        await client.update_status(5, "closed")
    assert len(api.seen("PATCH")) == 2


async def test_rate_limit_headers_are_exposed() -> None:
    answer = httpx.Response(
        200,
        json=ME,
        headers={"X-RateLimit-Remaining-Minute": "17", "X-RateLimit-Limit-Minute": "400"},
    )
    api = MockApi().on("GET", "/v2/users/me", answer)
    async with make_client(api) as client:
        assert client.rate_limit_remaining is None
        await client.get_me()
        assert client.rate_limit_remaining == 17
        assert client.rate_limit_limit == 400


# --- retries and writes ------------------------------------------------------------


async def test_get_retries_5xx_with_backoff() -> None:
    sleep = FakeSleep()
    api = MockApi().on("GET", "/v2/users/me", httpx.Response(503), httpx.Response(500), me_ok())
    async with make_client(api, sleep=sleep) as client:
        await client.get_me()
    assert len(api.requests) == 3
    assert sleep.calls == [0.5, 1.0]


async def test_get_5xx_three_times_is_server_error() -> None:
    api = MockApi().on("GET", "/v2/users/me", httpx.Response(502, text="<html>bad</html>"))
    async with make_client(api) as client:
        with pytest.raises(ServerError) as err:
            await client.get_me()
    assert len(api.requests) == 3
    assert err.value.status == 502
    assert "<html>" not in str(err.value)


async def test_get_retries_network_errors() -> None:
    api = MockApi().on("GET", "/v2/users/me", httpx.ReadError("reset"), me_ok())
    async with make_client(api) as client:
        await client.get_me()
    assert len(api.requests) == 2


async def test_get_network_error_after_three_tries() -> None:
    api = MockApi().on("GET", "/v2/users/me", httpx.ConnectError("refused"))
    async with make_client(api) as client:
        with pytest.raises(NetworkError):
            await client.get_me()
    assert len(api.requests) == 3


async def test_retry_off_means_one_get_try() -> None:
    api = MockApi().on("GET", "/v2/users/me", httpx.Response(500))
    async with make_client(api, retry=False) as client:
        with pytest.raises(ServerError):
            await client.get_me()
    assert len(api.requests) == 1


@pytest.mark.parametrize("exc", [httpx.ConnectError("refused"), httpx.ConnectTimeout("slow")])
async def test_write_that_never_left_is_network_error(exc: Exception) -> None:
    api = MockApi().on("POST", "/v2/conversations/5/notes", exc)
    async with make_client(api) as client:
        with pytest.raises(NetworkError) as err:
            await client.add_note(5, "hi")
    assert len(api.requests) == 1
    assert "not sent" in str(err.value)


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ReadError("reset"),
        httpx.RemoteProtocolError("eof"),
        httpx.ReadTimeout("slow"),
        httpx.WriteError("broken"),
    ],
)
async def test_write_that_may_have_left_is_outcome_unknown(exc: Exception) -> None:
    api = MockApi().on("POST", "/v2/conversations/5/reply", exc)
    async with make_client(api) as client:
        with pytest.raises(OutcomeUnknown) as err:
            await client.reply(5, "hello", customer_id=9)
    assert len(api.requests) == 1
    assert "may or may not have been applied" in str(err.value)


@pytest.mark.parametrize("method", ["PATCH", "PUT", "DELETE"])
async def test_write_5xx_is_server_error_not_retried(method: str) -> None:
    api = MockApi().on(method, "/v2/conversations/5", httpx.Response(503))
    api.on(method, "/v2/conversations/5/tags", httpx.Response(503))
    async with make_client(api) as client:
        with pytest.raises(ServerError):
            if method == "PATCH":
                await client.update_status(5, "closed")
            elif method == "PUT":
                await client.set_tags(5, ["a"])
            else:
                await client.delete_conversation(5)
    assert len(api.requests) == 1


# --- creates -----------------------------------------------------------------------


async def test_create_conversation_reads_resource_id() -> None:
    api = MockApi().on("POST", "/v2/conversations", created(4321))
    new = NewConversation(
        subject="Hi",
        mailbox_id=1,
        customer={"email": "c@example.com"},
        threads=[NewThread(text="Hello")],
    )
    async with make_client(api) as client:
        assert await client.create_conversation(new) == 4321
    seen = api.requests[0]
    assert seen.headers["content-type"] == "application/json"
    assert seen.json == {
        "subject": "Hi",
        "type": "email",
        "mailboxId": 1,
        "status": "active",
        "customer": {"email": "c@example.com"},
        "threads": [{"type": "customer", "text": "Hello"}],
        "assignTo": None,  # kept unassigned; left out, the inbox's default would decide
    }


async def test_create_falls_back_to_location() -> None:
    api = MockApi().on("POST", "/v2/customers", created(88, header="Location"))
    async with make_client(api) as client:
        assert await client.create_customer("A", "B", emails=["a@b.c"]) == 88
    assert api.requests[0].json == {
        "firstName": "A",
        "lastName": "B",
        "emails": [{"type": "work", "value": "a@b.c"}],
    }


async def test_create_without_any_id_is_invalid_response() -> None:
    api = MockApi().on("POST", "/v2/conversations/1/notes", httpx.Response(201))
    async with make_client(api) as client:
        with pytest.raises(InvalidResponse):
            await client.add_note(1, "x")


# --- conversation patches ----------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (("update_status", 5, "pending"), {"op": "replace", "path": "/status", "value": "pending"}),
        (("assign", 5, 42), {"op": "replace", "path": "/assignTo", "value": 42}),
        (("unassign", 5), {"op": "remove", "path": "/assignTo"}),
        (("update_subject", 5, "New"), {"op": "replace", "path": "/subject", "value": "New"}),
        (("move", 5, 3), {"op": "move", "path": "/mailboxId", "value": 3}),
    ],
)
async def test_conversation_patch_is_one_object(call: tuple, expected: dict) -> None:
    api = MockApi().on("PATCH", "/v2/conversations/5", httpx.Response(204))
    name, *args = call
    async with make_client(api) as client:
        await getattr(client, name)(*args)
    (seen,) = api.requests
    assert seen.headers["content-type"] == "application/json-patch+json"
    assert seen.body == json.dumps(expected).encode()
    assert isinstance(seen.json, dict)


async def test_move_falls_back_to_replace_on_400() -> None:
    api = MockApi().on(
        "PATCH",
        "/v2/conversations/5",
        httpx.Response(400, json={"message": "Bad request"}),
        httpx.Response(204),
    )
    async with make_client(api) as client:
        await client.move(5, 3)
    assert [r.json["op"] for r in api.requests] == ["move", "replace"]


async def test_move_does_not_retry_on_other_errors() -> None:
    api = MockApi().on("PATCH", "/v2/conversations/5", httpx.Response(404))
    async with make_client(api) as client:
        with pytest.raises(NotFound):
            await client.move(5, 3)
    assert len(api.requests) == 1


async def test_move_second_400_is_raised() -> None:
    api = MockApi().on("PATCH", "/v2/conversations/5", httpx.Response(400))
    async with make_client(api) as client:
        with pytest.raises(ValidationFailed):
            await client.move(5, 3)
    assert len(api.requests) == 2


async def test_customer_patch_is_an_array() -> None:
    api = MockApi().on("PATCH", "/v2/customers/9", httpx.Response(204))
    ops = [{"op": "replace", "path": "/firstName", "value": "V"}]
    async with make_client(api) as client:
        await client.update_customer(9, ops)
    assert api.requests[0].json == ops
    assert api.requests[0].headers["content-type"] == "application/json-patch+json"


def _vernon() -> Customer:
    return Customer.model_validate(
        {
            "id": 9,
            "firstName": "Vernon",
            "lastName": "Bear",
            "jobTitle": "CEO",
            "_embedded": {
                "emails": [
                    {"id": 1, "value": "old@acme.com", "type": "home"},
                    {"id": 2, "value": "keep@acme.com", "type": "work"},
                    {"id": 3, "value": "gone@acme.com", "type": "other"},
                ],
                "phones": [{"id": 4, "value": "555 1234", "type": "mobile"}],
            },
        }
    )


def test_customer_patch_builds_only_changes_of_plain_fields() -> None:
    before = _vernon()
    ops = customer_patch(before, first_name="Vernon", last_name="Grizzly", job_title="")
    assert ops == [
        {"op": "replace", "path": "/lastName", "value": "Grizzly"},
        {"op": "remove", "path": "/jobTitle"},
    ]
    assert customer_patch(before) == []


def test_entry_changes_are_one_request_per_changed_entry() -> None:
    before = _vernon()
    changes = customer_entry_changes(
        before, emails=["KEEP@acme.com", "new@acme.com"], phones=["555 1234", "555 9999"]
    )
    assert [(c.kind, c.op, c.entry_id, c.value, c.type) for c in changes] == [
        # Two went, one came: one is a PUT (keeps id and type), the other a DELETE.
        ("emails", "delete", 3, "gone@acme.com", "other"),
        ("emails", "update", 1, "new@acme.com", "home"),
        ("phones", "add", None, "555 9999", "work"),
    ]
    assert changes[1].describe() == "changing email old@acme.com to new@acme.com"
    # Unchanged (case and order aside) → nothing; None → not asked.
    same = ["keep@acme.com", "OLD@acme.com", "gone@acme.com"]
    assert customer_entry_changes(before, emails=same) == []
    assert customer_entry_changes(before) == []
    assert [c.op for c in customer_entry_changes(before, phones=[])] == ["delete"]


async def test_entry_changes_use_the_entry_endpoints() -> None:
    api = MockApi().on("POST", "/v2/customers/9/emails", created(31))
    api.on("PUT", "/v2/customers/9/emails/1", httpx.Response(204))
    api.on("DELETE", "/v2/customers/9/phones/4", httpx.Response(204))
    before = _vernon()
    async with make_client(api) as client:
        added = customer_entry_changes(
            before, emails=["old@acme.com", "keep@acme.com", "gone@acme.com", "b@acme.com"]
        )
        assert await client.change_customer_entry(9, added[0]) == 31
        (update,) = [
            c
            for c in customer_entry_changes(
                before, emails=["renamed@acme.com", "keep@acme.com", "gone@acme.com"]
            )
        ]
        assert await client.change_customer_entry(9, update) is None
        (delete,) = customer_entry_changes(before, phones=[])
        await client.change_customer_entry(9, delete)
    assert [(r.method, r.path, r.body and r.json) for r in api.requests] == [
        ("POST", "/v2/customers/9/emails", {"type": "work", "value": "b@acme.com"}),
        ("PUT", "/v2/customers/9/emails/1", {"type": "home", "value": "renamed@acme.com"}),
        ("DELETE", "/v2/customers/9/phones/4", b""),
    ]


# --- replies, notes, tags ----------------------------------------------------------


async def test_reply_body_carries_customer_and_options() -> None:
    api = MockApi().on("POST", "/v2/conversations/5/reply", created(77))
    async with make_client(api) as client:
        thread_id = await client.reply(
            5,
            "<p>Hi</p>",
            customer_id=9,
            cc=["c@x.io"],
            bcc=["b@x.io"],
            status="closed",
            draft=True,
            user_id=3,
        )
    assert thread_id == 77
    assert api.requests[0].json == {
        "customer": {"id": 9},
        "text": "<p>Hi</p>",
        "cc": ["c@x.io"],
        "bcc": ["b@x.io"],
        "status": "closed",
        "draft": True,
        "user": 3,
    }


async def test_reply_to_takes_primary_customer_without_a_get() -> None:
    conv = Conversation.model_validate({"id": 5, "primaryCustomer": {"id": 123}})
    api = MockApi().on("POST", "/v2/conversations/5/reply", created(78))
    async with make_client(api) as client:
        assert await client.reply_to(conv, "Hello") == 78
    assert [r.method for r in api.requests] == ["POST"]
    assert api.requests[0].json == {"customer": {"id": 123}, "text": "Hello"}


async def test_reply_to_without_customer_is_value_error() -> None:
    conv = Conversation.model_validate({"id": 5})
    api = MockApi()
    async with make_client(api) as client:
        with pytest.raises(ValueError):
            await client.reply_to(conv, "Hello")
    assert api.requests == []


async def test_note_body() -> None:
    api = MockApi().on("POST", "/v2/conversations/5/notes", created(79))
    async with make_client(api) as client:
        assert await client.add_note(5, "internal", status="pending") == 79
    assert api.requests[0].json == {"text": "internal", "status": "pending"}


async def test_set_tags_puts_whole_list() -> None:
    api = MockApi().on("PUT", "/v2/conversations/5/tags", httpx.Response(204))
    async with make_client(api) as client:
        await client.set_tags(5, ["a", "b"])
        await client.set_tags(5, [])
    assert [r.json for r in api.requests] == [{"tags": ["a", "b"]}, {"tags": []}]


async def test_add_and_remove_tags_merge_without_get() -> None:
    api = MockApi().on("PUT", "/v2/conversations/5/tags", httpx.Response(204))
    async with make_client(api) as client:
        sent = await client.add_tags(5, ["VIP", "billing"], ["vip", "urgent", " Billing "])
        removed = await client.remove_tags(5, ["VIP", "billing", "urgent"], ["BILLING"])
    assert sent == ["VIP", "billing", "urgent"]
    assert removed == ["VIP", "urgent"]
    assert [r.method for r in api.requests] == ["PUT", "PUT"]
    assert api.requests[0].json == {"tags": ["VIP", "billing", "urgent"]}


def test_merge_tags_drops_blanks() -> None:
    assert merge_tags(["a", " "], ["", "A", "b"]) == ["a", "b"]


# --- listing -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC), "2026-01-02T03:04:05Z"),
        (
            datetime(2026, 1, 2, 5, 4, 5, tzinfo=timezone(timedelta(hours=2))),
            "2026-01-02T03:04:05Z",
        ),
        (datetime(2026, 1, 2, 3, 4, 5, 999), "2026-01-02T03:04:05Z"),
    ],
)
def test_format_datetime(value: datetime, expected: str) -> None:
    assert format_datetime(value) == expected


async def test_list_conversations_query() -> None:
    api = MockApi().on("GET", "/v2/conversations", hal("conversations", [{"id": 1}], size=25))
    async with make_client(api) as client:
        page = await client.list_conversations(
            mailbox=[1, 2],
            folder=3,
            status="all",
            tag=["red", "blue"],
            assigned_to=4,
            query='subject:"x"',
            modified_since=datetime(2026, 1, 2, 3, 4, 5, 123, tzinfo=UTC),
            sort_field="modifiedAt",
            sort_order="desc",
            page=2,
        )
    assert [c.id for c in page.items] == [1]
    assert page.info.size == 25
    assert api.requests[0].query == {
        "mailbox": ["1,2"],
        "folder": ["3"],
        "status": ["all"],
        "tag": ["red,blue"],
        "assigned_to": ["4"],
        "query": ['subject:"x"'],
        "modifiedSince": ["2026-01-02T03:04:05Z"],
        "sortField": ["modifiedAt"],
        "sortOrder": ["desc"],
        "page": ["2"],
    }


async def test_default_status_is_active_and_page_one() -> None:
    api = MockApi().on("GET", "/v2/conversations", hal("conversations", []))
    async with make_client(api) as client:
        await client.list_conversations()
    assert api.requests[0].query == {"status": ["active"], "page": ["1"]}


async def test_missing_embedded_is_an_empty_page() -> None:
    body = {"page": {"size": 25, "totalElements": 0, "totalPages": 0, "number": 1}}
    api = MockApi().on("GET", "/v2/conversations", httpx.Response(200, json=body))
    async with make_client(api) as client:
        page = await client.list_conversations()
        everything = await client.list_all_conversations()
    assert page.items == [] and everything == []


async def test_all_pages_fetch_2_to_n_concurrently_bounded() -> None:
    active = 0
    peak = 0
    full = asyncio.Event()  # three pages in flight together: the bound was reached

    async def answer(request: httpx.Request) -> httpx.Response:
        nonlocal active, peak
        number = int(request.url.params["page"])
        active += 1
        peak = max(peak, active)
        if active >= 3:
            full.set()
        if number > 1:  # hold later pages until they overlap (never again once they did)
            await asyncio.wait_for(full.wait(), timeout=10)
        active -= 1
        items = [{"id": number * 10 + i} for i in range(2)]
        return hal("conversations", items, number=number, total_pages=6, size=2)

    api = MockApi().on("GET", "/v2/conversations", answer)
    async with make_client(api) as client:
        items = await client.list_all_conversations(status="all", concurrency=3)
    assert [c.id for c in items] == [n * 10 + i for n in range(1, 7) for i in range(2)]
    assert api.requests[0].query["page"] == ["1"]
    assert sorted(int(r.query["page"][0]) for r in api.requests[1:]) == [2, 3, 4, 5, 6]
    assert peak == 3  # pages overlapped, never more than the bound


async def test_all_pages_respects_max_pages_and_dedupes() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params["page"])
        items = [{"id": number}, {"id": 1}]  # id 1 shifts onto every page
        return hal("conversations", items, number=number, total_pages=9)

    api = MockApi().on("GET", "/v2/conversations", answer)
    async with make_client(api) as client:
        items = await client.list_all_conversations(max_pages=3)
    assert [c.id for c in items] == [1, 2, 3]
    assert len(api.requests) == 3


def numbered_pages(total: int) -> Callable[[httpx.Request], httpx.Response]:
    """Page N holds conversation N, out of ``total`` pages."""

    def answer(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params["page"])
        return hal("conversations", [{"id": number}], number=number, total_pages=total)

    return answer


async def test_conversation_pages_just_page_n_is_one_request() -> None:
    api = MockApi().on("GET", "/v2/conversations", numbered_pages(9))
    async with make_client(api) as client:
        pages = [p async for p in client.conversation_pages(first_page=4, max_pages=1)]
    assert [p.items[0].id for p in pages] == [4]
    assert [r.query["page"] for r in api.requests] == [["4"]]


async def test_conversation_pages_from_n_to_the_end_in_order() -> None:
    api = MockApi().on("GET", "/v2/conversations", numbered_pages(5))
    async with make_client(api) as client:
        pages = [p async for p in client.conversation_pages(first_page=3, concurrency=1)]
    assert [p.items[0].id for p in pages] == [3, 4, 5]
    assert [r.query["page"][0] for r in api.requests] == ["3", "4", "5"]


async def test_conversation_pages_stop_at_a_condition_asks_no_more() -> None:
    api = MockApi().on("GET", "/v2/conversations", numbered_pages(9))
    async with make_client(api) as client, aclosing(client.conversation_pages()) as pages:
        async for page in pages:
            if page.items[0].id == 1:
                break
    assert [r.query["page"] for r in api.requests] == [["1"]]


async def test_conversation_pages_ahead_asks_page_two_with_page_one() -> None:
    api = MockApi().on("GET", "/v2/conversations", numbered_pages(1))
    async with make_client(api) as client:
        pages = [p async for p in client.conversation_pages(ahead=1)]
    assert [p.items[0].id for p in pages] == [1]  # the guessed page 2 is dropped
    assert sorted(r.query["page"][0] for r in api.requests) == ["1", "2"]


async def test_list_threads_returns_every_page_oldest_first() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params["page"])
        newest_first = {1: [{"id": 4}, {"id": 3}], 2: [{"id": 2}, {"id": 1}]}[number]
        return hal("threads", newest_first, number=number, total_pages=2)

    api = MockApi().on("GET", "/v2/conversations/5/threads", answer)
    async with make_client(api) as client:
        threads = await client.list_threads(5)
    assert [t.id for t in threads] == [1, 2, 3, 4]


async def test_get_conversation_embeds_threads() -> None:
    body = {"id": 5, "_embedded": {"threads": [{"id": 1, "type": "message"}]}}
    api = MockApi().on("GET", "/v2/conversations/5", httpx.Response(200, json=body))
    async with make_client(api) as client:
        conv = await client.get_conversation(5, embed_threads=True)
    assert conv.embedded_threads[0].type == "message"
    assert api.requests[0].query == {"embed": ["threads"]}


async def test_get_follows_the_merged_conversation_redirect() -> None:
    moved = httpx.Response(301, headers={"Location": f"{BASE}/v2/conversations/6"})
    api = MockApi().on("GET", "/v2/conversations/5", moved)
    api.on("GET", "/v2/conversations/6", httpx.Response(200, json={"id": 6}))
    async with make_client(api) as client:
        conv = await client.get_conversation(5)
    assert conv.id == 6


async def test_list_users_mailbox_filter() -> None:
    api = MockApi().on("GET", "/v2/users", hal("users", [ME]))
    async with make_client(api) as client:
        users = await client.list_users(3)
    assert users[0].name == "Ada Agent"
    assert api.requests[0].query == {"mailbox": ["3"], "page": ["1"]}


# --- bad answers -------------------------------------------------------------------


async def test_undecodable_200_is_invalid_response() -> None:
    api = MockApi().on("GET", "/v2/users/me", httpx.Response(200, text="<html>oops"))
    async with make_client(api) as client:
        with pytest.raises(InvalidResponse):
            await client.get_me()


async def test_payload_failing_validation_is_invalid_response() -> None:
    api = MockApi().on("GET", "/v2/users/me", httpx.Response(200, json={"firstName": "no id"}))
    api.on("GET", "/v2/tags", httpx.Response(200, json={"_embedded": {"tags": "nope"}}))
    async with make_client(api) as client:
        with pytest.raises(InvalidResponse):
            await client.get_me()
        with pytest.raises(InvalidResponse):
            await client.list_tags()


async def test_validation_error_body_is_parsed() -> None:
    body = {
        "logRef": "1a2b",
        "message": "Bad request",
        "_embedded": {
            "errors": [{"path": "subject", "message": "may not be empty", "rejectedValue": ""}]
        },
    }
    answer = httpx.Response(
        400, content=json.dumps(body), headers={"Content-Type": "application/vnd.error+json"}
    )
    api = MockApi().on("PATCH", "/v2/conversations/5", answer)
    async with make_client(api) as client:
        with pytest.raises(ValidationFailed) as err:
            await client.update_subject(5, "")
    exc = err.value
    assert exc.status == 400
    assert exc.message == "Bad request"
    assert exc.log_ref == "1a2b"
    assert exc.errors[0].path == "subject"
    assert exc.errors[0].rejected_value == ""
    assert str(exc) == "Help Scout rejected the request: subject may not be empty (logRef 1a2b)."


async def test_non_json_error_body_does_not_crash() -> None:
    api = MockApi().on("DELETE", "/v2/conversations/5", httpx.Response(403, text="\x1b[31mno"))
    async with make_client(api) as client:
        with pytest.raises(HelpScoutError) as err:
            await client.delete_conversation(5)
    assert err.value.status == 403
    assert "\x1b" not in str(err.value)


async def test_no_credentials_and_no_token_is_not_signed_in() -> None:
    api = MockApi()
    client = HelpScoutClient(BASE, transport=api.transport())
    with pytest.raises(NotSignedIn):
        await client.get_me()
    await client.aclose()
    assert api.requests == []


async def test_secrets_not_in_repr() -> None:
    api = MockApi()
    client = make_client(api)
    text = repr(client) + repr(client.credentials) + repr(client.token) + str(client.credentials)
    assert "app-secret" not in text and "tok-1" not in text and "ref-1" not in text
    await client.aclose()


async def test_unused_sleep_default_is_asyncio_sleep() -> None:
    client = HelpScoutClient(BASE)
    assert client._sleep is asyncio.sleep
    await client.aclose()


def test_now_is_utc() -> None:
    assert NOW.tzinfo is UTC


async def test_conversation_pages_ask_a_window_ahead_of_the_reader_not_every_page() -> None:
    api = MockApi().on("GET", "/v2/conversations", numbered_pages(40))
    async with (
        make_client(api) as client,
        aclosing(client.conversation_pages(concurrency=2)) as pages,
    ):
        seen = []
        async for page in pages:
            seen.append(page.items[0].id)
            for _ in range(20):  # a slow reader: the fetches ahead get every chance to run
                await asyncio.sleep(0)
            asked = len(api.requests)
            assert asked <= page.items[0].id + 4 + 1, f"{asked} pages asked by page {seen[-1]}"
    assert seen == list(range(1, 41))
    assert sorted(int(r.query["page"][0]) for r in api.requests) == list(range(1, 41))
