"""SIGKILL the real app in a pseudo-terminal; restart it; check what Help Scout ends up with.

The sandbox runs over loopback HTTP in this process; ``python -m hsinbox`` runs in live mode
against it, driven by keys written to its terminal. Nothing here sleeps for a fixed time:
every wait polls a condition (the screen, the sandbox, the files) with a deadline, and a key
that changes the screen is followed by a wait for what it shows before the next one.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from hsinbox.sandbox import Sandbox

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pty")

ROWS, COLS = 40, 140
DEADLINE = 12.0


def wait_for(condition: Callable[[], Any], what: str, timeout: float = DEADLINE) -> Any:
    """Poll ``condition`` until it is truthy; fail naming ``what`` after ``timeout``."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class App:
    """One run of ``python -m hsinbox`` on its own pty; output is drained in a thread."""

    def __init__(self, env: dict[str, str]) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        self.master = master
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "hsinbox"],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
            close_fds=True,
        )
        os.close(slave)
        self.output = bytearray()
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.output.extend(chunk)

    def keys(self, *keys: str | bytes) -> None:
        """Write keys to the terminal (in order); the caller waits for what they cause."""
        for key in keys:
            os.write(self.master, key.encode() if isinstance(key, str) else key)

    def shown_since(self, mark: int) -> str:
        return ANSI.sub(b"", bytes(self.output[mark:])).decode(errors="replace")

    def press(self, key: str | bytes, shows: str) -> None:
        """Press ``key`` and wait until the screen shows ``shows``, so the next key lands there."""
        mark = len(self.output)
        self.keys(key)
        wait_for(lambda: shows in self.shown_since(mark), f"{shows!r} after pressing {key!r}")

    def type(self, text: str) -> None:
        """Type into the focused field and wait until it shows what was typed."""
        self.press(text, text)

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, exactly like a lost SSH session's OOM or kill -9."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        os.close(self.master)
        self._reader.join(timeout=2)

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None


@pytest.fixture
def served() -> Iterator[tuple[Sandbox, str]]:
    sb = Sandbox()
    with sb.serve() as url:
        yield sb, url


