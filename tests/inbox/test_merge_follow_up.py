"""The merge follow-up is bounded: a loop of 301s ends with one sentence and the merged line."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

from hsinbox.helpscout.client import MAX_REDIRECTS
from hsinbox.inbox.events import MergedConversation
from hsinbox.inbox.view import View

SUPPORT = 8401


async def test_a_redirect_loop_after_a_merge_still_says_merged(make_session: Any, sb: Any) -> None:
    session, events = await make_session()
    convs = await session.load_view(View(SUPPORT))
    old, new = convs[0], convs[1]
    sb.merge(old.id, new.id)
    # The survivor answers with a 301 to itself: a loop no client could finish.
    sb.faults.add(
        status=301,
        times=50,
        method="GET",
        path=f"^/v2/conversations/{new.id}$",
        headers={"Location": f"/v2/conversations/{new.id}"},
    )
    unretrieved: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _loop, context: unretrieved.append(context))
    start = len(sb.requests)
    session.follow_merge(old.id, new.id)
    await session.settle_background()
    gc.collect()
    await asyncio.sleep(0)
    loop.set_exception_handler(None)
    (merged,) = events.of(MergedConversation)
    assert merged.message == f"#{old.number} was merged into #{new.number}."
    survivor_reads = [r for r in sb.requests[start:] if r.path == f"/v2/conversations/{new.id}"]
    assert len(survivor_reads) == MAX_REDIRECTS + 1  # bounded, not retried into a storm
    assert unretrieved == []


async def test_a_follow_up_that_raises_is_retrieved_and_logged(
    make_session: Any, caplog: Any
) -> None:
    session, _events = await make_session()

    async def broken() -> None:
        raise RuntimeError("boom")

    unretrieved: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _loop, context: unretrieved.append(context))
    assert session._spawn(broken)
    await session.settle_background()
    gc.collect()
    await asyncio.sleep(0)
    loop.set_exception_handler(None)
    assert unretrieved == []
    assert "a background follow-up failed: RuntimeError" in caplog.text


async def test_a_write_follows_a_loop_of_merges_a_bounded_number_of_times(
    make_session: Any, sb: Any
) -> None:
    from hsinbox.inbox.actions import SetStatus
    from hsinbox.inbox.events import ActionFailed
    from hsinbox.inbox.worker import MAX_MERGES_FOLLOWED

    session, events = await make_session()
    a, b = (await session.load_view(View(SUPPORT)))[:2]
    # Each says it was merged into the other: a write on either is a 404, a read a 301.
    for one, other in ((a, b), (b, a)):
        sb.faults.add(status=404, times=50, method="PATCH", path=f"^/v2/conversations/{one.id}$")
        sb.faults.add(
            status=301,
            times=50,
            method="GET",
            path=f"^/v2/conversations/{one.id}$",
            headers={"Location": f"/v2/conversations/{other.id}"},
        )
    start = len(sb.requests)
    session.submit(SetStatus.of(a, "pending"))
    await session.drain()
    await session.settle_background()
    patches = [r for r in sb.requests[start:] if r.method == "PATCH"]
    assert len(patches) == MAX_MERGES_FOLLOWED + 1
    (failed,) = events.of(ActionFailed)
    assert failed.reason == (
        f"its conversation was merged {MAX_MERGES_FOLLOWED} times in a row (a loop?), so it "
        "was left as it is."
    )
    assert session.queue_length == 0
