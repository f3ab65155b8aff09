"""Every change an agent can make, as plain data.

An action knows four things: how it looks locally straight away (``apply``), how to take that
back (``revert``), the ONE request that makes it real (``send``), and — for the POSTs that are
not idempotent — how to tell whether an earlier attempt already landed (``find_landed``).
Actions are frozen and JSON-serialisable so the journal can replay them after a crash.
"""

from __future__ import annotations

import dataclasses
import functools
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, get_type_hints

from pydantic import BaseModel, TypeAdapter

from hsinbox.helpscout.errors import HelpScoutError, NotFound, PermissionDenied, ValidationFailed
from hsinbox.helpscout.models import (
    Attachment,
    Conversation,
    ConversationTag,
    Customer,
    CustomerEntryChange,
    NewAttachment,
    NewConversation,
    PersonRef,
    Thread,
    User,
)
from hsinbox.helpscout.query import field_phrase
from hsinbox.inbox.text import html_to_plain

if TYPE_CHECKING:
    from hsinbox.helpscout.client import HelpScoutClient
    from hsinbox.inbox.store import Store

#: How far Help Scout's clock may lag ours when matching a thread that may have landed.
CLOCK_SKEW = 120.0

_STATUS_WORDS: dict[str, tuple[str, str]] = {
    "closed": ("Close", "Closed"),
    "active": ("Reopen", "Reopened"),
    "pending": ("Mark pending", "Marked pending"),
    "spam": ("Mark as spam", "Marked as spam"),
}


def new_id() -> str:
    return uuid.uuid4().hex


def normalise_text(value: str | None) -> str:
    """HTML or text reduced to lower-case words, for "is this the thread we sent?"."""
    return " ".join(html_to_plain(value).split()).casefold()


def _person_from_user(user: User) -> PersonRef:
    return PersonRef(
        id=user.id,
        type="user",
        first=user.first_name,
        last=user.last_name,
        email=user.email,
        photo_url=user.photo_url,
    )


class Action:
    """Base of every action; subclasses are frozen dataclasses registered by name."""

    registry: ClassVar[dict[str, type[Action]]] = {}

    if TYPE_CHECKING:
        id: str
        number: int | None
        draft_key: str | None
        conversation_id: int | None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        Action.registry[cls.__name__] = cls

    # --- how it reads ----------------------------------------------------------------

    @property
    def ref(self) -> str:
        """``#number`` as people see it, else the id."""
        return f"#{self.number or self.conversation_id}"

    def phrase(self) -> tuple[str, str, str]:
        """(verb, past tense, suffix): "Close", "Closed", "" or "Assign", "Assigned", " to Ann"."""
        raise NotImplementedError

    def describe(self) -> str:
        verb, _past, suffix = self.phrase()
        return f"{verb} {self.ref}{suffix}"

    # --- how it behaves --------------------------------------------------------------

    @property
    def delay_eligible(self) -> bool:
        """Destructive or hard-to-spot changes wait ``undo_delay`` seconds before sending."""
        return False

    @property
    def creates(self) -> bool:
        """A POST that is not idempotent: sending it twice makes two of something."""
        return False

    @property
    def order_key(self) -> str:
        """Actions with the same key are sent in submission order."""
        return f"conversation:{self.conversation_id}"

    @property
    def order_keys(self) -> frozenset[str]:
        """Every key this action is ordered by: it waits for earlier actions with any of
        them (one for most actions; one per conversation for a workflow run)."""
        return frozenset((self.order_key,))

    def apply(self, store: Store) -> None:
        """Show the change locally before Help Scout confirms it."""

    def revert(self, store: Store) -> None:
        """Undo ``apply`` after a refusal or a cancel."""

    def reapply(self, store: Store) -> None:
        """Show a still-pending change again after a reload replaced the local copies."""
        self.apply(store)

    def confirm(self, store: Store, result: Any) -> None:
        """Help Scout accepted it: settle the local state and forget what was stashed."""
        store.drop_stash(self.id)

    async def send(self, client: HelpScoutClient) -> Any:
        """Exactly one API request, built from the data the action carries."""
        raise NotImplementedError

    async def find_landed(
        self, client: HelpScoutClient, since: float, known_ids: frozenset[int]
    ) -> int | None:
        """For ``creates`` actions after an unknown outcome: the id if it already exists."""
        return None

    async def resend(self, client: HelpScoutClient) -> Any:
        """Send again after an earlier attempt (its outcome lost, or refused on the way):
        the same request for an action of one idempotent request."""
        return await self.send(client)

    def progressed(self, result: Any) -> Action | None:
        """An action of two requests: after its first landed (``result``, e.g. a new id), the
        action that sends only the rest (same id: the journal replaces it, so a restart never
        repeats the first). None when nothing is left, as for every one-request action."""
        return None

    def retarget(self, old_id: int, new_id: int, number: int | None = None) -> Action:
        """The same action (same id: the journal replaces it) aimed at the conversation
        ``old_id`` was merged into; ``self`` when it is about another conversation."""
        if getattr(self, "conversation_id", None) != old_id:
            return self
        changes: dict[str, Any] = {"conversation_id": new_id, "number": number}
        key = getattr(self, "draft_key", None)
        if key and key.startswith(f"{old_id}:"):
            changes["draft_key"] = f"{new_id}:{key.split(':', 1)[1]}"
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]

    # --- journal ---------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": type(self).__name__}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            data[f.name] = _encode(getattr(self, f.name))
        return data


