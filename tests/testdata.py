"""What every test layer shares: the one "now", the seeded mailboxes, the vendored API
examples and the one way a real client reaches an in-process Sandbox.

A plain module on ``sys.path`` (pytest puts ``tests/`` there for the root conftest), so the
sandbox, client, session and UI tests agree instead of keeping their own copies. Tests take
the client through the ``sandbox_client`` fixture (tests/conftest.py), which closes it.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from hsinbox.helpscout.auth import AppCredentials
from hsinbox.helpscout.client import HelpScoutClient

if TYPE_CHECKING:
    from hsinbox.sandbox import Sandbox

# The same instant as benchmarks/bench.py's FIXED_NOW; the sandbox seeds relative to it.
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
SUPPORT = 8401
BILLING = 8402

# Help Scout's public example payloads, vendored so a fresh clone needs nothing beside it.
API_EXAMPLES = Path(__file__).resolve().parent / "fixtures" / "helpscout-api"


def read_api_example(name: str) -> Any:
    """One example payload (``"docs/users-me.json"``); a missing file fails, never skips."""
    path = API_EXAMPLES / name
    assert path.is_file(), f"vendored fixture {path} is missing"
    return json.loads(path.read_text(encoding="utf-8"))


async def no_sleep(_seconds: float) -> None:
    """A sleep that only yields: no test waits for real on a retry or a timer."""
    await asyncio.sleep(0)


def new_sandbox_client(
    sb: Sandbox,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    url: str | None = None,
    sleep: Callable[[float], Awaitable[None]] = no_sleep,
    **options: Any,
) -> HelpScoutClient:
    """A real client with the sandbox's app credentials: in-process through ``sb.transport()``
    (or a ``transport`` wrapping it), or over loopback HTTP when ``url`` comes from
    ``sb.serve()``. The caller closes it; tests use the ``sandbox_client`` fixture instead.
    """
    if url is not None:
        assert transport is None, "a served sandbox is reached over HTTP, not a transport"
    return HelpScoutClient(
        url or "https://api.helpscout.net",
        credentials=AppCredentials(sb.app_id, sb.app_secret),
        transport=None if url is not None else transport or sb.transport(),
        sleep=sleep,
        **options,
    )


async def until(condition: Callable[[], Any], what: str, rounds: int = 2000) -> Any:
    """Let the loop run until ``condition()`` holds and return its value; fail naming ``what``.

    For the in-process sandbox and fake clocks: every step is a loop turn, so a condition
    that holds at all holds within a few hundred turns; ``rounds`` only bounds a broken test.
    """
    for _ in range(rounds):
        value = condition()
        if value:
            return value
        await asyncio.sleep(0)
    # Work in a thread (the outbox journal's fsync before each send) takes real time, not
    # loop turns: a loaded machine gets a few seconds more before the test fails.
    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        await asyncio.sleep(0.002)
    raise AssertionError(f"never happened: {what}")


async def load_every_page(session: Any, view: Any) -> list[Any]:
    """A view with all its pages (the session asks page 1, then one page per ``load_more``),
    for tests about what a whole view holds rather than about paging."""
    await session.load_view(view)
    for _ in range(10_000):
        if session.view_complete(view) or not await session.load_more(view):
            break
    return session.store.view_conversations(view)
