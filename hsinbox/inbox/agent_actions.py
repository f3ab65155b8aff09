"""The agent-day actions: snooze, custom fields, manual workflows and the subject.

Like every action they are frozen, journaled and sent as exactly one request by the worker;
each has ``apply``/``revert`` for the optimistic view and, where the change can be taken
back after it was sent, an ``inverse()`` the screen can submit as "undo".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from hsinbox.helpscout.errors import HelpScoutError
from hsinbox.helpscout.models import Conversation, CustomField, MailboxField, Workflow
from hsinbox.helpscout.models import Snooze as SnoozeInfo
from hsinbox.inbox.actions import Action, new_id
from hsinbox.inbox.custom_fields import full_set

if TYPE_CHECKING:
    from hsinbox.helpscout.client import HelpScoutClient
    from hsinbox.inbox.store import Store

MAX_WORKFLOW_RUN = 50


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0)


def _when(value: datetime) -> str:
    """A wake-up time as the agent reads it: local time, minutes."""
    return value.astimezone().strftime("%a %d %b %H:%M")


@dataclass(frozen=True)
class Snooze(Action):
    """PUT …/snooze: hidden until ``until`` (UTC), woken early by a customer reply if asked."""

    conversation_id: int
    until: datetime
    unsnooze_on_customer_reply: bool = True
    previous: SnoozeInfo | None = None
    id: str = field(default_factory=new_id, kw_only=True)
    number: int | None = field(default=None, kw_only=True)
    draft_key: str | None = field(default=None, kw_only=True)

    @classmethod
    def of(
        cls, conversation: Conversation, until: datetime, *, unsnooze_on_customer_reply: bool = True
    ) -> Snooze:
        return cls(
            conversation.id,
            _utc(until),
            unsnooze_on_customer_reply,
            conversation.snooze,
            number=conversation.number,
        )

    def phrase(self) -> tuple[str, str, str]:
        return ("Snooze", "Snoozed", f" until {_when(self.until)}")

    @property
    def delay_eligible(self) -> bool:
        return True

    def _info(self) -> SnoozeInfo:
        return SnoozeInfo(
            snoozed_until=self.until, unsnooze_on_customer_reply=self.unsnooze_on_customer_reply
        )

    def apply(self, store: Store) -> None:
        current = store.get(self.conversation_id)
        if current is not None:
            store.stash(f"snooze:{self.id}", current.snooze)
            store.update(self.conversation_id, snooze=self._info())

    def revert(self, store: Store) -> None:
        previous = store.unstash(f"snooze:{self.id}", self.previous)
        store.update(self.conversation_id, snooze=previous)

    async def send(self, client: HelpScoutClient) -> Any:
        return await client.snooze(
            self.conversation_id,
            self.until,
            unsnooze_on_customer_reply=self.unsnooze_on_customer_reply,
        )

    def inverse(self, now: datetime | None = None) -> Action:
        """Back to the previous snooze when it is still ahead, else awake."""
        prev = self.previous
        moment = now or datetime.now(UTC)
        if prev is not None and prev.snoozed_until is not None and prev.snoozed_until > moment:
            return Snooze(
                self.conversation_id,
                prev.snoozed_until,
                bool(prev.unsnooze_on_customer_reply),
                self._info(),
                number=self.number,
            )
        return Unsnooze(self.conversation_id, self._info(), number=self.number)


@dataclass(frozen=True)
class Unsnooze(Action):
    """DELETE …/snooze: back to Mine, Team or Unassigned now."""

    conversation_id: int
    previous: SnoozeInfo | None = None
    id: str = field(default_factory=new_id, kw_only=True)
    number: int | None = field(default=None, kw_only=True)
    draft_key: str | None = field(default=None, kw_only=True)

    @classmethod
    def of(cls, conversation: Conversation) -> Unsnooze:
        return cls(conversation.id, conversation.snooze, number=conversation.number)

    def phrase(self) -> tuple[str, str, str]:
        return ("Unsnooze", "Unsnoozed", "")

    @property
    def delay_eligible(self) -> bool:
        return True

    def apply(self, store: Store) -> None:
        current = store.get(self.conversation_id)
        if current is not None:
            store.stash(f"snooze:{self.id}", current.snooze)
            store.update(self.conversation_id, snooze=None)

    def revert(self, store: Store) -> None:
        previous = store.unstash(f"snooze:{self.id}", self.previous)
        store.update(self.conversation_id, snooze=previous)

    async def send(self, client: HelpScoutClient) -> Any:
        return await client.unsnooze(self.conversation_id)

    def inverse(self, now: datetime | None = None) -> Action | None:
        prev = self.previous
        moment = now or datetime.now(UTC)
        if prev is None or prev.snoozed_until is None or prev.snoozed_until <= moment:
            return None  # a past wake-up time cannot be set again (Help Scout: 400)
        return Snooze(
            self.conversation_id,
            prev.snoozed_until,
            bool(prev.unsnooze_on_customer_reply),
            None,
            number=self.number,
        )


@dataclass(frozen=True)
class SetCustomFields(Action):
    """PUT …/fields with the conversation's WHOLE field set (a field left out is removed)."""

    conversation_id: int
    fields: tuple[CustomField, ...]
    previous: tuple[CustomField, ...] = ()
    id: str = field(default_factory=new_id, kw_only=True)
    number: int | None = field(default=None, kw_only=True)
    draft_key: str | None = field(default=None, kw_only=True)

    @classmethod
    def of(
        cls,
        conversation: Conversation,
        definitions: list[MailboxField],
        changes: dict[int, Any],
    ) -> SetCustomFields:
        """Edits laid over the current fields; raises FieldValueRefused (one sentence)."""
        return cls(
            conversation.id,
            full_set(conversation, definitions, changes),
            tuple(conversation.custom_fields),
            number=conversation.number,
        )

    def phrase(self) -> tuple[str, str, str]:
        return ("Update the fields of", "Updated the fields of", "")

    def apply(self, store: Store) -> None:
        current = store.get(self.conversation_id)
        if current is not None:
            store.stash(f"fields:{self.id}", current.custom_fields)
            store.update(self.conversation_id, custom_fields=list(self.fields))

    def revert(self, store: Store) -> None:
        previous = store.unstash(f"fields:{self.id}", list(self.previous))
        store.update(self.conversation_id, custom_fields=list(previous))

    async def send(self, client: HelpScoutClient) -> Any:
        """GET, then PUT: the PUT replaces the whole set, so only the fields the agent
        changed (against the copy the form showed) are laid over the conversation's fields
        as Help Scout holds them now; a colleague's or a workflow's values are kept."""
        fresh = await client.get_conversation(self.conversation_id)
        merged = rebase_fields(fresh.custom_fields, self.previous, self.fields)
        await client.set_custom_fields(
            self.conversation_id, [(f.id, f.value) for f in merged if f.id is not None]
        )
        return merged

    def confirm(self, store: Store, result: Any) -> None:
        if isinstance(result, list):
            store.update(self.conversation_id, custom_fields=list(result))
        super().confirm(store, result)

    def inverse(self) -> SetCustomFields:
        return SetCustomFields(self.conversation_id, self.previous, self.fields, number=self.number)