def _encode(value: Any) -> Any:
    if isinstance(value, Action):
        return value.to_json()
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    return value


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls)


@functools.cache
def _adapter(hint: Any) -> TypeAdapter[Any]:
    return TypeAdapter(hint)


class UnknownAction(ValueError):
    """A journal line this version of hsinbox cannot read."""


def action_from_json(data: dict[str, Any]) -> Action:
    """Rebuild an action written by ``Action.to_json``."""
    name = data.get("type")
    cls = Action.registry.get(name) if isinstance(name, str) else None
    if cls is None or not dataclasses.is_dataclass(cls):
        raise UnknownAction(f"unknown action type {name!r}")
    hints = _hints(cls)
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name not in data:
            continue
        raw = data[f.name]
        if cls is Bulk and f.name == "actions":
            kwargs[f.name] = tuple(action_from_json(item) for item in raw)
        else:
            kwargs[f.name] = _adapter(hints[f.name]).validate_python(raw)
    return cls(**kwargs)


# --- conversation changes -------------------------------------------------------------


class _ThreadAction(Action):
    """Reply and Note: a pending thread shows at once; a lost answer is checked, not resent."""

    if TYPE_CHECKING:
        conversation_id: int
        text_html: str
        status: str | None
        draft: bool

    thread_type: ClassVar[str]

    def _matches(self, thread: Thread) -> bool:
        raise NotImplementedError

    @property
    def creates(self) -> bool:
        return True

    def apply(self, store: Store) -> None:
        thread = store.add_pending_thread(self.conversation_id, self.thread_type, self.text_html)
        files: tuple[NewAttachment, ...] = getattr(self, "attachments", ())
        if files:
            shown = [
                Attachment(filename=a.file_name, mime_type=a.mime_type, size=a.size) for a in files
            ]
            store.set_pending_attachments(self.conversation_id, thread.id, shown)
        store.stash(f"thread:{self.id}", thread.id)
        self.reapply(store)

    def reapply(self, store: Store) -> None:
        # The pending thread lives apart from loaded threads and survived; only the status
        # came back from the server.
        current = store.get(self.conversation_id)
        if self.status and not self.draft and current is not None:
            store.stash(f"status:{self.id}", current.status)
            store.update(self.conversation_id, status=self.status)

    def revert(self, store: Store) -> None:
        temp_id = store.unstash(f"thread:{self.id}")
        if temp_id is not None:
            store.remove_pending_thread(self.conversation_id, temp_id)
        previous = store.unstash(f"status:{self.id}")
        if previous is not None:
            store.update(self.conversation_id, status=previous)

    def confirm(self, store: Store, result: Any) -> None:
        temp_id = store.unstash(f"thread:{self.id}")
        if temp_id is not None:
            real_id = result if isinstance(result, int) else None
            state = "draft" if self.draft else "published"
            store.confirm_pending_thread(self.conversation_id, temp_id, real_id, state=state)
        super().confirm(store, result)

    async def find_landed(
        self, client: HelpScoutClient, since: float, known_ids: frozenset[int]
    ) -> int | None:
        threads = await client.list_threads(self.conversation_id)
        wanted = normalise_text(self.text_html)
        cutoff = datetime.fromtimestamp(since - CLOCK_SKEW, UTC)
        for thread in reversed(threads):
            if thread.id in known_ids or not self._matches(thread):
                continue
            # The ids known at submit time say exactly what was there before; the clock (which
            # may be skewed against Help Scout's) decides only when none were known.
            if not known_ids and thread.created_at is not None and thread.created_at < cutoff:
                continue
            if normalise_text(thread.body) == wanted:
                return thread.id
        return None


