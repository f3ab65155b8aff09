"""What only this agent's machine knows: the watch list and when each conversation was last
opened. Help Scout's API has no "follow" and no per-agent "seen", so both are local (one
small JSON file per account in the data folder; colleagues never see them).

Also the pure readings of threads already loaded: a colleague's unsent draft, a bad rating.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from hsinbox import paths
from hsinbox.helpscout.models import Conversation, Thread

if TYPE_CHECKING:
    from hsinbox.inbox.session import InboxSession

log = logging.getLogger(__name__)

OPENED_LIMIT = 5000
"""Conversations whose last opening is remembered; the oldest openings go first."""
WATCH_LIMIT = 1000
WATCHING_SHOWN = 25
"""The watched conversations listed at once ("Watching"): each not loaded costs one GET."""


class LocalMarks:
    """The watch list and the last openings of one account, kept in ``path``.

    Read once when made (a few kilobytes); each change is written in a thread, never on the
    event loop. A file that cannot be read counts as empty (said once in the log).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.watched: set[int] = set()
        self.opened: dict[int, datetime] = {}
        self._writing: asyncio.Task[None] | None = None
        self._dirty = False
        self._load()

    @classmethod
    def for_account(cls, data_dir: Path, account_id: int) -> LocalMarks:
        return cls(Path(data_dir) / "marks" / f"{int(account_id)}.json")

    def _load(self) -> None:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            self.watched = {int(i) for i in raw.get("watched", [])}
            self.opened = {
                int(k): datetime.fromisoformat(v) for k, v in raw.get("opened", {}).items()
            }
        except FileNotFoundError:
            return
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            log.warning(
                "the local marks in %s could not be read (%s); starting empty", self.path, exc
            )

    # --- the watch list ----------------------------------------------------------------
    def toggle_watch(self, ids: Sequence[int]) -> bool:
        """Watch all of ``ids`` unless all are watched already (then unwatch them).
        Returns whether they are watched now."""
        watch = not all(i in self.watched for i in ids)
        if watch:
            if len(self.watched | set(ids)) > WATCH_LIMIT:
                raise WatchListFull(WATCH_LIMIT)
            self.watched.update(ids)
        else:
            self.watched.difference_update(ids)
        self._changed()
        return watch

    # --- changed since last opened ------------------------------------------------------
    def opened_now(self, conv: Conversation) -> None:
        """The agent opened it: what it is now counts as seen."""
        stamp = conv.modified_at
        if stamp is None or self.opened.get(conv.id) == stamp:
            return
        self.opened.pop(conv.id, None)
        self.opened[conv.id] = stamp  # newest last: the bound drops the oldest openings
        while len(self.opened) > OPENED_LIMIT:
            self.opened.pop(next(iter(self.opened)))
        self._changed()

    def changed_since_opened(self, conv: Conversation) -> bool:
        """Opened before, and modified since (never opened: not marked)."""
        seen = self.opened.get(conv.id)
        return seen is not None and conv.modified_at is not None and conv.modified_at > seen

    def seen_again(self, convs: Iterable[Conversation]) -> None:
        """The agent's own changes: already known, so not "changed since opened"."""
        for conv in convs:
            if conv.id in self.opened:
                self.opened_now(conv)

    # --- saving ---------------------------------------------------------------------------
    def _payload(self) -> str:
        return json.dumps(
            {
                "watched": sorted(self.watched),
                "opened": {str(k): v.isoformat() for k, v in self.opened.items()},
            }
        )

    def _changed(self) -> None:
        self._dirty = True
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.save()
            return
        if self._writing is None or self._writing.done():
            self._writing = loop.create_task(self._write_soon())

    async def _write_soon(self) -> None:
        while self._dirty:
            self._dirty = False
            payload = self._payload()
            try:
                await asyncio.to_thread(paths.write_private, self.path, payload)
            except OSError as exc:
                log.warning("the local marks could not be saved to %s (%s)", self.path, exc)
                return

    def save(self) -> None:
        """Write now (tests, and when no event loop runs)."""
        self._dirty = False
        paths.write_private(self.path, self._payload())

    async def flush(self) -> None:
        if self._writing is not None:
            await self._writing


class WatchListFull(ValueError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"The watch list holds at most {limit} conversations; unwatch some first.")


@dataclass(frozen=True)
class ColleagueDraft:
    """A draft reply another user has not sent yet, as the thread list shows it."""

    author: str
    created_at: datetime | None


def colleague_drafts(threads: Iterable[Thread], me_id: int | None) -> list[ColleagueDraft]:
    """Other users' unsent drafts among threads already read (no request)."""
    found = []
    for t in threads:
        by = t.created_by
        if not t.is_draft or by is None or by.type != "user" or by.id == me_id:
            continue
        name = (by.first or "").strip() or (by.email or "").strip() or "A colleague"
        found.append(ColleagueDraft(name, t.created_at))
    return found


def bad_rating(threads: Iterable[Thread]) -> bool:
    """A reply the customer rated badly (from threads already read)."""
    return any(t.rating is not None and t.rating.is_bad for t in threads)


@dataclass(frozen=True)
class Watching:
    """The watched conversations to list, and how many could not be read (gone, merged
    away, no access) or were left for later (over ``WATCHING_SHOWN``)."""

    conversations: list[Conversation]
    unreadable: int
    not_shown: int


async def watched_conversations(
    session: InboxSession, ids: Iterable[int], limit: int = WATCHING_SHOWN
) -> Watching:
    """The watch list as conversations: the store's copies, and one GET for each of the
    first ``limit`` it does not hold (never more). Newest change first."""
    wanted = sorted(set(ids), reverse=True)
    shown, rest = wanted[:limit], wanted[limit:]
    known = [c for c in (session.store.get(i) for i in shown) if c is not None]
    missing = [i for i in shown if session.store.get(i) is None]
    got = await asyncio.gather(
        *(session.load_conversation(i) for i in missing), return_exceptions=True
    )
    read = [c for c in got if isinstance(c, Conversation)]
    convs = sorted(
        known + read,
        key=lambda c: (c.modified_at is not None, c.modified_at or datetime.min, c.id),
        reverse=True,
    )
    return Watching(convs, len(missing) - len(read), len(rest))
