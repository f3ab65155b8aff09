"""What the TUI talks to: reads into the store, writes through the one worker."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hsinbox.config import Settings
from hsinbox.helpscout.errors import NetworkError
from hsinbox.helpscout.models import (
    Conversation,
    Customer,
    Folder,
    Mailbox,
    PersonRef,
    TagInfo,
    Thread,
    User,
)
from hsinbox.inbox.actions import Action, Reply
from hsinbox.inbox.drafts import DraftStore
from hsinbox.inbox.events import (
    ActionConfirmed,
    ActionFailed,
    BulkFinished,
    Event,
    RateLimitWait,
)
from hsinbox.inbox.journal import Journal
from hsinbox.inbox.store import Store
from hsinbox.inbox.view import View
from hsinbox.inbox.worker import Worker

if TYPE_CHECKING:
    from hsinbox.helpscout.client import HelpScoutClient

log = logging.getLogger(__name__)

Callback = Callable[[Event], Any]


class InboxSession:
    """The agent's session: who they are, what they see, and the outbox."""

    def __init__(
        self,
        client: HelpScoutClient,
        *,
        settings: Settings | None = None,
        data_dir: Path,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.settings = settings or Settings()
        self.data_dir = Path(data_dir)
        self.store = Store()
        self.drafts = DraftStore(self.data_dir)
        self.me: User | None = None
        self.mailboxes: list[Mailbox] = []
        self.folders: dict[int, list[Folder]] = {}
        self.users: list[User] = []
        self.mailbox_users: dict[int, list[User]] = {}
        self.tags: list[TagInfo] = []
        self._subscribers: list[Callback] = []
        self._journal = Journal(self.data_dir)
        self.worker = Worker(
            client,
            self.store,
            self._journal,
            self._emit,
            undo_delay=self.settings.undo_delay,
            sleep=sleep,
            clock=clock,
            wall_clock=wall_clock,
        )
        if getattr(client, "on_rate_limit", None) is None:
            client.on_rate_limit = self._on_rate_limit
        self._started = False
        self._closed = False

    # --- events ----------------------------------------------------------------------

    def subscribe(self, callback: Callback) -> Callable[[], None]:
        """Call ``callback(event)`` for every event; returns a function that unsubscribes."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def _emit(self, event: Event) -> None:
        self._settle_draft(event)
        for callback in list(self._subscribers):
            try:
                callback(event)
            except Exception:
                # A broken listener must never stop the outbox.
                log.exception("event callback failed")

    def _settle_draft(self, event: Event) -> None:
        """A draft goes away only once Help Scout confirmed what was sent from it."""
        actions: tuple[Action, ...] = ()
        if isinstance(event, ActionConfirmed):
            actions = (event.action,)
        elif isinstance(event, BulkFinished):
            actions = event.confirmed
        for action in actions:
            if action.draft_key:
                try:
                    self.drafts.delete_key(action.draft_key)
                except (OSError, ValueError):
                    log.warning("could not delete a sent draft")

    def _on_rate_limit(self, seconds: float) -> None:
        self._emit(RateLimitWait(seconds))

    # --- reads -----------------------------------------------------------------------

    async def _read(self, awaitable: Awaitable[Any]) -> Any:
        """Run a read; a network failure flips ``online``, a success may wake the outbox."""
        try:
            result = await awaitable
        except NetworkError as exc:
            self.worker.mark_offline(str(exc))
            raise
        if not self.worker.online:
            # Help Scout answers again: the outbox retries now (and flips ``online`` when its
            # send works); with nothing queued, say so straight away.
            if self.worker.queue_length:
                self.worker.kick()
            else:
                self.worker.mark_online()
        return result

    async def start(self) -> None:
        """Load me, mailboxes (with folders and users), users and tags at once; resume."""

        async def mailboxes_and_folders() -> list[Mailbox]:
            mailboxes = await self.client.list_mailboxes()
            folder_lists, user_lists = await asyncio.gather(
                asyncio.gather(*(self.client.list_folders(m.id) for m in mailboxes)),
                asyncio.gather(*(self.client.list_users(m.id) for m in mailboxes)),
            )
            self.folders = {m.id: f for m, f in zip(mailboxes, folder_lists, strict=True)}
            self.mailbox_users = {m.id: u for m, u in zip(mailboxes, user_lists, strict=True)}
            return mailboxes

        me, mailboxes, users, tags = await self._read(
            asyncio.gather(
                self.client.get_me(),
                mailboxes_and_folders(),
                self.client.list_users(),
                self.client.list_tags(),
            )
        )
        self.me, self.mailboxes, self.users, self.tags = me, mailboxes, users, tags
        self.store.me = PersonRef(
            id=me.id, type="user", first=me.first_name, last=me.last_name, email=me.email
        )
        self._started = True
        self.worker.resume_journal()

    async def load_view(self, view: View) -> list[Conversation]:
        """Every page of the view; unsent local changes are shown on top of it."""
        conversations = await self._read(self.client.list_all_conversations(**view.list_params()))
        self.store.set_view(view, conversations)
        self.worker.reapply_pending()
        return self.store.view_conversations(view)

    async def load_threads(self, conversation_id: int) -> list[Thread]:
        """Oldest first; threads still being sent are appended."""
        threads = await self._read(self.client.list_threads(conversation_id))
        self.store.set_threads(conversation_id, threads)
        return self.store.thread_list(conversation_id)

    def cached_threads(self, conversation_id: int) -> list[Thread] | None:
        if conversation_id not in self.store.threads:
            return None
        return self.store.thread_list(conversation_id)

    async def load_customer(self, customer_id: int) -> Customer:
        customer = await self._read(self.client.get_customer(customer_id))
        self.store.set_customer(customer)
        return customer

    async def refresh_folders(self, mailbox_id: int) -> list[Folder]:
        folders = await self._read(self.client.list_folders(mailbox_id))
        self.folders[mailbox_id] = folders
        return folders

    def users_for_mailbox(self, mailbox_id: int) -> list[User]:
        """Users who can be assigned in this mailbox, me first."""
        users = list(self.mailbox_users.get(mailbox_id) or self.users)
        if self.me is not None:
            users = [u for u in users if u.id != self.me.id]
            users.insert(0, self.me)
        return users

    async def new_threads_since(
        self, conversation_id: int, seen_thread_ids: set[int] | frozenset[int] | list[int]
    ) -> list[Thread]:
        """Threads added since the agent read the conversation (the send-time check)."""
        seen = set(seen_thread_ids)
        threads = await self._read(self.client.list_threads(conversation_id))
        self.store.set_threads(conversation_id, threads)
        return [t for t in threads if t.id not in seen]

    # --- writes ----------------------------------------------------------------------

    def reply_action(self, conversation: Conversation, text_html: str, **kwargs: Any) -> Reply:
        """A reply with the configured status-after-reply unless one is given."""
        kwargs.setdefault("status", self.settings.status_after_reply)
        return Reply.of(conversation, text_html, **kwargs)

    def submit(self, action: Action) -> None:
        """Journal, apply locally, and queue for sending. Never raises for API trouble."""
        if self.settings.read_only:
            self._emit(
                ActionFailed(action, "hsinbox is in read-only mode, so nothing was changed.")
            )
            return
        self.worker.submit(action)

    def cancel(self, action_id: str) -> bool:
        """Undo an action that has not been sent yet (its delay is still running)."""
        return self.worker.cancel(action_id)

    def resume(self) -> None:
        """Continue sending after the user signed in again."""
        self.worker.resume()

    @property
    def pending_actions(self) -> list[Action]:
        return self.worker.pending_actions

    @property
    def queue_length(self) -> int:
        return self.worker.queue_length

    @property
    def online(self) -> bool:
        return self.worker.online

    async def drain(self) -> None:
        await self.worker.drain()

    async def close(self) -> None:
        """Stop the outbox; unsent actions stay in the journal for the next start."""
        if self._closed:
            return
        self._closed = True
        await self.worker.close()
        self._journal.close()
