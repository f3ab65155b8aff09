"""UpdateCustomer as a sequence: a patch of the plain fields, then one request per changed
email or phone; resumable after a lost answer, and a refused part keeps what landed."""

from __future__ import annotations

from typing import Any

from hsinbox.inbox.actions import UpdateCustomer
from hsinbox.inbox.events import ActionConfirmed, ActionFailed


def sent(sb: Any, since: int) -> list[tuple[str, str]]:
    return [
        (r.method, r.path)
        for r in sb.requests[since:]
        if not r.path.startswith("/v2/oauth2") and r.fault is None
    ]


async def customer_with_entries(session: Any, sb: Any) -> Any:
    cust = sb.state["customers"][0]
    cust["_embedded"]["emails"] = [{"id": 880001, "value": "one@example.org", "type": "home"}]
    cust["_embedded"]["phones"] = [{"id": 880002, "value": "555 0001", "type": "mobile"}]
    return await session.load_customer(cust["id"])


async def test_a_name_and_two_entries_are_a_read_and_three_writes(session_and_events: Any, sb: Any):
    session, events = session_and_events
    customer = await customer_with_entries(session, sb)
    start = len(sb.requests)
    action = UpdateCustomer.of(
        customer, first_name="Renamed", emails=["one@example.org", "two@example.org"], phones=[]
    )
    session.submit(action)
    await session.drain()
    cid = customer.id
    assert sent(sb, start) == [
        ("GET", f"/v2/customers/{cid}"),  # the entries are worked out from the customer now
        ("PATCH", f"/v2/customers/{cid}"),
        ("POST", f"/v2/customers/{cid}/emails"),
        ("DELETE", f"/v2/customers/{cid}/phones/880002"),
    ]
    patch = next(r for r in sb.requests[start:] if r.method == "PATCH")
    assert patch.json == [{"op": "replace", "path": "/firstName", "value": "Renamed"}]
    after = sb.customer(cid)
    assert after["firstName"] == "Renamed"
    assert [e["value"] for e in after["_embedded"]["emails"]] == [
        "one@example.org",
        "two@example.org",
    ]
    assert after["_embedded"]["phones"] == []
    assert len(events.of(ActionConfirmed)) == 1


async def test_a_lost_answer_to_an_add_is_not_added_twice(session_and_events: Any, sb: Any):
    session, events = session_and_events
    customer = await customer_with_entries(session, sb)
    cid = customer.id
    sb.faults.drop(times=1, method="POST", path=rf"^/v2/customers/{cid}/emails$", after_apply=True)
    start = len(sb.requests)
    session.submit(UpdateCustomer.of(customer, emails=["one@example.org", "two@example.org"]))
    await session.drain()
    # The POST landed but its answer was lost: the retry reads the customer, sends nothing more.
    seen = [(r.method, r.path, bool(r.fault)) for r in sb.requests[start:]]
    assert [s for s in seen if not s[1].startswith("/v2/oauth2")] == [
        ("GET", f"/v2/customers/{cid}", False),
        ("POST", f"/v2/customers/{cid}/emails", True),
        ("GET", f"/v2/customers/{cid}", False),
    ]
    emails = [e["value"] for e in sb.customer(cid)["_embedded"]["emails"]]
    assert emails == ["one@example.org", "two@example.org"]
    assert len(events.of(ActionConfirmed)) == 1 and not events.of(ActionFailed)


async def test_a_refused_entry_keeps_what_landed_and_says_so(session_and_events: Any, sb: Any):
    session, events = session_and_events
    customer = await customer_with_entries(session, sb)
    cid = customer.id
    sb.faults.add(
        status=400,
        times=1,
        method="POST",
        path=rf"^/v2/customers/{cid}/emails$",
        body={"message": "Email already in use"},
    )
    start = len(sb.requests)
    session.submit(
        UpdateCustomer.of(
            customer, job_title="Boss", emails=["one@example.org", "taken@example.org"], phones=[]
        )
    )
    await session.drain()
    assert [m for m, _ in sent(sb, start)] == ["GET", "PATCH", "DELETE"]
    (failed,) = events.of(ActionFailed)
    assert failed.reason == (
        "the name and details, removed phone 555 0001 went through, but adding email "
        "taken@example.org was refused: Help Scout rejected the request: Email already in use."
    )
    # Not rolled back: the job title that landed stays shown.
    assert session.store.customers[cid].job_title == "Boss"
    assert sb.customer(cid)["jobTitle"] == "Boss"
    assert session.worker.journal.pending() == []


async def test_a_refused_patch_sends_no_entry_and_rolls_back(session_and_events: Any, sb: Any):
    session, events = session_and_events
    customer = await customer_with_entries(session, sb)
    cid = customer.id
    sb.faults.add(status=400, times=1, method="PATCH", path=rf"^/v2/customers/{cid}$")
    start = len(sb.requests)
    session.submit(UpdateCustomer.of(customer, job_title="Boss", phones=[]))
    await session.drain()
    assert [m for m, _ in sent(sb, start)] == ["GET"]  # the refused PATCH, then nothing
    (failed,) = events.of(ActionFailed)
    assert "rejected" in failed.reason
    assert session.store.customers[cid].job_title == customer.job_title
    assert sb.customer(cid)["_embedded"]["phones"] != []


async def test_a_second_save_of_a_stale_form_does_not_add_twice(session_and_events: Any, sb: Any):
    """The form still holds the customer as it was before the first save."""
    session, events = session_and_events
    stale = await customer_with_entries(session, sb)
    wanted = ["one@example.org", "two@example.org"]
    session.submit(UpdateCustomer.of(stale, emails=wanted))
    await session.drain()
    start = len(sb.requests)
    session.submit(UpdateCustomer.of(stale, emails=wanted))
    await session.drain()
    assert sent(sb, start) == [("GET", f"/v2/customers/{stale.id}")]
    emails = [e["value"] for e in sb.customer(stale.id)["_embedded"]["emails"]]
    assert emails == wanted
    assert len(events.of(ActionConfirmed)) == 2
