"""A real HelpScoutClient against an in-process Sandbox, with a fake clock and sleep."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from hsinbox.config import Settings
from hsinbox.helpscout.client import HelpScoutClient
from hsinbox.inbox.events import Event
from hsinbox.inbox.session import InboxSession

if TYPE_CHECKING:
    from hsinbox.sandbox import Sandbox


class FakeTime:
    """A monotonic clock that only moves when something sleeps on it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []
        self.gate: asyncio.Event | None = None

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        if self.gate is not None:
            await self.gate.wait()
        self.now += seconds
        await asyncio.sleep(0)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def sb() -> Sandbox:
    from hsinbox.sandbox import Sandbox

    return Sandbox()


@pytest.fixture
def client(sb: Sandbox, fake_time: FakeTime, sandbox_client: Any) -> HelpScoutClient:
    return sandbox_client(sb, sleep=fake_time.sleep)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


class Recorder:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, event: Event) -> None:
        self.events.append(event)

    def of(self, kind: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    def kinds(self) -> list[str]:
        return [type(e).__name__ for e in self.events]


@pytest.fixture
async def make_session(client: HelpScoutClient, data_dir: Path, fake_time: FakeTime) -> Any:
    """Build (and later close) sessions on the shared data dir: ``await make(undo_delay=…)``."""
    sessions: list[InboxSession] = []

    async def make(undo_delay: float = 0.0, start: bool = True, **settings: Any) -> Any:
        session = InboxSession(
            client,
            settings=Settings(undo_delay=undo_delay, **settings),
            data_dir=data_dir,
            sleep=fake_time.sleep,
            clock=fake_time,
        )
        recorder = Recorder()
        session.subscribe(recorder)
        sessions.append(session)
        if start:
            await session.start()
        return session, recorder

    yield make
    for session in sessions:
        await session.close()


@pytest.fixture
async def session_and_events(make_session: Any) -> Any:
    """A started session (no undo delay) and the recorder of its events."""
    return await make_session()