@dataclass(frozen=True)
class SetSubject(Action):
    """PATCH ``replace /subject``: one request, undoable."""

    conversation_id: int
    subject: str
    previous: str | None = None
    id: str = field(default_factory=new_id, kw_only=True)
    number: int | None = field(default=None, kw_only=True)
    draft_key: str | None = field(default=None, kw_only=True)

    @classmethod
    def of(cls, conversation: Conversation, subject: str) -> SetSubject:
        text = " ".join(subject.split())
        if not text:
            raise ValueError("A subject cannot be empty.")
        return cls(conversation.id, text, conversation.subject, number=conversation.number)

    def phrase(self) -> tuple[str, str, str]:
        return ("Rename", "Renamed", f" to “{self.subject}”")

    def apply(self, store: Store) -> None:
        current = store.get(self.conversation_id)
        if current is not None:
            store.stash(f"subject:{self.id}", current.subject)
            store.update(self.conversation_id, subject=self.subject)

    def revert(self, store: Store) -> None:
        previous = store.unstash(f"subject:{self.id}", self.previous)
        store.update(self.conversation_id, subject=previous)

    async def send(self, client: HelpScoutClient) -> Any:
        return await client.update_subject(self.conversation_id, self.subject)

    def inverse(self) -> SetSubject | None:
        if not self.previous:
            return None
        return SetSubject(self.conversation_id, self.previous, self.subject, number=self.number)


