"""Send later: a reply created as a draft and scheduled, and the keys on a scheduled reply.

``ScheduleReply`` is ONE outbox action of two requests: ``POST …/reply`` with ``draft: true``
(the ``Resource-ID`` names the thread), then ``PUT …/threads/{tid}/schedule``. After the
first lands, the worker journals the same action with ``thread_id`` set (``progressed``), so
a restart only schedules; an unknown outcome of the create is resolved by reading the threads
(``find_landed``: the draft with this text, not there before) before anything is re-sent.
``PublishScheduled`` (send now) and ``Unschedule`` are one request each.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from hsinbox.helpscout.models import Conversation, NextEvent, ScheduledSend, Thread
from hsinbox.inbox.actions import Action, Reply, new_id
from hsinbox.inbox.times import read_back

if TYPE_CHECKING:
    from hsinbox.helpscout.client import HelpScoutClient
    from hsinbox.inbox.store import Store


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("a scheduled time needs a time zone")
    return value.astimezone(UTC).replace(second=0, microsecond=0)


def scheduled_event(conv: Conversation) -> NextEvent | None:
    """The conversation's next scheduled send, when its next event is one."""
    event = conv.next_event
    if event is not None and event.event_type == "scheduled" and event.time is not None:
        return event
    return None


def scheduled_threads(threads: list[Thread]) -> list[Thread]:
    """The draft replies waiting to be sent, soonest first."""
    waiting = [t for t in threads if t.scheduled is not None and t.is_draft]
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(waiting, key=lambda t: (t.scheduled and t.scheduled.scheduled_for) or far)


def _set_thread(store: Store, conversation_id: int, thread_id: int, **changes: Any) -> None:
    threads = store.threads.get(conversation_id, [])
    for i, thread in enumerate(threads):
        if thread.id == thread_id:
            threads[i] = thread.model_copy(update=changes)


def _find_thread(store: Store, conversation_id: int, thread_id: int) -> Thread | None:
    return next((t for t in store.threads.get(conversation_id, []) if t.id == thread_id), None)


@dataclass(frozen=True)
class ScheduleReply(Reply):
    """A reply sent at ``send_at`` (UTC): a draft, then its schedule (two requests)."""

    send_at: datetime = field(kw_only=True)
    cancel_on_customer_reply: bool = field(default=True, kw_only=True)
    thread_id: int | None = field(default=None, kw_only=True)

    @classmethod
    def schedule(
        cls,
        conversation: Conversation,
        text_html: str,
        send_at: datetime,
        *,
        cancel_on_customer_reply: bool = True,
        **kwargs: Any,
    ) -> ScheduleReply:
        customer = conversation.primary_customer
        if customer is None or customer.id is None:
            raise ValueError("This conversation has no customer to reply to.")
        return cls(
            conversation.id,
            customer.id,
            text_html,
            draft=True,
            number=conversation.number,
            send_at=_utc(send_at),
            cancel_on_customer_reply=cancel_on_customer_reply,
            **kwargs,
        )

    def phrase(self) -> tuple[str, str, str]:
        return ("Schedule a reply to", "Scheduled a reply to", f" for {read_back(self.send_at)}")

    @property
    def creates(self) -> bool:
        return self.thread_id is None  # once the draft exists only the idempotent PUT is left

    def _scheduled(self) -> ScheduledSend:
        return ScheduledSend(
            scheduled_for=self.send_at,
            unschedule_on_customer_reply=self.cancel_on_customer_reply,
        )

    def apply(self, store: Store) -> None:
        existing = None
        if self.thread_id is not None:
            existing = _find_thread(store, self.conversation_id, self.thread_id)
        if existing is not None:
            # A draft that exists already (resumed): it gets the schedule, no pending copy.
            store.stash(f"draft:{self.id}", existing)
            _set_thread(store, self.conversation_id, existing.id, scheduled=self._scheduled())
        else:
            super().apply(store)  # the pending thread is the conversation's newest
            pending = store.pending_threads.get(self.conversation_id, [])
            if pending:
                pending[-1] = pending[-1].model_copy(update={"scheduled": self._scheduled()})
        current = store.get(self.conversation_id)
        if current is not None:
            store.stash(f"event:{self.id}", current.next_event)
            event = NextEvent(
                time=self.send_at,
                event_type="scheduled",
                cancel_on_customer_reply=self.cancel_on_customer_reply,
            )
            store.update(self.conversation_id, next_event=event)

    def revert(self, store: Store) -> None:
        super().revert(store)
        before = store.unstash(f"draft:{self.id}")
        if isinstance(before, Thread):
            _set_thread(store, self.conversation_id, before.id, scheduled=before.scheduled)
        if store.get(self.conversation_id) is not None:
            store.update(self.conversation_id, next_event=store.unstash(f"event:{self.id}"))

    async def send(self, client: HelpScoutClient) -> Any:
        if self.thread_id is None:
            return await super().send(client)  # the draft; ``progressed`` keeps its id
        await client.schedule_thread(
            self.conversation_id,
            self.thread_id,
            self.send_at,
            unschedule_on_customer_reply=self.cancel_on_customer_reply,
        )
        return self.thread_id

    def progressed(self, result: Any) -> Action | None:
        if self.thread_id is None and isinstance(result, int) and not isinstance(result, bool):
            return dataclasses.replace(self, thread_id=result)
        return None

    def _matches(self, thread: Thread) -> bool:
        return thread.type in ("message", "reply") and thread.is_draft


