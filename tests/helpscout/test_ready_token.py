"""A ready access token (``HSINBOX_TOKEN``, ``auth login --token``): used as it is, never
refreshed; a 401 says in one line to sign in again."""

from __future__ import annotations

import pytest

from hsinbox.helpscout.auth import READY_TOKEN_GRANT, client_credentials_grant, ready_token
from hsinbox.helpscout.client import HelpScoutClient
from hsinbox.helpscout.errors import AuthError
from hsinbox.helpscout.tokens import MemoryTokenStore
from hsinbox.sandbox import Sandbox

from .mockapi import token as stored_token


async def _issued(sb: Sandbox) -> str:
    from hsinbox.helpscout.auth import AppCredentials

    minted = await client_credentials_grant(
        AppCredentials(sb.app_id, sb.app_secret),
        base_url="https://api.helpscout.net",
        transport=sb.transport(),
    )
    return minted.access_token


async def test_hsinbox_token_is_used_and_a_401_says_sign_in_again(monkeypatch) -> None:
    sb = Sandbox()
    access = await _issued(sb)
    monkeypatch.setenv("HSINBOX_TOKEN", f"Bearer {access}\n")
    monkeypatch.setenv("HSINBOX_APP_ID", "ignored-id")  # the ready token wins
    monkeypatch.setenv("HSINBOX_APP_SECRET", "ignored-secret")
    store = MemoryTokenStore(stored_token("stored"))
    async with HelpScoutClient.from_env(store, transport=sb.transport()) as client:
        assert client.token_store is None and client.credentials is None
        me = await client.get_me()
        assert me.id == sb.me_id
        before = len(sb.requests)
        sb.faults.expire_tokens()
        with pytest.raises(AuthError) as refused:
            await client.get_me()
    assert [r.path for r in sb.requests[before:]] == ["/v2/users/me"]  # no refresh attempt
    text = str(refused.value)
    assert "\n" not in text and access not in text
    assert "access token was refused" in text and "hsinbox auth login --token" in text
    assert store.saves == 0


def test_a_ready_token_is_one_word() -> None:
    assert ready_token("  Bearer abc.def ").access_token == "abc.def"
    assert ready_token("abc").grant == READY_TOKEN_GRANT
    for bad in ("", "   ", "two words"):
        with pytest.raises(ValueError):
            ready_token(bad)


def test_a_bad_hsinbox_token_is_one_sentence(monkeypatch) -> None:
    monkeypatch.setenv("HSINBOX_TOKEN", "two words")
    with pytest.raises(AuthError) as err:
        HelpScoutClient.from_env(MemoryTokenStore())
    assert "HSINBOX_TOKEN" in str(err.value) and "two words" not in str(err.value)


async def test_a_stored_ready_token_is_never_refreshed() -> None:
    sb = Sandbox()
    access = await _issued(sb)
    store = MemoryTokenStore()
    store.sign_in(ready_token(access), None, sb.me_id)
    async with HelpScoutClient.from_env(store, transport=sb.transport()) as client:
        assert client.credentials is None
        await client.get_me()
        sb.faults.expire_tokens()
        with pytest.raises(AuthError, match="access token was refused"):
            await client.get_me()
    assert not [r for r in sb.requests if r.path == "/v2/oauth2/token"][1:]
