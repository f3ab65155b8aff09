"""Pipe a conversation to a command (``|``) and ``[hooks]``: templating, running, history.

A hook's template is the agent's own (config.toml); the values come from Help Scout and are
untrusted, so each is passed through ``shlex.quote`` and a placeholder may not sit inside
quotes in the template (there ``shlex.quote``'s single quotes would not protect it). The
command runs in ``sh`` (pipes and redirections work), off the event loop, with a timeout;
cancelling kills its whole process group.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shlex
import signal
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from hsinbox.inbox.text import clean

FIELDS = ("number", "id", "customer.email", "customer.name", "url", "subject", "mailbox")
_PLACEHOLDER = re.compile(r"\{([a-z][a-z.]*)\}")
HISTORY_NAME = "pipe_history"
HISTORY_KEEP = 50
MAX_OUTPUT = 1_000_000
"""Bytes of output kept (the rest is cut, and the pager says so)."""


class TemplateRefused(ValueError):
    """A hook template hsinbox will not fill; ``str()`` is one sentence."""


def check_template(template: str) -> None:
    """No placeholder inside quotes (hsinbox quotes every value). Only ``FIELDS`` are
    placeholders: other braces (``jq '{id: .id}'``, ``awk '{print}'``) stay as written."""
    if not template.strip():
        raise TemplateRefused("the command is empty")
    quote: str | None = None
    i = 0
    while i < len(template):
        ch = template[i]
        if quote is None and ch == "\\":
            i += 2
            continue
        if ch in "'\"" and (quote is None or quote == ch):
            quote = None if quote == ch else ch
        elif ch == "{":
            m = _PLACEHOLDER.match(template, i)
            if m is not None and m.group(1) in FIELDS and quote is not None:
                raise TemplateRefused(
                    f"write {{{m.group(1)}}} outside quotes: hsinbox quotes each value itself"
                )
        i += 1
    if quote is not None:
        raise TemplateRefused("a quote in the command is not closed")


def render_command(template: str, values: Mapping[str, str]) -> str:
    """The shell command: each placeholder replaced by its value, quoted by ``shlex.quote``."""
    check_template(template)

    def fill(m: re.Match[str]) -> str:
        name = m.group(1)
        return shlex.quote(values.get(name, "")) if name in FIELDS else m.group(0)

    return _PLACEHOLDER.sub(fill, template)


@dataclass(frozen=True)
class CommandResult:
    returncode: int | None  # None: timed out or cancelled (the process was killed)
    output: str
    error: str
    cut: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def summary(self, what: str) -> str:
        """One line for a failure (the first line of its stderr, cleaned)."""
        if self.returncode is None:
            return f"{what} was stopped (timed out or cancelled)."
        first = next((line for line in self.error.splitlines() if line.strip()), "")
        detail = f": {clean(first)[:200]}" if first else ""
        return f"{what} failed (exit {self.returncode}){detail}."


async def run_command(
    command: str, stdin: str = "", *, timeout: float = 30.0, cwd: Path | None = None
) -> CommandResult:
    """Run ``command`` in ``sh`` with ``stdin``; killed (its group) on timeout or cancel."""
    proc = await asyncio.create_subprocess_shell(
        command,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=cwd,
        start_new_session=True,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(stdin.encode("utf-8")), timeout)
    except (TimeoutError, asyncio.CancelledError) as exc:
        _kill(proc)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(proc.wait(), 2)
        if isinstance(exc, asyncio.CancelledError):
            raise
        return CommandResult(None, "", "")
    cut = len(out) > MAX_OUTPUT
    return CommandResult(
        proc.returncode,
        out[:MAX_OUTPUT].decode("utf-8", errors="replace"),
        err[:MAX_OUTPUT].decode("utf-8", errors="replace"),
        cut,
    )


def _kill(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, AttributeError):
        with contextlib.suppress(ProcessLookupError):
            proc.kill()


class PipeHistory:
    """The commands typed at ``|``, newest last, kept in the data dir (0600)."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / HISTORY_NAME

    def load(self) -> list[str]:
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except OSError:
            return []
        return [line for line in lines if line.strip()][-HISTORY_KEEP:]

    def add(self, command: str) -> list[str]:
        from hsinbox.paths import write_private

        command = " ".join(command.splitlines()).strip()
        items = [c for c in self.load() if c != command] + [command]
        items = items[-HISTORY_KEEP:]
        with contextlib.suppress(OSError):
            write_private(self.path, "\n".join(items) + "\n")
        return items