class WorkflowOutcomeUnknown(HelpScoutError):
    """A workflow run was sent and no answer came: it is never sent again blindly."""

    def __str__(self) -> str:
        return (
            "The connection broke after the workflow run was sent, so it may or may not have "
            "run; check the conversations before running it again."
        )


@dataclass(frozen=True)
class RunWorkflow(Action):
    """POST /v2/workflows/{id}/run for at most 50 conversations of the workflow's mailbox.

    Not idempotent (a workflow may add a note or send an email), and nothing in the API says
    whether a run happened, so after an unknown outcome it is reported, never re-sent.
    """

    workflow_id: int
    conversation_ids: tuple[int, ...]
    workflow_name: str = ""
    numbers: tuple[int | None, ...] = ()
    id: str = field(default_factory=new_id, kw_only=True)
    number: int | None = field(default=None, kw_only=True)
    draft_key: str | None = field(default=None, kw_only=True)

    conversation_id: ClassVar[None] = None

    def __post_init__(self) -> None:
        if not self.conversation_ids or len(self.conversation_ids) > MAX_WORKFLOW_RUN:
            raise ValueError(f"A workflow runs on 1 to {MAX_WORKFLOW_RUN} conversations at once.")

    @classmethod
    def batches(cls, workflow: Workflow, conversations: list[Conversation]) -> list[RunWorkflow]:
        """One action per 50 conversations, each id once, in the order given."""
        unique = list({c.id: c for c in conversations}.values())
        out = []
        for i in range(0, len(unique), MAX_WORKFLOW_RUN):
            part = unique[i : i + MAX_WORKFLOW_RUN]
            out.append(
                cls(
                    workflow.id,
                    tuple(c.id for c in part),
                    workflow.name,
                    tuple(c.number for c in part),
                    number=part[0].number if len(part) == 1 else None,
                )
            )
        return out

    @property
    def ref(self) -> str:
        if len(self.conversation_ids) == 1:
            return f"#{self.number or self.conversation_ids[0]}"
        return f"{len(self.conversation_ids)} conversations"

    def phrase(self) -> tuple[str, str, str]:
        name = f"“{self.workflow_name}”" if self.workflow_name else f"{self.workflow_id}"
        return (f"Run workflow {name} on", f"Ran workflow {name} on", "")

    @property
    def creates(self) -> bool:
        return True  # not idempotent: the worker checks find_landed before any re-send

    @property
    def order_key(self) -> str:
        if len(self.conversation_ids) == 1:
            return f"conversation:{self.conversation_ids[0]}"
        return f"workflow:{self.id}"

    @property
    def order_keys(self) -> frozenset[str]:
        """Each conversation's key: the run waits for what was queued before on any of them
        (a workflow reads their status and tags), and later actions on them wait for it."""
        return frozenset(f"conversation:{cid}" for cid in self.conversation_ids)

    async def send(self, client: HelpScoutClient) -> Any:
        return await client.run_workflow_batch(self.workflow_id, list(self.conversation_ids))

    async def find_landed(
        self, client: HelpScoutClient, since: float, known_ids: frozenset[int]
    ) -> int | None:
        raise WorkflowOutcomeUnknown("unknown outcome")

    def retarget(self, old_id: int, new_id: int, number: int | None = None) -> Action:
        if old_id not in self.conversation_ids:
            return self
        numbers = list(self.numbers) + [None] * (len(self.conversation_ids) - len(self.numbers))
        pairs: dict[int, int | None] = {}
        for cid, n in zip(self.conversation_ids, numbers, strict=True):
            key, value = (new_id, number) if cid == old_id else (cid, n)
            pairs.setdefault(key, value)
        return dataclasses.replace(
            self, conversation_ids=tuple(pairs), numbers=tuple(pairs.values())
        )


def rebase_fields(
    fresh: Iterable[CustomField],
    before: Iterable[CustomField],
    wanted: Iterable[CustomField],
) -> list[CustomField]:
    """``wanted`` was made from ``before``: the same field changes laid over ``fresh``."""
    was = {f.id: f.value for f in before if f.id is not None}
    now = {f.id: f for f in wanted if f.id is not None}
    changed = {i: f for i, f in now.items() if i not in was or was[i] != f.value}
    cleared = {i for i in was if i not in now}
    out: list[CustomField] = []
    for f in fresh:
        if f.id in cleared:
            continue
        out.append(changed.pop(f.id) if f.id in changed else f)
    out += changed.values()
    return out
