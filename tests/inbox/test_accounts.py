"""Each account's drafts, journal and cache apart: a second account never starts on the
first one's data (the folder is known before the network, from the sign-in)."""

from __future__ import annotations

import pytest

from hsinbox import paths
from hsinbox.helpscout.auth import AppCredentials
from hsinbox.helpscout.models import Token
from hsinbox.helpscout.tokens import default_token_store
from hsinbox.inbox.drafts import Draft
from hsinbox.inbox.wiring import build

CREDS = AppCredentials("app", "secret")


async def _close(wiring) -> None:  # type: ignore[no-untyped-def]
    assert wiring.session is not None and wiring.client is not None
    await wiring.session.close()
    await wiring.client.aclose()


async def test_two_accounts_keep_their_drafts_and_cache_apart() -> None:
    store = default_token_store()
    store.sign_in(Token(access_token="one"), CREDS, 101)
    first = build("live")
    assert first.session is not None
    assert first.session.data_dir == paths.data_dir() / "accounts" / "api.helpscout.net-101"
    assert first.session.cache is not None
    assert (
        first.session.cache.path == paths.cache_dir() / "accounts" / "api.helpscout.net-101.sqlite3"
    )
    first.session.drafts.save(Draft(conversation_id=5, kind="reply", text="for customer A"))
    await _close(first)

    store.sign_in(Token(access_token="two"), CREDS, 202)
    second = build("live")
    assert second.session is not None
    assert second.session.data_dir.name == "api.helpscout.net-202"
    assert second.session.drafts.load(5, "reply") is None
    await _close(second)

    store.sign_in(Token(access_token="one-again"), CREDS, 101)
    again = build("live")
    assert again.session is not None
    draft = again.session.drafts.load(5, "reply")
    assert draft is not None and draft.text == "for customer A"
    await _close(again)


async def test_environment_sign_ins_have_their_own_folders(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HSINBOX_APP_ID", "env-app")
    monkeypatch.setenv("HSINBOX_APP_SECRET", "env-secret")
    by_app = build("live")
    assert by_app.session is not None
    assert by_app.session.data_dir.name.startswith("api.helpscout.net-app-")
    assert "env-app" not in str(by_app.session.data_dir)
    await _close(by_app)
    monkeypatch.setenv("HSINBOX_TOKEN", "ready")
    by_token = build("live")
    assert by_token.session is not None
    assert by_token.session.data_dir.name == "api.helpscout.net-token"
    await _close(by_token)


async def test_a_sign_in_from_before_user_ids_keeps_the_old_folder() -> None:
    default_token_store().save(Token(access_token="old"), CREDS)
    legacy = build("live")
    assert legacy.session is not None and legacy.session.data_dir == paths.data_dir()
    await _close(legacy)
