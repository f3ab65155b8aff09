"""Customers: the docs' shape, arrays of objects, and PATCH as an array of ops."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from hsinbox.sandbox import Sandbox

from .conftest import assert_vnd_error


async def create(api: httpx.AsyncClient, **body: object) -> int:
    r = await api.post("/v2/customers", json=body)
    assert r.status_code == 201 and r.content == b"", r.text
    return int(r.headers["Resource-ID"])


async def test_get_customer_shape(
    sb: Sandbox, api: httpx.AsyncClient, api_example: Callable[[str], Any]
) -> None:
    cust = sb.state["customers"][0]
    body = (await api.get(f"/v2/customers/{cust['id']}")).json()
    expected = api_example("docs/customer-get.json")
    assert {"emails", "phones"} <= set(expected["_embedded"])
    assert set(expected) <= set(body)
    assert set(expected["_embedded"]) <= set(body["_embedded"])
    assert set(body["_embedded"]["emails"][0]) == {"id", "value", "type"}
    assert body["_links"]["self"]["href"].endswith(f"/v2/customers/{cust['id']}")
    assert (await api.get("/v2/customers/1")).status_code == 404


async def test_create_and_list(sb: Sandbox, api: httpx.AsyncClient) -> None:
    cid = await create(
        api,
        firstName="Ada",
        lastName="Lovelace",
        organization="Engines",
        emails=[{"type": "work", "value": "ada@example.org"}],
        phones=[{"type": "mobile", "value": "+44 20 1234"}],
    )
    got = (await api.get(f"/v2/customers/{cid}")).json()
    assert got["firstName"] == "Ada" and got["organization"] == "Engines"
    assert [e["value"] for e in got["_embedded"]["emails"]] == ["ada@example.org"]
    assert got["_embedded"]["phones"][0]["type"] == "mobile"
    found = (await api.get("/v2/customers", params={"query": '(email:"ada@example.org")'})).json()
    assert [c["id"] for c in found["_embedded"]["customers"]] == [cid]
    words = (await api.get("/v2/customers", params={"query": "lovelace"})).json()
    assert [c["id"] for c in words["_embedded"]["customers"]] == [cid]
    page = (await api.get("/v2/customers")).json()
    assert page["page"]["size"] == 50 and page["page"]["totalElements"] == len(
        sb.state["customers"]
    )
    none = (await api.get("/v2/customers", params={"query": 'email:"zz@zz.zz"'})).json()
    assert "_embedded" not in none


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"emails": ["ada@example.org"]}, "emails[0]"),
        ({"phones": ["123"]}, "phones[0]"),
        ({"emails": [{"value": "not-an-email"}]}, "emails[0].value"),
        ({"emails": [{"value": "a@b.co", "type": "pager"}]}, "emails[0].type"),
        ({"firstName": "x" * 41}, "firstName"),
        ({"emails": {"value": "a@b.co"}}, "emails"),
    ],
)
async def test_create_refusals(sb: Sandbox, api: httpx.AsyncClient, body: dict, path: str) -> None:
    count = len(sb.state["customers"])
    assert_vnd_error(await api.post("/v2/customers", json=body), 400, path)
    assert len(sb.state["customers"]) == count


async def test_patch_is_an_array(sb: Sandbox, api: httpx.AsyncClient) -> None:
    cid = await create(api, firstName="Ada", emails=[{"type": "work", "value": "a@x.org"}])
    email_id = sb.customer(cid)["_embedded"]["emails"][0]["id"]
    ops = [
        {"op": "replace", "path": "/lastName", "value": "King"},
        {"op": "replace", "path": "/jobTitle", "value": "Countess"},
        {"op": "replace", "path": "/emails", "value": [{"type": "other", "value": "b@x.org"}]},
        {"op": "replace", "path": "/phones", "value": [{"type": "work", "value": "555"}]},
        {"op": "replace", "path": "/background", "value": "met at a ball"},
        {"op": "remove", "path": "/firstName"},
    ]
    r = await api.patch(f"/v2/customers/{cid}", json=ops)
    assert r.status_code == 204
    cust = sb.customer(cid)
    assert cust["lastName"] == "King" and cust["jobTitle"] == "Countess"
    assert cust["firstName"] is None and cust["background"] == "met at a ball"
    assert [e["value"] for e in cust["_embedded"]["emails"]] == ["b@x.org"]
    assert [p["value"] for p in cust["_embedded"]["phones"]] == ["555"]
    new_id = cust["_embedded"]["emails"][0]["id"]
    assert new_id != email_id
    r = await api.patch(
        f"/v2/customers/{cid}",
        json=[
            {
                "op": "replace",
                "path": "/emails",
                "value": [{"value": "b@x.org", "type": "other"}, {"value": "c@x.org"}],
            }
        ],
    )
    assert r.status_code == 204
    emails = sb.customer(cid)["_embedded"]["emails"]
    assert [(e["value"], e["type"]) for e in emails] == [("b@x.org", "other"), ("c@x.org", "work")]
    assert emails[0]["id"] == new_id, "an entry kept keeps its id"


@pytest.mark.parametrize(
    "body",
    [
        {"op": "replace", "path": "/lastName", "value": "King"},
        [{"op": "remove", "path": "/emails"}],
        [{"op": "replace", "path": "/shoeSize", "value": "9"}],
        [{"op": "add", "path": "/emails", "value": "plain@x.org"}],
        [{"op": "add", "path": "/emails", "value": [{"type": "work", "value": "b@x.org"}]}],
        [{"op": "add", "path": "/emails", "value": {"type": "pager", "value": "b@x.org"}}],
        [{"op": "remove", "path": "/phones/999999"}],
        [{"op": "replace", "path": "/phones", "value": {"value": "555"}}],
        [{"op": "add", "path": "/emails/1/value", "value": "x@y.org"}],
        [
            {"op": "replace", "path": "/lastName", "value": "ok"},
            {"op": "replace", "path": "/emails/999999/value", "value": "x@y.org"},
        ],
        [],
    ],
)
async def test_patch_refusals_change_nothing(sb: Sandbox, api: httpx.AsyncClient, body) -> None:
    cid = await create(api, lastName="Before", emails=[{"value": "a@x.org"}])
    before = json.dumps(sb.customer(cid), sort_keys=True)
    assert_vnd_error(await api.patch(f"/v2/customers/{cid}", json=body), 400)
    assert json.dumps(sb.customer(cid), sort_keys=True) == before


async def test_put_overwrites(sb: Sandbox, api: httpx.AsyncClient) -> None:
    cid = await create(
        api,
        firstName="Ada",
        lastName="Lovelace",
        jobTitle="Countess",
        emails=[{"value": "a@x.org"}],
    )
    r = await api.put(f"/v2/customers/{cid}", json={"firstName": "Augusta"})
    assert r.status_code == 204
    cust = sb.customer(cid)
    assert cust["firstName"] == "Augusta" and cust["lastName"] is None
    assert cust["jobTitle"] is None
    assert [e["value"] for e in cust["_embedded"]["emails"]] == ["a@x.org"]
    assert_vnd_error(await api.put(f"/v2/customers/{cid}", json={"emails": ["x@y.org"]}), 400)


async def test_customer_edit_reaches_conversations(sb: Sandbox, api: httpx.AsyncClient) -> None:
    conv = sb.state["conversations"][0]
    cid = conv["primaryCustomer"]["id"]
    await api.patch(
        f"/v2/customers/{cid}", json=[{"op": "replace", "path": "/firstName", "value": "Renamed"}]
    )
    shown = (await api.get(f"/v2/conversations/{conv['id']}")).json()
    assert shown["primaryCustomer"]["first"] == "Renamed"


async def test_the_docs_entry_operations_in_a_patch(
    sb: Sandbox, api: httpx.AsyncClient, api_example: Callable[[str], Any]
) -> None:
    """Help Scout's docs: ``add /emails`` with one ``{type, value}``, ``remove /emails/{id}``,
    ``replace /emails/{id}/value``; the docs' own example body is accepted as it is."""
    cid = await create(
        api, emails=[{"value": "a@x.org"}], phones=[{"type": "mobile", "value": "555"}]
    )
    phone_id = sb.customer(cid)["_embedded"]["phones"][0]["id"]
    email_id = sb.customer(cid)["_embedded"]["emails"][0]["id"]
    r = await api.patch(
        f"/v2/customers/{cid}", json=api_example("docs/requests/customer-patch-multiple.json")
    )
    assert r.status_code == 204, r.text
    ops = [
        {"op": "remove", "path": f"/phones/{phone_id}"},
        {"op": "replace", "path": f"/emails/{email_id}/value", "value": "a2@x.org"},
        {"op": "replace", "path": f"/emails/{email_id}/type", "value": "home"},
    ]
    assert (await api.patch(f"/v2/customers/{cid}", json=ops)).status_code == 204
    cust = sb.customer(cid)
    assert (cust["firstName"], cust["lastName"]) == ("Vernon", "Bear")
    emails = cust["_embedded"]["emails"]
    assert [(e["value"], e["type"]) for e in emails] == [
        ("a2@x.org", "home"),
        ("bear@acme.com", "other"),
    ]
    assert emails[0]["id"] == email_id and cust["_embedded"]["phones"] == []


