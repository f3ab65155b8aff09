"""Authorize URL, the one-shot callback listener and the three token grants."""

from __future__ import annotations

import threading
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from hsinbox.helpscout.auth import (
    AppCredentials,
    authorization_code_grant,
    authorize_url,
    client_credentials_grant,
    refresh_token_grant,
)
from hsinbox.helpscout.callback import CallbackServer
from hsinbox.helpscout.errors import AuthError, NetworkError

from .mockapi import BASE, NOW, MockApi, token_answer

CREDS = AppCredentials("app-id", "app-secret")


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_authorize_url_default_is_help_scout_secure_site() -> None:
    url = authorize_url("app id", "st&ate", "http://127.0.0.1:8765/callback")
    assert url.startswith("https://secure.helpscout.net/authentication/authorizeClientApplication?")
    assert _query(url) == {
        "client_id": "app id",
        "state": "st&ate",
        "redirect_uri": "http://127.0.0.1:8765/callback",
    }


def test_authorize_url_follows_a_local_api(monkeypatch) -> None:
    monkeypatch.setenv("HSINBOX_API_URL", "http://127.0.0.1:9000")
    url = authorize_url("a", "s", "http://127.0.0.1:1/callback")
    assert url.startswith("http://127.0.0.1:9000/authentication/authorizeClientApplication?")


def test_authorize_url_override(monkeypatch) -> None:
    monkeypatch.setenv("HSINBOX_AUTHORIZE_URL", "https://auth.example/authorize")
    url = authorize_url("a", "s")
    assert url == "https://auth.example/authorize?client_id=a&state=s"


def test_credentials_repr_hides_secret() -> None:
    assert "app-secret" not in repr(CREDS) and "app-secret" not in str(CREDS)


def _get(url: str) -> httpx.Response:
    return httpx.get(url, timeout=2)


def test_callback_server_returns_code_for_matching_state() -> None:
    with CallbackServer(port=0, timeout=2) as server:
        assert server.port != 0
        assert server.redirect_uri == f"http://127.0.0.1:{server.port}/callback"
        answer = _get(f"{server.redirect_uri}?code=abc&state={server.state}")
        assert answer.status_code == 200
        assert "text/html" in answer.headers["content-type"]
        assert "close this tab" in answer.text
        assert server.wait() == "abc"


def test_callback_server_rejects_wrong_and_missing_state_and_keeps_waiting() -> None:
    with CallbackServer(port=0, timeout=2) as server:
        assert _get(f"{server.redirect_uri}?code=evil&state=wrong").status_code == 400
        assert _get(f"{server.redirect_uri}?code=evil").status_code == 400
        assert _get(f"http://127.0.0.1:{server.port}/other").status_code == 404
        with pytest.raises(AuthError):
            server.wait(timeout=0.05)  # still waiting: nothing accepted yet
        _get(f"{server.redirect_uri}?code=good&state={server.state}")
        assert server.wait() == "good"


def test_callback_server_reports_denial() -> None:
    with CallbackServer(port=0, timeout=2) as server:
        answer = _get(f"{server.redirect_uri}?error=access_denied&state={server.state}")
        assert answer.status_code == 400
        with pytest.raises(AuthError) as err:
            server.wait()
    assert "access_denied" in str(err.value)


def test_callback_server_times_out() -> None:
    with CallbackServer(port=0, timeout=0.05) as server, pytest.raises(AuthError) as err:
        server.wait()
    assert "time ran out" in str(err.value)


def test_callback_states_are_random() -> None:
    assert CallbackServer(port=0).state != CallbackServer(port=0).state
    assert len(CallbackServer(port=0).state) >= 32


def test_callback_port_in_use_is_one_clear_error() -> None:
    with CallbackServer(port=0) as first, pytest.raises(AuthError) as err:
        CallbackServer(port=first.port).start()
    assert "--port" in str(err.value)


