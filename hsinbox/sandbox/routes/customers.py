"""Customers: records, lookup by id or email, and the customer endpoints.

A customer PATCH is a JSON Patch *array*, unlike a conversation PATCH.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx

from hsinbox.sandbox.refs import customer_ref
from hsinbox.sandbox.routes.checks import (
    EMAIL_RE,
    enum_param_problem,
    found,
    is_int,
    modified_since_param,
    query_param,
    require,
    sort_order_param,
)
from hsinbox.sandbox.routes.customer_changes import (
    CUSTOMER_SCALARS,
    apply_customer_op,
    checked_customer_body,
    checked_entry,
    contact_entry,
)
from hsinbox.sandbox.routes.request import Req, Route
from hsinbox.sandbox.routes.responses import created, page_response
from hsinbox.sandbox.util import FieldProblem, bad_request, empty_response, json_response

if TYPE_CHECKING:
    from hsinbox.sandbox.routes.router import Api

CUSTOMER_QUERY_FIELDS = {"firstname", "lastname", "email", "phone", "organization", "id"}
SORT_KEYS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "createdAt": lambda c: c["createdAt"],
    "modifiedAt": lambda c: c["updatedAt"],
    "firstName": lambda c: (c.get("firstName") or "").lower(),
    "lastName": lambda c: (c.get("lastName") or "").lower(),
}


def new_customer(
    api: Api,
    fields: dict[str, Any],
    emails: list[dict[str, Any]],
    phones: list[dict[str, Any]],
) -> dict[str, Any]:
    cid = api.next_id("customer", 13)
    cust: dict[str, Any] = {
        "id": cid,
        "firstName": fields.get("firstName"),
        "lastName": fields.get("lastName"),
        "gender": fields.get("gender") or "Unknown",
        "jobTitle": fields.get("jobTitle"),
        "location": fields.get("location"),
        "organization": fields.get("organization"),
        "organizationId": None,
        "photoType": "unknown",
        "photoUrl": None,
        "age": fields.get("age"),
        "createdAt": api.now,
        "updatedAt": api.now,
        "background": fields.get("background"),
        "draft": False,
        "_embedded": {
            "emails": [contact_entry(api, e, "work") for e in emails],
            "phones": [contact_entry(api, p, "work") for p in phones],
            "chats": [],
            "social_profiles": [],
            "websites": [],
            "properties": [],
            "address": None,
        },
    }
    api.sb.state["customers"].append(cust)
    api.customers[cid] = cust
    api.sb.mark_dirty()
    return cust


def find_or_create_customer(
    api: Api, spec: Any, path: str, problems: list[FieldProblem]
) -> dict[str, Any] | None:
    """The customer ``{"id"}`` names, or the one with ``{"email"}`` (created when new)."""
    if not isinstance(spec, dict):
        problems.append(FieldProblem(path, "may not be null", spec, "NotNull"))
        return None
    if spec.get("id") is not None:
        cid = spec["id"]
        if not is_int(cid) or cid not in api.customers:
            problems.append(
                FieldProblem(f"{path}.id", "Invalid identifier", cid, "InvalidIdentifier")
            )
            return None
        return api.customers[cid]
    email = spec.get("email")
    if not isinstance(email, str) or not EMAIL_RE.match(email):
        message = "Not well-formed email" if email else "customer id or email is required"
        problems.append(
            FieldProblem(
                f"{path}.email" if email else path,
                message,
                email,
                "Email" if email else "NotNull",
            )
        )
        return None
    for cust in api.customers.values():
        if any(e["value"].lower() == email.lower() for e in cust["_embedded"]["emails"]):
            return cust
    fields = {
        k: spec.get(k)
        for k in ("firstName", "lastName", "organization", "jobTitle")
        if isinstance(spec.get(k), str)
    }
    return new_customer(api, fields, [{"type": "work", "value": email}], [])


def _customer_changed(api: Api, cust: dict[str, Any]) -> httpx.Response:
    """Person refs in conversations carry the name and email: keep them current."""
    ref = customer_ref(cust)
    for conv in api.convs.values():
        if conv["primaryCustomer"]["id"] == cust["id"]:
            conv["primaryCustomer"] = ref
    if api.block is not None:
        api.block.customer_changed(ref)
    api.sb.mark_dirty()
    return empty_response(204)


def render_customer(req: Req, cust: dict[str, Any]) -> dict[str, Any]:
    base = f"{req.origin}/v2/customers/{cust['id']}"
    out = dict(cust)
    links = {
        "address": {"href": f"{base}/address"},
        "chats": {"href": f"{base}/chats"},
        "emails": {"href": f"{base}/emails"},
        "phones": {"href": f"{base}/phones"},
        "social-profiles": {"href": f"{base}/social-profiles"},
        "websites": {"href": f"{base}/websites"},
        "self": {"href": base},
    }
    if cust.get("organizationId"):
        links["organization"] = {"href": f"{req.origin}/v2/organizations/{cust['organizationId']}"}
    out["_links"] = links
    return out


def _search_doc(cust: dict[str, Any]) -> dict[str, list[str]]:
    emb = cust["_embedded"]
    emails = [e["value"] for e in emb["emails"]]
    phones = [p["value"] for p in emb["phones"]]
    names = [cust.get("firstName") or "", cust.get("lastName") or ""]
    return {
        "firstname": [names[0]],
        "lastname": [names[1]],
        "email": emails,
        "phone": phones,
        "organization": [cust.get("organization") or ""],
        "id": [str(cust["id"])],
        "_text": [*names, " ".join(names), *emails, cust.get("organization") or ""],
    }


def _customer(api: Api, req: Req) -> dict[str, Any]:
    return found(api.customers, req.params["id"], "Customer")


def get_customer(api: Api, req: Req) -> httpx.Response:
    return json_response(200, render_customer(req, _customer(api, req)))


def list_customers(api: Api, req: Req) -> httpx.Response:
    q = req.query
    customers = list(api.customers.values())
    for name in ("firstName", "lastName"):
        if q.get(name):
            customers = [c for c in customers if (c.get(name) or "").lower() == q[name].lower()]
    since = modified_since_param(q)
    if since is not None:
        customers = [c for c in customers if c["updatedAt"] >= since]
    predicate = query_param(q, CUSTOMER_QUERY_FIELDS, frozenset({"id"}))
    if predicate is not None:
        customers = [c for c in customers if predicate(_search_doc(c))]
    sort_field = q.get("sortField") or "createdAt"
    if sort_field not in SORT_KEYS:
        raise bad_request(enum_param_problem("sortField", sorted(SORT_KEYS), sort_field))
    problems: list[FieldProblem] = []
    order = sort_order_param(q, problems)
    require(problems)
    key = SORT_KEYS[sort_field]
    customers.sort(key=lambda c: (key(c), c["id"]), reverse=order == "desc")
    return page_response(req, [render_customer(req, c) for c in customers], "customers")


def create_customer(api: Api, req: Req) -> httpx.Response:
    body = req.json_object()
    problems: list[FieldProblem] = []
    emails, phones = checked_customer_body(body, problems)
    require(problems)
    fields = {k: body.get(k) for k in CUSTOMER_SCALARS}
    cust = new_customer(api, fields, emails, phones)
    return created(f"{req.origin}/v2/customers/{cust['id']}", cust["id"])


def put_customer(api: Api, req: Req) -> httpx.Response:
    cust = _customer(api, req)
    body = req.json_object()
    problems: list[FieldProblem] = []
    emails, phones = checked_customer_body(body, problems)
    require(problems)
    for name in CUSTOMER_SCALARS:
        cust[name] = body.get(name)
    if cust["gender"] is None:
        cust["gender"] = "Unknown"
    if "emails" in body:
        cust["_embedded"]["emails"] = [contact_entry(api, e, "work") for e in emails]
    if "phones" in body:
        cust["_embedded"]["phones"] = [contact_entry(api, p, "work") for p in phones]
    cust["updatedAt"] = api.now
    return _customer_changed(api, cust)


def patch_customer(api: Api, req: Req) -> httpx.Response:
    cust = _customer(api, req)
    body = req.json(patch=True)
    if not isinstance(body, list):
        raise bad_request(
            FieldProblem("body", "Request payload must be in the form of array", anchor="Invalid")
        )
    if not body:
        raise bad_request(FieldProblem("body", "may not be empty", [], "NotEmpty"))
    work = json.loads(json.dumps(cust))
    problems: list[FieldProblem] = []
    for i, op in enumerate(body):
        apply_customer_op(api, work, op, f"[{i}]", problems)
    require(problems)
    work["updatedAt"] = api.now
    cust.clear()
    cust.update(work)
    return _customer_changed(api, cust)


def _entries(api: Api, req: Req) -> tuple[dict[str, Any], str, list[dict[str, Any]]]:
    cust = _customer(api, req)
    kind = "emails" if "/emails" in req.path else "phones"
    return cust, kind, cust["_embedded"][kind]


def _entry(entries: list[dict[str, Any]], req: Req, kind: str) -> dict[str, Any]:
    raw = req.params["entry"]
    by_id = {e["id"]: e for e in entries}
    return found(by_id, raw, "Email" if kind == "emails" else "Phone")


def _checked_entry_body(req: Req, kind: str) -> dict[str, Any]:
    """The entry endpoints' body: ``{type, value}``, both required (as the SDK sends it)."""
    body = req.json_object()
    problems: list[FieldProblem] = []
    if body.get("type") is None:
        problems.append(FieldProblem("type", "may not be null", None, "NotNull"))
    entry = checked_entry(body, "", kind, problems)
    require(problems)
    assert entry is not None
    return entry


