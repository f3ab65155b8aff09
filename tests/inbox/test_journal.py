from __future__ import annotations

import json
import stat
from pathlib import Path

from hsinbox.inbox.actions import Note, SetStatus
from hsinbox.inbox.journal import JOURNAL_NAME, Journal


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