@dataclass(frozen=True)
class Reply(_ThreadAction):
    """An email reply to the customer (POST …/reply)."""

    conversation_id: int
    customer_id: int
    text_html: str
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    status: str | None = None
    draft: bool = False
    id: str = field(default_factory=new_id, kw_only=True)
    number: int | None = field(default=None, kw_only=True)
    draft_key: str | None = field(default=None, kw_only=True)
    # The bytes travel with the action (and its journal line): what was attached is sent.
    attachments: tuple[NewAttachment, ...] = field(default=(), kw_only=True)

    thread_type: ClassVar[str] = "message"

    @classmethod
    def of(cls, conversation: Conversation, text_html: str, **kwargs: Any) -> Reply:
        """A reply to the conversation's primary customer (no GET needed)."""
        customer = conversation.primary_customer
        if customer is None or customer.id is None:
            raise ValueError("This conversation has no customer to reply to.")
        return cls(conversation.id, customer.id, text_html, number=conversation.number, **kwargs)

    def phrase(self) -> tuple[str, str, str]:
        if self.draft:
            return ("Save a draft reply to", "Saved a draft reply to", "")
        return ("Reply to", "Replied to", "")

    async def send(self, client: HelpScoutClient) -> Any:
        return await client.reply(
            self.conversation_id,
            self.text_html,
            customer_id=self.customer_id,
            cc=list(self.cc),
            bcc=list(self.bcc),
            status=self.status,
            draft=self.draft,
            attachments=list(self.attachments),
        )

    def _matches(self, thread: Thread) -> bool:
        return thread.type in ("message", "reply")


@dataclass(frozen=True)
class SendDraft(Action):
    """Replace the text of a Help Scout draft reply (``replace /text``, the docs' thread
    PATCH): one request, idempotent. The draft stays a draft.

    Sending such a draft is a new ``Reply`` with its text (Help Scout documents no way to
    publish a draft reply in place; the draft stays, and the app says so). ``publish`` is
    kept only to read journal lines of earlier versions, which published in place: such a
    line now saves the text into the draft and says to send it from Help Scout.
    """

    conversation_id: int
    thread_id: int
    text_html: str
    status: str | None = None
    publish: bool = False
    id: str = field(default_factory=new_id, kw_only=True)
    number: int | None = field(default=None, kw_only=True)
    draft_key: str | None = field(default=None, kw_only=True)

    def phrase(self) -> tuple[str, str, str]:
        if self.publish:
            return (
                "Save the text of the draft reply to",
                "Saved the text of the draft reply to",
                " (send it from Help Scout: drafts are no longer sent in place)",
            )
        return ("Update the draft reply to", "Updated the draft reply to", "")

    def apply(self, store: Store) -> None:
        threads = store.threads.get(self.conversation_id, [])
        for i, thread in enumerate(threads):
            if thread.id == self.thread_id:
                store.stash(f"draft:{self.id}", thread)
                threads[i] = thread.model_copy(update={"body": self.text_html})

    def revert(self, store: Store) -> None:
        before = store.unstash(f"draft:{self.id}")
        threads = store.threads.get(self.conversation_id, [])
        for i, thread in enumerate(threads):
            if before is not None and thread.id == self.thread_id:
                threads[i] = before

    async def send(self, client: HelpScoutClient) -> Any:
        await client.update_thread_text(self.conversation_id, self.thread_id, self.text_html)
        return self.thread_id


