"""The token store: keyring first, owner-only file where no keyring works."""

from __future__ import annotations

import json
import logging
import stat

import keyring
import keyring.backends.fail
import keyring.backends.null
import pytest
from keyring.backend import KeyringBackend

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


# --- a keyring that fails now and then --------------------------------------------------


class FlakyKeyring(KeyringBackend):
    """A keyring whose next ``failures[name]`` calls of ``name`` raise, then work."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}
        self.failures: dict[str, int] = {}
        self.calls: list[str] = []

    def _maybe_fail(self, name: str) -> None:
        self.calls.append(name)
        if self.failures.get(name, 0) > 0:
            self.failures[name] -= 1
            raise keyring.errors.KeyringError("the Secret Service is busy")

    def get_password(self, service: str, username: str) -> str | None:
        self._maybe_fail("get")
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._maybe_fail("set")
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self._maybe_fail("delete")
        if (service, username) not in self.store:
            raise keyring.errors.PasswordDeleteError("none")
        del self.store[(service, username)]


@pytest.fixture
def flaky(tmp_path) -> FlakyKeyring:
    backend = FlakyKeyring()
    keyring.set_keyring(backend)
    return backend


def _store(tmp_path) -> KeyringTokenStore:
    return KeyringTokenStore(fallback=FileTokenStore(tmp_path / "s.json"), sleep=lambda s: None)


def test_a_keyring_error_once_is_retried_and_nothing_goes_to_the_file(tmp_path, flaky) -> None:
    store = _store(tmp_path)
    store.save(token("one", refresh="r1"), CREDS)
    flaky.failures = {"set": 1, "get": 1}
    store.save(token("two", refresh="r2"))  # a refresh token rotated during a hiccup
    assert not (tmp_path / "s.json").exists()
    assert store.location == "system keyring"
    loaded = _store(tmp_path).load()
    assert loaded is not None and loaded.refresh_token == "r2"
    assert store.load_credentials() == CREDS


def test_a_lasting_keyring_failure_keeps_one_generation_and_heals(tmp_path, flaky) -> None:
    store = _store(tmp_path)
    store.save(token("one", refresh="r1"), CREDS)
    flaky.failures = {"get": 3, "set": 3, "delete": 3}  # every attempt of one call fails
    store.save(token("two", refresh="r2"))
    file = tmp_path / "s.json"
    assert file.exists() and json.loads(file.read_text())["token"]["refresh_token"] == "r2"
    # The keyring still holds the old, dead generation (its delete failed too) ...
    assert json.loads(flaky.store[("hsinbox", "session")])["token"]["refresh_token"] == "r1"
    # ... and the next start, with the keyring working again, takes the newer copy, puts
    # it back in the keyring and removes the file: one generation, in one place.
    fresh = _store(tmp_path)
    loaded = fresh.load()
    assert loaded is not None and loaded.refresh_token == "r2"
    assert fresh.load_credentials() == CREDS
    assert not file.exists()
    assert json.loads(flaky.store[("hsinbox", "session")])["token"]["refresh_token"] == "r2"
    assert fresh.location == "system keyring"


def test_writing_to_the_file_removes_the_keyring_copy_when_it_can(tmp_path, flaky) -> None:
    store = _store(tmp_path)
    store.save(token("one", refresh="r1"), CREDS)
    flaky.failures = {"set": 3}  # writing fails, deleting works
    store.save(token("two", refresh="r2"))
    assert flaky.store == {}
    assert (tmp_path / "s.json").exists()
    assert store.load().refresh_token == "r2"  # type: ignore[union-attr]


def test_an_older_file_beside_the_keyring_is_removed(tmp_path, flaky) -> None:
    FileTokenStore(tmp_path / "s.json").save(token("old", refresh="r0"), CREDS)
    store = _store(tmp_path)
    flaky.store[("hsinbox", "session")] = FileTokenStore(tmp_path / "s.json")._read() or ""
    flaky.store[("hsinbox", "session")] = json.dumps(
        {**json.loads(flaky.store[("hsinbox", "session")]), "saved_at": 9e12}
    )
    assert store.load().access_token == "old"  # type: ignore[union-attr]
    assert not (tmp_path / "s.json").exists()


def test_a_sign_in_replaces_everything_and_records_the_user(tmp_path, flaky) -> None:
    store = _store(tmp_path)
    store.save(token("one"), CREDS)
    assert store.load_user_id() is None
    store.sign_in(token("ready"), None, 42)
    assert store.load_credentials() is None and store.load_user_id() == 42
    store.save(token("renewed"))
    assert store.load_user_id() == 42
