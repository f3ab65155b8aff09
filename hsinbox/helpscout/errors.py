"""One family of errors for everything that can go wrong talking to Help Scout.

Every ``str()`` is a single sentence a person can act on. Text that came from the API is
untrusted: it is stripped of control characters and shortened before it reaches a message.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import httpx

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]+")
_MAX_DETAIL = 300


def clean_detail(text: Any, limit: int = _MAX_DETAIL) -> str:
    """Make API-provided text safe for a one-line message: no control chars, bounded."""
    if text is None:
        return ""
    value = _CONTROL.sub(" ", str(text))
    value = " ".join(value.split())
    if len(value) > limit:
        value = value[: limit - 1].rstrip() + "…"
    return value


@dataclass(frozen=True)
class FieldError:
    """One entry of ``_embedded.errors``: which field, what is wrong, what was sent."""

    path: str | None
    message: str
    rejected_value: Any = None

    def describe(self) -> str:
        path = clean_detail(self.path, 80)
        message = clean_detail(self.message)
        return f"{path} {message}".strip() if path else message


class HelpScoutError(Exception):
    """Base of every error the client raises."""

    prefix = "Help Scout refused the request"

    def __init__(
        self,
        message: str = "",
        *,
        status: int | None = None,
        errors: list[FieldError] | None = None,
        log_ref: str | None = None,
    ) -> None:
        self.status = status
        self.message = message or ""
        self.errors: list[FieldError] = list(errors or [])
        self.log_ref = log_ref
        super().__init__(self.message)

    def detail(self) -> str:
        """Field errors when there are any (they say more than the top message), else message."""
        if self.errors:
            return "; ".join(e.describe() for e in self.errors if e.describe())
        return clean_detail(self.message)

    def _prefix(self) -> str:
        return self.prefix

    def __str__(self) -> str:
        head = self._prefix()
        detail = self.detail()
        text = f"{head}: {detail}" if detail else head
        if self.log_ref:
            text += f" (logRef {clean_detail(self.log_ref, 80)})"
        if not text.endswith((".", "?", "!", "…")):
            text += "."
        return text

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, message={self.message!r})"


class AuthError(HelpScoutError):
    prefix = "Help Scout did not accept the sign-in"


class NotSignedIn(AuthError):
    """No credentials at all: nothing to send."""

    def __init__(self, message: str = "") -> None:
        super().__init__(
            message
            or "Not signed in to Help Scout: run `hsinbox auth login`, or set "
            "HSINBOX_APP_ID and HSINBOX_APP_SECRET (or HSINBOX_TOKEN)."
        )

    def __str__(self) -> str:
        return clean_detail(self.message, 500)


class PermissionDenied(HelpScoutError):
    prefix = "Help Scout denied access"


class NotFound(HelpScoutError):
    prefix = "Help Scout could not find it"


class ValidationFailed(HelpScoutError):
    prefix = "Help Scout rejected the request"


class RateLimited(HelpScoutError):
    prefix = "Help Scout's rate limit was reached"

    def __init__(self, message: str = "", *, retry_after: float = 60.0, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after

    def detail(self) -> str:
        return f"try again in {self.retry_after:g} s"


class ServerError(HelpScoutError):
    def _prefix(self) -> str:
        code = f" (HTTP {self.status})" if self.status else ""
        return f"Help Scout had a server error{code}"


class NetworkError(HelpScoutError):
    """Help Scout could not be reached; for a write, the request was not sent."""

    prefix = "Could not reach Help Scout"


class SignInUnavailable(NetworkError):
    """Getting a token failed for a reason that is not the credentials: Help Scout's sign-in
    answered 5xx, could not be reached, or answered garbage. Nothing was sent (a write
    answered 401 applied nothing either), so the write path waits as when offline; it is
    neither a refused sign-in (``AuthError``) nor one of the write's server errors."""

    prefix = "Could not sign in to Help Scout just now"

    @classmethod
    def from_error(cls, error: HelpScoutError) -> SignInUnavailable:
        if isinstance(error, NetworkError):
            why = "its sign-in could not be reached"
        elif isinstance(error, ServerError):
            why = f"its sign-in had a server error (HTTP {error.status})"
        else:
            why = "its sign-in sent an answer hsinbox could not read"
        return cls(f"{why}; nothing was sent", status=error.status)