@dataclass(frozen=True)
class Note(_ThreadAction):
    """An internal note (POST …/notes)."""

    conversation_id: int
    text_html: str
    status: str | None = None
    id: str = field(default_factory=new_id, kw_only=True)
    number: int | None = field(default=None, kw_only=True)
    draft_key: str | None = field(default=None, kw_only=True)
    attachments: tuple[NewAttachment, ...] = field(default=(), kw_only=True)

    thread_type: ClassVar[str] = "note"
    draft: ClassVar[bool] = False

    def phrase(self) -> tuple[str, str, str]:
        return ("Add a note to", "Added a note to", "")

    def _matches(self, thread: Thread) -> bool:
        return thread.type == "note"

    async def send(self, client: HelpScoutClient) -> Any:
        return await client.add_note(
            self.conversation_id,
            self.text_html,
            status=self.status,
            attachments=list(self.attachments),
        )


@dataclass(frozen=True)
class SetStatus(Action):
    conversation_id: int
    status: str
    previous: str | None = None
    id: str = field(default_factory=new_id, kw_only=True)
    number: int | None = field(default=None, kw_only=True)
    draft_key: str | None = field(default=None, kw_only=True)

    @classmethod
    def of(cls, conversation: Conversation, status: str) -> SetStatus:
        return cls(conversation.id, status, conversation.status, number=conversation.number)

    def phrase(self) -> tuple[str, str, str]:
        verb, past = _STATUS_WORDS.get(
            self.status, (f"Set status {self.status} on", f"Set status {self.status} on")
        )
        return (verb, past, "")

    @property
    def delay_eligible(self) -> bool:
        return self.status in ("closed", "spam")

    def apply(self, store: Store) -> None:
        current = store.get(self.conversation_id)
        if current is not None:
            store.stash(f"status:{self.id}", current.status)
            store.update(self.conversation_id, status=self.status)

    def revert(self, store: Store) -> None:
        previous = store.unstash(f"status:{self.id}", self.previous)
        if previous is not None:
            store.update(self.conversation_id, status=previous)

    async def send(self, client: HelpScoutClient) -> Any:
        return await client.update_status(self.conversation_id, self.status)


@dataclass(frozen=True)
class Assign(Action):
    """Assign to a user, or unassign with ``user_id=None``."""

    conversation_id: int
    user_id: int | None
    previous: PersonRef | None = None
    assignee: PersonRef | None = None
    id: str = field(default_factory=new_id, kw_only=True)
    number: int | None = field(default=None, kw_only=True)
    draft_key: str | None = field(default=None, kw_only=True)

    @classmethod
    def of(cls, conversation: Conversation, user: User | None) -> Assign:
        return cls(
            conversation.id,
            user.id if user else None,
            conversation.assignee,
            _person_from_user(user) if user else None,
            number=conversation.number,
        )

    def phrase(self) -> tuple[str, str, str]:
        if self.user_id is None:
            return ("Unassign", "Unassigned", "")
        who = self.assignee.display if self.assignee else f"user {self.user_id}"
        return ("Assign", "Assigned", f" to {who}")

    def apply(self, store: Store) -> None:
        current = store.get(self.conversation_id)
        if current is None:
            return
        store.stash(f"assignee:{self.id}", current.assignee)
        assignee = self.assignee
        if assignee is None and self.user_id is not None:
            assignee = PersonRef(id=self.user_id, type="user")
        store.update(self.conversation_id, assignee=assignee)

    def revert(self, store: Store) -> None:
        previous = store.unstash(f"assignee:{self.id}", self.previous)
        store.update(self.conversation_id, assignee=previous)

    async def send(self, client: HelpScoutClient) -> Any:
        if self.user_id is None:
            return await client.unassign(self.conversation_id)
        return await client.assign(self.conversation_id, self.user_id)


