"""The customer's company and properties, and a thread as text or raw email for a pipe.

A mixin of ``InboxSession`` (like ``agent_day.py``). Read when the agent opens the customer
panel (``i``) or asks (``C``, ``|``), never at start; property definitions and organizations
are cached for the session (they change rarely, and the panel opens often).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from hsinbox.helpscout.models import Conversation, Customer, CustomerPropertyValue, Thread
from hsinbox.helpscout.reach import CustomerProperty, Organization, property_patch
from hsinbox.inbox.actions import Action, new_id
from hsinbox.inbox.text import clean, html_to_plain

if TYPE_CHECKING:
    from hsinbox.helpscout.client import HelpScoutClient
    from hsinbox.inbox.store import Store

T = TypeVar("T")
PREVIEWS_KEPT = 8


class PropertyRefused(ValueError):
    """A property value Help Scout would refuse; ``str()`` is one sentence."""


def check_property(definition: CustomerProperty, raw: str) -> str | None:
    """The value to store (a dropdown: its option id), None to remove it; else refused."""
    from datetime import date

    text = raw.strip()
    name = definition.name or definition.slug
    if not text:
        return None
    kind = definition.type
    if kind == "dropdown":
        option = definition.option(text) or next(
            (o for o in definition.options if o.label.casefold() == text.casefold()), None
        )
        if option is None:
            choices = ", ".join(o.label for o in definition.options) or "none"
            raise PropertyRefused(f"{name} must be one of: {choices}.")
        return str(option.id)
    if kind == "number":
        try:
            float(text)
        except ValueError:
            raise PropertyRefused(f"{name} must be a number.") from None
    if kind == "date":
        try:
            if len(text) != 10:
                raise ValueError
            date.fromisoformat(text)
        except ValueError:
            raise PropertyRefused(f"{name} must be a date written YYYY-MM-DD.") from None
    if kind == "url" and not text.startswith(("http://", "https://")):
        raise PropertyRefused(f"{name} must be a link starting with https://.")
    return text


@dataclass(frozen=True)
class SetCustomerProperties(Action):
    """``PATCH /v2/customers/{id}/properties`` (one request): replace or remove each."""

    customer_id: int
    ops: tuple[dict[str, Any], ...]
    properties: tuple[CustomerPropertyValue, ...] = ()
    name: str | None = None
    conversation_id: int | None = None
    id: str = field(default_factory=new_id, kw_only=True)
    number: int | None = field(default=None, kw_only=True)
    draft_key: str | None = field(default=None, kw_only=True)

    @classmethod
    def of(
        cls, customer: Customer, definitions: list[CustomerProperty], values: dict[str, str]
    ) -> SetCustomerProperties:
        """Only what changed; raises PropertyRefused for a value Help Scout would refuse."""
        by_slug = {d.slug: d for d in definitions}
        current = {p.slug: p for p in customer.properties}
        changes: dict[str, str | None] = {}
        for slug, raw in values.items():
            checked = check_property(by_slug[slug], raw)
            before = current.get(slug)
            if checked != (None if before is None else str(before.value)):
                changes[slug] = checked
        shown = dict(current)
        for slug, value in changes.items():
            if value is None:
                shown.pop(slug, None)
                continue
            d = by_slug[slug]
            option = d.option(value) if d.type == "dropdown" else None
            shown[slug] = CustomerPropertyValue(
                slug=slug,
                name=d.name,
                type=d.type,
                value=value,
                text=option.label if option else value,
            )
        order = [d.slug for d in definitions]
        props = tuple(sorted(shown.values(), key=lambda p: order.index(p.slug)))
        ops = tuple(property_patch(definitions, changes))
        return cls(customer.id, ops, props, customer.name or None)

    def phrase(self) -> tuple[str, str, str]:
        return ("Update the properties of", "Updated the properties of", "")

    def describe(self) -> str:
        return f"Update the properties of {self.name or f'customer #{self.customer_id}'}"

    @property
    def order_key(self) -> str:
        return f"customer:{self.customer_id}"

    def apply(self, store: Store) -> None:
        current = store.customers.get(self.customer_id)
        if current is not None:
            store.stash(f"properties:{self.id}", current.properties)
            store.update_customer(self.customer_id, properties=list(self.properties))

    def revert(self, store: Store) -> None:
        previous = store.unstash(f"properties:{self.id}")
        if previous is not None:
            store.update_customer(self.customer_id, properties=previous)

    async def send(self, client: HelpScoutClient) -> Any:
        await client.update_customer_properties(self.customer_id, list(self.ops))


class ReachSession:
    """Methods mixed into ``InboxSession``."""

    if TYPE_CHECKING:
        client: HelpScoutClient
        store: Store

        async def _read(self, awaitable: Awaitable[T]) -> T: ...

    def _reach_init(self) -> None:
        self._property_definitions: list[CustomerProperty] | None = None
        self._organizations: dict[int, Organization] = {}
        self._previews: dict[int, bytes] = {}

    async def property_definitions(self) -> list[CustomerProperty]:
        """``GET /v2/customer-properties``, once per session."""
        if self._property_definitions is None:
            self._property_definitions = await self._read(self.client.list_customer_properties())
        return self._property_definitions

    def cached_organization(self, organization_id: int) -> Organization | None:
        return self._organizations.get(organization_id)

    async def organization(self, organization_id: int) -> Organization:
        """``GET /v2/organizations/{id}``, once per organization and session."""
        org = self._organizations.get(organization_id)
        if org is None:
            org = await self._read(self.client.get_organization(organization_id))
            self._organizations[organization_id] = org
        return org

    async def organization_conversations(
        self, organization_id: int, *, page: int = 1
    ) -> list[Conversation]:
        """One page of the organization's conversations (newest first): one request."""
        result = await self._read(self.client.organization_conversations(organization_id, page))
        known = {c.id for c in result.items if c.id in self.store.conversations}
        self.store.put_many([c for c in result.items if c.id not in known])
        return [self.store.get(c.id) or c for c in result.items]

    def cached_preview(self, attachment_id: int) -> bytes | None:
        return self._previews.get(attachment_id)

    async def preview_bytes(self, conversation_id: int, attachment_id: int) -> bytes:
        """An image's bytes for its preview (one request; the last few kept in memory)."""
        data = self._previews.get(attachment_id)
        if data is None:
            data = await self._read(self.client.get_attachment_data(conversation_id, attachment_id))
            self._previews[attachment_id] = data
            while len(self._previews) > PREVIEWS_KEPT:
                self._previews.pop(next(iter(self._previews)))
        return data

    async def original_source(self, conversation_id: int, thread_id: int) -> str:
        """The raw email of a customer's thread (one request; never cached: it may be big)."""
        return await self._read(self.client.get_original_source(conversation_id, thread_id))


def thread_text(conv: Conversation, threads: list[Thread]) -> str:
    """The conversation as plain text, oldest thread first (for a pipe)."""
    lines = [f"#{conv.number or conv.id} {clean(conv.subject or '')}".rstrip(), ""]
    for t in threads:
        if t.type == "lineitem" or t.state == "hidden":
            continue
        who = t.created_by or t.customer
        author = clean(who.display) if who is not None else "unknown"
        when = t.created_at.strftime("%Y-%m-%d %H:%M") if t.created_at else ""
        lines.append(f"--- {t.type} · {author} · {when}".rstrip(" ·"))
        lines.append(html_to_plain(t.body).strip())
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def thread_json(conv: Conversation, threads: list[Thread]) -> str:
    """The conversation and its threads as JSON (Help Scout's field names, bodies as text)."""
    data = conv.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["threads"] = [
        {
            **t.model_dump(mode="json", by_alias=True, exclude_none=True, exclude={"body"}),
            "text": html_to_plain(t.body),
        }
        for t in threads
        if t.type != "lineitem"
    ]
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
