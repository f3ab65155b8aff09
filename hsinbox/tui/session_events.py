"""What the write path reports (landed, failed, offline, rate-limited, signed out)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from hsinbox.inbox import actions as act
from hsinbox.inbox import events as ev
from hsinbox.inbox.text import clean
from hsinbox.tui.screen_base import InboxScreenBase

if TYPE_CHECKING:
    pass


class SessionEvents(InboxScreenBase):
    """Mixed into ``InboxScreen``.

    Each event becomes a notice and a status-line state, then a re-read of the store.
    """

    def handle_event(self, event: ev.Event) -> None:
        self._tell_customer_form(event)
        self.agent_day_event(event)
        self.awareness_event(event)
        if isinstance(event, ev.ActionApplied):
            if event.action.delay_eligible and self.inbox_app.settings.undo_delay > 0:
                self.pending_undo = event.action
                self.start_undo_window(self.inbox_app.settings.undo_delay)
        elif isinstance(event, ev.ActionConfirmed):
            self._settled(event.action)
            self._show_result(Text(f"✓ {clean(event.message)}", "green"))
            self.notify(markup=False, message=clean(event.message), timeout=3)
            if isinstance(event.action, act.CreateConversation) and self.view is not None:
                self.load_list(self.view)
        elif isinstance(event, ev.ActionFailed):
            self._settled(event.action)
            self.note_failure(clean(event.message))
            self.notify(markup=False, message=clean(event.message), severity="error", timeout=10)
        elif isinstance(event, ev.ActionCancelled):
            self._settled(event.action)
            self.notify(markup=False, message=clean(event.message), timeout=3)
        elif isinstance(event, ev.BulkFinished):
            self._settled(event.bulk)
            severity = "error" if event.failed else "information"
            if event.failed:
                self.note_failure(clean(event.summary))
            else:
                self._show_result(Text(f"✓ {clean(event.summary)}", "green"))
            self.notify(
                markup=False,
                message=clean(event.summary),
                severity=severity,
                timeout=8 if event.failed else 4,
            )
        elif isinstance(event, ev.QueueChanged):
            self.queue_length = event.length
        elif isinstance(event, ev.ConnectionChanged):
            self.online = event.online
            if not event.online:
                self.notify(
                    markup=False,
                    message=f"Help Scout is unreachable ({event.reason or 'no connection'}); "
                    "changes wait in the queue.",
                    severity="warning",
                )
            else:
                self.back_online()
                self.notify(markup=False, message="Back online; sending queued changes.", timeout=3)
                if self._start_failed:
                    self.start_session()  # the mailboxes, folders and list, now they answer
        elif isinstance(event, ev.RateLimitWait):
            self._rate_limited(event.seconds)
        elif isinstance(event, ev.AuthRequired):
            self._ask_sign_in(event.reason)
        self.schedule_repaint()

    def _tell_customer_form(self, event: ev.Event) -> None:
        """A customer form waiting for its save hears how it went (it stays open on a no)."""
        from hsinbox.tui.compose import CustomerEditScreen

        if not isinstance(event, ev.ActionConfirmed | ev.ActionFailed):
            return
        if not isinstance(event.action, act.UpdateCustomer):
            return
        reason = event.reason if isinstance(event, ev.ActionFailed) else None
        for screen in self.app.screen_stack:
            if isinstance(screen, CustomerEditScreen):
                screen.outcome(event.action.id, reason and clean(reason))

    def _show_result(self, line: Text) -> None:
        """The latest landed result replaces older failures on the status line."""
        self.last_result = line
        self._failures_shown = len(self.failures)

    def _rate_limited(self, seconds: float) -> None:
        self.rate_wait = max(seconds, 1.0)
        self.notify(
            markup=False,
            message=f"Help Scout rate limit reached; waiting {self.rate_wait:.0f} s.",
            severity="warning",
            timeout=max(self.rate_wait, 3.0),
        )
        if self._rate_timer is not None:
            self._rate_timer.stop()
        self._rate_timer = self.set_interval(1.0, self._rate_tick)

    def _rate_tick(self) -> None:
        """Count the shown wait down; the worker does the real waiting."""
        if self.rate_wait is not None:
            self.rate_wait -= 1.0
            if self.rate_wait <= 0:
                self.rate_wait = None
        if self.rate_wait is None and self._rate_timer is not None:
            self._rate_timer.stop()
            self._rate_timer = None
        self.update_status()

    def _ask_sign_in(self, reason: str) -> None:
        """Pause for a sign-in: a modal on top of everything, which keeps what is below."""
        from hsinbox.tui.reauth import ReauthScreen

        self.auth_needed = True
        self.note_failure(clean(f"Sign-in stopped working: {reason}"), kind="auth")
        if any(isinstance(s, ReauthScreen) for s in self.app.screen_stack):
            return

        def done(signed_in: bool | None) -> None:
            if signed_in:
                self.auth_needed = False
                self.clear_failures("auth")
                self._show_result(Text("✓ Signed in again; sending the queue.", "green"))
                self.notify(markup=False, message="Signed in again.", timeout=3)
            self.update_status()

        self.app.push_screen(ReauthScreen(self.session, reason, self.queue_length), done)

    def _settled(self, action: act.Action) -> None:
        if self.pending_undo is not None and self.pending_undo.id == action.id:
            self.pending_undo = None
        if (
            self.pending_undo is not None
            and isinstance(action, act.Bulk)
            and any(a.id == self.pending_undo.id for a in action.actions)
        ):
            self.pending_undo = None
