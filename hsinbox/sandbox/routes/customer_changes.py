"""Checking and applying customer changes: scalar fields, email/phone entries, JSON Patch ops."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hsinbox.sandbox.routes.checks import EMAIL_RE, one_of
from hsinbox.sandbox.util import FieldProblem

if TYPE_CHECKING:
    from hsinbox.sandbox.routes.router import Api

EMAIL_TYPES = ("home", "work", "other")
PHONE_TYPES = ("home", "fax", "mobile", "pager", "work", "other")
CUSTOMER_SCALARS = {
    "firstName": 40,
    "lastName": 40,
    "organization": 60,
    "jobTitle": 60,
    "background": 200,
    "location": 60,
    "gender": 20,
    "age": 20,
}
"""The customer's plain string fields and their longest allowed length."""


def contact_entry(api: Api, spec: dict[str, Any], default_type: str) -> dict[str, Any]:
    """A stored email or phone entry with a fresh id."""
    return {
        "id": api.next_id("entry"),
        "value": spec["value"],
        "type": spec.get("type") or default_type,
    }


def checked_entry(
    item: Any, where: str, kind: str, problems: list[FieldProblem]
) -> dict[str, Any] | None:
    """One ``emails``/``phones`` item as ``{"value", "type"}``, or None with a problem."""
    if not isinstance(item, dict):
        problems.append(FieldProblem(where, "must be an object with a 'value'", item, "Invalid"))
        return None
    value = item.get("value")
    types = EMAIL_TYPES if kind == "emails" else PHONE_TYPES
    if not isinstance(value, str) or not value.strip():
        problems.append(FieldProblem(f"{where}.value", "may not be empty", value, "NotEmpty"))
        return None
    if kind == "emails" and not EMAIL_RE.match(value):
        problems.append(FieldProblem(f"{where}.value", "Not well-formed email", value, "Email"))
        return None
    type_ = item.get("type")
    if type_ is not None and type_ not in types:
        problems.append(FieldProblem(f"{where}.type", one_of(types), type_, "EnumValue"))
        return None
    return {"value": value, "type": type_}


def _checked_entries(value: Any, path: str, problems: list[FieldProblem]) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append(FieldProblem(path, "must be an array of objects", value, "Invalid"))
        return []
    out = []
    for i, item in enumerate(value):
        entry = checked_entry(item, f"{path}[{i}]", path, problems)
        if entry is not None:
            out.append(entry)
    return out


def _check_scalars(body: dict[str, Any], problems: list[FieldProblem]) -> None:
    for name, limit in CUSTOMER_SCALARS.items():
        value = body.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            problems.append(FieldProblem(name, "must be a string", value, "Invalid"))
        elif len(value) > limit:
            problems.append(
                FieldProblem(name, f"size must be between 0 and {limit}", value, "Size")
            )


def checked_customer_body(
    body: dict[str, Any], problems: list[FieldProblem]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A create/PUT body's scalars checked; its emails and phones, checked."""
    _check_scalars(body, problems)
    emails = _checked_entries(body.get("emails"), "emails", problems)
    phones = _checked_entries(body.get("phones"), "phones", problems)
    return emails, phones


def apply_customer_op(
    api: Api, cust: dict[str, Any], op: Any, where: str, problems: list[FieldProblem]
) -> None:
    """Apply one JSON Patch op to a working copy of a customer, or add a problem."""
    if not isinstance(op, dict):
        problems.append(FieldProblem(where, "must be a JSON Patch object", op, "Invalid"))
        return
    kind, path, value = op.get("op"), op.get("path"), op.get("value")
    if kind not in ("add", "remove", "replace"):
        problems.append(
            FieldProblem(f"{where}.op", one_of(("add", "remove", "replace")), kind, "EnumValue")
        )
        return
    if not isinstance(path, str):
        problems.append(FieldProblem(f"{where}.path", "may not be empty", path, "NotEmpty"))
        return
    unsupported = FieldProblem(f"{where}.path", f"Unsupported path: {path}", path, "EnumValue")
    parts = path.strip("/").split("/")
    name = parts[0]
    if name in CUSTOMER_SCALARS and len(parts) == 1:
        if kind == "remove":
            cust[name] = None
            return
        limit = CUSTOMER_SCALARS[name]
        if not isinstance(value, str) or len(value) > limit:
            problems.append(
                FieldProblem(name, f"must be a string of at most {limit} characters", value, "Size")
            )
            return
        cust[name] = value
        return
    if name not in ("emails", "phones"):
        problems.append(unsupported)
        return
    entries: list[dict[str, Any]] = cust["_embedded"][name]
    # As the API reference documents (and a strict Help Scout enforces): the list is
    # replaced whole with ``{value, type}`` objects; adding one object to the collection or
    # removing an entry by id is a 400.
    if len(parts) != 1 or kind != "replace":
        problems.append(
            FieldProblem(
                f"{where}.path",
                f"Only 'replace' of the whole /{name} list of {{value, type}} objects is "
                f"supported, not '{kind} {path}'",
                path,
                "Invalid",
            )
        )
        return
    if not isinstance(value, list):
        problems.append(
            FieldProblem(f"{where}.value", "must be an array of objects", value, "Invalid")
        )
        return
    fresh: list[dict[str, Any]] = []
    for i, item in enumerate(value):
        entry = checked_entry(item, f"{where}.value[{i}]", name, problems)
        if entry is None:
            continue
        same = next(
            (e for e in entries if e["value"].casefold() == entry["value"].casefold()), None
        )
        if same is not None and same not in fresh:
            fresh.append({**same, "value": entry["value"], "type": entry["type"] or same["type"]})
        else:
            fresh.append(contact_entry(api, entry, "work"))
    entries[:] = fresh