@dataclass(frozen=True)
class Move(Action):
    conversation_id: int
    mailbox_id: int
    previous: int | None = None
    mailbox_name: str | None = None
    id: str = field(default_factory=new_id, kw_only=True)
    number: int | None = field(default=None, kw_only=True)
    draft_key: str | None = field(default=None, kw_only=True)

    @classmethod
    def of(
        cls, conversation: Conversation, mailbox_id: int, mailbox_name: str | None = None
    ) -> Move:
        return cls(
            conversation.id,
            mailbox_id,
            conversation.mailbox_id,
            mailbox_name,
            number=conversation.number,
        )

    def phrase(self) -> tuple[str, str, str]:
        return ("Move", "Moved", f" to {self.mailbox_name or f'mailbox {self.mailbox_id}'}")

    @property
    def delay_eligible(self) -> bool:
        return True

    def apply(self, store: Store) -> None:
        current = store.get(self.conversation_id)
        if current is not None:
            store.stash(f"mailbox:{self.id}", current.mailbox_id)
            store.update(self.conversation_id, mailbox_id=self.mailbox_id)
        store.remove_from_views(self.conversation_id, self.id)

    def revert(self, store: Store) -> None:
        previous = store.unstash(f"mailbox:{self.id}", self.previous)
        if previous is not None:
            store.update(self.conversation_id, mailbox_id=previous)
        store.restore_to_views(self.conversation_id, self.id)

    async def send(self, client: HelpScoutClient) -> Any:
        return await client.move(self.conversation_id, self.mailbox_id)


@dataclass(frozen=True)
class SetTags(Action):
    """Replace the whole tag list (PUT …/tags)."""

    conversation_id: int
    tags: tuple[str, ...]
    previous: tuple[str, ...] = ()
    id: str = field(default_factory=new_id, kw_only=True)
    number: int | None = field(default=None, kw_only=True)
    draft_key: str | None = field(default=None, kw_only=True)

    @classmethod
    def of(cls, conversation: Conversation, tags: list[str] | tuple[str, ...]) -> SetTags:
        unique = tuple(dict.fromkeys(t.strip() for t in tags if t.strip()))
        return cls(
            conversation.id, unique, tuple(conversation.tag_names), number=conversation.number
        )

    def phrase(self) -> tuple[str, str, str]:
        if not self.tags:
            return ("Remove all tags from", "Removed all tags from", "")
        return ("Tag", "Tagged", f" with {', '.join(self.tags)}")

    def apply(self, store: Store) -> None:
        current = store.get(self.conversation_id)
        if current is None:
            return
        store.stash(f"tags:{self.id}", current.tags)
        known = {t.tag: t for t in current.tags}
        tags = [known.get(name) or ConversationTag(tag=name) for name in self.tags]
        store.update(self.conversation_id, tags=tags)

    def revert(self, store: Store) -> None:
        previous = store.unstash(f"tags:{self.id}")
        if previous is None:
            previous = [ConversationTag(tag=name) for name in self.previous]
        store.update(self.conversation_id, tags=previous)

    async def send(self, client: HelpScoutClient) -> Any:
        """GET, then PUT: Help Scout's PUT replaces every tag, so the agent's change (what
        was added and removed against the copy it was made on) is laid over the tags the
        conversation has now, and a colleague's or a workflow's tags are kept."""
        fresh = await client.get_conversation(self.conversation_id)
        tags = rebase_tags(fresh.tag_names, self.previous, self.tags)
        await client.set_tags(self.conversation_id, tags)
        return tags

    def confirm(self, store: Store, result: Any) -> None:
        current = store.get(self.conversation_id)
        if current is not None and isinstance(result, list):
            known = {t.tag: t for t in current.tags}
            tags = [known.get(name) or ConversationTag(tag=name) for name in result]
            store.update(self.conversation_id, tags=tags)
        super().confirm(store, result)


