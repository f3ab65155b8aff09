"""What the agent-day screens ask the session: saved replies, custom fields, workflows,
attachments, customer history, snooze and runs, and following merged conversations.

A mixin of ``InboxSession`` (its own module so the session's core stays readable). Reads
are cached per mailbox for the session's life; every change still goes through
``submit(action)``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hsinbox import paths
from hsinbox.helpscout.errors import HelpScoutError
from hsinbox.helpscout.models import (
    Attachment,
    Conversation,
    Mailbox,
    MailboxField,
    NewAttachment,
    SavedReply,
    SavedReplySummary,
    User,
    Workflow,
)
from hsinbox.inbox.actions import Action, Bulk
from hsinbox.inbox.agent_actions import RunWorkflow, Snooze, Unsnooze
from hsinbox.inbox.attachments import (
    TRUSTED_STATES,
    Opening,
    flagged_sentence,
    load_attachment,
    open_plan,
    pager_text,
    save_bytes,
)
from hsinbox.inbox.custom_fields import missing_required
from hsinbox.inbox.drafts import KINDS
from hsinbox.inbox.events import (
    ActionConfirmed,
    BulkFinished,
    ConversationsRefreshed,
    Event,
    MergedConversation,
)
from hsinbox.inbox.saved_replies import Insertable, prepare, variable_context

if TYPE_CHECKING:
    from collections.abc import Awaitable
    from typing import TypeVar

    from hsinbox.config import Settings
    from hsinbox.helpscout.client import HelpScoutClient
    from hsinbox.inbox.cache import Cache
    from hsinbox.inbox.drafts import DraftStore
    from hsinbox.inbox.store import Store
    from hsinbox.inbox.worker import Outbox

    T = TypeVar("T")

log = logging.getLogger(__name__)

ID_QUERY_CHUNK = 25
"""Conversations refreshed per list request (one page of the list endpoint)."""


class AgentDaySession:
    """Methods mixed into ``InboxSession``."""

    if TYPE_CHECKING:
        # Provided by ``InboxSession``; declared for the type checker only, so a rename
        # there is a pyright error here rather than a feature switched off.
        client: HelpScoutClient
        settings: Settings
        store: Store
        cache: Cache | None
        drafts: DraftStore
        worker: Outbox
        me: User | None
        mailboxes: list[Mailbox]
        _unsaved: set[int]

        async def _read(self, awaitable: Awaitable[T]) -> T: ...
        def _emit(self, event: Event) -> None: ...
        def cached_preview(self, attachment_id: int) -> bytes | None: ...  # reach.ReachSession
        def submit(self, action: Action) -> None: ...

    def _agent_day_init(self) -> None:
        self._saved_replies: dict[int, list[SavedReplySummary]] = {}
        self._saved_reply: dict[tuple[int, int], SavedReply] = {}
        self._fields: dict[int, list[MailboxField]] = {}
        self._workflows: dict[int, list[Workflow]] = {}
        self._merges_told: set[int] = set()
        self._background: set[asyncio.Task[Any]] = set()
        self.worker.on_merged = self.follow_merge
        if self.client.on_merged is None:
            self.client.on_merged = self.follow_merge

    def _spawn(self, make: Callable[[], Coroutine[Any, Any, Any]]) -> bool:
        """Run ``make()`` in the background; False when no event loop is running."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return False
        task = loop.create_task(make())
        self._background.add(task)
        task.add_done_callback(self._background_done)
        return True

    def _background_done(self, task: asyncio.Task[Any]) -> None:
        """Every follow-up's exception is retrieved here: logged, never "never retrieved"."""
        self._background.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.warning("a background follow-up failed: %s", type(exc).__name__)

    def _agent_day_close(self) -> None:
        for task in list(self._background):
            task.cancel()
        self._background.clear()

    async def settle_background(self) -> None:
        """Wait for background follow-ups (a workflow's row refresh, a merge's survivor)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    def _agent_day_event(self, event: Event) -> None:
        """After a workflow ran, its rows are read again (its effects are the server's)."""
        runs: list[RunWorkflow] = []
        if isinstance(event, ActionConfirmed) and isinstance(event.action, RunWorkflow):
            runs = [event.action]
        elif isinstance(event, BulkFinished):
            runs = [a for a in event.confirmed if isinstance(a, RunWorkflow)]
        ids = [i for run in runs for i in run.conversation_ids]
        if ids:
            self._spawn(lambda: self.refresh_conversations(ids))

    # --- saved replies -------------------------------------------------------------

    async def saved_replies(self, mailbox_id: int) -> list[SavedReplySummary]:
        """The mailbox's saved replies, asked once per session."""
        if mailbox_id not in self._saved_replies:
            listed = await self._read(self.client.list_saved_replies(mailbox_id))
            self._saved_replies[mailbox_id] = sorted(listed, key=lambda r: r.name.casefold())
        return list(self._saved_replies[mailbox_id])

    async def saved_reply(self, mailbox_id: int, reply_id: int) -> SavedReply:
        key = (mailbox_id, reply_id)
        if key not in self._saved_reply:
            self._saved_reply[key] = await self._read(
                self.client.get_saved_reply(mailbox_id, reply_id)
            )
        return self._saved_reply[key]

    async def insertable_saved_reply(self, conversation: Conversation, reply_id: int) -> Insertable:
        """A saved reply as composer text, its variables filled for this conversation."""
        mailbox_id = conversation.mailbox_id or 0
        reply = await self.saved_reply(mailbox_id, reply_id)
        mailbox = next((m for m in self.mailboxes if m.id == mailbox_id), None)
        person = conversation.primary_customer
        customer = self.store.customers.get(person.id) if person and person.id else None
        context = variable_context(conversation, user=self.me, mailbox=mailbox, customer=customer)
        return prepare(reply.text, context)

    # --- custom fields -------------------------------------------------------------

    async def custom_fields(self, mailbox_id: int) -> list[MailboxField]:
        if mailbox_id not in self._fields:
            self._fields[mailbox_id] = await self._read(self.client.list_custom_fields(mailbox_id))
        return list(self._fields[mailbox_id])

    def known_missing_required_fields(
        self, conversation: Conversation
    ) -> list[MailboxField] | None:
        """As ``missing_required_fields`` without a request; None when the mailbox's fields
        have not been read yet (the screen then asks the async one)."""
        if conversation.mailbox_id is None:
            return []
        definitions = self._fields.get(conversation.mailbox_id)
        if definitions is None:
            return None
        return missing_required(self.store.get(conversation.id) or conversation, definitions)

    async def missing_required_fields(self, conversation: Conversation) -> list[MailboxField]:
        """Required fields left empty: closing asks first (fill now, close anyway, cancel)."""
        if conversation.mailbox_id is None:
            return []
        definitions = await self.custom_fields(conversation.mailbox_id)
        return missing_required(self.store.get(conversation.id) or conversation, definitions)

    # --- workflows -----------------------------------------------------------------

    async def workflows(self, mailbox_id: int) -> list[Workflow]:
        """The mailbox's manual workflows (the only ones that can be run), in order."""
        if mailbox_id not in self._workflows:
            flows = await self._read(self.client.list_workflows(mailbox_id, "manual"))
            self._workflows[mailbox_id] = [f for f in flows if f.status in (None, "active")]
        return list(self._workflows[mailbox_id])

    def run_workflow(self, workflow: Workflow, conversations: Iterable[Conversation]) -> Action:
        """Submit the run: one action per 50 conversations (a Bulk when there are several).

        Conversations of another mailbox are refused here (Help Scout: 400) in one sentence.
        """
        convs = list(conversations)
        others = [c for c in convs if workflow.mailbox_id and c.mailbox_id != workflow.mailbox_id]
        if others:
            raise ValueError(
                f"{workflow.name or 'This workflow'} belongs to another mailbox than "
                f"{len(others)} of the conversations; nothing was run."
            )
        parts = RunWorkflow.batches(workflow, convs)
        if not parts:
            raise ValueError("There is no conversation to run the workflow on.")
        action: Action = parts[0] if len(parts) == 1 else Bulk(tuple(parts))
        self.submit(action)
        return action

    async def refresh_conversations(self, ids: Iterable[int]) -> list[Conversation]:
        """Fresh copies of a few conversations, 25 per list request (``id:`` query)."""
        wanted = list(dict.fromkeys(int(i) for i in ids))
        fresh: list[Conversation] = []
        for i in range(0, len(wanted), ID_QUERY_CHUNK):
            part = wanted[i : i + ID_QUERY_CHUNK]
            query = "(" + " OR ".join(f"id:{cid}" for cid in part) + ")"
            page = await self._read(self.client.list_conversations(status="all", query=query))
            fresh.extend(page.items)
        if fresh:
            self.store.put_many(fresh)
            self.worker.reapply_pending()
            if self.cache is not None:
                self.cache.put_conversations(fresh)
        self._emit(ConversationsRefreshed(tuple(c.id for c in fresh)))
        return fresh

    # --- snooze --------------------------------------------------------------------

    def snooze(
        self,
        conversations: Iterable[Conversation],
        until: datetime,
        *,
        unsnooze_on_customer_reply: bool = True,
    ) -> Action:
        """Snooze one conversation or every marked one (a Bulk: one summary, one undo)."""
        actions = [
            Snooze.of(c, until, unsnooze_on_customer_reply=unsnooze_on_customer_reply)
            for c in conversations
        ]
        return self._submit_one_or_bulk(actions)

    def unsnooze(self, conversations: Iterable[Conversation]) -> Action:
        return self._submit_one_or_bulk([Unsnooze.of(c) for c in conversations])

    def _submit_one_or_bulk(self, actions: Sequence[Action]) -> Action:
        if not actions:
            raise ValueError("No conversation is selected.")
        action = actions[0] if len(actions) == 1 else Bulk(tuple(actions))
        self.submit(action)
        return action

    # --- attachments ---------------------------------------------------------------

    @property
    def download_dir(self) -> Path:
        configured = getattr(self.settings, "download_dir", None)
        return Path(configured).expanduser() if configured else paths.downloads_dir()

    async def download_attachment(
        self,
        conversation_id: int,
        attachment: Attachment,
        directory: Path | None = None,
    ) -> Path:
        """Fetch one attachment and save it under a safe, new name (never overwriting), with
        the platform's downloaded-from mark. A file Help Scout flagged is refused (nothing
        is downloaded) with one sentence."""
        if attachment.state is not None and attachment.state not in TRUSTED_STATES:
            raise ValueError(flagged_sentence(attachment.filename, attachment.state))
        data = await self._attachment_data(conversation_id, attachment)
        return await self._save_attachment(conversation_id, attachment, data, directory)

    async def open_attachment(
        self,
        conversation_id: int,
        attachment: Attachment,
        directory: Path | None = None,
    ) -> Opening:
        """What ``o`` does: refused (by Help Scout's state or the name: nothing downloaded;
        by the content: nothing saved), text for the in-app pager, or a saved image or PDF
        for the desktop's viewer (the caller hands it over: ``attachments.open_file``)."""
        plan = open_plan(attachment.filename, attachment.state)
        if plan.how == "refused":
            return Opening(plan)
        data = await self._attachment_data(conversation_id, attachment)
        plan = open_plan(attachment.filename, attachment.state, data)
        if plan.how == "pager":
            return Opening(plan, text=pager_text(data))
        if plan.how == "refused":
            return Opening(plan)
        path = await self._save_attachment(conversation_id, attachment, data, directory)
        return Opening(plan, path=path)

    async def _attachment_data(self, conversation_id: int, attachment: Attachment) -> bytes:
        if attachment.id is None:
            raise ValueError("This attachment cannot be downloaded: it has no id.")
        data = self.cached_preview(attachment.id)  # previewed already: no second request
        if data is None:
            data = await self._read(self.client.get_attachment_data(conversation_id, attachment.id))
        return data

    async def _save_attachment(
        self, conversation_id: int, attachment: Attachment, data: bytes, directory: Path | None
    ) -> Path:
        target = Path(directory) if directory is not None else self.download_dir
        origin = (
            f"{self.client.base_url}/v2/conversations/{conversation_id}"
            f"/attachments/{attachment.id}/data"
        )
        return await asyncio.to_thread(save_bytes, target, attachment.filename, data, origin)

    def conversation_attachments(self, conversation_id: int) -> list[tuple[int, Attachment]]:
        """Every attachment of the loaded threads, oldest first, with its thread id."""
        return [
            (t.id, a)
            for t in self.store.threads.get(conversation_id, [])
            for a in t.attachments
            if a.id is not None
        ]

    @staticmethod
    def attach(path: str | Path) -> NewAttachment:
        """Read a file to send; raises AttachmentRefused (one sentence) before any request."""
        return load_attachment(path)

    # --- customer history ----------------------------------------------------------

    async def customer_history(self, customer_id: int, *, page: int = 1) -> list[Conversation]:
        """The customer's conversations, any status, newest first (25 a page)."""
        result = await self._read(self.client.list_customer_conversations(customer_id, page))
        known = {c.id for c in result.items if c.id in self.store.conversations}
        # Rows already shown keep their local (maybe optimistic) copy.
        self.store.put_many([c for c in result.items if c.id not in known])
        return [self.store.get(c.id) or c for c in result.items]

    # --- merged conversations ------------------------------------------------------

    def follow_merge(self, old_id: int, new_id: int) -> None:
        """Move everything local from ``old_id`` to ``new_id`` now (queued actions, drafts,
        the list row, the cache), then fetch the survivor and say so in one line."""
        if old_id == new_id:
            return
        old = self.store.get(old_id)
        survivor = self.store.get(new_id)
        old_number = old.number if old is not None else None
        self.store.move_conversation(old_id, new_id, survivor)
        self.worker.retarget(old_id, new_id, survivor.number if survivor else None)
        self._move_drafts(old_id, new_id)
        if self.cache is not None:
            try:
                self.cache.forget(old_id)
            except Exception:  # the cache is a convenience; never let it stop a merge
                log.warning("could not drop a merged conversation from the cache")
        self._unsaved.discard(old_id)
        if old_id in self._merges_told:
            return
        self._merges_told.add(old_id)
        if not self._spawn(lambda: self._finish_merge(old_id, new_id, old_number)):
            self._emit(MergedConversation(old_id, new_id, old_number, None))

    async def _finish_merge(self, old_id: int, new_id: int, old_number: Any) -> None:
        """Read the survivor once (its threads and count now include the merged ones)."""
        try:
            survivor = await self._read(self.client.get_conversation(new_id))
        except HelpScoutError:
            survivor = self.store.get(new_id)
        else:
            self.store.put_many([survivor])
            self.worker.reapply_pending()
            if survivor.number is not None:
                self.worker.retarget(new_id, new_id, survivor.number)
        new_number = survivor.number if survivor is not None else None
        self._emit(MergedConversation(old_id, new_id, old_number, new_number))

    def _move_drafts(self, old_id: int, new_id: int) -> None:
        """A draft follows its conversation; over an existing draft it is appended, not lost."""
        for kind in KINDS:
            if kind == "new":
                continue
            try:
                draft = self.drafts.load(old_id, kind)
                if draft is None:
                    continue
                there = self.drafts.load(new_id, kind)
                draft.conversation_id = new_id
                if there is not None and there.text.strip():
                    draft.text = f"{there.text.rstrip()}\n\n{draft.text}"
                    draft.cc = list(dict.fromkeys([*there.cc, *draft.cc]))
                    draft.bcc = list(dict.fromkeys([*there.bcc, *draft.bcc]))
                self.drafts.save(draft)
                self.drafts.delete(old_id, kind)
            except (OSError, ValueError):
                log.warning("could not move a draft to the merged conversation")
