"""Hermetic tests: no user config, no real keyring, no NO_COLOR, files under tmp_path."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import keyring
import pytest
from keyring.backend import KeyringBackend
from testdata import new_sandbox_client, read_api_example

from hsinbox.helpscout.client import HelpScoutClient


class MemoryKeyring(KeyringBackend):
    """A keyring that lives for one test."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


@pytest.fixture(autouse=True)
def _hermetic(tmp_path, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    for var in (
        "HSINBOX_API_URL",
        "HSINBOX_APP_ID",
        "HSINBOX_APP_SECRET",
        "HSINBOX_CONFIG",
        "HSINBOX_TOKEN",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    monkeypatch.setenv("EDITOR", "true")
    previous = keyring.get_keyring()
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    yield memory
    keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring(_hermetic) -> MemoryKeyring:
    return _hermetic


@pytest.fixture
def api_example() -> Callable[[str], Any]:
    """``api_example("docs/customer-get.json")``: a Help Scout example from tests/fixtures."""
    return read_api_example


@pytest.fixture
async def sandbox_client() -> AsyncIterator[Callable[..., HelpScoutClient]]:
    """``sandbox_client(sb, transport=…, url=…, sleep=…)``: a real client signed in to a
    Sandbox with its app credentials, closed when the test ends (see testdata.new_sandbox_client).
    """
    clients: list[HelpScoutClient] = []

    def make(sb: Any, **options: Any) -> HelpScoutClient:
        client = new_sandbox_client(sb, **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()
