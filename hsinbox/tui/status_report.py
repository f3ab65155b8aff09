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

from hsinbox.inbox.text import clean, safe_text
from hsinbox.tui.screen_base import InboxScreenBase
from hsinbox.tui.widgets import SORTS, StatusLine

FAILURE_SECONDS = 30.0
TICK_SECONDS = 1.0
LOG_LIMIT = 500
FAILURES_KEPT = 20  # the status line shows the last; the messages log keeps the rest

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
        parts: list[Text] = []
        me = session.me
        if me is not None:
            parts.append(safe_text(me.name or "", "bold"))
        if self.inbox_app.read_only:
            parts.append(Text("READ-ONLY", "bold reverse"))
        if self.pending_undo is not None:
            # Early on the line, so a long line never cuts it off while it can be used.
            hint = Text("u to undo: ", "bold", end="")
            hint.append(safe_text(self.pending_undo.describe()))
            left = self.undo_seconds_left()
            if left is not None:
                hint.append(f" ({left}s)", "bold")
            parts.append(hint)
        if note:
            parts.append(Text(note))
        elif self.view is not None:
            shown = self.table.row_count
            # The server's count when it said (a view paged on demand), else what is loaded.
            total = max(self.table.total or 0, len(self.table.conversations))
            count = f"{shown:,}" if shown == total else f"{shown:,} of {total:,}"
            view = Text(self.view_label + f" ({count})", end="")
            if self.loading_view:
                view.append(" loading…", "italic")
            if self.new_count:
                view.append(f" · {self.new_count} new", "bold")
            parts.append(view)
        if self.table.sort_index:
            parts.append(Text(f"sort: {SORTS[self.table.sort_index][1]}"))
        if self.table.marked:
            parts.append(Text(f"{len(self.table.marked)} marked", "bold"))
        if not self.online:
            parts.append(Text(f"offline · {self.queue_length} queued", "bold reverse yellow"))
        elif self.auth_needed:
            parts.append(Text(f"sign-in needed · {self.queue_length} queued", "bold reverse red"))
        elif self.queue_length:
            parts.append(Text(f"sending · {self.queue_length} queued", "italic"))
        if self.failure_shown:
            parts.append(Text(f"✗ {self.failures[-1]}", "bold red"))
        elif self.last_result is not None:
            parts.append(self.last_result)
        remaining = session.client.rate_limit_remaining
        if remaining is not None:
            parts.append(Text(f"API {remaining} left", "dim"))
        if self.rate_wait:
            parts.append(Text(f"rate-limited, waiting {self.rate_wait:.0f}s", "bold yellow"))
        self.query_one(StatusLine).show(parts)
        self._keep_ticking()

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
