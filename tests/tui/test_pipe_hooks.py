"""Pilot tests for ``|`` (pipe the conversation to a command) and a ``[hooks]`` key, by keys
against the sandbox, with real subprocesses."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from textual.widgets import Static
from tui_helpers import conv, make_app, settle, until, writes

from hsinbox.inbox.reach import thread_text
from hsinbox.tui.compose import ComposerScreen
from hsinbox.tui.pipe_screen import OutputScreen, PipeScreen

NUMBER = 10021


async def open_number(pilot: Any, number: int) -> Any:
    screen = pilot.app.inbox_screen
    target = next(c for c in screen.table.conversations.values() if c.number == number)
    screen.table.go_to(target.id)
    await pilot.press("enter")
    await settle(pilot, pilot.app.session)
    return target


async def test_pipe_to_wc_shows_a_count_and_inserts_it_into_a_note(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        target = await open_number(pilot, NUMBER)
        threads = session.store.threads[target.id]
        lines = thread_text(session.store.get(target.id) or target, threads).count("\n")
        reads_before = len(sb.requests)
        await pilot.press("|")
        await until(pilot, lambda: isinstance(app.screen, PipeScreen))
        await pilot.press(*"wc -l", "enter")
        await until(pilot, lambda: isinstance(app.screen, OutputScreen))
        output = app.screen
        await until(pilot, lambda: output.result is not None)
        shown = str(output.query_one("#output-text", Static).render())
        assert shown.strip() == str(lines)
        assert len(sb.requests) == reads_before  # the loaded threads: no request
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, ComposerScreen))
        composer = app.screen
        assert composer.kind == "note" and composer.body.strip() == str(lines)
        before = len(writes(sb))
        await pilot.press("ctrl+s")
        await settle(pilot, session)
        (sent,) = writes(sb)[before:]
        assert sent[1].endswith("/notes") and str(lines) in sent[2]["text"]
        # The command is in the history, in the data dir, for the next |.
        await pilot.press("|")
        await until(pilot, lambda: isinstance(app.screen, PipeScreen))
        await pilot.press("up")
        assert app.screen.query_one("#pipe-command").value == "wc -l"
    assert (tmp_path / "data" / "pipe_history").read_text() == "wc -l\n"


async def test_a_hook_key_runs_with_quoted_arguments_and_nothing_else(tmp_path: Path) -> None:
    marker = tmp_path / "x"
    hooks = {
        "echo": {"command": "printf '%s|' {subject} {number} {customer.email}", "key": "ctrl+k"}
    }
    app, sb, session = make_app(tmp_path, hooks=hooks)
    subject = f'Refund "now" it\'s $(touch {marker}) `touch {marker}`'
    raw = conv(sb, NUMBER)
    raw["subject"] = subject
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        await open_number(pilot, NUMBER)
        await pilot.press("ctrl+k")
        await until(pilot, lambda: isinstance(app.screen, OutputScreen))
        output = app.screen
        await until(pilot, lambda: output.result is not None)
        email = raw["primaryCustomer"]["email"]
        assert output.output == f"{subject}|{NUMBER}|{email}|"
        await pilot.press("escape")
    assert not marker.exists()


async def test_a_failing_hook_is_one_line(tmp_path: Path) -> None:
    hooks = {"broken": {"command": "echo 'no such order' >&2; exit 2", "key": "ctrl+k"}}
    app, _sb, session = make_app(tmp_path, hooks=hooks)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        await open_number(pilot, NUMBER)
        await pilot.press("ctrl+k")
        await until(pilot, lambda: not isinstance(app.screen, OutputScreen) and app._notifications)
        (notice,) = [n for n in app._notifications if "broken" in n.message]
        assert notice.message == "Hook broken failed (exit 2): no such order."


async def test_escape_stops_a_running_hook(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    hooks = {"slow": {"command": f"echo $$ > {pid_file}; exec sleep 30", "key": "ctrl+k"}}
    app, _sb, session = make_app(tmp_path, hooks=hooks)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        await open_number(pilot, NUMBER)
        await pilot.press("ctrl+k")
        await until(pilot, lambda: isinstance(app.screen, OutputScreen))
        await until(pilot, lambda: pid_file.exists() and pid_file.read_text().strip())
        pid = int(pid_file.read_text())
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, OutputScreen))
        await until(pilot, lambda: not _alive(pid))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
