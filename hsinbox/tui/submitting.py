"""The screen's one write path: every change is an action handed to the session."""

from __future__ import annotations

from hsinbox.helpscout.models import Conversation
from hsinbox.inbox import actions as act


class Submitting:
    """Mixed into ``InboxScreen``.

    Read-only refusals, single or bulk submits, undo of a delayed send.
    """

    def explain_read_only(self, what: str) -> None:
        self.notify(
            markup=False,
            message=f"{what} is off: hsinbox runs read-only (--read-only), nothing is changed.",
            severity="warning",
            timeout=4,
        )

    def targets(self) -> list[Conversation]:
        return self.table.targets()

    def submit(self, action: act.Action) -> None:
        if self.inbox_app.read_only:
            self.explain_read_only(action.describe())
            return
        try:
            self.session.submit(action)
        except Exception as exc:
            self.fail(f"{action.describe()} could not start: {exc}")
            return
        self.refresh_from_store()

    def submit_each(self, items: list[act.Action]) -> None:
        if not items:
            return
        if len(items) == 1:
            self.submit(items[0])
        else:
            self.submit(act.Bulk(tuple(items)))
            self.table.marked.clear()

    def action_undo(self) -> None:
        action = self.pending_undo
        if action is None:
            if not self.undo_sent():  # agent day: the inverse of a change already sent
                self.notify(markup=False, message="Nothing to undo.", timeout=2)
            return
        if not self.session.cancel(action.id):
            self.notify(
                markup=False, message="Too late to undo: it was already sent.", severity="warning"
            )
        self.pending_undo = None
        self.refresh_from_store()
