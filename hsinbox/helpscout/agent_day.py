"""The agent-day endpoints of the client: saved replies, custom fields, snooze, workflows,
attachment downloads, customer history and merged conversations.

A mixin of ``HelpScoutClient`` (kept in its own module so the core client stays readable);
it uses the client's one request loop and one paging helper.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from hsinbox.helpscout.client_base import ClientBase
from hsinbox.helpscout.errors import (
    ConversationMerged,
    InvalidResponse,
    NotFound,
    UnexpectedAnswer,
)
from hsinbox.helpscout.models import (
    Conversation,
    MailboxField,
    Page,
    SavedReply,
    SavedReplySummary,
    Workflow,
)

if TYPE_CHECKING:
    import httpx

MAX_WORKFLOW_RUN = 50
"""Help Scout runs a workflow on at most 50 conversations per request."""

_CONVERSATION_PATH = re.compile(r"^/v2/conversations/(\d+)(?:/|$)")


def format_datetime(value: datetime) -> str:
    from hsinbox.helpscout.client import format_datetime as fmt

    return fmt(value)


def batches(ids: Sequence[int], size: int = MAX_WORKFLOW_RUN) -> list[list[int]]:
    """``ids`` de-duplicated (order kept) in runs of at most ``size``."""
    unique = list(dict.fromkeys(int(i) for i in ids))
    return [unique[i : i + size] for i in range(0, len(unique), size)]


def _id_from_location(location: str) -> int | None:
    m = _CONVERSATION_PATH.match(urlsplit(location).path)
    return int(m.group(1)) if m else None


class AgentDayMixin(ClientBase):
    """Methods mixed into ``HelpScoutClient``."""

    merged: dict[int, int]
    on_merged: Callable[[int, int], Any] | None

    def _learn_merge(self, old_id: int, new_id: int) -> None:
        """Remember a merge (and tell whoever listens) the first time it is seen."""
        if self.merged.get(old_id) == new_id:
            return
        self.merged[old_id] = new_id
        if self.on_merged is not None:
            self.on_merged(old_id, new_id)

    async def survivor_of(self, conversation_id: int) -> int | None:
        """Where a conversation was merged to: a GET that does not follow Help Scout's 301.

        None when the conversation is there (200) or gone for good (404).
        """
        cid = int(conversation_id)
        try:
            response = await self._request(
                "GET", f"/v2/conversations/{cid}", follow_redirects=False
            )
        except NotFound:
            return None
        if response.status_code in (301, 302, 307, 308):
            new_id = _id_from_location(response.headers.get("Location", ""))
            if new_id is not None and new_id != cid:
                self._learn_merge(cid, new_id)
                return new_id
        return None

    async def _conversation_write(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        content_type: str = "application/json",
    ) -> httpx.Response:
        """A write under ``/v2/conversations/{id}``; its 404 is a ConversationMerged when a
        301 already told this client where the conversation went.

        The write is sent once and a 404 costs no extra request here; the caller that wants
        to know whether an unknown 404 was a merge asks ``survivor_of`` (a safe GET).
        """
        try:
            return await self._request(method, path, json_body=body, content_type=content_type)
        except UnexpectedAnswer as exc:
            # A 3xx to a write is never success; one that points at another conversation
            # says where this one went (as a read's 301 does), so the write can follow it.
            # Remembered, not told to ``on_merged``: whoever gets the error follows the merge
            # (the outbox re-aims its queue), as after a 404.
            m = _CONVERSATION_PATH.match(path)
            new_id = _id_from_location(exc.location or "")
            if m is None or new_id is None or new_id == int(m.group(1)):
                raise
            self.merged[int(m.group(1))] = new_id
            raise ConversationMerged(int(m.group(1)), new_id, status=exc.status) from None
        except NotFound as exc:
            m = _CONVERSATION_PATH.match(path)
            if m is None or isinstance(exc, ConversationMerged):
                raise
            old_id = int(m.group(1))
            new_id = self.merged.get(old_id)
            if new_id is None:
                raise
            raise ConversationMerged(old_id, new_id) from None

    async def _get_conversation_following(
        self, conversation_id: int, params: dict[str, Any] | None
    ) -> Conversation:
        from hsinbox.helpscout.client import _validate

        cid = int(conversation_id)
        response = await self._request("GET", f"/v2/conversations/{cid}", params=params)
        try:
            data = json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            raise InvalidResponse("the answer was not JSON", status=response.status_code) from None
        conv = _validate(Conversation, data)
        if response.history and conv.id != cid:
            self._learn_merge(cid, conv.id)
        return conv

    # --- saved replies -----------------------------------------------------------

    async def list_saved_replies(self, mailbox_id: int) -> list[SavedReplySummary]:
        """A bare JSON array (not a HAL page), as the docs show."""
        data = await self._get_json(f"/v2/mailboxes/{int(mailbox_id)}/saved-replies")
        if isinstance(data, dict):  # be lenient: a HAL page works too
            data = (data.get("_embedded") or {}).get("savedReplies", [])
        if not isinstance(data, list):
            raise InvalidResponse("the saved replies were not a list", status=200)
        from hsinbox.helpscout.client import _validate

        return [_validate(SavedReplySummary, item) for item in data]

    async def get_saved_reply(self, mailbox_id: int, reply_id: int) -> SavedReply:
        return await self._get_model(
            SavedReply, f"/v2/mailboxes/{int(mailbox_id)}/saved-replies/{int(reply_id)}"
        )

    # --- custom fields -----------------------------------------------------------

    async def list_custom_fields(self, mailbox_id: int) -> list[MailboxField]:
        """The mailbox's fields in their ``order``."""
        fields = await self._all_pages(
            MailboxField, "fields", f"/v2/mailboxes/{int(mailbox_id)}/fields"
        )
        return sorted(fields, key=lambda f: (f.order if f.order is not None else 1 << 30, f.id))

    async def set_custom_fields(
        self,
        conversation_id: int,
        fields: Iterable[tuple[int, Any]] | dict[int, Any],
    ) -> list[dict[str, Any]]:
        """PUT the conversation's whole field set (a field left out is removed).

        ``fields`` maps field id → value (dropdowns: the option id; dates: ``YYYY-MM-DD``);
        a value of None or "" leaves that field out. Returns the body's ``fields`` as sent.
        """
        pairs = dict(fields).items()
        body = [
            {"id": int(fid), "value": value if isinstance(value, str) else str(value)}
            for fid, value in pairs
            if value is not None and value != ""
        ]
        await self._conversation_write(
            "PUT", f"/v2/conversations/{int(conversation_id)}/fields", {"fields": body}
        )
        return body

    # --- snooze ------------------------------------------------------------------

    async def snooze(
        self,
        conversation_id: int,
        until: datetime,
        *,
        unsnooze_on_customer_reply: bool = True,
    ) -> None:
        await self._conversation_write(
            "PUT",
            f"/v2/conversations/{int(conversation_id)}/snooze",
            {
                "snoozedUntil": format_datetime(until),
                "unsnoozeOnCustomerReply": bool(unsnooze_on_customer_reply),
            },
        )

    async def unsnooze(self, conversation_id: int) -> None:
        await self._conversation_write("DELETE", f"/v2/conversations/{int(conversation_id)}/snooze")

    # --- workflows ---------------------------------------------------------------

    async def list_workflows(
        self, mailbox_id: int | None = None, type: str | None = "manual"
    ) -> list[Workflow]:
        params = {"mailboxId": mailbox_id, "type": type}
        flows = await self._all_pages(Workflow, "workflows", "/v2/workflows", params)
        return sorted(flows, key=lambda w: (w.order if w.order is not None else 1 << 30, w.id))

    async def run_workflow_batch(self, workflow_id: int, conversation_ids: Sequence[int]) -> None:
        """One run request for at most 50 ids."""
        ids = [int(i) for i in conversation_ids]
        if not ids or len(ids) > MAX_WORKFLOW_RUN:
            raise ValueError(f"a workflow run takes 1 to {MAX_WORKFLOW_RUN} conversations")
        await self._request(
            "POST", f"/v2/workflows/{int(workflow_id)}/run", json_body={"conversationIds": ids}
        )

    async def run_workflow(self, workflow_id: int, conversation_ids: Sequence[int]) -> int:
        """Run on every id, in batches of 50 sent one after another; returns the batch count.

        A batch that fails stops the rest (the error says so); batches already sent stay run.
        """
        parts = batches(conversation_ids)
        for part in parts:
            await self.run_workflow_batch(workflow_id, part)
        return len(parts)

    # --- attachments -------------------------------------------------------------

    async def get_attachment_data(self, conversation_id: int, attachment_id: int) -> bytes:
        data = await self._get_json(
            f"/v2/conversations/{int(conversation_id)}/attachments/{int(attachment_id)}/data"
        )
        raw = data.get("data") if isinstance(data, dict) else None
        if not isinstance(raw, str):
            raise InvalidResponse("the attachment had no data", status=200)
        try:
            return base64.b64decode(raw, validate=False)
        except (binascii.Error, ValueError):
            raise InvalidResponse("the attachment data was not base64", status=200) from None

    # --- customer history --------------------------------------------------------

    async def list_customer_conversations(
        self, customer_id: int, page: int = 1
    ) -> Page[Conversation]:
        """Every status, newest first: ``query=(customerIds:ID)`` with ``status=all``."""
        return await self.list_conversations(
            page=page,
            status="all",
            query=f"(customerIds:{int(customer_id)})",
            sort_field="createdAt",
            sort_order="desc",
        )
