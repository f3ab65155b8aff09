"""Small helpers shared by the sandbox: dates, HAL pages, error bodies, HTML previews.

Kept free of state so the routing core and the seed can both use them.
"""

from __future__ import annotations

import html
import json
import math
import re
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx

HAL = "application/hal+json;charset=UTF-8"
VND_ERROR = "application/vnd.error+json"
PLAIN_JSON = "application/json;charset=UTF-8"
ERRORS_DOC = "http://developer.helpscout.net/mailbox-api/overview/errors"

DATE_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


class ApiError(Exception):
    """Raised inside a handler; turned into a vnd.error response by the core."""

    def __init__(
        self,
        status: int,
        message: str,
        errors: Iterable[FieldProblem] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = list(errors)
        self.headers = dict(headers or {})


class FieldProblem:
    """One entry of ``_embedded.errors`` in a validation error."""

    __slots__ = ("anchor", "message", "path", "rejected", "source")

    _MISSING = object()

    def __init__(
        self,
        path: str,
        message: str,
        rejected: Any = _MISSING,
        anchor: str = "Invalid",
        source: str = "JSON",
    ) -> None:
        self.path = path
        self.message = message
        self.rejected = rejected
        self.anchor = anchor
        self.source = source

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "message": self.message}
        if self.rejected is not FieldProblem._MISSING:
            out["rejectedValue"] = self.rejected
        out["source"] = self.source
        out["_links"] = {"about": {"href": f"{ERRORS_DOC}#{self.anchor}"}}
        return out


def bad_request(*problems: FieldProblem, message: str = "Bad request") -> ApiError:
    return ApiError(400, message, problems)


def error_body(status: int, message: str, errors: list[FieldProblem]) -> dict[str, Any]:
    body: dict[str, Any] = {"logRef": str(uuid.uuid4()), "message": message}
    if errors:
        body["_embedded"] = {"errors": [e.to_json() for e in errors]}
    body["_links"] = {"about": {"href": ERRORS_DOC}}
    return body


def json_response(
    status: int,
    body: Any,
    content_type: str = HAL,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    all_headers = {"Content-Type": content_type}
    if headers:
        all_headers.update(headers)
    content = json.dumps(body, ensure_ascii=False).encode("utf-8")
    return httpx.Response(status, headers=all_headers, content=content)


def empty_response(status: int, headers: Mapping[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, headers=dict(headers or {}), content=b"")


# --- dates ------------------------------------------------------------------------------


def iso(dt: datetime) -> str:
    """Help Scout's date format: UTC, seconds, a literal Z, never milliseconds."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def parse_strict_date(value: Any, path: str, source: str = "JSON") -> datetime:
    """Accept exactly ``yyyy-MM-ddTHH:mm:ssZ``; anything else is a Malformed date."""
    if isinstance(value, str) and DATE_RE.match(value):
        try:
            return parse_iso(value)
        except ValueError:
            pass
    raise bad_request(
        FieldProblem(
            path,
            "Malformed date: expected yyyy-MM-dd'T'HH:mm:ss'Z'",
            value,
            "MalformedDate",
            source,
        )
    )


def friendly(then: datetime, now: datetime) -> str:
    """Help Scout's ``customerWaitingSince.friendly`` text ("20 hours ago")."""
    seconds = max(0, int((now - then).total_seconds()))
    for size, unit in (
        (86400 * 365, "year"),
        (86400 * 30, "month"),
        (86400, "day"),
        (3600, "hour"),
        (60, "min"),
    ):
        if seconds >= size:
            n = seconds // size
            word = unit if n == 1 else f"{unit}s"
            return f"{n} {word} ago"
    return "just now"


# --- HTML -------------------------------------------------------------------------------

_TAG_RE = re.compile(r"<[^>]+>")
_BLOCK_RE = re.compile(r"<\s*(br|/p|/div|/li|/blockquote)[^>]*>", re.IGNORECASE)
_WS_RE = re.compile(r"\s+")


def html_to_preview(body: str | None, limit: int = 185) -> str:
    """The preview Help Scout shows in lists: the text of the body, whitespace folded."""
    if not body:
        return ""
    text = _BLOCK_RE.sub(" ", body[: limit * 40])
    text = html.unescape(_TAG_RE.sub("", text))
    text = _WS_RE.sub(" ", text).strip()
    return text[:limit]


def html_to_text(body: str | None) -> str:
    if not body:
        return ""
    return _WS_RE.sub(" ", html.unescape(_TAG_RE.sub(" ", body))).strip()


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "tag"


# --- HAL pages --------------------------------------------------------------------------


def page_of(
    items: list[Any],
    *,
    page: int,
    size: int,
    name: str,
    origin: str,
    path: str,
    query: Mapping[str, str],
    total: int | None = None,
) -> dict[str, Any]:
    """One HAL page. An empty page has no ``_embedded`` key, as the real API does.

    With ``total``, ``items`` are already the page's own (a long list renders only those).
    """
    if total is None:
        total = len(items)
        chunk = items[(page - 1) * size : page * size]
    else:
        chunk = items
    total_pages = math.ceil(total / size) if total else 0

    def href(number: int) -> str:
        params = {k: v for k, v in query.items() if k != "page"}
        params["page"] = str(number)
        return f"{origin}{path}?{urlencode(params)}"

    links: dict[str, Any] = {"self": {"href": href(page)}}
    links["first"] = {"href": href(1)}
    links["last"] = {"href": href(max(total_pages, 1))}
    if page < total_pages:
        links["next"] = {"href": href(page + 1)}
    if page > 1:
        links["previous"] = {"href": href(min(page - 1, max(total_pages, 1)))}
    links["page"] = {"href": f"{origin}{path}{{?page}}", "templated": True}
    body: dict[str, Any] = {}
    if chunk:
        body["_embedded"] = {name: chunk}
    body["_links"] = links
    body["page"] = {
        "size": size,
        "totalElements": total,
        "totalPages": total_pages,
        "number": page,
    }
    return body


def parse_page(query: Mapping[str, str]) -> int:
    raw = query.get("page")
    if raw is None:
        return 1
    try:
        number = int(raw)
    except ValueError:
        number = 0
    if number < 1:
        raise bad_request(
            FieldProblem("page", "must be greater than or equal to 1", raw, "Min", "QUERY")
        )
    return number


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