def rebase_tags(
    fresh: list[str], before: tuple[str, ...] | list[str], wanted: tuple[str, ...] | list[str]
) -> list[str]:
    """``wanted`` was made from ``before``: the same additions and removals on ``fresh``."""
    was = {t.casefold() for t in before}
    keep = {t.casefold() for t in wanted}
    removed = was - keep
    out = [t for t in fresh if t.casefold() not in removed]
    have = {t.casefold() for t in out}
    out += [t for t in wanted if t.casefold() not in was and t.casefold() not in have]
    return out


@dataclass(frozen=True)
class Delete(Action):
    conversation_id: int
    snapshot: Conversation | None = None
    id: str = field(default_factory=new_id, kw_only=True)
    number: int | None = field(default=None, kw_only=True)
    draft_key: str | None = field(default=None, kw_only=True)

    @classmethod
    def of(cls, conversation: Conversation) -> Delete:
        return cls(conversation.id, conversation, number=conversation.number)

    def phrase(self) -> tuple[str, str, str]:
        return ("Delete", "Deleted", "")

    @property
    def delay_eligible(self) -> bool:
        return True

    def apply(self, store: Store) -> None:
        store.remove_from_views(self.conversation_id, self.id)

    def revert(self, store: Store) -> None:
        if store.get(self.conversation_id) is None and self.snapshot is not None:
            store.put(self.snapshot)
        store.restore_to_views(self.conversation_id, self.id)

    def confirm(self, store: Store, result: Any) -> None:
        store.forget(self.conversation_id)
        super().confirm(store, result)

    async def send(self, client: HelpScoutClient) -> Any:
        return await client.delete_conversation(self.conversation_id)

    def retarget(self, old_id: int, new_id: int, number: int | None = None) -> Action:
        """Never follows a merge: deleting the survivor would delete more than was asked."""
        return self


@dataclass(frozen=True)
class CreateConversation(Action):
    """A new conversation (POST /v2/conversations); the result is its id."""

    new: NewConversation
    conversation_id: int | None = None
    id: str = field(default_factory=new_id, kw_only=True)
    number: int | None = field(default=None, kw_only=True)
    draft_key: str | None = field(default=None, kw_only=True)

    def phrase(self) -> tuple[str, str, str]:
        return ("Create", "Created", "")

    def describe(self) -> str:
        return f"Create conversation “{self.new.subject}”"

    @property
    def creates(self) -> bool:
        return True

    @property
    def order_key(self) -> str:
        return f"create:{self.id}"

    async def send(self, client: HelpScoutClient) -> Any:
        return await client.create_conversation(self.new)

    async def find_landed(
        self, client: HelpScoutClient, since: float, known_ids: frozenset[int]
    ) -> int | None:
        """Newest conversations of the mailbox first (no search-index lag), then a search."""
        recent = await client.list_conversations(
            mailbox=self.new.mailbox_id, status="all", sort_field="createdAt", sort_order="desc"
        )
        found = self._pick(recent.items, since, known_ids)
        if found is not None:
            return found
        searched = await client.list_conversations(
            mailbox=self.new.mailbox_id,
            status="all",
            query=field_phrase("subject", self.new.subject),
            sort_field="createdAt",
            sort_order="desc",
        )
        return self._pick(searched.items, since, known_ids)

    def _pick(
        self, conversations: list[Conversation], since: float, known_ids: frozenset[int]
    ) -> int | None:
        cutoff = datetime.fromtimestamp(since - CLOCK_SKEW, UTC)
        email = str(self.new.customer.get("email") or "").casefold()
        customer_id = self.new.customer.get("id")
        for conversation in conversations:
            if conversation.id in known_ids:
                continue
            if normalise_text(conversation.subject) != normalise_text(self.new.subject):
                continue
            if conversation.created_at is not None and conversation.created_at < cutoff:
                continue
            customer = conversation.primary_customer
            if customer is not None:
                if customer_id is not None and customer.id not in (None, customer_id):
                    continue
                if email and customer.email and customer.email.casefold() != email:
                    continue
            return conversation.id
        return None


