"""Typed views of Help Scout Mailbox API v2 payloads.

The models are lenient on purpose: the real API adds fields, omits keys, sends null names
and invents new thread types. Unknown fields are kept (``extra="allow"``) and every field
that is not an id has a default, so a surprise in a payload never stops the app.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

T = TypeVar("T")


class HSModel(BaseModel):
    """Base: camelCase on the wire, snake_case in Python, unknown keys kept."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="allow",
        # Built on first use, not at import: start-up imports every model, the first
        # screen validates a few of them (issue 9: start within 2x a bare Textual app).
        defer_build=True,
    )

    def model_post_init(self, context: Any, /) -> None:
        """Share the bookkeeping sets between instances of one shape.

        Pydantic gives every instance (and every nested person, tag, source…) its own set of
        the field names it was given and its own dict of extras; for a list of thousands of
        conversations those sets weigh more than the data. Equal sets are shared and treated as
        read-only: ``model_copy`` copies them and ``__setattr__`` unshares before a change.
        Those are pydantic internals: the canary tests in
        ``tests/helpscout/test_model_memory.py`` fail loudly if a pydantic mutates them
        elsewhere. Kept with paged views because the benchmark's peak RSS (a whole
        10,000-conversation mailbox synced and listed) is 154 MB with it, 201 MB without,
        over its 200 MB budget.
        """
        fields_set = self.__pydantic_fields_set__
        shared = _FIELD_SETS.setdefault(frozenset(fields_set), fields_set)
        object.__setattr__(self, "__pydantic_fields_set__", shared)
        if not self.__pydantic_extra__:
            object.__setattr__(self, "__pydantic_extra__", _NO_EXTRAS)

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, "__pydantic_fields_set__", set(self.__pydantic_fields_set__))
        if self.__pydantic_extra__ is _NO_EXTRAS:
            object.__setattr__(self, "__pydantic_extra__", {})
        super().__setattr__(name, value)


# Shared, never mutated: see HSModel.model_post_init.
_FIELD_SETS: dict[frozenset[str], set[str]] = {}
_NO_EXTRAS: dict[str, Any] = {}


def _embedded(data: Any, key: str) -> list[Any]:
    if not isinstance(data, dict):
        return []
    emb = data.get("_embedded")
    if not isinstance(emb, dict):
        return []
    value = emb.get(key)
    return value if isinstance(value, list) else []


def _join_name(first: str | None, last: str | None) -> str:
    return " ".join(p for p in (first, last) if p).strip()


class PersonRef(HSModel):
    """A person inside a conversation or thread: uses ``first``/``last``."""

    id: int | None = None
    type: str | None = None
    first: str | None = None
    last: str | None = None
    email: str | None = None
    photo_url: str | None = None

    @property
    def name(self) -> str:
        return _join_name(self.first, self.last)

    @property
    def display(self) -> str:
        """Name, else email, else a placeholder: never empty."""
        return self.name or self.email or (f"#{self.id}" if self.id else "unknown")


class ConversationTag(HSModel):
    """A tag as embedded on a conversation: the name is in ``tag``, colour is hex."""

    id: int | None = None
    tag: str = ""
    color: str | None = None


class CustomerWaitingSince(HSModel):
    time: datetime | None = None
    friendly: str | None = None
    latest_reply_from: str | None = None


class Source(HSModel):
    type: str | None = None
    via: str | None = None


class CustomField(HSModel):
    id: int | None = None
    name: str | None = None
    value: Any = None
    text: str | None = None


class Attachment(HSModel):
    id: int | None = None
    filename: str | None = Field(
        default=None, validation_alias=AliasChoices("filename", "fileName")
    )
    mime_type: str | None = None
    size: int | None = None
    width: int | None = None
    height: int | None = None
    state: str | None = None


class ThreadAction(HSModel):
    type: str | None = None
    text: str | None = None
    associated_entities: Any = None


class Rating(HSModel):
    """A customer's satisfaction rating of a reply (``thread.rating``, since 2023-09-12).

    ``rating`` stays an open string: Help Scout documents ``great``, ``okay``,
    ``not_good`` and ``unknown``; webhooks have said ``Bad``.
    """

    customer_id: int | None = None
    rating: str | None = None
    comments: str | None = None

    @property
    def is_bad(self) -> bool:
        return (self.rating or "").lower().replace("-", "_") in ("not_good", "bad")


