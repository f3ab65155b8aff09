"""``PUT /v2/conversations/{id}/fields``: replaces a conversation's whole custom-field set.

A field left out of the body is removed. A dropdown's value is an option id, a date is
``YYYY-MM-DD``, a number must parse. Whether a required field may be left out is not
documented; the sandbox accepts it (required is enforced by Help Scout's UI when closing).
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Any

import httpx

from hsinbox.sandbox.routes.checks import is_int, require
from hsinbox.sandbox.routes.request import Req, Route
from hsinbox.sandbox.util import FieldProblem, bad_request, empty_response

if TYPE_CHECKING:
    from hsinbox.sandbox.routes.router import Api

DATE_RE = re.compile(r"^\d{4}-\d\d-\d\d$")
NUMBER_RE = re.compile(r"^-?\d+(\.\d+)?$")
MAX_TEXT = 255


def mailbox_fields(api: Api, mailbox_id: int) -> dict[int, dict[str, Any]]:
    return {
        f["id"]: f
        for f in api.sb.state.get("fields", [])
        if f["sandbox"]["mailboxId"] == mailbox_id
    }


def checked_value(
    field: dict[str, Any], raw: Any, path: str, problems: list[FieldProblem]
) -> tuple[str, str | None] | None:
    """``(value, text)`` as stored for ``raw``, or None with a problem added."""
    kind = field["type"]
    value = str(raw) if is_int(raw) or isinstance(raw, float) else raw
    if not isinstance(value, str):
        problems.append(FieldProblem(path, "must be a string", raw, "Invalid"))
        return None
    if kind == "dropdown":
        label = next((o["label"] for o in field["options"] if str(o["id"]) == value), None)
        if label is None:
            problems.append(
                FieldProblem(path, "Invalid option identifier", raw, "InvalidIdentifier")
            )
            return None
        return value, label
    if kind == "date":
        ok = bool(DATE_RE.match(value))
        if ok:
            try:
                date.fromisoformat(value)
            except ValueError:
                ok = False
        if not ok:
            problems.append(
                FieldProblem(path, "Malformed date: expected yyyy-MM-dd", raw, "MalformedDate")
            )
            return None
        return value, value
    if kind == "number":
        if not NUMBER_RE.match(value.strip()):
            problems.append(FieldProblem(path, "Invalid number", raw, "InvalidNumber"))
            return None
        return value.strip(), value.strip()
    if len(value) > MAX_TEXT and kind == "singleline":
        problems.append(FieldProblem(path, f"size must be at most {MAX_TEXT}", raw, "Size"))
        return None
    return value, value


def put_fields(api: Api, req: Req) -> httpx.Response:
    conv = api.conversation(req)
    body = req.json_object()
    spec = body.get("fields")
    if not isinstance(spec, list):
        raise bad_request(FieldProblem("fields", "may not be null", spec, "NotNull"))
    known = mailbox_fields(api, conv["mailboxId"])
    problems: list[FieldProblem] = []
    out: list[dict[str, Any]] = []
    seen: set[int] = set()
    for i, item in enumerate(spec):
        fid = item.get("id") if isinstance(item, dict) else None
        if not is_int(fid) or fid not in known:
            problems.append(
                FieldProblem(f"fields[{i}].id", "Invalid identifier", fid, "InvalidIdentifier")
            )
            continue
        if fid in seen:
            problems.append(FieldProblem(f"fields[{i}].id", "Duplicate field", fid, "Invalid"))
            continue
        seen.add(fid)
        assert isinstance(item, dict)
        f = known[fid]
        checked = checked_value(f, item.get("value"), f"fields[{i}].value", problems)
        if checked is not None:
            out.append({"id": fid, "name": f["name"], "value": checked[0], "text": checked[1]})
    require(problems)
    order = {fid: f["order"] for fid, f in known.items()}
    conv["customFields"] = sorted(out, key=lambda x: (order[x["id"]], x["id"]))
    api.touch(conv)
    return empty_response(204)


ROUTES = [Route("PUT", r"/v2/conversations/(?P<id>\d+)/fields", put_fields)]
