"""Organizations, customer properties (definitions and a customer's values).

``GET /v2/organizations/{id}``, ``…/{id}/customers`` and ``…/{id}/conversations`` (paged,
newest first); ``GET /v2/customer-properties`` (the definitions); ``PATCH
/v2/customers/{id}/properties`` (a JSON Patch array: ``replace`` or ``remove`` on ``/{slug}``).

The shapes are seen in public clients, not on a docs page (unverified); the sandbox chooses:
definitions are a HAL page named ``customer-properties``; a dropdown value is its option id
(the option's label is the ``text``), a date is ``YYYY-MM-DD``, a number must parse, a url must
start with http(s)://.
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Any

import httpx

from hsinbox.sandbox.routes.checks import found, require
from hsinbox.sandbox.routes.conversation_list import CONVERSATION_PAGE
from hsinbox.sandbox.routes.conversations import render_conversation
from hsinbox.sandbox.routes.customers import render_customer
from hsinbox.sandbox.routes.request import Req, Route
from hsinbox.sandbox.routes.responses import page_response
from hsinbox.sandbox.util import FieldProblem, bad_request, empty_response, json_response

if TYPE_CHECKING:
    from hsinbox.sandbox.routes.router import Api

NUMBER_RE = re.compile(r"^-?\d+(\.\d+)?$")
MAX_TEXT = 255


def _org(api: Api, req: Req) -> dict[str, Any]:
    orgs = {o["id"]: o for o in api.sb.state.get("organizations", [])}
    return found(orgs, req.params["id"], "Organization")


def _members(api: Api, org: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in api.customers.values() if c.get("organizationId") == org["id"]]


def _conversations(api: Api, org: dict[str, Any]) -> list[dict[str, Any]]:
    members = {c["id"] for c in _members(api, org)}
    convs = [
        c
        for c in api.convs.values()
        if c["primaryCustomer"]["id"] in members and c["state"] == "published"
    ]
    convs.sort(key=lambda c: (c["createdAt"], c["id"]), reverse=True)
    return convs


def render_org(api: Api, req: Req, org: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in org.items() if k != "sandbox"}
    convs = _conversations(api, org)
    out["customerCount"] = len(_members(api, org))
    out["conversationCount"] = len(convs)
    out["lastInteractionAt"] = convs[0]["sandbox"]["modifiedAt"] if convs else None
    base = f"{req.origin}/v2/organizations/{org['id']}"
    out["_links"] = {
        "self": {"href": base},
        "customers": {"href": f"{base}/customers"},
        "conversations": {"href": f"{base}/conversations"},
    }
    return out


def get_organization(api: Api, req: Req) -> httpx.Response:
    return json_response(200, render_org(api, req, _org(api, req)))


def organization_customers(api: Api, req: Req) -> httpx.Response:
    members = sorted(_members(api, _org(api, req)), key=lambda c: c["id"])
    return page_response(req, [render_customer(req, c) for c in members], "customers")


def organization_conversations(api: Api, req: Req) -> httpx.Response:
    convs = _conversations(api, _org(api, req))
    items = [render_conversation(api, req, c) for c in convs]
    return page_response(req, items, "conversations", size=CONVERSATION_PAGE)


def list_properties(api: Api, req: Req) -> httpx.Response:
    return page_response(
        req, list(api.sb.state.get("customerProperties", [])), "customer-properties"
    )


def property_value(
    definition: dict[str, Any], raw: Any, path: str, problems: list[FieldProblem]
) -> tuple[str, str] | None:
    """``(value, text)`` as stored for ``raw``, or None with a problem added."""
    kind = definition["type"]
    value = str(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) else raw
    if not isinstance(value, str) or not value.strip():
        problems.append(FieldProblem(path, "may not be empty", raw, "NotEmpty"))
        return None
    if kind == "dropdown":
        label = next((o["label"] for o in definition["options"] if str(o["id"]) == value), None)
        if label is None:
            problems.append(
                FieldProblem(path, "Invalid option identifier", raw, "InvalidIdentifier")
            )
            return None
        return value, label
    if kind == "number" and not NUMBER_RE.match(value):
        problems.append(FieldProblem(path, "must be a number", raw, "InvalidNumber"))
        return None
    if kind == "date":
        try:
            date.fromisoformat(value)
            ok = len(value) == 10
        except ValueError:
            ok = False
        if not ok:
            problems.append(FieldProblem(path, "must be a date (YYYY-MM-DD)", raw, "MalformedDate"))
            return None
    if kind == "url" and not re.match(r"^https?://\S+$", value):
        problems.append(FieldProblem(path, "must be a URL", raw, "Invalid"))
        return None
    if len(value) > MAX_TEXT:
        problems.append(FieldProblem(path, f"must be at most {MAX_TEXT} characters", raw, "Size"))
        return None
    return value, value


def patch_properties(api: Api, req: Req) -> httpx.Response:
    cust = found(api.customers, req.params["id"], "Customer")
    body = req.json(patch=True)
    if not isinstance(body, list) or not body:
        raise bad_request(
            FieldProblem("body", "Request payload must be a non-empty array", anchor="Invalid")
        )
    definitions = {d["slug"]: d for d in api.sb.state.get("customerProperties", [])}
    current = {p["slug"]: dict(p) for p in cust["_embedded"].get("properties", [])}
    problems: list[FieldProblem] = []
    for i, op in enumerate(body):
        where = f"[{i}]"
        if not isinstance(op, dict) or op.get("op") not in ("replace", "add", "remove"):
            problems.append(
                FieldProblem(f"{where}.op", "Expected one of these: 'replace', 'remove'")
            )
            continue
        path = op.get("path")
        slug = path[1:] if isinstance(path, str) and path.startswith("/") else None
        if slug not in definitions:
            problems.append(FieldProblem(f"{where}.path", "Unknown property", path, "Invalid"))
            continue
        if op["op"] == "remove":
            current.pop(slug, None)
            continue
        checked = property_value(definitions[slug], op.get("value"), f"{where}.value", problems)
        if checked is not None:
            d = definitions[slug]
            current[slug] = {
                "type": d["type"],
                "slug": slug,
                "name": d["name"],
                "value": checked[0],
                "text": checked[1],
                "source": {"type": "api"},
            }
    require(problems)
    order = list(definitions)
    cust["_embedded"]["properties"] = sorted(current.values(), key=lambda p: order.index(p["slug"]))
    cust["updatedAt"] = api.now
    api.sb.mark_dirty()
    return empty_response(204)


ROUTES = [
    Route("GET", r"/v2/organizations/(?P<id>\d+)", get_organization),
    Route("GET", r"/v2/organizations/(?P<id>\d+)/customers", organization_customers),
    Route("GET", r"/v2/organizations/(?P<id>\d+)/conversations", organization_conversations),
    Route("GET", r"/v2/customer-properties", list_properties),
    Route("PATCH", r"/v2/customers/(?P<id>\d+)/properties", patch_properties),
]
