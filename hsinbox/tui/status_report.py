"""The status line: who, which view, queue, failures, rate budget, undo hint."""

from __future__ import annotations

from rich.text import Text

from hsinbox.inbox.text import clean, safe_text
from hsinbox.tui.screen_base import InboxScreenBase
from hsinbox.tui.widgets import SORTS, StatusLine


class StatusReport(InboxScreenBase):
    """Mixed into ``InboxScreen``: ``update_status`` redraws it from the screen's state."""

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
        if self.failures and len(self.failures) > self._failures_shown:
            parts.append(Text(f"✗ {self.failures[-1]}", "bold red"))
        elif self.last_result is not None:
            parts.append(self.last_result)
        remaining = session.client.rate_limit_remaining
        if remaining is not None:
            parts.append(Text(f"API {remaining} left", "dim"))
        if self.rate_wait:
            parts.append(Text(f"rate-limited, waiting {self.rate_wait:.0f}s", "bold yellow"))
        if self.pending_undo is not None:
            hint = Text("u to undo: ", "bold", end="")
            hint.append(safe_text(self.pending_undo.describe()))
            parts.append(hint)
        self.query_one(StatusLine).show(parts)

    def report_error(self, message: str) -> None:
        """A failure the agent must see: a notice now, and on the status line until a result."""
        self.failures.append(message)
        self.notify(markup=False, message=clean(message), severity="error", timeout=8)
        self.update_status()
