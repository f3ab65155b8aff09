"""Issue 11.1: what the journal holds goes out once Help Scout answers, however start went."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from hsinbox.helpscout.errors import NetworkError
from hsinbox.inbox.actions import SetStatus
from hsinbox.inbox.events import ActionConfirmed
from hsinbox.inbox.view import View


async def test_a_start_that_fails_still_sends_the_journal_when_help_scout_is_back(
    make_session: Any, sb: Any
) -> None:
    session, _events = await make_session()
    target = (await session.load_view(View(session.mailboxes[0].id)))[0]
    sb.faults.drop(times=100_000)  # the network goes away
    session.submit(SetStatus.of(target, "closed"))
    for _ in range(200):  # the first attempt fails and the outbox says it is offline
        if not session.online:
            break
        await asyncio.sleep(0)
    await session.close()
    assert sb.conversation(target.id)["status"] != "closed"

    later, events = await make_session(start=False)
    with pytest.raises(NetworkError):
        await later.start()
    assert later.queue_length == 1 and not later.online
    sb.faults.clear()  # Help Scout answers again
    await later.drain()
    assert sb.conversation(target.id)["status"] == "closed"
    patches = [r for r in sb.requests if r.method == "PATCH" and r.fault is None]
    assert [(r.path, r.json) for r in patches] == [
        (f"/v2/conversations/{target.id}", {"op": "replace", "path": "/status", "value": "closed"})
    ]
    assert len(events.of(ActionConfirmed)) == 1 and later.online


async def test_read_only_offline_start_keeps_the_journal_unsent(make_session: Any, sb: Any) -> None:
    session, _events = await make_session()
    target = (await session.load_view(View(session.mailboxes[0].id)))[0]
    sb.faults.drop(times=100_000)
    session.submit(SetStatus.of(target, "closed"))
    for _ in range(200):  # the first attempt fails and the outbox says it is offline
        if not session.online:
            break
        await asyncio.sleep(0)
    await session.close()

    later, _events = await make_session(start=False, read_only=True)
    with pytest.raises(NetworkError):
        await later.start()
    assert later.queue_length == 0
