"""The reach endpoints of the client: scheduled replies, customer properties, organizations
and a customer thread's original source.

A mixin of ``HelpScoutClient`` like ``agent_day.py``: one request loop, one paging helper.
Organizations and property definitions are seen in public clients, not on a docs page, so
their models are lenient (unknown keys kept, every field optional but the id).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import Field

from hsinbox.helpscout.client_base import ClientBase
from hsinbox.helpscout.errors import InvalidResponse
from hsinbox.helpscout.models import Conversation, HSModel, Page

LATEST_SCHEDULE = datetime(2100, 1, 1, tzinfo=UTC)
"""Help Scout refuses a ``scheduledFor`` from 2100 on."""


class PropertyOption(HSModel):
    id: Any = None
    label: str = ""


class CustomerProperty(HSModel):
    """A property definition (``GET /v2/customer-properties``): ``type`` is text, number,
    url, date or dropdown (an unknown type is edited as text)."""

    slug: str = ""
    name: str | None = None
    type: str | None = None
    options: list[PropertyOption] = Field(default_factory=list)

    def option(self, value: Any) -> PropertyOption | None:
        return next((o for o in self.options if str(o.id) == str(value)), None)


class Organization(HSModel):
    id: int
    name: str | None = None
    website: str | None = None
    description: str | None = None
    location: str | None = None
    note: str | None = None
    domains: list[str] = Field(default_factory=list)
    phones: list[Any] = Field(default_factory=list)
    customer_count: int | None = None
    conversation_count: int | None = None
    last_interaction_at: datetime | None = None


class ReachMixin(ClientBase):
    """Methods mixed into ``HelpScoutClient``."""

    # --- scheduled replies ------------------------------------------------------

    @staticmethod
    def _schedule_path(conversation_id: int, thread_id: int) -> str:
        return f"/v2/conversations/{int(conversation_id)}/threads/{int(thread_id)}/schedule"

    async def schedule_thread(
        self,
        conversation_id: int,
        thread_id: int,
        when: datetime,
        *,
        unschedule_on_customer_reply: bool = True,
    ) -> None:
        """Schedule a draft reply (``PUT …/schedule``, 204). ``when`` must be aware, in the
        future and before 2100 (checked here so a typo never costs a request)."""
        from hsinbox.helpscout.client import format_datetime

        if when.tzinfo is None:
            raise ValueError("a scheduled time needs a time zone")
        if when >= LATEST_SCHEDULE:
            raise ValueError("Help Scout schedules replies only before 2100")
        await self._conversation_write(
            "PUT",
            self._schedule_path(conversation_id, thread_id),
            {
                "scheduledFor": format_datetime(when),
                "unscheduleOnCustomerReply": bool(unschedule_on_customer_reply),
            },
        )

    async def publish_scheduled(self, conversation_id: int, thread_id: int) -> None:
        """Send a scheduled reply now (``PATCH …/schedule``, replace /state published)."""
        await self._conversation_write(
            "PATCH",
            self._schedule_path(conversation_id, thread_id),
            {"op": "replace", "path": "/state", "value": "published"},
        )

    async def unschedule(self, conversation_id: int, thread_id: int) -> None:
        """Take the schedule off; the reply stays a draft (``DELETE …/schedule``)."""
        await self._conversation_write("DELETE", self._schedule_path(conversation_id, thread_id))

    # --- customers: properties and organizations ---------------------------------

    async def list_customer_properties(self) -> list[CustomerProperty]:
        """Every property definition (a HAL page; its ``_embedded`` key is the one list)."""
        data = await self._get_json("/v2/customer-properties")
        raw: Any = data
        if isinstance(data, dict):
            embedded = data.get("_embedded")
            raw = []
            if isinstance(embedded, dict):
                raw = next((v for v in embedded.values() if isinstance(v, list)), [])
        if not isinstance(raw, list):
            raise InvalidResponse("the customer properties were not a list", status=200)
        return [CustomerProperty.model_validate(d) for d in raw if isinstance(d, dict)]

    async def update_customer_properties(self, customer_id: int, ops: list[dict[str, Any]]) -> None:
        """``PATCH /v2/customers/{id}/properties`` with a JSON Patch array."""
        await self._request(
            "PATCH",
            f"/v2/customers/{int(customer_id)}/properties",
            json_body=ops,
            content_type="application/json-patch+json",
        )

    async def get_organization(self, organization_id: int) -> Organization:
        return await self._get_model(Organization, f"/v2/organizations/{int(organization_id)}")

    async def organization_conversations(
        self, organization_id: int, page: int = 1
    ) -> Page[Conversation]:
        """One page of the organization's conversations (newest first)."""
        return await self._get_page(
            Conversation,
            "conversations",
            f"/v2/organizations/{int(organization_id)}/conversations",
            None,
            page,
        )

    # --- original source ------------------------------------------------------------

    async def get_original_source(self, conversation_id: int, thread_id: int) -> str:
        """The raw email (RFC 822) of a customer's email thread, from the JSON form."""
        data = await self._get_json(
            f"/v2/conversations/{int(conversation_id)}/threads/{int(thread_id)}/original-source"
        )
        original = data.get("original") if isinstance(data, dict) else None
        if not isinstance(original, str):
            raise InvalidResponse("the original source had no text", status=200)
        return original


def property_patch(
    definitions: list[CustomerProperty], values: dict[str, str | None]
) -> list[dict[str, Any]]:
    """JSON Patch ops for ``{slug: value}``: a blank value removes the property."""
    known = {d.slug for d in definitions}
    ops: list[dict[str, Any]] = []
    for slug, value in values.items():
        if slug not in known:
            raise ValueError(f"unknown customer property {slug!r}")
        if value is None or not str(value).strip():
            ops.append({"op": "remove", "path": f"/{slug}"})
        else:
            ops.append({"op": "replace", "path": f"/{slug}", "value": str(value).strip()})
    return ops
