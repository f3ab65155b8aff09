"""The write path under a failing sign-in, a workflow run across conversations, and an
action whose local ``apply`` raises after it was journalled."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from testdata import until

from hsinbox.inbox.actions import Note, SetStatus
from hsinbox.inbox.agent_actions import RunWorkflow
from hsinbox.inbox.events import (
    ActionApplied,
    ActionConfirmed,
    ActionFailed,
    AuthRequired,
    ConnectionChanged,
    MergedConversation,
)
from hsinbox.inbox.journal import JOURNAL_NAME, Journal
from hsinbox.inbox.view import View

SUPPORT = 8401
TOKEN = "^/v2/oauth2/token$"


def writes(sb: Any, since: int = 0) -> list[Any]:
    return [
        r for r in sb.requests[since:] if r.method != "GET" and not r.path.startswith("/v2/oauth2")
    ]


def on_disk(data_dir: Path) -> dict[str, bool]:
    """What the journal file says a next start would replay: id → attempted."""
    pending: dict[str, bool] = {}
    for line in (data_dir / JOURNAL_NAME).read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["op"] == "submit":
            pending[record["id"]] = False
        elif record["op"] == "attempt" and record["id"] in pending:
            pending[record["id"]] = True
        else:
            pending.pop(record["id"], None)
    return pending


def raw(sb: Any, cid: int) -> dict[str, Any]:
    return next(c for c in sb.state["conversations"] if c["id"] == cid)


async def test_a_failing_token_endpoint_never_rolls_a_write_back(
    session_and_events: Any, sb: Any
) -> None:
    """Issue 19 point 10: 5xx from the sign-in were counted as the write's server errors and
    after five the change was rolled back although it was never sent."""
    session, events = session_and_events
    conv = (await session.load_view(View(SUPPORT)))[0]
    sb.faults.expire_tokens()
    sb.faults.add(status=503, times=12, path=TOKEN)
    start = len(sb.requests)
    session.submit(SetStatus.of(conv, "pending"))
    await session.drain()
    sent = writes(sb, start)
    # One refused by the expired token (401, nothing applied), then one that landed.
    assert [r.fault for r in sent] == [None, None]
    assert raw(sb, conv.id)["status"] == "pending"
    assert not events.of(ActionFailed)
    assert len(events.of(ActionConfirmed)) == 1
    (offline, online) = events.of(ConnectionChanged)
    assert offline.reason == (
        "Could not sign in to Help Scout just now: its sign-in had a server error (HTTP 503); "
        "nothing was sent."
    )
    assert online.online
    token_tries = [r for r in sb.requests[start:] if r.path == "/v2/oauth2/token"]
    assert len(token_tries) == 13


async def test_a_refused_sign_in_pauses_the_outbox_and_keeps_the_action(
    make_session: Any, sb: Any, data_dir: Any
) -> None:
    session, events = await make_session()
    conv = (await session.load_view(View(SUPPORT)))[0]
    sb.faults.expire_tokens()
    sb.faults.add(status=400, times=1, path=TOKEN, body={"error": "invalid_client"})
    start = len(sb.requests)
    action = SetStatus.of(conv, "pending")
    session.submit(action)
    await until(lambda: events.of(AuthRequired), "the refused sign-in to pause the outbox")
    assert session.worker.paused and session.queue_length == 1
    assert session.store.get(conv.id).status == "pending"  # still shown, not rolled back
    assert on_disk(data_dir) == {action.id: True}  # sent once, answered 401
    assert not events.of(ActionFailed)
    # The sign-in works again (the reauth screen's Retry): the same action goes out once.
    await session.sign_in_again()
    session.resume()
    await session.drain()
    assert raw(sb, conv.id)["status"] == "pending"
    assert [r.fault for r in writes(sb, start)] == [None, None]  # the 401, then the send
    assert len(events.of(ActionConfirmed)) == 1


async def test_a_due_token_is_renewed_before_the_write_counts_as_attempted(
    make_session: Any, sb: Any, data_dir: Any, client: Any
) -> None:
    session, events = await make_session()
    conv = (await session.load_view(View(SUPPORT)))[0]
    # The token is due: the outbox renews it before marking the write as attempted.
    assert client.token is not None
    client._token = client.token.model_copy(update={"expires_at": client._clock()})
    sb.faults.add(status=503, times=1, path=TOKEN)
    start = len(sb.requests)
    session.worker.paused = True
    action = Note(conv.id, "<p>once</p>", number=conv.number)
    session.submit(action)
    session.resume()
    await until(lambda: events.of(ConnectionChanged), "the sign-in failure")
    assert writes(sb, start) == []
    # A restart now would send it, not look for it first.
    assert on_disk(data_dir) == {action.id: False}
    await session.drain()
    assert len(writes(sb, start)) == 1


async def test_a_workflow_run_waits_for_earlier_actions_on_its_conversations(
    make_session: Any, sb: Any, fake_time: Any
) -> None:
    session, events = await make_session(undo_delay=5.0)
    convs = (await session.load_view(View(SUPPORT)))[:3]
    a, b, c = convs
    (flow, _other) = await session.workflows(SUPPORT)
    start = len(sb.requests)
    session.submit(SetStatus.of(b, "closed"))  # delayed (undo window): B is busy
    run = RunWorkflow.batches(flow, [a, b])[0]
    session.submit(run)
    session.submit(SetStatus.of(a, "pending"))  # after the run on A: must wait for it
    session.submit(SetStatus.of(c, "pending"))  # another conversation: goes at once
    await session.drain()
    order = [
        "run"
        if r.path.endswith("/run")
        else {a.id: "A", b.id: "B", c.id: "C"}[int(r.path.rsplit("/", 1)[1])]
        for r in writes(sb, start)
    ]
    assert order == ["C", "B", "run", "A"]
    assert len(events.of(ActionConfirmed)) == 4
    assert run.order_keys == {f"conversation:{a.id}", f"conversation:{b.id}"}


class Broken(SetStatus):
    """An action whose local view cannot be built (a bug, a missing row)."""

    def apply(self, store: Any) -> None:
        raise KeyError("no such row")


async def test_an_action_whose_apply_raises_is_dropped_from_the_journal_with_one_line(
    session_and_events: Any, sb: Any, data_dir: Any
) -> None:
    session, events = session_and_events
    conv = (await session.load_view(View(SUPPORT)))[0]
    start = len(sb.requests)
    action = Broken(conv.id, "closed", conv.status, number=conv.number)
    session.submit(action)
    await session.drain()
    (failed,) = events.of(ActionFailed)
    assert failed.message == (
        f"Close #{conv.number} failed: hsinbox could not show it locally, so it was not sent "
        "(dropped)."
    )
    assert not events.of(ActionApplied)  # never said to be on its way
    assert on_disk(data_dir) == {}  # the next start does not replay it unseen
    assert writes(sb, start) == []
    assert session.queue_length == 0


async def test_a_journalled_action_that_cannot_be_shown_at_start_is_dropped(
    make_session: Any, sb: Any, data_dir: Path
) -> None:
    journal = Journal(data_dir)
    action = Broken(sb.state["conversations"][0]["id"], "closed", "active", number=1)
    journal.submit(action, 0.0)
    journal.close()
    session, events = await make_session()
    (failed,) = events.of(ActionFailed)
    assert failed.reason == "hsinbox could not show it locally, so it was not sent (dropped)."
    assert on_disk(data_dir) == {}
    assert session.queue_length == 0


async def test_a_301_to_a_write_is_followed_to_the_survivor_and_sent_once_there(
    session_and_events: Any, sb: Any
) -> None:
    session, events = session_and_events
    a, b = (await session.load_view(View(SUPPORT)))[:2]
    sb.faults.add(
        status=301,
        times=1,
        method="PATCH",
        path=f"^/v2/conversations/{a.id}$",
        headers={"Location": f"/v2/conversations/{b.id}"},
    )
    start = len(sb.requests)
    session.submit(SetStatus.of(a, "pending"))
    await session.drain()
    await session.settle_background()
    assert [(r.path, r.fault) for r in writes(sb, start)] == [
        (f"/v2/conversations/{a.id}", "status:301"),
        (f"/v2/conversations/{b.id}", None),
    ]
    assert raw(sb, b.id)["status"] == "pending"
    assert len(events.of(ActionConfirmed)) == 1
    (merged,) = events.of(MergedConversation)
    assert (merged.old_id, merged.new_id) == (a.id, b.id)


async def test_a_3xx_to_a_write_elsewhere_is_not_success_and_rolls_back(
    session_and_events: Any, sb: Any
) -> None:
    session, events = session_and_events
    conv = (await session.load_view(View(SUPPORT)))[0]
    sb.faults.add(status=302, times=1, method="PATCH", headers={"Location": "/somewhere"})
    session.submit(SetStatus.of(conv, "pending"))
    await session.drain()
    (failed,) = events.of(ActionFailed)
    assert failed.reason == (
        "Help Scout did not apply the change: it answered HTTP 302 instead of applying it."
    )
    assert session.store.get(conv.id).status == conv.status  # rolled back
    assert not events.of(ActionConfirmed)
