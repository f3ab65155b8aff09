"""prepare_tls(): the start-up's TLS context is built once, off the main thread, and used."""

from __future__ import annotations

import ssl
import threading

import pytest

from hsinbox.helpscout import client as client_module
from hsinbox.helpscout.client import HelpScoutClient, prepare_tls


async def test_the_prepared_context_goes_to_the_next_client_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built: list[tuple[ssl.SSLContext, str]] = []

    def create() -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        built.append((context, threading.current_thread().name))
        return context

    monkeypatch.setattr(client_module.httpx, "create_ssl_context", create)
    prepare_tls()
    prepare_tls()  # a second call while one is pending starts nothing
    first = HelpScoutClient("https://api.helpscout.net")
    second = HelpScoutClient("https://api.helpscout.net")
    try:
        assert len(built) == 1
        prepared, thread_name = built[0]
        assert thread_name != threading.main_thread().name
        assert first._http._transport._pool._ssl_context is prepared  # type: ignore[attr-defined]
        # The second builds its own, as httpx always did.
        own = second._http._transport._pool._ssl_context  # type: ignore[attr-defined]
        assert isinstance(own, ssl.SSLContext) and own is not prepared
    finally:
        await first.aclose()
        await second.aclose()
