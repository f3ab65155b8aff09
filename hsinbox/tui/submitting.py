"""The screen's one write path: every change is an action handed to the session."""

from __future__ import annotations

from collections.abc import Sequence

from hsinbox.helpscout.models import Conversation
from hsinbox.inbox import actions as act
from hsinbox.tui.screen_base import InboxScreenBase


class Submitting(InboxScreenBase):
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

    def current_conversation(self) -> Conversation | None:
        """The one conversation every key acts on: the thread pane's while the thread has
        focus (it may have been opened from outside the list: ``H``, ``N``, a number), else
        the highlighted row. The store's copy, so it carries every change seen since."""
        shown = self.thread.conversation
        in_thread = shown is not None and self.thread.has_focus_within
        conv = shown if in_thread else self.table.current
        if conv is None:
            return None
        return self.session.store.get(conv.id) or conv

    def targets(self) -> list[Conversation]:
        """The marked rows, else the current conversation."""
        if self.table.marked:
            return self.table.targets()
        conv = self.current_conversation()
        return [conv] if conv is not None else []

    def submit(self, action: act.Action) -> bool:
        """Hand ``action`` to the session; False when it never got there."""
        if self.inbox_app.read_only:
            self.explain_read_only(action.describe())
            return False
        try:
            queued = self.session.submit(action)
        except Exception as exc:
            self.report_error(f"{action.describe()} could not start: {exc}", kind="write")
            return False
        self.refresh_from_store()  # the change shows with the key, not a frame later
        return queued  # refused (a full disk): its ActionFailed already said why

    def submit_each(self, items: Sequence[act.Action]) -> None:
        """One action, or a bulk of several; the marks they were chosen by are used up."""
        if self.table.marked:
            self.table.marked.clear()
        if not items:
            self.refresh_from_store()
            return
        if len(items) == 1:
            self.submit(items[0])
        else:
            self.submit(act.Bulk(tuple(items)))

    def single_only(self, what: str) -> None:
        """Say that a key acts on the cursor row alone while rows are marked."""
        marked = len(self.table.marked)
        if not marked:
            return
        conv = self.current_conversation()
        where = f"#{conv.number or conv.id}" if conv is not None else "the open conversation"
        rows = "row stays" if marked == 1 else "rows stay"
        self.notify(
            markup=False,
            message=f"{what} applies to one conversation: {where}. The {marked} marked {rows} "
            "marked.",
            timeout=5,
        )

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
        # The row the action took away is back: so is the highlight, on it.
        for conversation_id in touched(action):
            if conversation_id in self.table.conversations:
                self.table.go_to(conversation_id)
                break


def touched(action: act.Action) -> list[int]:
    """The conversations an action (or each action of a bulk) changes, in order."""
    if isinstance(action, act.Bulk):
        return [i for a in action.actions for i in touched(a)]
    return [action.conversation_id] if action.conversation_id is not None else []