class PartlyDone(HelpScoutError):
    """Some requests of a multi-request action landed and some were refused: what landed
    stays (it is not rolled back), the refused part is said in one sentence."""

    def __init__(self, done: list[str], refused: list[tuple[str, HelpScoutError]]) -> None:
        super().__init__("partly done", status=refused[0][1].status if refused else None)
        self.done = done
        self.refused = refused

    def __str__(self) -> str:
        kept = ", ".join(self.done)
        what, why = self.refused[0]
        more = f" (and {len(self.refused) - 1} more)" if len(self.refused) > 1 else ""
        return f"{kept} went through, but {what}{more} was refused: {why}"


@dataclass(frozen=True)
class UpdateCustomer(Action):
    """A customer's changes as a short sequence of requests, each applied on its own.

    ``ops``: one JSON Patch of the plain fields (name, job title, …); then one entry request
    per changed email or phone (``entries``, Help Scout's entry endpoints), so a name change
    never rides with them. Cost: the patch (when a plain field changed) + 1 request per
    changed entry, and, when any entry changes, 1 GET of the customer first: the entry
    requests are worked out from the customer as it is then, so an add whose answer was lost
    (or a second save of a stale form) is not added twice; a retry does the same
    (``resend``) and sends only what is still missing. A refused entry after others landed
    keeps what landed (``PartlyDone``). ``emails``/``phones``: the lists wanted (None:
    untouched); ``entries``: what the form's copy of the customer called for.
    """

    customer_id: int
    ops: tuple[dict[str, Any], ...]
    changes: dict[str, Any] = field(default_factory=dict)
    previous: dict[str, Any] = field(default_factory=dict)
    name: str | None = None
    conversation_id: int | None = None
    id: str = field(default_factory=new_id, kw_only=True)
    number: int | None = field(default=None, kw_only=True)
    draft_key: str | None = field(default=None, kw_only=True)
    entries: tuple[CustomerEntryChange, ...] = field(default=(), kw_only=True)
    emails: tuple[str, ...] | None = field(default=None, kw_only=True)
    phones: tuple[str, ...] | None = field(default=None, kw_only=True)

    @classmethod
    def of(cls, before: Customer, **changes: Any) -> UpdateCustomer:
        """Build the requests with the client's ``customer_patch`` (plain fields) and
        ``customer_entry_changes`` (emails, phones) from the values the form holds."""
        from hsinbox.helpscout.client import customer_entry_changes, customer_patch

        emails = changes.pop("emails", None)
        phones = changes.pop("phones", None)
        wanted_emails = tuple(emails) if emails is not None else None
        wanted_phones = tuple(phones) if phones is not None else None
        ops = customer_patch(before, **changes)
        entries = customer_entry_changes(before, emails=wanted_emails, phones=wanted_phones)
        previous = {key: getattr(before, key, None) for key in changes}
        return cls(
            before.id,
            tuple(ops),
            changes,
            previous,
            before.name or None,
            entries=tuple(entries),
            emails=wanted_emails,
            phones=wanted_phones,
        )

    def phrase(self) -> tuple[str, str, str]:
        return ("Update customer", "Updated customer", "")

    def describe(self) -> str:
        return f"Update customer {self.name or f'#{self.customer_id}'}"

    @property
    def order_key(self) -> str:
        return f"customer:{self.customer_id}"

    def apply(self, store: Store) -> None:
        current = store.customers.get(self.customer_id)
        if current is None:
            return
        store.stash(
            f"customer:{self.id}", {key: getattr(current, key, None) for key in self.changes}
        )
        store.update_customer(self.customer_id, **self.changes)

    def revert(self, store: Store) -> None:
        previous = store.unstash(f"customer:{self.id}", self.previous)
        if previous:
            store.update_customer(self.customer_id, **previous)

    async def send(self, client: HelpScoutClient) -> Any:
        if self.entries:
            # Entry requests are computed from the customer as it is now (1 GET): an entry
            # added meanwhile (or by an earlier save whose answer was lost) is not added
            # twice, and an id that went is not PUT.
            return await self.resend(client)
        return await self._send_parts(client, list(self.ops), [])

    async def resend(self, client: HelpScoutClient) -> Any:
        """After an attempt that may have done part of it: read the customer, send the rest."""
        if self.emails is None and self.phones is None:
            return await self._send_parts(client, list(self.ops), [])  # a patch alone
        from hsinbox.helpscout.client import customer_entry_changes, customer_patch

        current = await client.get_customer(self.customer_id)
        ops = customer_patch(current, **self.changes)
        entries = customer_entry_changes(current, emails=self.emails, phones=self.phones)
        return await self._send_parts(client, ops, entries)

    async def _send_parts(
        self,
        client: HelpScoutClient,
        ops: list[dict[str, Any]],
        entries: list[CustomerEntryChange],
    ) -> None:
        done: list[str] = []
        refused: list[tuple[str, HelpScoutError]] = []
        if ops:
            await client.update_customer(self.customer_id, ops)  # refused: nothing landed
            done.append("the name and details")
        for change in entries:
            try:
                await client.change_customer_entry(self.customer_id, change)
            except NotFound:
                if change.op != "delete":
                    raise
                # Already gone (someone else, or an earlier attempt whose answer was lost).
            except (ValidationFailed, PermissionDenied) as exc:
                refused.append((change.describe(), exc))
                continue
            done.append(change.describe(done=True))
        if refused and done:
            raise PartlyDone(done, refused)
        if refused:
            raise refused[0][1]