def test_callback_from_a_thread_like_a_browser() -> None:
    server = CallbackServer(port=0, timeout=2).start()
    try:
        t = threading.Thread(
            target=_get, args=(f"{server.redirect_uri}?code=c&state={server.state}",)
        )
        t.start()
        assert server.wait() == "c"
        t.join()
    finally:
        server.close()


async def test_grants_send_form_bodies() -> None:
    api = MockApi().on("POST", "/v2/oauth2/token", token_answer("a", "r", expires_in=7200))
    transport = api.transport()
    cc = await client_credentials_grant(CREDS, base_url=BASE, transport=transport, now=NOW)
    code = await authorization_code_grant(
        CREDS, "the-code", "http://127.0.0.1:8765/callback", base_url=BASE, transport=transport
    )
    ref = await refresh_token_grant(CREDS, "old-ref", base_url=BASE, transport=transport)
    assert [r.form for r in api.requests] == [
        {"grant_type": "client_credentials", "client_id": "app-id", "client_secret": "app-secret"},
        {
            "grant_type": "authorization_code",
            "code": "the-code",
            "client_id": "app-id",
            "client_secret": "app-secret",
            "redirect_uri": "http://127.0.0.1:8765/callback",
        },
        {
            "grant_type": "refresh_token",
            "refresh_token": "old-ref",
            "client_id": "app-id",
            "client_secret": "app-secret",
        },
    ]
    assert all(
        r.headers["content-type"] == "application/x-www-form-urlencoded" for r in api.requests
    )
    assert cc.expires_at == NOW + timedelta(seconds=7200)
    assert (cc.grant, code.grant, ref.grant) == (
        "client_credentials",
        "authorization_code",
        "refresh_token",
    )
    assert ref.refresh_token == "r"


async def test_refresh_without_new_refresh_token_keeps_the_old_one() -> None:
    api = MockApi().on("POST", "/v2/oauth2/token", token_answer("a"))
    tok = await refresh_token_grant(CREDS, "old-ref", base_url=BASE, transport=api.transport())
    assert tok.refresh_token == "old-ref"


@pytest.mark.parametrize(
    "exc", [httpx.ConnectError("refused"), httpx.DecodingError("gzip"), httpx.ReadTimeout("t")]
)
async def test_grant_network_failure_is_network_error_in_our_words(exc: Exception) -> None:
    api = MockApi().on("POST", "/v2/oauth2/token", exc)
    with pytest.raises(NetworkError) as err:
        await client_credentials_grant(CREDS, base_url=BASE, transport=api.transport())
    assert str(err.value) == "Could not reach Help Scout: the sign-in request to api.test failed."


def test_redirect_uri_keeps_the_real_port_after_close() -> None:
    with CallbackServer(port=0) as server:
        during = server.redirect_uri
    assert server.redirect_uri == during and not during.endswith(":0/callback")


def test_helpscout_never_imports_textual() -> None:
    import subprocess
    import sys

    code = (
        "import sys, hsinbox.helpscout, hsinbox.helpscout.client, hsinbox.helpscout.auth, "
        "hsinbox.helpscout.tokens; print('textual' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_callback_page_waits_for_the_code_exchange_and_says_when_it_failed() -> None:
    """The tab said "Signed in" even when the code exchange then failed (issue 11, 17)."""
    import threading

    for error, status, title in [
        ("invalid_grant", 400, "Sign-in failed"),
        (None, 200, "Signed in"),
    ]:
        with CallbackServer(port=0, timeout=2, confirm=True) as server:
            answers: list[httpx.Response] = []
            url = f"{server.redirect_uri}?code=abc&state={server.state}"
            browser = threading.Thread(target=lambda u=url, a=answers: a.append(_get(u)))
            browser.start()
            assert server.wait() == "abc"
            assert not answers  # the page is held until the exchange is over
            server.report(error)
            browser.join(timeout=2)
        assert answers[0].status_code == status and title in answers[0].text
        if error:
            assert "Signed in" not in answers[0].text and "invalid_grant" in answers[0].text