@dataclass(frozen=True)
class _ScheduledThreadAction(Action):
    conversation_id: int
    thread_id: int
    id: str = field(default_factory=new_id, kw_only=True)
    number: int | None = field(default=None, kw_only=True)
    draft_key: str | None = field(default=None, kw_only=True)

    @classmethod
    def of(cls, conversation: Conversation, thread: Thread) -> Any:
        return cls(conversation.id, thread.id, number=conversation.number)

    def _state_after(self) -> str:
        raise NotImplementedError

    def apply(self, store: Store) -> None:
        thread = _find_thread(store, self.conversation_id, self.thread_id)
        if thread is not None:
            store.stash(f"thread:{self.id}", thread)
            _set_thread(
                store,
                self.conversation_id,
                self.thread_id,
                scheduled=None,
                state=self._state_after(),
            )
        current = store.get(self.conversation_id)
        if current is not None and scheduled_event(current) is not None:
            store.stash(f"event:{self.id}", current.next_event)
            store.update(self.conversation_id, next_event=None)

    def revert(self, store: Store) -> None:
        before = store.unstash(f"thread:{self.id}")
        if isinstance(before, Thread):
            threads = store.threads.get(self.conversation_id, [])
            for i, thread in enumerate(threads):
                if thread.id == self.thread_id:
                    threads[i] = before
        event = store.unstash(f"event:{self.id}")
        if event is not None:
            store.update(self.conversation_id, next_event=event)


@dataclass(frozen=True)
class PublishScheduled(_ScheduledThreadAction):
    """Send a scheduled reply now (one PATCH)."""

    def phrase(self) -> tuple[str, str, str]:
        return ("Send the scheduled reply to", "Sent the scheduled reply to", " now")

    def _state_after(self) -> str:
        return "published"

    async def send(self, client: HelpScoutClient) -> Any:
        await client.publish_scheduled(self.conversation_id, self.thread_id)
        return self.thread_id


@dataclass(frozen=True)
class Unschedule(_ScheduledThreadAction):
    """Take a reply's schedule off; it stays a draft (one DELETE)."""

    def phrase(self) -> tuple[str, str, str]:
        return ("Unschedule the reply to", "Unscheduled the reply to", "; it is a draft again")

    def _state_after(self) -> str:
        return "draft"

    async def send(self, client: HelpScoutClient) -> Any:
        await client.unschedule(self.conversation_id, self.thread_id)
        return self.thread_id