def list_entries(api: Api, req: Req) -> httpx.Response:
    _cust, kind, entries = _entries(api, req)
    return json_response(200, {"_embedded": {kind: entries}})


def create_entry(api: Api, req: Req) -> httpx.Response:
    """POST /v2/customers/{id}/emails (phones): one new entry; 201 with its id."""
    cust, kind, entries = _entries(api, req)
    checked = _checked_entry_body(req, kind)
    entry = contact_entry(api, checked, "work")
    entries.append(entry)
    cust["updatedAt"] = api.now
    _customer_changed(api, cust)
    return created(f"{req.origin}/v2/customers/{cust['id']}/{kind}/{entry['id']}", entry["id"])


def update_entry(api: Api, req: Req) -> httpx.Response:
    """PUT /v2/customers/{id}/emails/{entryId}: the entry's type and value; 204."""
    cust, kind, entries = _entries(api, req)
    entry = _entry(entries, req, kind)
    checked = _checked_entry_body(req, kind)
    entry["value"], entry["type"] = checked["value"], checked["type"]
    cust["updatedAt"] = api.now
    return _customer_changed(api, cust)


def delete_entry(api: Api, req: Req) -> httpx.Response:
    cust, kind, entries = _entries(api, req)
    entries.remove(_entry(entries, req, kind))
    cust["updatedAt"] = api.now
    return _customer_changed(api, cust)


_ENTRY = r"/v2/customers/(?P<id>\d+)/(?:emails|phones)"

ROUTES = [
    Route("GET", _ENTRY, list_entries),
    Route("POST", _ENTRY, create_entry),
    Route("PUT", _ENTRY + r"/(?P<entry>\d+)", update_entry),
    Route("DELETE", _ENTRY + r"/(?P<entry>\d+)", delete_entry),
    Route("GET", r"/v2/customers", list_customers),
    Route("POST", r"/v2/customers", create_customer),
    Route("GET", r"/v2/customers/(?P<id>\d+)", get_customer),
    Route("PATCH", r"/v2/customers/(?P<id>\d+)", patch_customer),
    Route("PUT", r"/v2/customers/(?P<id>\d+)", put_customer),
]
