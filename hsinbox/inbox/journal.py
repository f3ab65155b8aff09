"""The outbox journal: what makes "nothing lost, nothing doubled" survive a crash.

Append-only JSON lines, fsynced per write, owner-only. Each line is one of
``submit`` (the action and when it was submitted), ``attempt`` (a request is about to go out,
so after a crash a POST must be checked before it is sent again), ``done`` and ``cancel``.
Opening the journal compacts it to the records of actions still pending.

Only one running hsinbox may replay a journal, or a second window would send everything
twice: the journal is guarded by an advisory lock. A second instance on the same data
directory writes its own ``outbox-<pid>.jsonl``; whoever starts next adopts such a file once
its owner is gone.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hsinbox.inbox.actions import Action, UnknownAction, action_from_json
from hsinbox.paths import write_private

log = logging.getLogger(__name__)

JOURNAL_NAME = "outbox.jsonl"

if sys.platform != "win32":
    import fcntl
else:  # pragma: no cover - no flock on Windows; one instance is assumed there
    fcntl = None


def _lock(path: Path) -> int | None:
    """An exclusive, non-blocking advisory lock held through the returned fd; None if taken."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    if fcntl is None:
        return fd
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


@dataclass
class PendingRecord:
    """An action that was submitted and never confirmed, failed or cancelled."""

    action: Action
    submitted_at: float
    attempted: bool = False
    known_ids: tuple[int, ...] = ()
    bulk_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Journal:
    def __init__(self, data_dir: Path) -> None:
        self.directory = Path(data_dir)
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._pending: dict[str, PendingRecord] = {}
        self._fd: int | None = None
        self._lock_fd = _lock(self.directory / "outbox.lock")
        if self._lock_fd is not None:
            self.path = self.directory / JOURNAL_NAME
        else:
            own = f"outbox-{os.getpid()}"
            self._lock_fd = _lock(self.directory / f"{own}.lock")
            self.path = self.directory / f"{own}.jsonl"
        self._load_and_compact()

    # --- reading ---------------------------------------------------------------------

    def _read(self, path: Path) -> dict[str, PendingRecord]:
        pending: dict[str, PendingRecord] = {}
        if not path.exists():
            return pending
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                self._replay(json.loads(line), pending)
            except (ValueError, KeyError, TypeError, UnknownAction) as exc:
                # A torn last line after a crash, or a record from another version:
                # skip it rather than refuse to start.
                log.warning("skipping unreadable outbox line %d: %s", number, type(exc).__name__)
        return pending

    def _adopt_orphans(self) -> list[PendingRecord]:
        """Pending actions of secondary journals whose process is gone."""
        adopted: list[PendingRecord] = []
        for path in sorted(self.directory.glob("outbox-*.jsonl")):
            if path == self.path:
                continue
            lock_path = path.with_suffix(".lock")
            fd = _lock(lock_path)
            if fd is None:
                continue  # its hsinbox is still running
            try:
                adopted.extend(self._read(path).values())
                path.unlink(missing_ok=True)
                lock_path.unlink(missing_ok=True)
            finally:
                os.close(fd)
        return adopted

    def _load_and_compact(self) -> None:
        records = list(self._read(self.path).values()) + self._adopt_orphans()
        records.sort(key=lambda r: r.submitted_at)
        self._pending = {r.action.id: r for r in records}
        self._rewrite()

    def _replay(self, record: dict[str, Any], pending: dict[str, PendingRecord]) -> None:
        op = record["op"]
        action_id = record["id"]
        if op == "submit":
            pending[action_id] = PendingRecord(
                action=action_from_json(record["action"]),
                submitted_at=float(record["submitted_at"]),
                known_ids=tuple(int(i) for i in record.get("known_ids", ())),
                bulk_id=record.get("bulk_id"),
            )
        elif op == "attempt":
            if action_id in pending:
                pending[action_id].attempted = True
        elif op in ("done", "cancel", "failed"):
            pending.pop(action_id, None)

    def _submit_record(self, rec: PendingRecord) -> dict[str, Any]:
        record: dict[str, Any] = {
            "op": "submit",
            "id": rec.action.id,
            "action": rec.action.to_json(),
            "submitted_at": rec.submitted_at,
        }
        if rec.known_ids:
            record["known_ids"] = list(rec.known_ids)
        if rec.bulk_id:
            record["bulk_id"] = rec.bulk_id
        return record

    def _rewrite(self) -> None:
        out: list[str] = []
        for rec in self._pending.values():
            out.append(json.dumps(self._submit_record(rec)))
            if rec.attempted:
                out.append(json.dumps({"op": "attempt", "id": rec.action.id}))
        write_private(self.path, "".join(line + "\n" for line in out))

    def pending(self) -> list[PendingRecord]:
        """Unconfirmed actions in the order they were submitted."""
        return list(self._pending.values())

    # --- writing ---------------------------------------------------------------------

    def _append(self, record: dict[str, Any]) -> None:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.write(self._fd, (json.dumps(record) + "\n").encode("utf-8"))
        os.fsync(self._fd)

    def submit(
        self,
        action: Action,
        submitted_at: float,
        *,
        known_ids: tuple[int, ...] = (),
        bulk_id: str | None = None,
    ) -> PendingRecord:
        rec = PendingRecord(action, submitted_at, known_ids=known_ids, bulk_id=bulk_id)
        self._append(self._submit_record(rec))
        self._pending[action.id] = rec
        return rec

    def attempt(self, action_id: str) -> None:
        rec = self._pending.get(action_id)
        if rec is None or rec.attempted:
            return
        rec.attempted = True
        self._append({"op": "attempt", "id": action_id})

    def finish(self, action_id: str, op: str = "done") -> None:
        """Mark an action ``done``, ``failed`` or ``cancel``: it will not be replayed."""
        if self._pending.pop(action_id, None) is not None:
            self._append({"op": op, "id": action_id})

    def close(self) -> None:
        """Release the file and the lock; a secondary journal with nothing pending goes away."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self.path.name != JOURNAL_NAME and not self._pending:
            self.path.unlink(missing_ok=True)
            self.path.with_suffix(".lock").unlink(missing_ok=True)
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None
