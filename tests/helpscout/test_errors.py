"""Error messages: one sentence, Help Scout's details, nothing unsafe."""

from __future__ import annotations

import httpx
import pytest

from hsinbox.helpscout.errors import (
    AuthError,
    HelpScoutError,
    NotFound,
    NotSignedIn,
    OutcomeUnknown,
    PermissionDenied,
    RateLimited,
    ServerError,
    ValidationFailed,
    error_from_response,
)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, ValidationFailed),
        (401, AuthError),
        (403, PermissionDenied),
        (404, NotFound),
        (409, HelpScoutError),
        (412, HelpScoutError),
        (422, ValidationFailed),
        (429, RateLimited),
        (500, ServerError),
        (503, ServerError),
    ],
)
def test_status_maps_to_class(status: int, cls: type) -> None:
    err = error_from_response(httpx.Response(status, json={"message": "nope"}))
    assert type(err) is cls
    assert err.status == status
    text = str(err)
    assert "\n" not in text and text.endswith(".")


def test_message_without_field_errors() -> None:
    err = error_from_response(
        httpx.Response(404, json={"message": "Conversation not found", "logRef": "x1"})
    )
    assert str(err) == "Help Scout could not find it: Conversation not found (logRef x1)."


def test_unknown_status_says_the_code() -> None:
    err = error_from_response(httpx.Response(412, json={"message": "Too many threads"}))
    assert str(err) == "Help Scout refused the request: HTTP 412, Too many threads."


def test_several_field_errors_are_joined() -> None:
    body = {
        "message": "Bad request",
        "_embedded": {
            "errors": [
                {"path": "subject", "message": "may not be empty"},
                {
                    "path": "status",
                    "message": "Expected one of these: 'active'",
                    "rejectedValue": "W",
                },
                "garbage",
            ]
        },
    }
    err = error_from_response(httpx.Response(400, json=body))
    assert str(err) == (
        "Help Scout rejected the request: subject may not be empty; "
        "status Expected one of these: 'active'."
    )


@pytest.mark.parametrize(
    "body", [b"", b"<html>Bad Gateway</html>", b"\xff\xfe", b"[1,2]", b'{"message": 5}']
)
def test_unreadable_bodies_do_not_crash(body: bytes) -> None:
    err = error_from_response(httpx.Response(502, content=body))
    assert str(err) == "Help Scout had a server error (HTTP 502): Bad Gateway."


def test_control_characters_and_length_are_tamed() -> None:
    err = error_from_response(
        httpx.Response(400, json={"message": "\x1b]52;c;evil\x07 line\nnext" + "x" * 1000})
    )
    text = str(err)
    assert "\x1b" not in text and "\x07" not in text and "\n" not in text
    assert len(text) < 400


def test_special_messages() -> None:
    assert "hsinbox auth login" in str(NotSignedIn())
    assert "may or may not have been applied" in str(OutcomeUnknown("ReadError"))
    assert str(RateLimited(retry_after=12)) == (
        "Help Scout's rate limit was reached: try again in 12 s."
    )
