"""The outbox journal: what makes "nothing lost, nothing doubled" survive a crash.

Append-only JSON lines, fsynced per write, owner-only. Each line is one of
``submit`` (the action and when it was submitted), ``attempt`` (a request is about to go out,
so after a crash a POST must be checked before it is sent again), ``done`` and ``cancel``.
Opening the journal compacts it to the records of actions still pending.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hsinbox.inbox.actions import Action, UnknownAction, action_from_json
from hsinbox.paths import write_private

log = logging.getLogger(__name__)

JOURNAL_NAME = "outbox.jsonl"


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
        self.path = Path(data_dir) / JOURNAL_NAME
        self._pending: dict[str, PendingRecord] = {}
        self._fd: int | None = None
        self._load_and_compact()

    # --- reading ---------------------------------------------------------------------

    def _load_and_compact(self) -> None:
        lines: list[str] = []
        if self.path.exists():
            lines = self.path.read_text(encoding="utf-8", errors="replace").splitlines()
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                self._replay(record)
            except (ValueError, KeyError, TypeError, UnknownAction) as exc:
                # A torn last line after a crash, or a record from another version:
                # skip it rather than refuse to start.
                log.warning("skipping unreadable outbox line %d: %s", number, type(exc).__name__)
        self._rewrite()

    def _replay(self, record: dict[str, Any]) -> None:
        op = record["op"]
        action_id = record["id"]
        if op == "submit":
            self._pending[action_id] = PendingRecord(
                action=action_from_json(record["action"]),
                submitted_at=float(record["submitted_at"]),
                known_ids=tuple(int(i) for i in record.get("known_ids", ())),
                bulk_id=record.get("bulk_id"),
            )
        elif op == "attempt":
            if action_id in self._pending:
                self._pending[action_id].attempted = True
        elif op in ("done", "cancel", "failed"):
            self._pending.pop(action_id, None)

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
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
