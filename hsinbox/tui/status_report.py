"""The status line: who, which view, queue, failures, rate budget, undo hint; the messages log.

A failure stays on the status line until its condition clears (a read failure when a read
works again, anything when Help Scout answers after being unreachable) or for
``FAILURE_SECONDS``; every notice stays readable in the messages log (``M``).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.text import Text
from textual.notifications import SeverityLevel

from hsinbox.inbox import actions as act
from hsinbox.inbox.text import clean, safe_text
from hsinbox.tui.screen_base import InboxScreenBase
from hsinbox.tui.widgets import KEEP, SORTS, StatusLine, StatusPart

FAILURE_SECONDS = 30.0
TICK_SECONDS = 1.0
LOG_LIMIT = 500
FAILURES_KEPT = 20  # the status line shows the last; the messages log keeps the rest

# What gives way first when the status line is too long (lowest first); the view name
# (or the note in its place) is ``KEEP``: never dropped.
RANK_API = 10
RANK_ME = 20
RANK_SORT = 30
RANK_RESULT = 40
RANK_QUEUE = 50
RANK_MARKS = 60
RANK_RATE_WAIT = 65
RANK_READ_ONLY = 70
RANK_FAILURE = 75
RANK_CONNECTION = 80
RANK_UNDO = 90


def _cut(text: Text, width: int) -> Text:
    """``text`` in at most ``width`` cells, an ellipsis where it was cut."""
    if len(text) <= width and text.cell_len <= width:
        return text
    short = text[: 2 * max(width, 1) + 1]  # a slice first: measuring a long text costs
    short.truncate(max(width, 1), overflow="ellipsis")
    return short


# The clock the status line counts with (a test moves it instead of sleeping).
monotonic = time.monotonic


@dataclass(frozen=True)
class LoggedMessage:
    """One notice as shown: when, how serious, what it said (already cleaned)."""

    at: datetime
    severity: str
    text: str


class StatusReport(InboxScreenBase):
    """Mixed into ``InboxScreen``: ``update_status`` redraws it from the screen's state."""

    _failure_at = 0.0
    _failure_kind = "read"
    undo_deadline: float | None = None
    _status_timer = None

    def update_status(self, note: str | None = None) -> None:
        # Every change of the list passes here: the keys that need a row follow the cursor.
        self.current_id = self.table.current_id
        session = self.session
        parts: list[StatusPart] = []
        me = session.me
        if me is not None:
            parts.append(StatusPart(safe_text(me.name or "", "bold"), RANK_ME))
        if self.inbox_app.read_only:
            parts.append(StatusPart(Text("READ-ONLY", "bold reverse"), RANK_READ_ONLY))
        if self.pending_undo is not None:
            # Early on the line; when the line is short its description gives way, not it.
            parts.append(self._undo_part(self.pending_undo, self.undo_seconds_left()))
        if note:
            said = Text(note)
            parts.append(StatusPart(said, KEEP, lambda w, t=said: _cut(t, w)))
        elif self.view is not None:
            shown = self.table.row_count
            # The server's count when it said (a view paged on demand), else what is loaded;
            # while Help Scout's search is shown, the rows found of the search's count.
            if self.search_results is not None:
                found = self.session.view_total(self.search_results) or 0
                total = max(found, shown)
            else:
                total = max(self.table.total or 0, len(self.table.conversations))
            count = f"{shown:,}" if shown == total else f"{shown:,} of {total:,}"
            view = Text(self.view_label + f" ({count})", end="")
            if self.loading_view:
                view.append(" loading…", "italic")
            if self.new_count:
                view.append(f" · {self.new_count} new", "bold")
            parts.append(StatusPart(view, KEEP, lambda w, t=view: _cut(t, w)))
        if self.table.sort_index:
            parts.append(StatusPart(Text(f"sort: {SORTS[self.table.sort_index][1]}"), RANK_SORT))
        if self.table.marked:
            parts.append(StatusPart(Text(f"{len(self.table.marked)} marked", "bold"), RANK_MARKS))
        queued = self.queue_length
        if not self.online:
            text = Text(f"offline · {queued} queued", "bold reverse yellow")
            parts.append(StatusPart(text, RANK_CONNECTION))
        elif self.auth_needed:
            text = Text(f"sign-in needed · {queued} queued", "bold reverse red")
            parts.append(StatusPart(text, RANK_CONNECTION))
        elif queued:
            # A change in its undo window is queued but not being sent: the undo hint says so.
            held = session.worker.held
            if queued > held:
                parts.append(StatusPart(Text(f"sending · {queued} queued", "italic"), RANK_QUEUE))
            elif self.pending_undo is None:
                parts.append(StatusPart(Text(f"{queued} queued", "italic"), RANK_QUEUE))
        if self.failure_shown:
            failure = Text(f"✗ {self.failures[-1]}", "bold red")
            parts.append(StatusPart(failure, RANK_FAILURE, lambda w, t=failure: _cut(t, w)))
        elif self.last_result is not None:
            result = self.last_result
            parts.append(StatusPart(result, RANK_RESULT, lambda w, t=result: _cut(t, w)))
        remaining = session.client.rate_limit_remaining
        if remaining is not None:
            parts.append(StatusPart(Text(f"API {remaining} left", "dim"), RANK_API))
        if self.rate_wait:
            text = Text(f"rate-limited, waiting {self.rate_wait:.0f}s", "bold yellow")
            parts.append(StatusPart(text, RANK_RATE_WAIT))
        self.query_one(StatusLine).show(parts)
        self._keep_ticking()

    def _undo_part(self, action: act.Action, left: int | None) -> StatusPart:
        """ "u to undo: Close #10063 (5s)": when short, the description gives way, not the
        key or the countdown."""
        countdown = f" ({left}s)" if left is not None else ""
        what = safe_text(action.describe())

        def build(width: int) -> Text:
            hint = Text("u to undo: ", "bold", end="")
            room = max(width - hint.cell_len - len(countdown), 4)
            hint.append(_cut(what, room))
            hint.append(countdown, "bold")
            return hint

        return StatusPart(build(10_000), RANK_UNDO, build)

    # --- failures: shown until their condition clears, or for a while -------------------
    @property
    def failure_shown(self) -> bool:
        return bool(self.failures) and len(self.failures) > self._failures_shown

    def note_failure(self, message: str, *, kind: str = "write") -> None:
        """A failure for the status line.

        ``kind`` says what clears it early: "list" or "thread" when that read works again,
        any read kind when Help Scout is back online, "auth" on signing in; "write" only
        expires (its toast and the log keep the detail).
        """
        self.failures.append(message)
        # Only the last one is shown: a day of refresh failures must not pile up here.
        extra = len(self.failures) - FAILURES_KEPT
        if extra > 0:
            del self.failures[:extra]
            self._failures_shown = max(self._failures_shown - extra, 0)
        self._failure_at = monotonic()
        self._failure_kind = kind
        self._keep_ticking()

    def clear_failures(self, *kinds: str) -> None:
        """The shown failure's condition has cleared (no ``kinds``: whatever it was)."""
        if self.failure_shown and (not kinds or self._failure_kind in kinds):
            self._failures_shown = len(self.failures)
            self.update_status()

    def read_succeeded(self, what: str) -> None:
        """That read works again ("list", "thread"): its "Could not load …" is no longer true."""
        self.clear_failures(what)

    def back_online(self) -> None:
        """Help Scout answers again: a failed read's "could not reach" is over (writes stay)."""
        if self._failure_kind not in ("write", "auth"):
            self.clear_failures()

    def report_error(self, message: str, *, kind: str = "read") -> None:
        self.note_failure(message, kind=kind)
        self.notify(markup=False, message=clean(message), severity="error", timeout=8)
        self.update_status()

    # --- the undo window, counted down ----------------------------------------------------
    def start_undo_window(self, seconds: float) -> None:
        self.undo_deadline = monotonic() + seconds
        self._keep_ticking()

    def undo_seconds_left(self) -> int | None:
        if self.undo_deadline is None:
            return None
        return max(0, math.ceil(self.undo_deadline - monotonic()))

    def _keep_ticking(self) -> None:
        """A once-a-second tick while something on the line counts down or expires."""
        needed = self.pending_undo is not None or self.failure_shown
        if needed and self._status_timer is None:
            self._status_timer = self.set_interval(
                TICK_SECONDS, self._status_tick, name="status-tick"
            )
        elif not needed and self._status_timer is not None:
            self._status_timer.stop()
            self._status_timer = None

    def _status_tick(self) -> None:
        if self.pending_undo is None:
            self.undo_deadline = None
        if self.failure_shown and monotonic() - self._failure_at >= FAILURE_SECONDS:
            self._failures_shown = len(self.failures)
        self.update_status()

    # --- the messages log -------------------------------------------------------------------
    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        **kw: Any,
    ) -> None:
        """Every notice of the inbox also goes to the messages log, readable after it fades."""
        log = self.messages_log
        text = clean(f"{title}: {message}" if title else message)
        log.append(LoggedMessage(self.inbox_app.now(), severity, text))
        del log[:-LOG_LIMIT]
        super().notify(message, title=title, severity=severity, **kw)

    def action_messages(self) -> None:
        from hsinbox.tui.dialogs import MessagesScreen

        self.app.push_screen(MessagesScreen(list(self.messages_log)))
