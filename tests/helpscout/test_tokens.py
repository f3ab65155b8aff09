"""The token store: keyring first, owner-only file where no keyring works."""

from __future__ import annotations

import json
import logging
import stat

import keyring
import keyring.backends.fail
import keyring.backends.null
import pytest

from hsinbox import paths
from hsinbox.helpscout.auth import AppCredentials
from hsinbox.helpscout.tokens import (
    FileTokenStore,
    KeyringTokenStore,
    MemoryTokenStore,
    TokenStore,
    default_token_store,
)

from .mockapi import token

CREDS = AppCredentials("app-id", "app-secret")


def test_keyring_store_round_trip(memory_keyring) -> None:
    store = default_token_store()
    assert store.location == "system keyring"
    assert store.load() is None
    store.save(token("acc", refresh="ref"), CREDS)
    (key, raw), *_ = memory_keyring.store.items()
    assert key == ("hsinbox", "session")
    doc = json.loads(raw)
    assert doc["token"]["access_token"] == "acc"
    assert doc["app_secret"] == "app-secret"
    loaded = store.load()
    assert loaded is not None and loaded.refresh_token == "ref"
    assert store.load_credentials() == CREDS
    assert store.warning is None
    assert not (paths.config_dir() / "session.json").exists()


def test_save_without_credentials_keeps_the_saved_ones(memory_keyring) -> None:
    store = KeyringTokenStore()
    store.save(token("one"), CREDS)
    store.save(token("two"))
    assert store.load().access_token == "two"  # type: ignore[union-attr]
    assert store.load_credentials() == CREDS


def test_clear_removes_everything(memory_keyring) -> None:
    store = KeyringTokenStore()
    store.save(token(), CREDS)
    store.clear()
    assert store.load() is None and store.load_credentials() is None
    assert memory_keyring.store == {}
    store.clear()  # clearing twice is fine


def test_fail_keyring_falls_back_to_private_file(caplog) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    with caplog.at_level(logging.WARNING):
        store = default_token_store()
        store.save(token("acc"), CREDS)
        store.save(token("acc2"), CREDS)
        store.load()
    path = paths.config_dir() / "session.json"
    assert store.location == str(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert store.load().access_token == "acc2"  # type: ignore[union-attr]
    assert store.warning is not None and str(path) in store.warning
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "acc" not in caplog.text and "app-secret" not in caplog.text
    store.clear()
    assert not path.exists()


def test_taken_warning_is_not_logged_again(caplog) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    store = KeyringTokenStore()
    with caplog.at_level(logging.WARNING):
        assert store.load() is None  # reading alone does not warn
        assert caplog.records == []
        assert store.take_warning() == store.warning
        store.save(token(), CREDS)
    assert caplog.records == []


def test_null_keyring_falls_back_to_file(tmp_path) -> None:
    keyring.set_keyring(keyring.backends.null.Keyring())
    store = KeyringTokenStore(fallback=FileTokenStore(tmp_path / "s.json"))
    assert store.location == str(tmp_path / "s.json")
    store.save(token("acc"), CREDS)
    assert stat.S_IMODE((tmp_path / "s.json").stat().st_mode) == 0o600


def test_keyring_error_at_runtime_switches_to_file(tmp_path, memory_keyring, monkeypatch) -> None:
    store = KeyringTokenStore(fallback=FileTokenStore(tmp_path / "s.json"))
    assert store.location == "system keyring"

    def broken(*args: object) -> None:
        raise keyring.errors.KeyringError("no secret service")

    monkeypatch.setattr(keyring, "set_password", broken)
    store.save(token("acc"), CREDS)
    assert store.location == str(tmp_path / "s.json")
    assert stat.S_IMODE((tmp_path / "s.json").stat().st_mode) == 0o600
    assert store.load().access_token == "acc"  # type: ignore[union-attr]
    assert store.warning and "no secret service" not in repr(store)


def test_unreadable_saved_document_is_treated_as_signed_out(memory_keyring) -> None:
    memory_keyring.store[("hsinbox", "session")] = "{not json"
    store = KeyringTokenStore()
    assert store.load() is None
    assert store.load_credentials() is None


def test_memory_store_and_protocol() -> None:
    store = MemoryTokenStore()
    assert isinstance(store, TokenStore)
    assert isinstance(KeyringTokenStore(), TokenStore)
    store.save(token("x"), CREDS)
    assert store.saves == 1 and store.load().access_token == "x"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "store_factory", [MemoryTokenStore, KeyringTokenStore, lambda: FileTokenStore()]
)
def test_repr_never_shows_secrets(store_factory) -> None:
    store = store_factory()
    store.save(token("SECRET-ACCESS", refresh="SECRET-REFRESH"), AppCredentials("id", "SECRET-APP"))
    text = repr(store) + str(store) + repr(store.load()) + repr(store.load_credentials())
    assert "SECRET" not in text
