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
    if len(parts) == 1:
        _collection_op(api, entries, kind, name, value, where, problems)
    else:
        _entry_op(entries, kind, name, parts[1:], value, where, path, problems)


def _collection_op(
    api: Api,
    entries: list[dict[str, Any]],
    kind: str,
    name: str,
    value: Any,
    where: str,
    problems: list[FieldProblem],
) -> None:
    """``add /emails`` with one ``{type, value}`` (Help Scout's docs), or ``replace /emails``
    with the whole list (hscli's reference). The collection itself cannot be removed."""
    if kind == "remove":
        problems.append(
            FieldProblem(f"{where}.path", f"/{name} cannot be removed", f"/{name}", "Invalid")
        )
        return
    if kind == "add":
        entry = checked_entry(value, f"{where}.value", name, problems)
        if entry is not None:
            entries.append(contact_entry(api, entry, "work"))
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


def _entry_op(
    entries: list[dict[str, Any]],
    kind: str,
    name: str,
    rest: list[str],
    value: Any,
    where: str,
    path: str,
    problems: list[FieldProblem],
) -> None:
    """``remove /emails/{id}``, ``replace /emails/{id}`` with ``{type, value}``, or
    ``replace /emails/{id}/value`` (``/type``) with a string, as the docs' paths show."""
    entry = next((e for e in entries if rest[0].isdigit() and e["id"] == int(rest[0])), None)
    if entry is None:
        problems.append(
            FieldProblem(f"{where}.path", f"No such entry: {path}", path, "InvalidIdentifier")
        )
        return
    if len(rest) == 1 and kind == "remove":
        entries.remove(entry)
        return
    if len(rest) == 1 and kind == "replace":
        checked = checked_entry(value, f"{where}.value", name, problems)
        if checked is not None:
            entry["value"] = checked["value"]
            entry["type"] = checked["type"] or entry["type"]
        return
    if len(rest) == 2 and kind == "replace" and rest[1] in ("value", "type"):
        current = {"value": entry["value"], "type": entry["type"], rest[1]: value}
        checked = checked_entry(current, f"{where}.value", name, problems)
        if checked is not None:
            entry["value"], entry["type"] = checked["value"], checked["type"]
        return
    problems.append(
        FieldProblem(f"{where}.path", f"Unsupported operation: {kind} {path}", path, "Invalid")
    )
