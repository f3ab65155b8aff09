"""The outbox journal: what makes "nothing lost, nothing doubled" survive a crash.

Append-only JSON lines, owner-only. Each line is one of ``submit`` (the action and when it
was submitted), ``attempt`` (a request is about to go out, so after a crash a POST must be
checked before it is sent again), ``done`` and ``cancel``. Opening the journal compacts it to
the records of actions still pending.

A line is written (``os.write``) in the key handler, so a refused write (a full disk, an
unwritable folder) refuses the action before anything is shown; the line then survives a
killed process. The fsync that makes it survive a power cut runs in a thread (``sync()``,
awaited by the outbox before each request), never on the event loop. Attachment bytes stay
out of the line: each is a side file in ``outbox-files/`` named by the line and removed when
the action is done, failed or cancelled, so a 10 MB attachment is not re-encoded into JSON.

Only one running hsinbox may replay a journal, or a second window would send everything
twice: the journal is guarded by an advisory lock. A second instance on the same data
directory writes its own ``outbox-<pid>.jsonl``; whoever starts next adopts such a file once
its owner is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hsinbox.inbox.actions import Action, UnknownAction, action_from_json
from hsinbox.paths import write_private

log = logging.getLogger(__name__)

JOURNAL_NAME = "outbox.jsonl"
FILES_DIR = "outbox-files"


class JournalWriteFailed(OSError):
    """The journal could not record an action (a full disk, an unwritable folder): the
    action must be refused, since nothing unjournalled may be applied or sent."""

    def __init__(self, cause: OSError) -> None:
        super().__init__(cause.errno, cause.strerror or str(cause))
        self.cause = cause

    def __str__(self) -> str:
        return (
            f"the outbox could not be written to disk ({self.strerror or 'an error'}), "
            "so nothing was changed"
        )


if sys.platform != "win32":
    import fcntl
else:  # pragma: no cover - no flock on Windows; one instance is assumed there
    fcntl = None


def _lock(path: Path) -> int | None:
    """An exclusive, non-blocking advisory lock held through the returned fd; None if taken
    (or when the folder refuses the lock file: then every write is refused too)."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        log.warning("outbox lock unavailable: %s", exc.strerror)
        return None
    if fcntl is None:
        return fd
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def _ids_in(text: str) -> set[str]:
    """Action ids named by a journal's lines (a secondary journal's side files stay)."""
    ids: set[str] = set()
    for line in text.splitlines():
        with contextlib.suppress(ValueError, TypeError, KeyError):
            ids.add(str(json.loads(line)["id"]))
    return ids


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
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            # An unwritable data folder: start anyway; each action is refused in one line.
            log.warning("outbox folder unavailable: %s", exc.strerror)
        self._pending: dict[str, PendingRecord] = {}
        self._fd: int | None = None
        self.files_dir = self.directory / FILES_DIR
        # Written but not yet fsynced: the journal itself and attachment side files.
        self._unsynced = False
        self._unsynced_files: set[Path] = set()
        self._sync_lock = threading.Lock()
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
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except FileNotFoundError:
            return pending
        except OSError as exc:
            log.warning("could not read the outbox %s: %s", path.name, exc.strerror)
            return pending
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
        try:
            self._rewrite()
        except OSError as exc:
            # The old file still holds every pending record: nothing is lost by keeping it.
            log.warning("could not compact the outbox: %s", exc.strerror)
        try:
            self._remove_orphan_side_files()
        except OSError as exc:
            log.warning("could not tidy the outbox side files: %s", exc.strerror)

    def _replay(self, record: dict[str, Any], pending: dict[str, PendingRecord]) -> None:
        op = record["op"]
        action_id = record["id"]
        if op == "submit":
            pending[action_id] = PendingRecord(
                action=action_from_json(self._with_side_files(record["action"])),
                submitted_at=float(record["submitted_at"]),
                known_ids=tuple(int(i) for i in record.get("known_ids", ())),
                bulk_id=record.get("bulk_id"),
            )
        elif op == "attempt":
            if action_id in pending:
                pending[action_id].attempted = True
        elif op in ("done", "cancel", "failed"):
            pending.pop(action_id, None)

    # --- attachment side files ----------------------------------------------------------

    def _side_name(self, action_id: str, index: int) -> str:
        return f"{action_id}.{index}.b64"

    def _with_side_files(self, action: dict[str, Any]) -> dict[str, Any]:
        """The action's JSON with each attachment's ``dataFile`` read back into ``data``."""
        files = action.get("attachments")
        if not isinstance(files, list) or not any(
            isinstance(f, dict) and "dataFile" in f for f in files
        ):
            return action
        restored: list[Any] = []
        for item in files:
            if isinstance(item, dict) and "dataFile" in item:
                name = str(item["dataFile"])
                if "/" in name or name.startswith("."):
                    raise ValueError("a side file outside the outbox")
                item = {k: v for k, v in item.items() if k != "dataFile"}
                # A missing side file is an unreadable line (FileNotFoundError is an OSError):
                # the caller skips it rather than send a reply without its attachment.
                try:
                    item["data"] = (self.files_dir / name).read_text(encoding="ascii")
                except OSError as exc:
                    raise ValueError(f"attachment side file unreadable: {exc.strerror}") from exc
            restored.append(item)
        return {**action, "attachments": restored}

    def _without_side_files(self, action_id: str, action: dict[str, Any]) -> dict[str, Any]:
        """The action's JSON with each attachment's bytes moved to a side file."""
        files = action.get("attachments")
        if not isinstance(files, list) or not files:
            return action
        moved: list[Any] = []
        for index, item in enumerate(files):
            if isinstance(item, dict) and isinstance(item.get("data"), str):
                name = self._side_name(action_id, index)
                path = self.files_dir / name
                data = item["data"]
                if not (path.exists() and path.stat().st_size == len(data)):
                    self._write_side_file(path, data)
                item = {k: v for k, v in item.items() if k != "data"} | {"dataFile": name}
            moved.append(item)
        return {**action, "attachments": moved}

    def _write_side_file(self, path: Path, data: str) -> None:
        """Written now (a refusal refuses the action), fsynced by ``sync()``."""
        self.files_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                view = memoryview(data.encode("ascii"))
                while view:
                    view = view[os.write(fd, view) :]
            finally:
                os.close(fd)
            os.replace(tmp, path)
        except OSError:
            tmp.unlink(missing_ok=True)
            raise
        with self._sync_lock:
            self._unsynced_files.add(path)

    def _remove_side_files(self, action_id: str) -> None:
        if not self.files_dir.is_dir():
            return
        for path in self.files_dir.glob(f"{action_id}.*.b64"):
            with self._sync_lock:
                self._unsynced_files.discard(path)
            try:
                path.unlink(missing_ok=True)
            except OSError as exc:
                log.warning("could not remove an outbox side file: %s", exc.strerror)

    def _remove_orphan_side_files(self) -> None:
        """Side files whose action is no longer pending here (nor in a live secondary)."""
        if not self.files_dir.is_dir() or self.path.name != JOURNAL_NAME:
            return
        live = set(self._pending)
        for other in self.directory.glob("outbox-*.jsonl"):
            with_ids = other.read_text(encoding="utf-8", errors="replace")
            live.update(i for i in _ids_in(with_ids))
        for path in self.files_dir.glob("*.b64"):
            if path.name.split(".", 1)[0] not in live:
                path.unlink(missing_ok=True)

    def _submit_record(self, rec: PendingRecord) -> dict[str, Any]:
        record: dict[str, Any] = {
            "op": "submit",
            "id": rec.action.id,
            "action": self._without_side_files(rec.action.id, rec.action.to_json()),
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
        """Write one line now; raises ``JournalWriteFailed`` (the caller refuses the action).

        A short write (a disk filling up) is cut back so no torn line is followed by others.
        """
        line = (json.dumps(record) + "\n").encode("utf-8")
        try:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            start = os.lseek(self._fd, 0, os.SEEK_END)
            try:
                view = memoryview(line)
                while view:
                    view = view[os.write(self._fd, view) :]
            except OSError:
                with contextlib.suppress(OSError):
                    os.ftruncate(self._fd, start)
                raise
        except OSError as exc:
            raise JournalWriteFailed(exc) from exc
        with self._sync_lock:
            self._unsynced = True

    def _sync_now(self) -> None:
        with self._sync_lock:
            files, self._unsynced_files = self._unsynced_files, set()
            journal, self._unsynced = self._unsynced, False
            fd = self._fd
        for path in files:
            try:
                side = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                continue  # done meanwhile
            try:
                os.fsync(side)
            finally:
                os.close(side)
        if journal and fd is not None:
            os.fsync(fd)

    async def sync(self) -> None:
        """Make what was written durable (fsync), in a thread: awaited before a request goes
        out, so the ``attempt`` line is on disk before Help Scout can apply the write."""
        with self._sync_lock:
            if not self._unsynced and not self._unsynced_files:
                return
        try:
            await asyncio.to_thread(self._sync_now)
        except OSError as exc:
            # The lines were written; only a power cut could lose them now.
            log.warning("the outbox could not be synced to disk: %s", exc.strerror)

    def submit(
        self,
        action: Action,
        submitted_at: float,
        *,
        known_ids: tuple[int, ...] = (),
        bulk_id: str | None = None,
    ) -> PendingRecord:
        """Record the action; raises ``JournalWriteFailed`` when the disk refuses it."""
        rec = PendingRecord(action, submitted_at, known_ids=known_ids, bulk_id=bulk_id)
        try:
            record = self._submit_record(rec)
        except JournalWriteFailed:
            raise
        except OSError as exc:  # a side file the disk refused
            self._remove_side_files(action.id)
            raise JournalWriteFailed(exc) from exc
        try:
            self._append(record)
        except JournalWriteFailed:
            if action.id not in self._pending:
                self._remove_side_files(action.id)
            raise
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
        if self._pending.pop(action_id, None) is None:
            return
        try:
            self._append({"op": op, "id": action_id})
        except JournalWriteFailed as exc:
            # The action is over here; the next start checks it again (an ``attempt`` makes
            # a POST look before it is re-sent), so a lost line doubles nothing.
            log.warning("could not record an outbox outcome: %s", exc.strerror)
            return
        self._remove_side_files(action_id)

    def close(self) -> None:
        """Release the file and the lock; a secondary journal with nothing pending goes away."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                self._sync_now()
            os.close(self._fd)
            self._fd = None
        if self.path.name != JOURNAL_NAME and not self._pending:
            with contextlib.suppress(OSError):
                self.path.unlink(missing_ok=True)
                self.path.with_suffix(".lock").unlink(missing_ok=True)
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None