class OutcomeUnknown(HelpScoutError):
    """A write was sent and no answer came back."""

    def __str__(self) -> str:
        why = clean_detail(self.message)
        tail = f" ({why})" if why else ""
        return (
            "The connection to Help Scout broke after the change was sent, so it may or may "
            f"not have been applied{tail}; check the conversation before trying again."
        )


class InvalidResponse(HelpScoutError):
    prefix = "Help Scout sent a response hsinbox could not read"


class UnexpectedAnswer(HelpScoutError):
    """A write answered with something other than 2xx or an error (a 3xx): not applied.

    ``location`` is the redirect's target when there was one (a merged conversation's 301).
    """

    prefix = "Help Scout did not apply the change"

    def __init__(self, message: str = "", *, location: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.location = location


_BY_STATUS: dict[int, type[HelpScoutError]] = {
    400: ValidationFailed,
    401: AuthError,
    403: PermissionDenied,
    404: NotFound,
    422: ValidationFailed,
}


def _parse_field_errors(body: dict[str, Any]) -> list[FieldError]:
    embedded = body.get("_embedded")
    raw = embedded.get("errors") if isinstance(embedded, dict) else None
    if not isinstance(raw, list):
        return []
    out: list[FieldError] = []
    for item in raw:
        if not isinstance(item, dict):
            continue
        message = item.get("message")
        out.append(
            FieldError(
                path=item.get("path") if isinstance(item.get("path"), str) else None,
                message=message if isinstance(message, str) else "",
                rejected_value=item.get("rejectedValue"),
            )
        )
    return out


def parse_error_body(response: httpx.Response) -> tuple[str, list[FieldError], str | None]:
    """Read ``message``, ``_embedded.errors`` and ``logRef``; anything unreadable → nothing."""
    try:
        body = json.loads(response.content) if response.content else None
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        return "", [], None
    message = ""
    for key in ("error_description", "message", "error"):
        value = body.get(key)
        if isinstance(value, str) and value.strip():
            message = value
            break
    log_ref = body.get("logRef")
    return message, _parse_field_errors(body), log_ref if isinstance(log_ref, str) else None


def error_from_response(response: httpx.Response) -> HelpScoutError:
    """Map a non-2xx response to the right error class."""
    status = response.status_code
    message, errors, log_ref = parse_error_body(response)
    if not message and not errors:
        message = response.reason_phrase or f"HTTP {status}"
    if status == 429:
        return RateLimited(message, status=status, log_ref=log_ref)
    if status >= 500:
        cls: type[HelpScoutError] = ServerError
    else:
        cls = _BY_STATUS.get(status, HelpScoutError)
    if cls is HelpScoutError:
        message = f"HTTP {status}, {message}" if message else f"HTTP {status}"
    return cls(message, status=status, errors=errors, log_ref=log_ref)


class ConversationMerged(NotFound):
    """The conversation was merged into another: Help Scout answers its old id with a 301
    (reads) or a 404 (writes). ``new_id`` is the survivor; ``None`` when it is not known."""

    def __init__(self, old_id: int, new_id: int | None, *, status: int | None = 404) -> None:
        super().__init__(f"conversation {old_id} was merged", status=status)
        self.old_id = old_id
        self.new_id = new_id

    def __str__(self) -> str:
        if self.new_id is None:
            return f"Conversation {self.old_id} was merged into another conversation."
        return f"Conversation {self.old_id} was merged into conversation {self.new_id}."
