"""The collector is off from the entry point to the first list, and on again after it."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from tui_helpers import make_app, settle, until

from hsinbox import cli, startup_gc


@pytest.fixture
def collector_paused() -> Iterator[None]:
    assert gc.isenabled()
    startup_gc.pause()
    try:
        yield
    finally:
        startup_gc.resume()
        gc.enable()


def test_pause_and_resume_leave_a_disabled_collector_alone() -> None:
    gc.disable()
    try:
        startup_gc.pause()
        assert not startup_gc.paused()
        startup_gc.resume()
        assert not gc.isenabled()  # somebody else turned it off: not ours to turn on
    finally:
        gc.enable()


async def test_the_first_list_turns_the_collector_back_on(
    tmp_path: Path, collector_paused: None
) -> None:
    assert not gc.isenabled()
    app, _sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        assert app.inbox_screen is not None and app.inbox_screen.table.row_count
        await until(pilot, gc.isenabled)
        assert not startup_gc.paused()


def test_a_command_other_than_the_inbox_runs_with_the_collector(
    collector_paused: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bool] = []
    real = cli._dispatch

    def spy(args: object) -> int:
        code = real(args)  # type: ignore[arg-type]
        seen.append(gc.isenabled())
        return code

    monkeypatch.setattr(cli, "_dispatch", spy)
    assert cli.main(["auth", "status"]) == 1  # not signed in
    assert seen == [True]