async def test_the_entry_endpoints(sb: Sandbox, api: httpx.AsyncClient) -> None:
    """As the official SDK sends them: POST/PUT ``{type, value}``, DELETE by id."""
    cid = await create(api, emails=[{"value": "a@x.org"}])
    r = await api.post(f"/v2/customers/{cid}/emails", json={"type": "work", "value": "b@x.org"})
    assert r.status_code == 201 and r.content == b""
    new_id = int(r.headers["Resource-ID"])
    r = await api.post(f"/v2/customers/{cid}/phones", json={"type": "mobile", "value": "555"})
    phone_id = int(r.headers["Resource-ID"])
    r = await api.put(
        f"/v2/customers/{cid}/emails/{new_id}", json={"type": "home", "value": "c@x.org"}
    )
    assert r.status_code == 204
    first = sb.customer(cid)["_embedded"]["emails"][0]["id"]
    assert (await api.delete(f"/v2/customers/{cid}/emails/{first}")).status_code == 204
    cust = sb.customer(cid)
    assert [(e["id"], e["value"], e["type"]) for e in cust["_embedded"]["emails"]] == [
        (new_id, "c@x.org", "home")
    ]
    assert [p["id"] for p in cust["_embedded"]["phones"]] == [phone_id]
    listed = (await api.get(f"/v2/customers/{cid}/emails")).json()
    assert [e["value"] for e in listed["_embedded"]["emails"]] == ["c@x.org"]


@pytest.mark.parametrize(
    ("method", "suffix", "body", "status"),
    [
        ("POST", "emails", {"value": "b@x.org"}, 400),  # the type is required
        ("POST", "emails", {"type": "work", "value": "not an email"}, 400),
        ("POST", "phones", {"type": "car", "value": "555"}, 400),
        ("PUT", "emails/999999", {"type": "work", "value": "b@x.org"}, 404),
        ("DELETE", "phones/999999", None, 404),
    ],
)
async def test_entry_endpoint_refusals_change_nothing(
    sb: Sandbox, api: httpx.AsyncClient, method: str, suffix: str, body: Any, status: int
) -> None:
    cid = await create(api, emails=[{"value": "a@x.org"}])
    before = json.dumps(sb.customer(cid), sort_keys=True)
    r = await api.request(method, f"/v2/customers/{cid}/{suffix}", json=body)
    assert_vnd_error(r, status)
    assert json.dumps(sb.customer(cid), sort_keys=True) == before