@dataclass(frozen=True)
class Bulk(Action):
    """Many actions at once: each is sent on its own, one summary comes back."""

    actions: tuple[Action, ...]
    id: str = field(default_factory=new_id, kw_only=True)
    number: int | None = field(default=None, kw_only=True)
    draft_key: str | None = field(default=None, kw_only=True)

    conversation_id: ClassVar[None] = None

    def _uniform(self) -> tuple[str, str, str] | None:
        phrases = {a.phrase() for a in self.actions}
        return phrases.pop() if len(phrases) == 1 else None

    def phrase(self) -> tuple[str, str, str]:
        return self._uniform() or ("Change", "Changed", "")

    def describe(self) -> str:
        verb, _past, suffix = self.phrase()
        return f"{verb} {_count(len(self.actions))}{suffix}"

    def summary(self, confirmed: int, failed: list[tuple[Action, str]]) -> str:
        """ "Closed 7 of 8 conversations; #12 failed: …"."""
        _verb, past, suffix = self.phrase()
        total = len(self.actions)
        text = f"{past} {confirmed} of {_count(total)}{suffix}"
        if failed:
            details = "; ".join(f"{a.ref} failed: {reason}" for a, reason in failed)
            text = f"{text}; {details}"
        return text

    @property
    def delay_eligible(self) -> bool:
        return True

    @property
    def order_key(self) -> str:
        return f"bulk:{self.id}"

    async def send(self, client: HelpScoutClient) -> Any:
        raise TypeError("A bulk action is sent one child at a time by the worker.")


def _count(n: int) -> str:
    return f"{n} conversation" if n == 1 else f"{n} conversations"


# The agent-day actions live in their own module; importing it registers them for the journal.
from hsinbox.inbox import agent_actions as _agent_actions  # noqa: E402, F401