class ScheduledSend(HSModel):
    """A reply waiting to be sent (``thread.scheduled``): who scheduled it, for when."""

    scheduled_by: int | None = None
    created_at: datetime | None = None
    scheduled_for: datetime | None = None
    unschedule_on_customer_reply: bool | None = None


class NextEvent(HSModel):
    """The conversation's next timed event: a snooze ending or a scheduled reply."""

    time: datetime | None = None
    event_type: str | None = None
    user_id: int | None = None
    cancel_on_customer_reply: bool | None = None


class Thread(HSModel):
    """One message, note or activity row of a conversation.

    ``type`` stays an open string: v2 sends ``message`` for agent replies, ``lineitem``
    for activity, and types nobody documented.
    """

    id: int
    type: str = "unknown"
    status: str | None = None
    state: str | None = None
    action: ThreadAction | None = None
    body: str | None = None
    source: Source | None = None
    customer: PersonRef | None = None
    created_by: PersonRef | None = None
    assigned_to: PersonRef | None = None
    saved_reply_id: int | None = None
    to: list[str] = Field(default_factory=list)
    cc: list[str] = Field(default_factory=list)
    bcc: list[str] = Field(default_factory=list)
    created_at: datetime | None = None
    opened_at: datetime | None = None
    rating: Rating | None = None
    attachments: list[Attachment] = Field(default_factory=list)
    scheduled: ScheduledSend | None = None

    @model_validator(mode="before")
    @classmethod
    def _lift_embedded(cls, data: Any) -> Any:
        if isinstance(data, dict) and "attachments" not in data:
            atts = _embedded(data, "attachments")
            if atts:
                data = {**data, "attachments": atts}
        if isinstance(data, dict):
            for key in ("to", "cc", "bcc"):
                if data.get(key) is None and key in data:
                    data = {**data, key: []}
        return data

    @property
    def is_draft(self) -> bool:
        return self.state == "draft"


class Snooze(HSModel):
    """How a snoozed conversation is shown: an undocumented ``snooze`` object (sandbox's
    choice), read also from ``nextEvent`` of type ``snooze``."""

    snoozed_until: datetime | None = None
    unsnooze_on_customer_reply: bool | None = None
    snoozed_by: int | None = None


