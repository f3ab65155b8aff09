from __future__ import annotations

import errno
import json
import os
import stat
import threading
from pathlib import Path

import pytest

from hsinbox.helpscout.models import NewAttachment
from hsinbox.inbox.actions import Note, SetStatus
from hsinbox.inbox.journal import FILES_DIR, JOURNAL_NAME, Journal, JournalWriteFailed


def test_pending_in_order_and_compacted_on_open(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    a, b, c = SetStatus(1, "closed", "active"), Note(2, "<p>x</p>"), SetStatus(3, "pending")
    journal.submit(a, 10.0)
    journal.submit(b, 11.0, known_ids=(5, 6))
    journal.attempt(b.id)
    journal.submit(c, 12.0)
    journal.finish(a.id, "done")
    journal.finish(c.id, "cancel")
    journal.close()
    path = tmp_path / JOURNAL_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(path.read_text().splitlines()) == 6

    reopened = Journal(tmp_path)
    pending = reopened.pending()
    assert [p.action for p in pending] == [b]
    assert pending[0].attempted and pending[0].known_ids == (5, 6)
    assert pending[0].submitted_at == 11.0
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["op"] for line in lines] == ["submit", "attempt"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    reopened.close()


def test_torn_last_line_is_skipped(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    action = SetStatus(1, "closed")
    journal.submit(action, 1.0)
    journal.close()
    with (tmp_path / JOURNAL_NAME).open("a") as fh:
        fh.write('{"op": "done", "id": "' + action.id[:5])
    assert [p.action for p in Journal(tmp_path).pending()] == [action]


def test_a_running_journal_is_never_replayed_by_a_second_instance(tmp_path: Path) -> None:
    primary = Journal(tmp_path)
    mine = SetStatus(2, "pending")
    primary.submit(mine, 1.0)
    secondary = Journal(tmp_path)
    assert secondary.path.name.startswith("outbox-") and secondary.pending() == []
    theirs = SetStatus(1, "closed")
    secondary.submit(theirs, 5.0)
    secondary.close()  # its process "ends" with the action still pending

    third = Journal(tmp_path)  # primary still running: adopt the orphan only
    assert [p.action for p in third.pending()] == [theirs]
    third.close()
    primary.close()

    fourth = Journal(tmp_path)
    assert fourth.path.name == JOURNAL_NAME
    assert [p.action for p in fourth.pending()] == [mine, theirs]
    fourth.close()


# --- a refusing disk, attachments beside the line, fsync off the loop ----------------------


def _enospc(*_args: object, **_kwargs: object) -> int:
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_refuses_the_submit_and_leaves_no_torn_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = Journal(tmp_path)
    kept = SetStatus(1, "closed")
    journal.submit(kept, 1.0)
    monkeypatch.setattr("hsinbox.inbox.journal.os.write", _enospc)
    refused = SetStatus(2, "closed")
    with pytest.raises(JournalWriteFailed) as caught:
        journal.submit(refused, 2.0)
    assert "No space left on device" in str(caught.value)
    assert [p.action for p in journal.pending()] == [kept]
    monkeypatch.undo()
    journal.close()
    assert [p.action for p in Journal(tmp_path).pending()] == [kept]


def test_an_unwritable_data_folder_opens_and_refuses_each_write(tmp_path: Path) -> None:
    # Root ignores chmod: a data folder *under a regular file* cannot be created by anyone.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    journal = Journal(blocker / "data")
    with pytest.raises(JournalWriteFailed):
        journal.submit(SetStatus(1, "closed"), 1.0)
    assert journal.pending() == []
    journal.close()


def test_attachment_bytes_live_beside_the_line_until_the_action_ends(tmp_path: Path) -> None:
    raw = bytes(range(256)) * 4000  # ~1 MB
    note = Note(5, "<p>x</p>", attachments=(NewAttachment.of("log.bin", "x/y", raw),))
    journal = Journal(tmp_path)
    journal.submit(note, 1.0)
    line = (tmp_path / JOURNAL_NAME).read_text()
    assert len(line) < 2_000 and note.attachments[0].data[:100] not in line
    side = list((tmp_path / FILES_DIR).iterdir())
    assert len(side) == 1 and stat.S_IMODE(side[0].stat().st_mode) == 0o600
    journal.close()

    reopened = Journal(tmp_path)  # compaction keeps the side file and reads it back
    (again,) = reopened.pending()
    assert again.action == note and again.action.attachments[0].raw == raw  # type: ignore[attr-defined]
    reopened.finish(note.id, "done")
    assert list((tmp_path / FILES_DIR).iterdir()) == []
    reopened.close()


def test_a_lost_side_file_is_an_unreadable_line_not_a_reply_without_its_file(
    tmp_path: Path,
) -> None:
    note = Note(5, "<p>x</p>", attachments=(NewAttachment.of("a.bin", "x/y", b"abc"),))
    journal = Journal(tmp_path)
    journal.submit(note, 1.0)
    journal.close()
    for path in (tmp_path / FILES_DIR).iterdir():
        path.unlink()
    assert Journal(tmp_path).pending() == []


async def test_fsync_runs_in_a_thread_awaited_by_sync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[str] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        threads.append(threading.current_thread().name)
        real_fsync(fd)

    journal = Journal(tmp_path)
    monkeypatch.setattr("hsinbox.inbox.journal.os.fsync", recording_fsync)
    note = Note(5, "<p>x</p>", attachments=(NewAttachment.of("a.bin", "x/y", b"abc"),))
    journal.submit(note, 1.0)
    journal.attempt(note.id)
    assert threads == []  # nothing fsynced in the caller (the key handler)
    await journal.sync()
    assert len(threads) == 2  # the side file and the journal
    assert threading.main_thread().name not in threads
    await journal.sync()  # nothing new: no second fsync
    assert len(threads) == 2
    journal.close()
