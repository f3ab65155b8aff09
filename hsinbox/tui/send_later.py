"""Send later: the actions a "send later" from the composer submits, how a scheduled reply
shows ("⏱ Mon 09:00"), and the keys on it (S send now, U unschedule, L edit).

Send now and unschedule are one request each; edit takes the schedule off (one request) and
opens the composer on the draft, which ctrl+s then sends or ctrl+l schedules again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hsinbox.helpscout.models import Conversation, Thread
from hsinbox.inbox import actions as act
from hsinbox.inbox.scheduled import (
    PublishScheduled,
    ScheduleReply,
    Unschedule,
    scheduled_event,
    scheduled_threads,
)
from hsinbox.tui.screen_base import InboxScreenBase

if TYPE_CHECKING:
    from hsinbox.tui.compose import Composed


def send_later(
    conv: Conversation,
    html: str,
    composed: Composed,
    hs_draft: Thread | None,
    *,
    draft_key: str | None,
) -> list[act.Action]:
    """The outbox actions of a reply sent later: a new draft and its schedule (one action,
    two requests), or, for a Help Scout draft being resumed, its text and then its schedule."""
    assert composed.send_at is not None
    if hs_draft is None:
        return [
            ScheduleReply.schedule(
                conv,
                html,
                composed.send_at,
                cancel_on_customer_reply=composed.cancel_on_reply,
                cc=composed.cc,
                bcc=composed.bcc,
                draft_key=draft_key,
                attachments=composed.attachments,
            )
        ]
    text = act.SendDraft(conv.id, hs_draft.id, html, publish=False, number=conv.number)
    schedule = ScheduleReply.schedule(
        conv,
        html,
        composed.send_at,
        cancel_on_customer_reply=composed.cancel_on_reply,
        thread_id=hs_draft.id,
        draft_key=draft_key,
    )
    return [text, schedule]


class SendLaterKeys(InboxScreenBase):
    """Mixed into ``InboxScreen``: the keys on the open conversation's scheduled reply."""

    def _scheduled_reply(self) -> tuple[Conversation, Thread] | None:
        conv = self.thread.conversation or self.table.current
        if conv is None:
            return None
        waiting = scheduled_threads(self.session.store.threads.get(conv.id, []))
        if not waiting:
            message = (
                "Open the conversation first: its threads are not loaded."
                if conv.id not in self.session.store.threads and scheduled_event(conv)
                else "No reply is scheduled in this conversation."
            )
            self.notify(markup=False, message=message, timeout=3)
            return None
        return self.session.store.get(conv.id) or conv, waiting[0]

    def action_send_scheduled_now(self) -> None:
        found = self._scheduled_reply()
        if found is not None:
            self.submit(PublishScheduled.of(*found))

    def action_unschedule(self) -> None:
        found = self._scheduled_reply()
        if found is not None:
            self.submit(Unschedule.of(*found))

    def action_edit_scheduled(self) -> None:
        """Back to a draft (one DELETE), then the composer resumes it."""
        found = self._scheduled_reply()
        if found is None:
            return
        conv, thread = found
        self.submit(Unschedule.of(conv, thread))
        self._open_composer("reply", conv)