class Conversation(HSModel):
    id: int
    number: int | None = None
    threads: int | None = Field(default=None, description="a count, not a list")
    type: str | None = None
    folder_id: int | None = None
    status: str = "active"
    state: str | None = None
    subject: str | None = None
    preview: str | None = None
    mailbox_id: int | None = None
    assignee: PersonRef | None = None
    created_by: PersonRef | None = None
    created_at: datetime | None = None
    closed_at: datetime | None = None
    closed_by: int | None = None
    user_updated_at: datetime | None = None
    customer_waiting_since: CustomerWaitingSince | None = None
    source: Source | None = None
    tags: list[ConversationTag] = Field(default_factory=list)
    cc: list[str] = Field(default_factory=list)
    bcc: list[str] = Field(default_factory=list)
    primary_customer: PersonRef | None = None
    custom_fields: list[CustomField] = Field(default_factory=list)
    snooze: Snooze | None = None
    next_event: NextEvent | None = None
    embedded_threads: list[Thread] = Field(default_factory=list, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _lift_embedded(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        fixed = dict(data)
        threads = _embedded(data, "threads")
        if threads:
            fixed["embeddedThreads"] = threads
        # HAL plumbing nothing reads: kept as extras it costs ~2 KB per conversation in a list
        # of thousands (seven link objects), and the embedded threads live in embedded_threads.
        fixed.pop("_links", None)
        fixed.pop("_embedded", None)
        for key in ("tags", "cc", "bcc", "customFields"):
            if key in fixed and fixed[key] is None:
                fixed[key] = []
        event = fixed.get("nextEvent")
        if (
            not fixed.get("snooze")
            and isinstance(event, dict)
            and event.get("eventType") == "snooze"
        ):
            fixed["snooze"] = {
                "snoozedUntil": event.get("time"),
                "unsnoozeOnCustomerReply": event.get("cancelOnCustomerReply"),
                "snoozedBy": event.get("userId"),
            }
        return fixed

    @property
    def tag_names(self) -> list[str]:
        return [t.tag for t in self.tags if t.tag]

    @property
    def modified_at(self) -> datetime | None:
        """The API has no modifiedAt field; the latest of the timestamps it does send."""
        stamps = [self.user_updated_at, self.created_at, self.closed_at]
        if self.customer_waiting_since is not None:
            stamps.append(self.customer_waiting_since.time)
        real = [s for s in stamps if s is not None]
        return max(real) if real else None


class Mailbox(HSModel):
    id: int
    name: str | None = None
    slug: str | None = None
    email: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class Folder(HSModel):
    id: int
    name: str | None = None
    type: str | None = None
    user_id: int | None = None
    total_count: int = 0
    active_count: int = 0
    updated_at: datetime | None = None


class User(HSModel):
    """An agent: uses ``firstName``/``lastName`` unlike person refs."""

    id: int
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    role: str | None = None
    timezone: str | None = None
    type: str | None = None
    photo_url: str | None = None
    job_title: str | None = None
    company_id: int | None = None

    @property
    def name(self) -> str:
        return _join_name(self.first_name, self.last_name) or self.email or f"#{self.id}"


class TagInfo(HSModel):
    """A tag from the tags list: the name is in ``name``, colour is a word."""

    id: int | None = None
    slug: str | None = None
    name: str = ""
    color: str | None = None
    ticket_count: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class CustomerEntry(HSModel):
    """An email, phone, chat or website of a customer: always an object with ``value``."""

    id: int | None = None
    value: str = ""
    type: str | None = None


class CustomerEntryChange(BaseModel):
    """One request on a customer's email or phone entry endpoint (``/v2/customers/{id}/
    emails[/{entryId}]``, the same for ``phones``), as the official SDK sends them:
    ``add`` (POST ``{type, value}``), ``update`` (PUT ``{type, value}``), ``delete``."""

    model_config = ConfigDict(frozen=True)

    kind: str  # "emails" | "phones"
    op: str  # "add" | "update" | "delete"
    value: str
    type: str | None = None
    entry_id: int | None = None
    old_value: str | None = None

    def describe(self, *, done: bool = False) -> str:
        """ "adding email a@x.org" (what is refused) or "added email a@x.org" (``done``)."""
        noun = "email" if self.kind == "emails" else "phone"
        if self.op == "add":
            return f"{'added' if done else 'adding'} {noun} {self.value}"
        if self.op == "update":
            verb = "changed" if done else "changing"
            return f"{verb} {noun} {self.old_value} to {self.value}"
        return f"{'removed' if done else 'removing'} {noun} {self.value}"


class CustomerPropertyValue(HSModel):
    """One of a customer's properties (plan, MRR…): ``value`` as stored (a dropdown's option
    id), ``text`` as shown. Lenient: the shape is seen in public clients only."""

    slug: str = ""
    name: str | None = None
    type: str | None = None
    value: Any = None
    text: str | None = None

    @property
    def shown(self) -> str:
        return str(self.text if self.text not in (None, "") else self.value or "")


class Customer(HSModel):
    id: int
    first_name: str | None = None
    last_name: str | None = None
    gender: str | None = None
    job_title: str | None = None
    location: str | None = None
    organization: str | None = None
    organization_id: int | None = None
    photo_url: str | None = None
    background: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    emails: list[CustomerEntry] = Field(default_factory=list)
    phones: list[CustomerEntry] = Field(default_factory=list)
    chats: list[CustomerEntry] = Field(default_factory=list)
    websites: list[CustomerEntry] = Field(default_factory=list)
    properties: list[CustomerPropertyValue] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _lift_embedded(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        fixed = dict(data)
        for key in ("emails", "phones", "chats", "websites", "properties"):
            if key not in fixed or fixed[key] is None:
                fixed[key] = _embedded(data, key)
        return fixed

    @property
    def name(self) -> str:
        return _join_name(self.first_name, self.last_name)


class FieldOption(HSModel):
    """One choice of a dropdown custom field; a conversation stores its ``id`` as the value."""

    id: int
    order: int | None = None
    label: str = ""


class MailboxField(HSModel):
    """A custom field a mailbox defines (``GET /v2/mailboxes/{id}/fields``).

    ``type`` is ``singleline``, ``multiline``, ``number``, ``date`` or ``dropdown``; an
    unknown type is kept and edited as text.
    """

    id: int
    name: str | None = None
    type: str | None = None
    order: int | None = None
    required: bool | None = None
    options: list[FieldOption] = Field(default_factory=list)

    def option(self, value: Any) -> FieldOption | None:
        """The dropdown option a stored value (an option id, maybe as text) names."""
        return next((o for o in self.options if str(o.id) == str(value)), None)


CustomFieldDefinition = MailboxField


class SavedReplySummary(HSModel):
    """A saved reply in the mailbox's list: no text, only a plain preview."""

    id: int
    name: str = ""
    preview: str | None = None


class SavedReply(HSModel):
    """One saved reply; ``text`` is HTML with ``{%...%}`` variables left unfilled."""

    id: int
    name: str = ""
    text: str = ""


class Workflow(HSModel):
    id: int
    mailbox_id: int | None = None
    type: str | None = None
    status: str | None = None
    order: int | None = None
    name: str = ""
    created_at: datetime | None = None
    modified_at: datetime | None = None


class Token(BaseModel):
    """An OAuth token as kept by the token store. ``expires_at`` is absolute (UTC)."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    access_token: str
    refresh_token: str | None = None
    token_type: str = "bearer"
    expires_at: datetime | None = None
    grant: str = "authorization_code"

    def __repr__(self) -> str:  # never leak secrets through repr/logging
        return f"Token(grant={self.grant!r}, expires_at={self.expires_at!r})"

    __str__ = __repr__


class PageInfo(HSModel):
    size: int = 0
    total_elements: int = 0
    total_pages: int = 0
    number: int = 1


class Page(BaseModel, Generic[T]):
    """One page of a list endpoint; a missing ``_embedded`` is an empty page."""

    model_config = ConfigDict(defer_build=True)

    items: list[T]
    info: PageInfo


def unique_items(pages: Iterable[Page[T]]) -> list[T]:
    """The items of several pages in order, each id once: rows can shift between pages
    while they are read, and the first copy wins."""
    items: list[T] = []
    seen: set[Any] = set()
    for page in pages:
        for item in page.items:
            ident = getattr(item, "id", None)
            if ident is not None:
                if ident in seen:
                    continue
                seen.add(ident)
            items.append(item)
    return items


# --- request bodies -------------------------------------------------------------------


class NewThread(HSModel):
    """One thread of a new conversation: ``customer`` (what they sent) or ``reply`` (an
    outbound email to ``customer``, written by ``user``), ``note``, ``phone``, ``chat``."""

    type: str = "customer"
    text: str
    customer: dict[str, Any] | None = None
    user: int | None = None
    draft: bool | None = None


class NewAttachment(BaseModel):
    """A file sent inline with a reply or note: ``{fileName, mimeType, data}``.

    ``data`` is kept base64-encoded (as it is sent) so the outbox journal can hold it as
    JSON; ``of()`` builds one from raw bytes.
    """

    model_config = ConfigDict(frozen=True, defer_build=True)

    file_name: str
    mime_type: str
    data: str

    @classmethod
    def of(cls, file_name: str, mime_type: str, raw: bytes) -> NewAttachment:
        return cls(
            file_name=file_name, mime_type=mime_type, data=base64.b64encode(raw).decode("ascii")
        )

    @property
    def raw(self) -> bytes:
        return base64.b64decode(self.data)

    @property
    def size(self) -> int:
        """Decoded size in bytes, without decoding."""
        padding = self.data[-2:].count("=")
        return len(self.data) * 3 // 4 - padding

    def to_json(self) -> dict[str, Any]:
        return {"fileName": self.file_name, "mimeType": self.mime_type, "data": self.data}


class NewConversation(HSModel):
    """Body of POST /v2/conversations."""

    subject: str
    type: str = "email"
    mailbox_id: int
    status: str = "active"
    customer: dict[str, Any]
    threads: list[NewThread]
    tags: list[str] | None = None
    assign_to: int | None = None
    auto_reply: bool | None = None
    imported: bool | None = None
    user: int | None = None  # who adds it (the author of its reply and note threads)

    def to_json(self) -> dict[str, Any]:
        """The body; ``assignTo`` is always there: ``null`` keeps it unassigned, as the agent
        chose (left out, the inbox's default would decide, and auto-assign may assign it)."""
        body = self.model_dump(by_alias=True, exclude_none=True)
        body["assignTo"] = self.assign_to
        return body
