"""The one write path: a single asyncio task that sends queued actions to Help Scout.

submit → journal (written to disk; a refused write refuses the action, nothing applied) →
optimistic apply → [undo delay] → one request → confirm or
roll back. A dropped network, an unknown outcome, a 429 or an expired sign-in delays an
action; it never drops or doubles it. Actions on the same conversation go out in submission
order; a delayed action does not hold back work on other conversations.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hsinbox.helpscout.errors import (
    AuthError,
    ConversationMerged,
    HelpScoutError,
    InvalidResponse,
    NetworkError,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    ServerError,
)
from hsinbox.inbox.actions import Action, Bulk, Delete, PartlyDone
from hsinbox.inbox.events import (
    ActionApplied,
    ActionCancelled,
    ActionConfirmed,
    ActionFailed,
    AuthRequired,
    BulkFinished,
    ConnectionChanged,
    Event,
    QueueChanged,
    RateLimitWait,
)
from hsinbox.inbox.journal import Journal, JournalWriteFailed

if TYPE_CHECKING:
    from hsinbox.helpscout.client import HelpScoutClient
    from hsinbox.inbox.store import Store

log = logging.getLogger(__name__)

MAX_BACKOFF = 30.0
#: 5xx answers in a row before an action is given up (and rolled back) as failed.
MAX_SERVER_ERRORS = 5
#: Merges one action follows (each a re-aimed send); a loop of merges stops here.
MAX_MERGES_FOLLOWED = 3


@dataclass(eq=False)
class _Entry:
    action: Action
    submitted_at: float
    not_before: float
    bulk_id: str | None = None
    known_ids: tuple[int, ...] = ()
    attempted: bool = False
    maybe_sent: bool = False
    server_errors: int = 0
    merges: int = 0

    @property
    def cancellable(self) -> bool:
        return not self.maybe_sent


@dataclass(eq=False)
class _BulkState:
    bulk: Bulk
    remaining: set[str]
    confirmed: list[Action] = field(default_factory=list)
    failed: list[tuple[Action, str]] = field(default_factory=list)


class Outbox:
    """The one write path's engine: journal → optimistic apply → send → confirm or roll back.

    Named apart from ``textual.worker.Worker``; the session keeps it as ``session.worker``.
    """

    def __init__(
        self,
        client: HelpScoutClient,
        store: Store,
        journal: Journal,
        emit: Callable[[Event], None],
        *,
        undo_delay: float = 5.0,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        max_backoff: float = MAX_BACKOFF,
    ) -> None:
        self.client = client
        self.store = store
        self.journal = journal
        self._emit = emit
        self.undo_delay = undo_delay
        self._sleep = sleep
        self._clock = clock
        self._wall = wall_clock
        self.max_backoff = max_backoff
        self.online = True
        self.paused = False
        self._entries: list[_Entry] = []
        self._bulks: dict[str, _BulkState] = {}
        self._in_flight: _Entry | None = None
        self._failures = 0
        self._wake = asyncio.Event()
        self._kick = asyncio.Event()
        self._settled = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # Told (old id, new id) when a send learns that its conversation was merged; the
        # session moves the cache and drafts and calls ``retarget``. None: retarget only.
        self.on_merged: Callable[[int, int], None] | None = None

    # --- what the session sees -------------------------------------------------------

    @property
    def queue_length(self) -> int:
        return len(self._entries)

    @property
    def held(self) -> int:
        """Queued changes still in their undo window: queued, but nothing is sending them."""
        now = self._clock()
        return sum(1 for e in self._entries if e is not self._in_flight and e.not_before > now)

    @property
    def pending_actions(self) -> list[Action]:
        """What is queued, in sending order (a merge retargets these)."""
        return [entry.action for entry in self._entries]

    def reapply_pending(self) -> None:
        """After a reload replaced local copies, show the unsent changes again."""
        for entry in self._entries:
            entry.action.reapply(self.store)

    # --- submitting ------------------------------------------------------------------

    def submit(self, action: Action) -> bool:
        """Journal, apply, queue; when the journal refuses the write (a full disk) the
        action is refused with one ``ActionFailed``, nothing is applied, and False returned.
        False too when nothing of it could be shown (its ``apply`` raised: dropped)."""
        try:
            if isinstance(action, Bulk):
                if action.actions:
                    self._bulks[action.id] = _BulkState(action, {a.id for a in action.actions})
                queued: list[bool] = []
                try:
                    for child in action.actions:
                        queued.append(self._enqueue(child, delayed=True, bulk_id=action.id))
                except JournalWriteFailed:
                    self._bulks.pop(action.id, None)
                    for entry in reversed([e for e in self._entries if e.bulk_id == action.id]):
                        self._entries.remove(entry)
                        self.journal.finish(entry.action.id, "cancel")
                        self._revert(entry)
                    raise
                if not any(queued):
                    self._queue_changed()
                    return False
                self._emit(ActionApplied(action))
            elif self._enqueue(action, delayed=action.delay_eligible, bulk_id=None):
                self._emit(ActionApplied(action))
            else:
                self._queue_changed()
                return False
        except JournalWriteFailed as exc:
            log.warning("outbox refused an action: %s", exc.strerror)
            self._emit(ActionFailed(action, f"{exc}."))
            self._queue_changed()
            return False
        self._queue_changed()
        self._ensure_running()
        self._wake.set()
        return True

    def _enqueue(self, action: Action, *, delayed: bool, bulk_id: str | None) -> bool:
        """Journal, show and queue one action; False when it could not be shown (dropped)."""
        submitted_at = self._wall()
        known: tuple[int, ...] = ()
        if action.creates and action.conversation_id is not None:
            known = tuple(t.id for t in self.store.threads.get(action.conversation_id, []))
        # Journal first: if we crash right after, the action is replayed, not lost.
        self.journal.submit(action, submitted_at, known_ids=known, bulk_id=bulk_id)
        if not self._applied(action):
            if bulk_id is not None:
                self._bulk_child_done(bulk_id, action.id)
            return False
        delay = self.undo_delay if delayed and self.undo_delay > 0 else 0.0
        self._entries.append(
            _Entry(action, submitted_at, self._clock() + delay, bulk_id, known_ids=known)
        )
        return True

    def _applied(self, action: Action) -> bool:
        """Show a journalled action locally; one whose ``apply`` raises is dropped from the
        journal (so no later start replays it unseen) and reported in one line."""
        try:
            action.apply(self.store)
        except Exception:
            log.exception("could not show %s locally", type(action).__name__)
            with contextlib.suppress(Exception):
                action.revert(self.store)
            self.journal.finish(action.id, "failed")
            self._emit(
                ActionFailed(
                    action, "hsinbox could not show it locally, so it was not sent (dropped)."
                )
            )
            return False
        return True

    def resume_journal(self) -> int:
        """Queue what a previous run left unsent; POSTs it may have sent are checked first."""
        resumed = 0
        queued = {e.action.id for e in self._entries}
        for rec in self.journal.pending():
            if rec.action.id in queued:
                continue
            if not self._applied(rec.action):
                continue
            self._entries.append(
                _Entry(
                    rec.action,
                    rec.submitted_at,
                    0.0,
                    None,
                    known_ids=rec.known_ids,
                    attempted=rec.attempted,
                    maybe_sent=rec.attempted,
                )
            )
            self._emit(ActionApplied(rec.action))
            resumed += 1
        if resumed:
            self._queue_changed()
            self._ensure_running()
            self._wake.set()
        return resumed

    def cancel(self, action_id: str) -> bool:
        """Undo an action that has not been sent; False when it is too late."""
        state = self._bulks.get(action_id)
        if state is not None:
            # Undo in reverse order so each child goes back exactly where it was.
            children = [e for e in self._entries if e.bulk_id == action_id]
            cancelled = [e for e in reversed(children) if self._drop(e)]
            if cancelled:
                self._emit(ActionCancelled(state.bulk))
                for entry in cancelled:
                    self._bulk_child_done(action_id, entry.action.id)
                self._queue_changed()
            return bool(cancelled)
        for entry in self._entries:
            if entry.action.id == action_id:
                if not self._drop(entry):
                    return False
                if entry.bulk_id is not None:
                    self._bulk_child_done(entry.bulk_id, entry.action.id)
                else:
                    self._emit(ActionCancelled(entry.action))
                self._queue_changed()
                return True
        return False

    def _drop(self, entry: _Entry) -> bool:
        if entry is self._in_flight or not entry.cancellable:
            return False
        self._entries.remove(entry)
        self.journal.finish(entry.action.id, "cancel")
        self._revert(entry)
        self._wake.set()
        return True

    def _revert(self, entry: _Entry) -> None:
        """Roll one action back, then re-show later unsent changes to the same conversation."""
        entry.action.revert(self.store)
        keys = entry.action.order_keys
        for later in self._entries:
            if keys & later.action.order_keys:
                later.action.reapply(self.store)

    def resume(self) -> None:
        """Continue after ``AuthRequired`` once the user signed in again."""
        self.paused = False
        self._failures = 0
        self._ensure_running()
        self._wake.set()
        self._kick.set()

    def send_now(self) -> None:
        """End every undo window and any back-off: send what is queued now (e.g. on quit)."""
        now = self._clock()
        for entry in self._entries:
            entry.not_before = min(entry.not_before, now)
        self._ensure_running()
        self._wake.set()
        self._kick.set()

    def kick(self) -> None:
        """Retry now instead of at the end of the back-off (e.g. a read just worked)."""
        self._kick.set()

    # --- the task --------------------------------------------------------------------

    def _ensure_running(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="hsinbox-outbox")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def drain(self) -> None:
        """Wait until the queue is empty, or paused for a sign-in (tests, clean shutdown)."""
        while self._entries and not self.paused:
            self._ensure_running()
            self._settled.clear()
            await self._settled.wait()

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            if self.paused:
                await self._wake.wait()
                continue
            entry = self._next_ready()
            if entry is None:
                await self._wait(self._next_deadline(), self._wake)
                continue
            try:
                await self._process(entry)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox worker error")
                if entry in self._entries:
                    self._fail(entry, "hsinbox hit an unexpected error while sending it.")

    def _next_ready(self) -> _Entry | None:
        now = self._clock()
        blocked: set[str] = set()
        for entry in self._entries:
            # An action about several conversations (a workflow run) waits for every earlier
            # action on any of them, and holds back later ones on any of them.
            keys = entry.action.order_keys
            if keys.isdisjoint(blocked) and entry.not_before <= now:
                return entry
            blocked |= keys
        return None

    def _next_deadline(self) -> float | None:
        now = self._clock()
        waits = [e.not_before - now for e in self._entries if e.not_before > now]
        return max(min(waits), 0.0) if waits else None

    async def _wait(self, timeout: float | None, event: asyncio.Event) -> None:
        """Sleep (with the injected sleep) until ``timeout`` passes or ``event`` is set."""
        if timeout is None:
            await event.wait()
            return
        sleeper = asyncio.ensure_future(self._sleep(timeout))
        waiter = asyncio.ensure_future(event.wait())
        try:
            await asyncio.wait({sleeper, waiter}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, waiter):
                task.cancel()
            await asyncio.gather(sleeper, waiter, return_exceptions=True)

    async def _backoff(self) -> None:
        self._failures += 1
        delay = min(2.0 ** (self._failures - 1), self.max_backoff)
        self._kick.clear()
        await self._wait(delay, self._kick)

    async def _process(self, entry: _Entry) -> None:
        action = entry.action
        self._in_flight = entry
        was_attempted = entry.attempted
        try:
            result: Any = None
            landed = False
            if entry.maybe_sent and action.creates:
                found = await action.find_landed(
                    self.client, entry.submitted_at, frozenset(entry.known_ids)
                )
                if found is not None:
                    result, landed = found, True
            if not landed:
                # A token in hand first: a sign-in that fails is not an attempt of the write.
                await self.client.ensure_signed_in()
                try:
                    self.journal.attempt(action.id)
                except JournalWriteFailed as exc:
                    # Unrecorded, a crash could send it twice: it waits until the disk
                    # takes the line (it stays journalled and queued).
                    log.warning("outbox waits: %s", exc.strerror)
                    await self._backoff()
                    return
                await self.journal.sync()  # the attempt is durable before Help Scout sees it
                entry.attempted = True
                if was_attempted:
                    result = await action.resend(self.client)
                else:
                    result = await action.send(self.client)
            while (rest := action.progressed(result)) is not None:
                action = self._checkpoint(entry, rest)
                result = await action.send(self.client)
        except RateLimited as exc:
            self._emit(RateLimitWait(exc.retry_after))
            await self._sleep(exc.retry_after)
            return
        except AuthError as exc:
            self.paused = True
            self._settled.set()
            self._emit(AuthRequired(str(exc)))
            return
        except NetworkError as exc:
            # Not sent. Also ``SignInUnavailable``: Help Scout's sign-in is down (not the
            # credentials wrong), so the write waits as when offline and is never counted
            # among its server errors; a refused sign-in is an ``AuthError`` (pause, above).
            self.mark_offline(str(exc))
            await self._backoff()
            return
        except OutcomeUnknown as exc:
            entry.maybe_sent = True
            self.mark_offline(str(exc))
            await self._backoff()
            return
        except (ServerError, InvalidResponse) as exc:
            entry.maybe_sent = True
            entry.server_errors += 1
            if entry.server_errors >= MAX_SERVER_ERRORS:
                self._fail(entry, str(exc))
            else:
                await self._backoff()
            return
        except NotFound as exc:
            if isinstance(action, Delete) and was_attempted:
                # An earlier attempt deleted it and the answer was lost.
                self._succeed(entry, None)
            elif entry.merges >= MAX_MERGES_FOLLOWED:
                self._fail(
                    entry,
                    f"its conversation was merged {entry.merges} times in a row (a loop?), "
                    "so it was left as it is.",
                )
            elif (merged_into := await self._follow_merge(entry, exc)) is True:
                pass  # still queued, now aimed at the survivor: the next round sends it
            elif merged_into:
                self._fail(
                    entry,
                    f"it was merged into conversation {merged_into}, so it was left as it is.",
                )
            else:
                self._fail(entry, str(exc))
            return
        except PartlyDone as exc:
            # What landed stays shown; only the refused part is reported (one line).
            self._partly(entry, str(exc))
            return
        except HelpScoutError as exc:
            self._fail(entry, str(exc))
            return
        finally:
            self._in_flight = None
        self._succeed(entry, result)

    # --- merged conversations ---------------------------------------------------------

    async def _follow_merge(self, entry: _Entry, exc: NotFound) -> bool | int | None:
        """A 404 on a write: if the conversation was merged, re-aim every queued action.

        The 404 means nothing was applied, so sending the same action to the survivor is
        still exactly once. True: the entry stays queued (re-aimed); an id: it was merged
        there but this action does not follow (a delete); None/False: not a merge.
        """
        old_id = entry.action.conversation_id
        if old_id is None:
            return False
        new_id = exc.new_id if isinstance(exc, ConversationMerged) else None
        if new_id is None:
            try:
                new_id = await self.client.survivor_of(old_id)
            except HelpScoutError:
                return False
        if new_id is None or new_id == old_id:
            return False
        entry.merges += 1
        if self.on_merged is not None:
            self.on_merged(old_id, new_id)
        else:
            self.retarget(old_id, new_id)
        if entry in self._entries and entry.action.conversation_id == new_id:
            return True
        return new_id

    def retarget(self, old_id: int, new_id: int, number: int | None = None) -> int:
        """Aim queued actions about ``old_id`` at ``new_id``; each keeps its id, and its
        journal record is replaced in one appended line. Returns how many moved."""
        moved = 0
        for entry in self._entries:
            action = entry.action.retarget(old_id, new_id, number)
            if action is entry.action:
                continue
            try:
                self.journal.submit(
                    action,
                    entry.submitted_at,
                    known_ids=entry.known_ids,
                    bulk_id=entry.bulk_id,
                )
                if entry.maybe_sent:
                    self.journal.attempt(action.id)  # a restart must check, not blindly resend
            except JournalWriteFailed as exc:
                log.warning("outbox could not record a merge: %s", exc.strerror)
            entry.action = action
            moved += 1
        if moved:
            self._queue_changed()
            self._wake.set()
        return moved

    def _checkpoint(self, entry: _Entry, rest: Action) -> Action:
        """The first request of a two-request action landed: journal what is left (same
        id, one appended line) before the second is sent, so a restart resumes there."""
        self.journal.submit(
            rest, entry.submitted_at, known_ids=entry.known_ids, bulk_id=entry.bulk_id
        )
        self.journal.attempt(rest.id)  # something was sent: no longer cancellable
        entry.action = rest
        entry.maybe_sent = True
        return rest

    # --- outcomes --------------------------------------------------------------------

    def mark_offline(self, reason: str) -> None:
        if self.online:
            self.online = False
            self._emit(ConnectionChanged(online=False, reason=reason))
            self._queue_changed()

    def mark_online(self) -> None:
        self._failures = 0
        if not self.online:
            self.online = True
            self._emit(ConnectionChanged(online=True))

    def _succeed(self, entry: _Entry, result: Any) -> None:
        self.mark_online()
        self._entries.remove(entry)
        self.journal.finish(entry.action.id, "done")
        entry.action.confirm(self.store, result)
        ident = result if isinstance(result, int) and not isinstance(result, bool) else None
        if entry.bulk_id is not None and entry.bulk_id in self._bulks:
            self._bulks[entry.bulk_id].confirmed.append(entry.action)
            self._bulk_child_done(entry.bulk_id, entry.action.id)
        else:
            self._emit(ActionConfirmed(entry.action, ident))
        self._queue_changed()

    def _fail(self, entry: _Entry, reason: str) -> None:
        if entry.server_errors < MAX_SERVER_ERRORS:
            # A refusal is an answer: Help Scout is reachable.
            self.mark_online()
        self._entries.remove(entry)
        self.journal.finish(entry.action.id, "failed")
        self._revert(entry)
        if entry.bulk_id is not None and entry.bulk_id in self._bulks:
            self._bulks[entry.bulk_id].failed.append((entry.action, reason))
            self._bulk_child_done(entry.bulk_id, entry.action.id)
        else:
            self._emit(ActionFailed(entry.action, reason))
        self._queue_changed()

    def _partly(self, entry: _Entry, reason: str) -> None:
        """Part of a multi-request action landed: settle it as sent, report the rest."""
        self.mark_online()
        self._entries.remove(entry)
        self.journal.finish(entry.action.id, "failed")
        entry.action.confirm(self.store, None)
        if entry.bulk_id is not None and entry.bulk_id in self._bulks:
            self._bulks[entry.bulk_id].failed.append((entry.action, reason))
            self._bulk_child_done(entry.bulk_id, entry.action.id)
        else:
            self._emit(ActionFailed(entry.action, reason))
        self._queue_changed()

    def _bulk_child_done(self, bulk_id: str, child_id: str) -> None:
        """Count a finished (confirmed, failed or cancelled) child; summarise after the last."""
        state = self._bulks.get(bulk_id)
        if state is None:
            return
        state.remaining.discard(child_id)
        if state.remaining:
            return
        del self._bulks[bulk_id]
        if state.confirmed or state.failed:
            self._emit(
                BulkFinished(
                    state.bulk,
                    state.bulk.summary(len(state.confirmed), state.failed),
                    tuple(state.confirmed),
                    tuple(state.failed),
                )
            )

    def _queue_changed(self) -> None:
        self._settled.set()
        self._emit(QueueChanged(len(self._entries)))
