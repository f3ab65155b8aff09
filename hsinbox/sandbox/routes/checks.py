"""Validation helpers: each adds a ``FieldProblem`` (or raises a 400) the way Help Scout does."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any, TypeGuard, TypeVar

from hsinbox.sandbox.query import Predicate, QuerySyntaxError, compile_query
from hsinbox.sandbox.routes.request import Req
from hsinbox.sandbox.util import ApiError, FieldProblem, bad_request, iso, parse_strict_date

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
STATUS_VALUES = ("active", "pending", "closed", "spam")
STATUS_MESSAGE = "Expected one of these: 'active', 'spam', 'open', 'closed', 'pending'"
SORT_ORDERS = ("asc", "desc")
PATCH_OPS = ("add", "move", "remove", "replace")

T = TypeVar("T")


def found(table: Mapping[int, T], key: int, what: str) -> T:
    """``table[key]``, or the 404 "<what> not found"."""
    item = table.get(key)
    if item is None:
        raise ApiError(404, f"{what} not found")
    return item


def is_int(value: Any) -> bool:
    """A JSON integer; ``true`` is not one."""
    return isinstance(value, int) and not isinstance(value, bool)


def one_of(allowed: Collection[str]) -> str:
    return "Expected one of these: " + ", ".join(f"'{a}'" for a in allowed)


def known_id(
    value: Any, known: Collection[int], path: str, problems: list[FieldProblem]
) -> int | None:
    """``value`` when it is the id of something in ``known``, else an InvalidIdentifier."""
    if not is_int(value) or value not in known:
        problems.append(FieldProblem(path, "Invalid identifier", value, "InvalidIdentifier"))
        return None
    return int(value)


def require(problems: list[FieldProblem]) -> None:
    """Raise the 400 that lists ``problems``, when there are any."""
    if problems:
        raise bad_request(*problems)


def non_empty_text(value: Any, path: str, problems: list[FieldProblem]) -> str | None:
    if not isinstance(value, str) or not value.strip():
        problems.append(FieldProblem(path, "may not be empty", value, "NotEmpty"))
        return None
    return value


def status_value(value: Any, path: str, problems: list[FieldProblem]) -> str | None:
    """A conversation status to set; ``open`` is an alias of ``active``."""
    if value == "open":
        return "active"
    if value not in STATUS_VALUES:
        problems.append(FieldProblem(path, STATUS_MESSAGE, value, "EnumValue"))
        return None
    return str(value)


def email_list(value: Any, path: str, problems: list[FieldProblem]) -> list[str]:
    """An optional array of addresses (``cc``, ``bcc``)."""
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append(FieldProblem(path, "must be an array", value, "Invalid"))
        return []
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not EMAIL_RE.match(item):
            problems.append(FieldProblem(f"{path}[{i}]", "Not well-formed email", item, "Email"))
        else:
            out.append(item)
    return out


def tag_names(value: Any) -> TypeGuard[list[str]]:
    """Whether ``value`` is an array of non-blank tag names."""
    return isinstance(value, list) and all(isinstance(t, str) and t.strip() for t in value)


def single_patch(req: Req) -> tuple[str, str, Any]:
    """A conversation or thread PATCH: one JSON Patch object (not an array) as op, path, value."""
    body = req.json(patch=True)
    if isinstance(body, list):
        raise bad_request(
            FieldProblem(
                "body",
                "Request payload must be a single JSON Patch object, not an array",
                anchor="Invalid",
            )
        )
    if not isinstance(body, dict):
        raise bad_request(FieldProblem("body", "must be a JSON Patch object", anchor="Invalid"))
    problems = []
    if body.get("op") not in PATCH_OPS:
        problems.append(FieldProblem("op", one_of(PATCH_OPS), body.get("op"), "EnumValue"))
    if not isinstance(body.get("path"), str):
        problems.append(FieldProblem("path", "may not be empty", body.get("path"), "NotEmpty"))
    require(problems)
    return body["op"], body["path"], body.get("value")


# --- query parameters -------------------------------------------------------------------


def int_param(query: Mapping[str, str], name: str) -> int | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise bad_request(
            FieldProblem(name, "Invalid number", raw, "InvalidNumber", "QUERY")
        ) from None


def int_list_param(query: Mapping[str, str], name: str) -> set[int]:
    """A comma-separated list of numbers, such as ``mailbox=1,2``."""
    raw = query.get(name)
    if not raw:
        return set()
    out = set()
    for part in raw.split(","):
        try:
            out.add(int(part.strip()))
        except ValueError:
            raise bad_request(
                FieldProblem(name, "Invalid number", raw, "InvalidNumber", "QUERY")
            ) from None
    return out


def enum_param_problem(name: str, allowed: Collection[str], value: Any) -> FieldProblem:
    return FieldProblem(name, one_of(allowed), value, "EnumValue", "QUERY")


def sort_order_param(query: Mapping[str, str], problems: list[FieldProblem]) -> str:
    """``sortOrder``, ``desc`` by default, any case."""
    order = (query.get("sortOrder") or "desc").lower()
    if order not in SORT_ORDERS:
        problems.append(enum_param_problem("sortOrder", SORT_ORDERS, query.get("sortOrder")))
    return order


def modified_since_param(query: Mapping[str, str]) -> str | None:
    """``modifiedSince`` in the stored date format, so it compares as a string."""
    if "modifiedSince" not in query:
        return None
    return iso(parse_strict_date(query["modifiedSince"], "modifiedSince", "QUERY"))


def query_param(
    query: Mapping[str, str],
    fields: set[str],
    exact: frozenset[str] = frozenset(),
    ranges: frozenset[str] = frozenset(),
) -> Predicate | None:
    """The ``query`` search expression compiled, or None when there is none."""
    text = query.get("query")
    if not text:
        return None
    try:
        return compile_query(text, fields, exact, ranges)
    except QuerySyntaxError as exc:
        raise bad_request(FieldProblem("query", str(exc), text, "Invalid", "QUERY")) from None