@pytest.fixture
def env(tmp_path: Path, served: tuple[Sandbox, str]) -> dict[str, str]:
    sb, url = served
    keep = {"PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "VIRTUAL_ENV"}
    out = {k: v for k, v in os.environ.items() if k in keep}
    out.update(
        {
            "TERM": "xterm-256color",
            "HSINBOX_API_URL": url,
            "HSINBOX_APP_ID": sb.app_id,
            "HSINBOX_APP_SECRET": sb.app_secret,
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "XDG_DATA_HOME": str(tmp_path / "data"),
            "XDG_CACHE_HOME": str(tmp_path / "cache"),
            "XDG_STATE_HOME": str(tmp_path / "state"),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
            "EDITOR": "true",
        }
    )
    return out


@contextmanager
def running(env: dict[str, str]) -> Iterator[App]:
    app = App(env)
    try:
        yield app
    finally:
        if app.alive:
            app.kill()


def data_dir(tmp_path: Path) -> Path:
    """The account's own data folder (app credentials from the environment: ``…-app-<hash>``)."""
    folders = list((tmp_path / "data" / "hsinbox" / "accounts").glob("*-app-*"))
    assert len(folders) == 1, folders
    return folders[0]


def requests_to(sb: Sandbox, method: str, suffix: str) -> list[Any]:
    return [r for r in sb.requests if r.method == method and r.path.endswith(suffix)]


ANSI = re.compile(rb"\x1b\[[0-9;?<>=]*[A-Za-z]|\x1b[\]P].*?(?:\x07|\x1b\\\\)")
# "(37)", or "(25 of 37)" while more pages are left to ask as the cursor nears the end.
VIEW_LOADED = re.compile(r"Support / active \([1-9][\d,]*(?: of [\d,]+)?\)(?P<loading> loading)?")
THREADS_LOADING = "Loading messages…"
THREAD_HEADER = re.compile(r"\((?:just now|\S+ ago)\)")  # a thread's "(5m ago)"


def screen_text(app: App) -> str:
    return ANSI.sub(b"", bytes(app.output)).decode(errors="replace")


def wait_ready(app: App, sb: Sandbox, since: int) -> None:
    """The view was fetched from Help Scout and its status line no longer says loading."""

    def shown() -> bool:
        assert app.alive, screen_text(app)[-2000:]
        fetched = any(
            r.method == "GET" and r.path == "/v2/conversations" for r in sb.requests[since:]
        )
        states = list(VIEW_LOADED.finditer(screen_text(app)))
        return fetched and bool(states) and states[-1].group("loading") is None

    wait_for(shown, "the app to show its first view")

    def threads_shown() -> bool:
        # The current conversation's threads are on screen (so in the store: a reply
        # composed now knows what the agent saw), not the pane's loading placeholder.
        text = screen_text(app)
        return bool(THREAD_HEADER.search(text, text.rfind(THREADS_LOADING) + 1))

    wait_for(threads_shown, "the current conversation's threads to show")


def open_composer(app: App, key: str, title: str) -> None:
    """Press ``key`` and wait until the composer is on screen, so typing goes into it."""
    app.press(key, title)


def threads_with(sb: Sandbox, conversation_id: int, text: str, kind: str) -> list[Any]:
    return [
        t
        for t in sb.threads_of(conversation_id)
        if t["type"] == kind and text in (t.get("body") or "")
    ]


def test_sigkill_with_a_composed_reply_keeps_the_text(
    tmp_path: Path, served: tuple[Sandbox, str], env: dict[str, str]
) -> None:
    sb, _url = served
    text = "Thanks for waiting: the fix ships today."
    with running(env) as app:
        wait_ready(app, sb, 0)
        drafts = data_dir(tmp_path) / "drafts"
        open_composer(app, "r", "REPLY to customer")
        app.type(text)
        draft_file = wait_for(
            lambda: next(
                (p for p in drafts.glob("*-reply.json") if text in p.read_text()),
                None,
            ),
            "the draft to be saved",
        )
        app.kill()
    assert oct(draft_file.stat().st_mode & 0o777) == "0o600"
    conversation_id = json.loads(draft_file.read_text())["conversation_id"]
    assert threads_with(sb, conversation_id, text, "message") == []

    since = len(sb.requests)
    with running(env) as app:
        wait_ready(app, sb, since)
        # The same conversation, first in the remembered view.
        open_composer(app, "r", "REPLY to customer")
        app.keys(b"\x13")  # ctrl+s: send what the composer restored
        wait_for(lambda: not draft_file.exists(), "the draft to go once the send is confirmed")
        assert len(threads_with(sb, conversation_id, text, "message")) == 1
        assert len(requests_to(sb, "POST", "/reply")) == 1
        app.keys("q")
        wait_for(lambda: not app.alive, "the app to quit")
    assert app.proc.returncode == 0


def journaled(tmp_path: Path) -> list[str]:
    """The types of the actions submitted to the outbox journal, in order."""
    path = data_dir(tmp_path) / "outbox.jsonl"
    if not path.exists():
        return []
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [r["action"]["type"] for r in records if r["op"] == "submit"]


def test_sigkill_with_queued_actions_sends_each_once_in_order(
    tmp_path: Path, served: tuple[Sandbox, str], env: dict[str, str]
) -> None:
    sb, _url = served
    note = "Escalated to billing; do not refund twice."
    with running(env) as app:
        wait_ready(app, sb, 0)
        # The note reaches Help Scout but its answer is lost, then the link dies completely.
        sb.faults.drop(times=1, method="POST", path=r"/notes$", after_apply=True)
        sb.faults.drop(times=100_000)
        open_composer(app, "n", "NOTE (team only)")
        app.type(note)
        app.keys(b"\x13")  # ctrl+s
        applied = wait_for(
            lambda: [
                t
                for c in sb.state["conversations"]
                for t in threads_with(sb, c["id"], note, "note")
            ],
            "the note to be applied by the server",
        )
        conversation_id = applied[0]["sandbox"]["conversationId"]
        app.press("s", "Set status of")  # then close that conversation: it can only queue
        app.keys("c")
        wait_for(
            lambda: journaled(tmp_path) == ["Note", "SetStatus"],
            "both actions to be journaled",
        )
        app.kill()
    assert sb.conversation(conversation_id)["status"] != "closed"
    # Drafts, the journal and the cache hold customer data: owner-only, even after a kill.
    private = [p for d in ("data", "cache") for p in (tmp_path / d).rglob("*") if p.is_file()]
    assert any(p.name == "outbox.jsonl" for p in private)
    for path in private:
        assert path.stat().st_mode & 0o077 == 0, path

    sb.faults.clear()  # the network is back
    since = len(sb.requests)
    with running(env) as app:
        wait_for(
            lambda: sb.conversation(conversation_id)["status"] == "closed",
            "the queued status change to land after the restart",
        )
        wait_for(
            lambda: not list((data_dir(tmp_path) / "drafts").glob("*-note.json")),
            "the note's draft to go once its landing was confirmed",
        )
        app.keys("q")
        wait_for(lambda: not app.alive, "the app to quit")
    assert len(threads_with(sb, conversation_id, note, "note")) == 1
    writes = [
        (r.method, r.path)
        for r in sb.requests[since:]
        if r.method != "GET" and "oauth2" not in r.path and r.fault is None
    ]
    # The note was found already there (not posted again); only the status change went out.
    assert writes == [("PATCH", f"/v2/conversations/{conversation_id}")]
    assert not [r for r in sb.requests[since:] if r.method == "POST" and "notes" in r.path]
