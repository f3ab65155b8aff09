"""A full disk or an unwritable data folder: one line says so, the typed text stays, nothing
is applied that the outbox could not record. Tests run as root here, where chmod stops
nothing, so a folder is made unwritable by putting a regular file where it should be and a
full disk is an ``os.write`` that answers ENOSPC for the data folder's files only."""

from __future__ import annotations

import errno
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static, TextArea
from tui_helpers import conv, make_app, settle, until, writes

from hsinbox.tui.compose import ComposerScreen
from hsinbox.tui.inbox_screen import InboxScreen

NUMBER = 10021


def screen_of(app: Any) -> InboxScreen:
    return next(s for s in app.screen_stack if isinstance(s, InboxScreen))


async def go_to(pilot: Any, number: int) -> None:
    screen = screen_of(pilot.app)
    target = next(c for c in screen.table.conversations.values() if c.number == number)
    screen.table.go_to(target.id)
    await pilot.pause()


def notice(app: Any) -> str:
    return str(app.screen.query_one("#composer-notice", Static).content)


class FullDisk:
    """ENOSPC for every write to a file opened under ``root`` while ``full`` is set."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root = str(root)
        self.full = False
        self._fds: set[int] = set()
        real_open, real_write = os.open, os.write

        def tracking_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
            fd = real_open(path, flags, *args, **kwargs)
            if os.fspath(path).startswith(self.root):
                self._fds.add(fd)
            else:
                self._fds.discard(fd)
            return fd

        def refusing_write(fd: int, data: Any) -> int:
            if self.full and fd in self._fds:
                raise OSError(errno.ENOSPC, "No space left on device")
            return real_write(fd, data)

        monkeypatch.setattr(os, "open", tracking_open)
        monkeypatch.setattr(os, "write", refusing_write)


async def test_an_unwritable_drafts_folder_says_so_once_and_the_reply_still_goes(
    tmp_path: Path,
) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "drafts").write_text("")  # a file: nobody, root included, writes under it
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        await go_to(pilot, NUMBER)
        await pilot.press("r")
        assert isinstance(app.screen, ComposerScreen)
        await pilot.press(*"Thanks")
        await settle(pilot, session)  # the debounced save ran and failed
        assert isinstance(app.screen, ComposerScreen)
        assert notice(app).startswith("The draft could not be saved (")
        assert "ctrl+s still sends it" in notice(app)
        await pilot.press(*" again")
        await settle(pilot, session)
        assert app.screen.query_one(TextArea).text == "Thanks again"
        await pilot.press("ctrl+s")
        await settle(pilot, session)
        c = conv(sb, NUMBER)
        method, path, body = writes(sb)[-1]
        assert (method, path) == ("POST", f"/v2/conversations/{c['id']}/reply")
        assert body["text"] == "<p>Thanks again</p>"


async def test_a_full_disk_keeps_the_text_on_escape_and_refuses_the_send_visibly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    disk = FullDisk(tmp_path / "data", monkeypatch)
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        await go_to(pilot, NUMBER)
        disk.full = True
        await pilot.press("n")
        await pilot.press(*"Called back")
        await settle(pilot, session)
        assert "No space left on device" in notice(app)
        # Escape would lose the text: the first one says so and stays.
        await pilot.press("escape")
        assert isinstance(app.screen, ComposerScreen)
        assert "escape again discards the text" in notice(app)
        # Sending: the outbox cannot record it, so nothing is applied or sent and the
        # composer comes back with the text.
        before = len(writes(sb))
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ComposerScreen))
        await settle(pilot, session)
        assert isinstance(app.screen, ComposerScreen)
        assert app.screen.query_one(TextArea).text == "Called back"
        errors = [n.message for n in app._notifications if n.severity == "error"]
        assert errors[-1].endswith(
            "failed: the outbox could not be written to disk (No space left on device), "
            "so nothing was changed."
        )
        assert len(writes(sb)) == before and session.queue_length == 0
        # The disk has room again: the same composer sends it.
        disk.full = False
        await pilot.press("ctrl+s")
        await settle(pilot, session)
        c = conv(sb, NUMBER)
        assert writes(sb)[-1][:2] == ("POST", f"/v2/conversations/{c['id']}/notes")
        assert writes(sb)[-1][2]["text"] == "<p>Called back</p>"


async def test_a_state_file_that_cannot_be_written_is_said_once(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    app, _sb, session = make_app(tmp_path)
    app.state_path = blocker / "state.json"
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        await pilot.press("o")
        await pilot.press("o")
        await settle(pilot, session)
        said = [n.message for n in app._notifications if "remember the view" in n.message]
        assert len(said) == 1 and said[0].startswith("Could not remember the view for next time")
        assert isinstance(app.screen, InboxScreen)


async def test_a_slow_fsync_delays_neither_the_key_nor_the_screen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The journal's fsync runs in a thread: a disk that takes seconds to sync (a network
    home folder, a busy laptop disk) holds the request back, never the key handler."""
    release = threading.Event()
    real_fsync = os.fsync

    def slow_fsync(fd: int) -> None:
        release.wait(5)  # on the event loop this would freeze the test for 5 s and fail it
        real_fsync(fd)

    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        await go_to(pilot, NUMBER)
        monkeypatch.setattr(os, "fsync", slow_fsync)
        await pilot.press("s", "p")
        screen = screen_of(app)
        await until(pilot, lambda: session.store.get(screen.table.current_id).status == "pending")
        assert conv(sb, NUMBER)["status"] == "active"  # not sent before the line is durable
        release.set()
        await until(pilot, lambda: conv(sb, NUMBER)["status"] == "pending")
        monkeypatch.undo()


async def test_a_second_hsinbox_writing_the_cache_neither_blocks_nor_turns_it_off(
    tmp_path: Path,
) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        assert session.cache is not None and session.cache.available
        other = sqlite3.connect(session.cache.path, isolation_level=None)  # the second window
        other.execute("BEGIN IMMEDIATE")  # holds the write lock
        try:
            c = conv(sb, NUMBER)
            await session.client.add_note(c["id"], "<p>a colleague wrote</p>")
            for _ in range(2):
                await pilot.press("R")
                await settle(pilot, session)
            said = [n.message for n in app._notifications if "local cache skipped" in n.message]
            assert len(said) == 1 and "locked" in said[0]
            assert session.cache.available  # still on: busy is not corruption
        finally:
            other.execute("ROLLBACK")
            other.close()
        await pilot.press("R")
        await settle(pilot, session)
        assert session.cache.available
