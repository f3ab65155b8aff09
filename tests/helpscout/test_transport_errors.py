"""Every way the transport can fail becomes one of the client's documented errors, worded by
hsinbox (no httpx class name on the screen); only a 2xx answer to a write is a success."""

from __future__ import annotations

import httpx
import pytest

from hsinbox.helpscout import (
    ConversationMerged,
    HelpScoutError,
    InvalidResponse,
    NetworkError,
    OutcomeUnknown,
)
from hsinbox.helpscout.client import MAX_REDIRECTS
from hsinbox.helpscout.errors import UnexpectedAnswer

from .mockapi import BASE, MockApi, make_client

HTTPX_WORDS = ("httpx", "Error", "Timeout", "Redirects", "Protocol")


def assert_our_words(exc: BaseException) -> None:
    text = str(exc)
    assert not any(word in text for word in HTTPX_WORDS), text
    assert exc.__cause__ is None and exc.__suppress_context__


def loop_to_itself(request: httpx.Request) -> httpx.Response:
    return httpx.Response(301, headers={"Location": str(request.url)})


async def test_a_redirect_loop_on_a_read_stops_after_max_redirects_with_one_sentence() -> None:
    api = MockApi().on("GET", "/v2/conversations/5", loop_to_itself)
    async with make_client(api) as client:
        with pytest.raises(InvalidResponse) as err:
            await client.get_conversation(5)
    assert len(api.requests) == MAX_REDIRECTS + 1
    assert str(err.value) == (
        "Help Scout sent a response hsinbox could not read: Help Scout redirected the "
        f"request more than {MAX_REDIRECTS} times."
    )
    assert_our_words(err.value)


async def test_a_merge_chain_that_loops_stops_too() -> None:
    api = MockApi()
    api.on(
        "GET",
        "/v2/conversations/5",
        httpx.Response(301, headers={"Location": f"{BASE}/v2/conversations/6"}),
    )
    api.on(
        "GET",
        "/v2/conversations/6",
        httpx.Response(301, headers={"Location": f"{BASE}/v2/conversations/5"}),
    )
    async with make_client(api) as client:
        with pytest.raises(InvalidResponse):
            await client.get_conversation(5)
    assert len(api.requests) == MAX_REDIRECTS + 1


@pytest.mark.parametrize(
    ("exc", "error"),
    [
        (httpx.ConnectError("refused"), NetworkError),
        (httpx.ConnectTimeout("slow"), NetworkError),
        (httpx.PoolTimeout("pool"), NetworkError),
        (httpx.ProxyError("proxy"), NetworkError),
        (httpx.UnsupportedProtocol("ftp"), NetworkError),
        (httpx.LocalProtocolError("bad header"), NetworkError),
        (httpx.InvalidURL("bad url"), NetworkError),
        (httpx.ReadError("reset"), OutcomeUnknown),
        (httpx.WriteError("broken"), OutcomeUnknown),
        (httpx.ReadTimeout("slow"), OutcomeUnknown),
        (httpx.WriteTimeout("slow"), OutcomeUnknown),
        (httpx.RemoteProtocolError("eof"), OutcomeUnknown),
        (httpx.DecodingError("gzip"), OutcomeUnknown),
        (httpx.CloseError("close"), OutcomeUnknown),
    ],
)
async def test_every_transport_failure_of_a_write_is_not_sent_or_unknown(
    exc: Exception, error: type[HelpScoutError]
) -> None:
    api = MockApi().on("POST", "/v2/conversations/5/notes", exc)
    async with make_client(api) as client:
        with pytest.raises(error) as err:
            await client.add_note(5, "hi")
    assert type(err.value) is error
    assert len(api.requests) == 1  # a write is never re-sent blindly
    assert_our_words(err.value)


@pytest.mark.parametrize(
    ("exc", "error", "tries"),
    [
        (httpx.ConnectError("refused"), NetworkError, 3),
        (httpx.ReadTimeout("slow"), NetworkError, 3),
        (httpx.RemoteProtocolError("eof"), NetworkError, 3),
        (httpx.InvalidURL("bad url"), NetworkError, 3),
        (httpx.DecodingError("gzip"), InvalidResponse, 1),
    ],
)
async def test_every_transport_failure_of_a_read_is_documented(
    exc: Exception, error: type[HelpScoutError], tries: int
) -> None:
    api = MockApi().on("GET", "/v2/users/me", exc)
    async with make_client(api) as client:
        with pytest.raises(error) as err:
            await client.get_me()
    assert len(api.requests) == tries
    assert_our_words(err.value)


@pytest.mark.parametrize("status", [301, 302, 303, 304, 307, 308])
async def test_a_3xx_answer_to_a_write_is_not_success(status: int) -> None:
    elsewhere = httpx.Response(status, headers={"Location": f"{BASE}/v2/users/me"})
    api = MockApi().on("PUT", "/v2/conversations/5/tags", elsewhere)
    async with make_client(api) as client:
        with pytest.raises(UnexpectedAnswer) as err:
            await client.set_tags(5, ["vip"])
    assert err.value.status == status
    assert str(err.value) == (
        f"Help Scout did not apply the change: it answered HTTP {status} instead of applying it."
    )
    assert [r.method for r in api.requests] == ["PUT"]  # not followed, not re-sent


async def test_a_3xx_to_a_customer_write_is_not_success() -> None:
    api = MockApi().on("PATCH", "/v2/customers/7", httpx.Response(302))
    async with make_client(api) as client:
        with pytest.raises(UnexpectedAnswer):
            await client.update_customer(7, [{"op": "replace", "path": "/firstName", "value": "A"}])


async def test_a_301_to_a_conversation_write_pointing_elsewhere_is_a_merge() -> None:
    moved = httpx.Response(301, headers={"Location": f"{BASE}/v2/conversations/9"})
    api = MockApi().on("PATCH", "/v2/conversations/5", moved)
    heard: list[tuple[int, int]] = []
    async with make_client(api) as client:
        client.on_merged = lambda old, new: heard.append((old, new))
        with pytest.raises(ConversationMerged) as err:
            await client.update_status(5, "closed")
    assert (err.value.old_id, err.value.new_id, err.value.status) == (5, 9, 301)
    assert client.merged == {5: 9}
    assert heard == []  # the caller follows it (the outbox does), as after a 404
    assert len(api.requests) == 1


async def test_a_non_redirect_3xx_to_a_read_is_invalid() -> None:
    api = MockApi().on("GET", "/v2/users/me", httpx.Response(304))
    async with make_client(api) as client:
        with pytest.raises(InvalidResponse):
            await client.get_me()
