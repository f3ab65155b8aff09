"""Hook templates (quoting, refusals), running a command off the loop, the pipe history."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from hsinbox.config import Hook, load_settings
from hsinbox.inbox.pipes import (
    PipeHistory,
    TemplateRefused,
    check_template,
    render_command,
    run_command,
)


def test_values_are_quoted_and_run_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    subject = f'It\'s "broken" $(touch {marker}) `touch {marker}`; rm -rf ~'
    command = render_command(
        "printf '%s\\n' {subject} {number}", {"subject": subject, "number": "7"}
    )
    result = asyncio.run(run_command(command))
    assert result.ok and result.output == f"{subject}\n7\n"
    assert not marker.exists()


@pytest.mark.parametrize(
    ("template", "says"),
    [
        ("echo '{subject}'", "outside quotes"),
        ('echo "{customer.email}"', "outside quotes"),
        ("echo 'open", "not closed"),
        ("   ", "empty"),
    ],
)
def test_unsafe_or_unknown_templates_are_refused(template: str, says: str) -> None:
    with pytest.raises(TemplateRefused, match=says):
        check_template(template)


def test_placeholders_outside_quotes_and_escapes_are_fine() -> None:
    check_template("orders --email={customer.email} 'literal {braces}' | head -n 3")
    check_template("echo it\\'s {number}")
    assert render_command("jq '{x}' {id}", {"id": "5"}) == "jq '{x}' 5"  # not a field: literal
    assert render_command("open {url}", {"url": "https://x/1?a=b&c"}) == "open 'https://x/1?a=b&c'"


def test_a_bad_hook_in_config_is_one_line_and_the_others_stay(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[hooks.good]\ncommand = "echo {number}"\nkey = "ctrl+k"\n\n'
        "[hooks.bad]\ncommand = \"echo '{subject}'\"\n",
        encoding="utf-8",
    )
    settings, problems = load_settings(path)
    assert list(settings.hooks) == ["good"] and settings.hooks["good"] == Hook(
        command="echo {number}", key="ctrl+k"
    )
    (problem,) = problems
    assert "hooks.bad" in str(problem) and "outside quotes" in str(problem)


async def test_stdin_output_failure_and_timeout() -> None:
    counted = await run_command("wc -l", "a\nb\nc\n")
    assert counted.ok and counted.output.strip() == "3"
    failed = await run_command("echo nope >&2; exit 3")
    assert not failed.ok and failed.summary("The hook") == "The hook failed (exit 3): nope."
    slow = await run_command("sleep 5", timeout=0.2)
    assert slow.returncode is None and "stopped" in slow.summary("The hook")


async def test_cancel_kills_the_process_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    task = asyncio.create_task(run_command(f"sh -c 'echo $$ > {pid_file}; sleep 30'"))
    for _ in range(500):
        if pid_file.exists() and pid_file.read_text().strip():
            break
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    pid = int(pid_file.read_text())
    for _ in range(200):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the command survived its cancel")


def test_history_is_kept_newest_last_without_repeats(tmp_path: Path) -> None:
    history = PipeHistory(tmp_path)
    history.add("wc -l")
    history.add("jq .subject")
    assert history.add("wc -l") == ["jq .subject", "wc -l"]
    assert PipeHistory(tmp_path).load() == ["jq .subject", "wc -l"]
    assert (tmp_path / "pipe_history").stat().st_mode & 0o777 == 0o600
