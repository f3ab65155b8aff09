"""What the TUI talks to: reads into the store, writes through the one worker."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable
from contextlib import aclosing
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from hsinbox.config import Settings
from hsinbox.helpscout.errors import HelpScoutError, NetworkError
from hsinbox.helpscout.models import (
    Conversation,
    Customer,
    Folder,
    Mailbox,
    Page,
    PersonRef,
    TagInfo,
    Thread,
    User,
    unique_items,
)
from hsinbox.helpscout.query import field_phrase, quoted
from hsinbox.inbox.actions import Action, Bulk, Delete, Reply
from hsinbox.inbox.agent_day import AgentDaySession
from hsinbox.inbox.budget import Budget
from hsinbox.inbox.cache import Cache, ViewState
from hsinbox.inbox.drafts import DraftStore
from hsinbox.inbox.events import (
    ActionCancelled,
    ActionConfirmed,
    ActionFailed,
    BulkFinished,
    Event,
    RateLimitWait,
)
from hsinbox.inbox.journal import Journal
from hsinbox.inbox.loaded_view import LoadedView
from hsinbox.inbox.reach import ReachSession
from hsinbox.inbox.store import Store
from hsinbox.inbox.view import DEFAULT_SORT, View
from hsinbox.inbox.worker import Outbox

if TYPE_CHECKING:
    from hsinbox.helpscout.client import HelpScoutClient

log = logging.getLogger(__name__)
T = TypeVar("T")

Callback = Callable[[Event], Any]

# Which statuses a mailbox view (no folder) holds, as Help Scout's ``status=`` filter means it.
_STATUSES = {
    "active": {"active"},
    "pending": {"pending"},
    "closed": {"closed"},
    "spam": {"spam"},
    "open": {"active", "pending"},
    "all": {"active", "pending", "closed", "spam"},
}
PREFETCH_CONCURRENCY = 2
CONVERSATION_PAGE = 25  # Help Scout's list page; the server's ``page.size`` wins when it says
PREFETCH_QUEUE = 6
SYNC_CONCURRENCY = 8
CHANGES_MAX_PAGES = 4  # R after a long absence: beyond ~100 changes, page 1 afresh costs less
MORE_PAGES_MAX = 3  # pages one load_more may read when the first ones add nothing new


SYNC_SLACK = timedelta(minutes=5)  # modifiedSince margin for a clock that differs from Help Scout's


@dataclass(frozen=True)
class SyncProgress:
    """A mailbox sync's progress: pages done of total, seconds expected, why it waits."""

    done: int
    total: int
    eta: float | None = None
    paused: str | None = None


@dataclass(frozen=True)
class SyncState:
    """What the cache keeps of a requested sync, so a restart resumes it."""

    phase: str = "pages"  # pages -> catchup -> done
    next_page: int = 1
    total_pages: int = 0
    since: datetime | None = None  # modifiedSince of the closing pass
    requested: datetime | None = None  # when this run began (the next sync's `since`)
    cancelled: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "phase": self.phase,
            "next_page": self.next_page,
            "total_pages": self.total_pages,
            "since": self.since.isoformat() if self.since else None,
            "requested": self.requested.isoformat() if self.requested else None,
            "cancelled": self.cancelled,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> SyncState | None:
        try:
            return cls(
                phase=str(raw.get("phase", "pages")),
                next_page=max(int(raw.get("next_page", 1)), 1),
                total_pages=int(raw.get("total_pages", 0)),
                since=datetime.fromisoformat(raw["since"]) if raw.get("since") else None,
                requested=(
                    datetime.fromisoformat(raw["requested"]) if raw.get("requested") else None
                ),
                cancelled=bool(raw.get("cancelled", False)),
            )
        except (TypeError, ValueError, KeyError):
            return None


@dataclass(frozen=True)
class RefreshResult:
    """What a refresh changed in a view; ``full`` when it had to load the whole view."""

    new: list[Conversation] = field(default_factory=list)
    changed: list[Conversation] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    requests: int = 0
    full: bool = False
    # For notices (inbox/notify.py): every conversation the ``modifiedSince`` question
    # returned (the whole mailbox's, not only the view's), the copies known before it, and
    # the time it asked from.
    touched: list[Conversation] = field(default_factory=list)
    previous: dict[int, Conversation] = field(default_factory=dict)
    since: datetime | None = None


@dataclass(frozen=True)
class _Account:
    """What ``start()`` asks Help Scout for, before it is applied to the session."""

    me: User
    mailboxes: list[Mailbox]
    folders: dict[int, list[Folder]]
    mailbox_users: dict[int, list[User]]
    users: list[User]
    tags: list[TagInfo]


# Which view the screen opens first, given the mailboxes (None: not known yet).
FirstView = Callable[[list[Mailbox]], View | None]


def _retrieve(task: asyncio.Task[Any]) -> None:
    """A background request nobody awaited (the app quit first) must not warn at exit."""
    if not task.cancelled():
        task.exception()


_NUMBER = re.compile(r"^\s*(?:#|number:)\s*(\d{1,12})\s*$", re.IGNORECASE)


def typed_number(text: str) -> int | None:
    """``#10034`` or ``number:10034`` typed in the search box: that conversation's number."""
    match = _NUMBER.match(text)
    return int(match.group(1)) if match else None


def fingerprint(conversation: Conversation) -> str:
    """The content of a conversation, minus text the server derives from the clock."""
    exclude: Any = {"customer_waiting_since": {"friendly"}}
    return conversation.model_dump_json(exclude=exclude)


# Help Scout's query fields (List Conversations "query"), as the agent would type them.
_QUERY_FIELD = re.compile(
    r"(?<![\w.])(?:subject|body|tag|email|customerIds|customerEmail|customerName|mailboxid"
    r"|number|id|assigned|attachment|status|createdAt|modifiedAt|firstName|lastName|phone)"
    r":\S",
    re.IGNORECASE,
)
_QUERY_OPERATOR = re.compile(r"(?:^|[\s(])(?:AND|OR|NOT)(?=[\s(])")  # upper case only


def uses_query_syntax(text: str) -> bool:
    """Whether the agent typed Help Scout's own search syntax rather than a phrase.

    A field (``tag:vip``), an upper-case ``AND``/``OR``/``NOT`` between terms, or balanced
    double quotes. An odd quote (``a 6" pipe``) or a lower-case "or" is still a phrase.
    """
    quotes = text.count('"')
    return bool(
        _QUERY_FIELD.search(text)
        or _QUERY_OPERATOR.search(text)
        or (quotes >= 2 and quotes % 2 == 0)
    )


def server_query(text: str) -> str:
    """Help Scout query syntax for what the agent typed.

    Their own syntax passes through (in parentheses, as the API's examples have it); any
    other text is the phrase in any searchable field.
    """
    if uses_query_syntax(text):
        return f"({text.strip()})"
    term = text.strip()
    fields = ("subject", "body", "email", "tag")
    return "(" + " OR ".join([*(field_phrase(f, term) for f in fields), quoted(term)]) + ")"


def longest_waiting_unassigned(conversations: Iterable[Conversation]) -> Conversation | None:
    """The active, unassigned conversation whose customer has waited longest.

    One with no waiting time (nobody is waiting on us) comes after every waiting one.
    """
    candidates = [c for c in conversations if c.status == "active" and c.assignee is None]
    if not candidates:
        return None

    def key(c: Conversation) -> tuple[int, float, int]:
        since = c.customer_waiting_since.time if c.customer_waiting_since else None
        if since is not None:
            return (0, since.timestamp(), c.id)
        return (1, c.created_at.timestamp() if c.created_at else 0.0, c.id)

    return min(candidates, key=key)


def _in_status_view(view: View, conversation: Conversation) -> bool:
    if conversation.state not in (None, "published"):
        return False
    return conversation.status in _STATUSES.get(view.api_status, {view.api_status})


class InboxSession(AgentDaySession, ReachSession):
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
        cache_path: Path | None = None,
    ) -> None:
        self.client = client
        self._clock = clock
        self._wall_clock = wall_clock
        self.settings = settings or Settings()
        self.data_dir = Path(data_dir)
        self.store = Store()
        # Background work (prefetch, timer refresh, folder counts, sync) asks this first.
        self.budget = Budget(
            client,
            share=self.settings.background_share,
            floor=self.settings.background_floor,
            clock=clock,
            sleep=sleep,
        )
        self.cache: Cache | None = Cache(cache_path) if self.settings.cache else None
        self._sleep = sleep
        # Writes confirmed per conversation, in order: a read asked before a confirmation
        # must not overwrite what the write showed (see ``_stale``).
        self._confirm_seq = 0
        self._confirmed_at: dict[int, int] = {}
        self._prefetches: dict[int, asyncio.Task[None]] = {}
        self._prefetch_gate: asyncio.Semaphore | None = None
        self._loading_threads: dict[int, int] = {}
        self._unsaved: set[int] = set()
        self.drafts = DraftStore(self.data_dir)
        self.me: User | None = None
        self.mailboxes: list[Mailbox] = []
        self.folders: dict[int, list[Folder]] = {}
        self.users: list[User] = []
        self.mailbox_users: dict[int, list[User]] = {}
        self.tags: list[TagInfo] = []
        self._subscribers: list[Callback] = []
        self._journal = Journal(self.data_dir)
        self.worker = Outbox(
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
        self._account_fetch: asyncio.Task[_Account] | None = None
        self._first_lists: dict[str, tuple[dict[str, Any], asyncio.Task[Page[Conversation]]]] = {}
        self._agent_day_init()
        self._reach_init()

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
        self._note_for_cache(event)
        self._agent_day_event(event)
        for callback in list(self._subscribers):
            try:
                callback(event)
            except Exception:
                # A broken listener must never stop the outbox.
                log.exception("event callback failed")

    def _settle_draft(self, event: Event) -> None:
        """A draft goes away only once Help Scout confirmed what was sent from it, and only
        while it is the revision that was sent; a refused or undone send is a draft again."""
        settled: list[tuple[Action, bool]] = []
        if isinstance(event, ActionConfirmed):
            settled = [(event.action, True)]
        elif isinstance(event, BulkFinished):
            settled = [(a, True) for a in event.confirmed]
        elif isinstance(event, ActionFailed | ActionCancelled):
            settled = [(event.action, False)]
        for action, sent in settled:
            if action.draft_key:
                try:
                    self.drafts.settle(action.draft_key, action.id, sent=sent)
                except (OSError, ValueError):
                    log.warning("could not settle a sent draft")

    def _note_for_cache(self, event: Event) -> None:
        """Confirmed changes reach the cache at close; a confirmed delete leaves it now."""
        actions: tuple[Action, ...] = ()
        if isinstance(event, ActionConfirmed):
            actions = event.action.actions if isinstance(event.action, Bulk) else (event.action,)
        elif isinstance(event, BulkFinished):
            actions = event.confirmed
        for action in actions:
            ident = action.conversation_id
            if ident is None:
                continue
            self._confirm_seq += 1
            self._confirmed_at[ident] = self._confirm_seq
            if isinstance(action, Delete):
                if self.cache is not None:
                    self.cache.forget(ident)
                self._unsaved.discard(ident)
            else:
                self._unsaved.add(ident)

    def _on_rate_limit(self, seconds: float) -> None:
        self._emit(RateLimitWait(seconds))

    # --- reads -----------------------------------------------------------------------

    async def _read(self, awaitable: Awaitable[T]) -> T:
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

    def prefetch_start(self, first_view: FirstView | None = None) -> None:
        """Send ``start()``'s requests now, while the screen is still being built.

        ``start()`` then only waits for (and applies) these answers. ``first_view`` names the
        view the screen will open, given the mailboxes; when nothing is cached for this API
        its list is asked for as soon as the mailboxes are known, in the same round as the
        folders, and the first ``load_view`` of that view takes it instead of asking again.
        Needs a running event loop.
        """
        if self._started or self._closed or self._account_fetch is not None:
            return
        self._account_fetch = asyncio.get_running_loop().create_task(
            self._fetch_account(first_view)
        )
        self._account_fetch.add_done_callback(_retrieve)

    async def _fetch_account(self, first_view: FirstView | None) -> _Account:
        async def mailboxes_and_folders() -> tuple[list[Mailbox], dict[int, Any], dict[int, Any]]:
            mailboxes = await self.client.list_mailboxes()
            self._fetch_first_list(first_view, mailboxes)
            folder_lists, user_lists = await asyncio.gather(
                asyncio.gather(*(self.client.list_folders(m.id) for m in mailboxes)),
                asyncio.gather(*(self.client.list_users(m.id) for m in mailboxes)),
            )
            folders = {m.id: f for m, f in zip(mailboxes, folder_lists, strict=True)}
            users = {m.id: u for m, u in zip(mailboxes, user_lists, strict=True)}
            return mailboxes, folders, users

        me, (mailboxes, folders, mailbox_users), users, tags = await asyncio.gather(
            self.client.get_me(),
            mailboxes_and_folders(),
            self.client.list_users(),
            self.client.list_tags(),
        )
        return _Account(me, mailboxes, folders, mailbox_users, users, tags)

    def _fetch_first_list(self, first_view: FirstView | None, mailboxes: list[Mailbox]) -> None:
        """Ask for the first view's list now, unless the cache will paint it (then only what
        changed since is asked, later)."""
        if first_view is None or self._closed:
            return
        cache = self.cache
        if cache is not None and cache.available and cache.last_user(self.client.base_url):
            return
        try:
            view = first_view(list(mailboxes))
        except Exception:
            log.exception("choosing the first view failed")
            return
        if view is None:
            return
        params = view.list_params()
        task = asyncio.get_running_loop().create_task(
            self.client.list_conversations(page=1, **params)
        )
        task.add_done_callback(_retrieve)
        self._first_lists[view.key] = (params, task)

    def _take_first_list(self, view: View) -> asyncio.Task[Page[Conversation]] | None:
        """The list asked for at start for this view (used once); any other is dropped."""
        early = self._first_lists.pop(view.key, None)
        self._drop_first_lists()
        if early is None or early[0] != view.list_params():
            if early is not None:
                early[1].cancel()
            return None
        return early[1]

    def _drop_first_lists(self) -> None:
        for _params, task in self._first_lists.values():
            task.cancel()
        self._first_lists.clear()

    async def start(self, first_view: FirstView | None = None) -> None:
        """Load me, mailboxes (with folders and users), users and tags at once; resume.

        Takes the answers ``prefetch_start()`` already asked for, if it ran.
        """
        fetch = self._account_fetch
        self._account_fetch = None
        if fetch is None:
            fetch = asyncio.ensure_future(self._fetch_account(first_view))
        try:
            account: _Account = await self._read(fetch)
        except Exception:
            # Help Scout did not answer (or refused): what the journal holds still goes
            # out, as soon as a read works again or the outbox's own retry gets through.
            self.resume_outbox()
            raise
        me = account.me
        self.folders, self.mailbox_users = account.folders, account.mailbox_users
        self.me, self.mailboxes = me, account.mailboxes
        self.users, self.tags = account.users, account.tags
        self.store.me = PersonRef(
            id=me.id, type="user", first=me.first_name, last=me.last_name, email=me.email
        )
        self._started = True
        self._bind_cache()
        self.resume_outbox()
        if self.worker.queue_length:
            # The outbox is sending what the journal held: a list asked for before it
            # may already be out of date.
            self._drop_first_lists()

    @property
    def started(self) -> bool:
        """True once ``start()`` got its answers (an offline start paints from the cache)."""
        return self._started

    def resume_outbox(self) -> int:
        """Queue what a previous run left unsent; how many were added.

        Called by ``start()`` whether or not Help Scout answered it, so an offline start
        drains its queue the moment the server is back. Read-only sends nothing: the journal
        waits for the next normal start instead of being sent or dropped.
        """
        if self.settings.read_only or self._closed:
            return 0
        return self.worker.resume_journal()

    # --- the local cache -------------------------------------------------------------

    def restore(self) -> bool:
        """Paint before the network: me, mailboxes, folders, users and tags as last seen.

        True when the cache knew this API's last account; ``start()`` still runs after.
        """
        if self.cache is None or not self.cache.available:
            return False
        user_id = self.cache.last_user(self.client.base_url)
        if user_id is None:
            return False
        self.cache.bind(self.client.base_url, user_id)
        saved = self.cache.get_meta("account")
        if not isinstance(saved, dict):
            return False
        try:
            me = User.model_validate(saved["me"])
            mailboxes = [Mailbox.model_validate(m) for m in saved["mailboxes"]]
            folders = {
                int(k): [Folder.model_validate(f) for f in v] for k, v in saved["folders"].items()
            }
            mailbox_users = {
                int(k): [User.model_validate(u) for u in v]
                for k, v in saved["mailbox_users"].items()
            }
            users = [User.model_validate(u) for u in saved["users"]]
            tags = [TagInfo.model_validate(t) for t in saved["tags"]]
        except (KeyError, TypeError, ValueError, AttributeError):
            log.warning("the cached account was unreadable; waiting for the network")
            return False
        self.me, self.mailboxes, self.folders = me, mailboxes, folders
        self.mailbox_users, self.users, self.tags = mailbox_users, users, tags
        self.store.me = PersonRef(
            id=me.id, type="user", first=me.first_name, last=me.last_name, email=me.email
        )
        return True

    def _bind_cache(self) -> None:
        if self.cache is None or self.me is None:
            return
        previous = self.cache.account
        self.cache.bind(self.client.base_url, self.me.id)
        if previous is not None and previous != self.cache.account:
            # Another account signed in since the last paint: nothing cached may show.
            self.store.views.clear()
            self.store.conversations.clear()
            self.store.threads.clear()
        self._save_account()

    def _save_account(self) -> None:
        """The account as last seen (folder counts too): what an offline start paints."""
        if self.cache is None or self.me is None or self.cache.account is None:
            return

        def dump(models: Iterable[Any]) -> list[Any]:
            return [m.model_dump(mode="json", by_alias=True) for m in models]

        self.cache.put_meta(
            "account",
            {
                "me": self.me.model_dump(mode="json", by_alias=True),
                "mailboxes": dump(self.mailboxes),
                "folders": {str(k): dump(v) for k, v in self.folders.items()},
                "mailbox_users": {str(k): dump(v) for k, v in self.mailbox_users.items()},
                "users": dump(self.users),
                "tags": dump(self.tags),
            },
        )

    def cached_view(self, view: View) -> list[Conversation] | None:
        """The view as last seen, from the cache, with no request; None if never cached."""
        if self.cache is None:
            return None
        state = self.cache.get_view(view.key)
        if state is None:
            return None
        missing = [i for i in state.ids if i not in self.store.conversations]
        found = self.cache.get_conversations(missing)
        for ident, conversation in found.items():
            self.store.conversations[ident] = conversation
        loaded = self.store.loaded(view)
        loaded.start_over([i for i in state.ids if i in self.store.conversations])
        loaded.newest, loaded.probe = state.newest, dict(state.probe)
        loaded.total, loaded.complete, loaded.paged = None, False, False
        self.worker.reapply_pending()
        return self.store.view_conversations(view)

    def _save_view(self, loaded: LoadedView, conversations: list[Conversation]) -> None:
        if self.cache is not None:
            self.cache.put_conversations(conversations)
            self.cache.put_view(
                loaded.key,
                ViewState(ids=list(loaded.ids), newest=loaded.newest, probe=dict(loaded.probe)),
            )

    def _unchanged(self, loaded: LoadedView, conversation: Conversation) -> bool:
        mark = fingerprint(conversation)
        if loaded.probe.get(conversation.id) == mark:
            return True
        known = self.store.conversations.get(conversation.id)
        return known is not None and fingerprint(known) == mark

    def _stale(self, conversations: Iterable[Conversation], asked_at: int) -> set[int]:
        """Conversations a write was confirmed on after this read was asked: the answer
        predates the write, so the local copy (already showing it) wins."""
        confirmed = self._confirmed_at
        return {c.id for c in conversations if confirmed.get(c.id, 0) > asked_at}

    def _keep_read(self, conversations: list[Conversation], asked_at: int) -> set[int]:
        """Put a read's copies in the store, except the stale ones; returns those."""
        stale = self._stale(conversations, asked_at)
        self.store.put_many([c for c in conversations if c.id not in stale])
        return stale

    # --- views -----------------------------------------------------------------------
    # Every read of a view holds its LoadedView's lock: a page, a refresh and a reload of
    # one view never interleave, so a stale answer never lands on top of a newer one.

    def loaded_view(self, view: View) -> LoadedView:
        """The one owner of what is loaded of ``view``."""
        return self.store.loaded(view)

    async def load_view(self, view: View) -> list[Conversation]:
        """Page 1 of the view, one request (``load_more`` asks the next ones as the agent
        scrolls); unsent local changes are shown on top of it."""
        loaded = self.store.loaded(view)
        async with loaded.lock:
            return await self._page_one(loaded)

    async def _page_one(self, loaded: LoadedView) -> list[Conversation]:
        view = loaded.view
        asked_at = self._confirm_seq
        early = self._take_first_list(view)
        if early is not None:
            page = await self._read(early)
        else:
            page = await self._read(self.client.list_conversations(page=1, **view.list_params()))
        return self._set_loaded(loaded, [page], asked_at)

    async def _restart_view(self, loaded: LoadedView, *, requests: int) -> RefreshResult:
        """Too much changed to merge: the view starts again from a fresh page 1."""
        before = set(loaded.ids)
        self._drop_first_lists()  # a list asked at start is older than what just changed
        conversations = await self._page_one(loaded)
        arrived = [c for c in conversations if c.id not in before]
        return RefreshResult(new=arrived, requests=requests + 1, full=True)

    async def reload_view(self, view: View) -> list[Conversation]:
        """The pages loaded so far, read again (the agent suspects the cache): one request a
        page, never more pages than were loaded."""
        loaded = self.store.loaded(view)
        async with loaded.lock:
            size = loaded.page_size or CONVERSATION_PAGE
            pages = max(-(-len(loaded.ids) // size), 1)
            self._drop_first_lists()
            asked_at = self._confirm_seq
            read = await self._read(
                _collect(self.client.conversation_pages(max_pages=pages, **view.list_params()))
            )
            return self._set_loaded(loaded, read, asked_at)

    def _set_loaded(
        self, loaded: LoadedView, pages: list[Page[Conversation]], asked_at: int
    ) -> list[Conversation]:
        """The view is these pages, in order; refresh resumes from their newest change."""
        conversations = unique_items(pages)
        stale = self._keep_read(conversations, asked_at)
        before = set(loaded.ids)
        loaded.start_over([c.id for c in conversations if c.id not in stale or c.id in before])
        loaded.note_read([c for c in conversations if c.id not in stale])
        stamps = [c.modified_at for c in conversations if c.modified_at is not None]
        newest = max(stamps) if stamps else None
        loaded.newest = newest
        loaded.probe = {c.id: fingerprint(c) for c in conversations if c.modified_at == newest}
        last = pages[-1].info if pages else None
        loaded.total = last.total_elements if last is not None else len(conversations)
        loaded.page_size = (last.size if last is not None else 0) or CONVERSATION_PAGE
        loaded.complete = last is None or not pages[-1].items or last.number >= last.total_pages
        loaded.paged = True
        self._save_view(loaded, conversations)
        self.worker.reapply_pending()
        return self.store.view_conversations(loaded.view)

    def view_total(self, view: View) -> int | None:
        """The server's count for the view (less the rows taken out locally since), once a
        page of it was read this run."""
        loaded = self.store.views.get(view.key)
        return loaded.total if loaded is not None and loaded.paged else None

    def view_complete(self, view: View) -> bool:
        """The view's last page was read (then sorting and counting are local)."""
        loaded = self.store.views.get(view.key)
        return loaded is not None and loaded.paged and loaded.complete

    async def load_more(self, view: View) -> list[Conversation]:
        """The view's next page after what is loaded (one request); what it added.

        The page is chosen by the rows still in the view, so rows that left read pages (a
        close, a colleague's move) never push others out of reach; the overlap is dropped.
        A page that adds nothing new and is not the last asks the next (a few at most). Rows
        with an unsent local change show that change. Nothing is asked once complete.
        """
        loaded = self.store.loaded(view)
        async with loaded.lock:
            if loaded.paged and loaded.complete:
                return []
            number = loaded.next_page(self._still_in(loaded))
            added: list[int] = []
            for _ in range(MORE_PAGES_MAX):
                asked_at = self._confirm_seq
                page = await self._read(
                    self.client.list_conversations(page=number, **view.list_params())
                )
                info = page.info
                stale = self._keep_read(page.items, asked_at)
                loaded.note_read([c for c in page.items if c.id not in stale])
                loaded.paged = True
                loaded.total = info.total_elements
                loaded.page_size = info.size or loaded.page_size or CONVERSATION_PAGE
                fresh = loaded.append([c.id for c in page.items if c.id not in stale])
                loaded.complete = not page.items or info.number >= info.total_pages
                if loaded.newest is None:
                    stamps = [c.modified_at for c in page.items if c.modified_at is not None]
                    loaded.newest = max(stamps) if stamps else None
                self._save_view(loaded, page.items)
                self.worker.reapply_pending()
                present = set(loaded.ids)
                added += [i for i in fresh if i in present]
                if added or loaded.complete:
                    break
                number += 1
            known = self.store.conversations
            return [known[i] for i in added if i in known]

    async def refresh_view(self, view: View) -> RefreshResult:
        """Ask only for what changed since the newest modification seen, and merge it.

        One request when nothing changed. The question is mailbox-wide with ``status=all``
        so a conversation that left the view (closed, moved to another folder) is seen too;
        a folder view asks once more, only when something changed, which of those it holds.
        """
        if view.key not in self._first_lists:
            self._drop_first_lists()
        loaded = self.store.loaded(view)
        async with loaded.lock:
            if loaded.newest is None and not loaded.ids:
                self.cached_view(view)
            if loaded.newest is None:
                before = set(loaded.ids)
                conversations = await self._page_one(loaded)
                arrived = [c for c in conversations if before and c.id not in before]
                return RefreshResult(new=arrived, requests=0, full=True)
            return await self._merge_changes(loaded)

    async def _merge_changes(self, loaded: LoadedView) -> RefreshResult:
        view = loaded.view
        assert loaded.newest is not None
        asked_at = self._confirm_seq
        broad: dict[str, Any] = {**view.list_params(), "status": "all"}
        broad.pop("folder", None)
        since = await self._changed_since(broad, loaded.newest)
        if since is None:
            return await self._restart_view(loaded, requests=1)
        changes, requests = since
        touched = [c for c in changes if not self._unchanged(loaded, c)]
        members: set[int]
        if view.folder_id is not None and touched:
            in_folder = await self._changed_since(view.list_params(), loaded.newest)
            if in_folder is None:
                return await self._restart_view(loaded, requests=requests + 1)
            inside, extra = in_folder
            requests += extra
            members = {c.id for c in inside}
            known = {c.id for c in touched}
            touched += [c for c in inside if c.id not in known]
        else:
            members = {c.id for c in touched if _in_status_view(view, c)}
        stale = self._stale(touched, asked_at)
        touched = [c for c in touched if c.id not in stale]
        current = set(loaded.ids)
        new = [
            c
            for c in touched
            if c.id in members and c.id not in current and self._within(loaded, c)
        ]
        changed = [c for c in touched if c.id in members and c.id in current]
        removed = [c.id for c in touched if c.id not in members and c.id in current]
        stored = self.store.conversations
        previous = {c.id: stored[c.id] for c in touched if c.id in stored}
        since_asked = loaded.newest
        for conversation in touched:
            old = self.store.conversations.get(conversation.id)
            if old is not None and old.threads != conversation.threads:
                self.store.threads.pop(conversation.id, None)
        self.store.merge_view(view, touched, arrived=[c.id for c in new], left=removed)
        loaded.note_read(touched)
        if loaded.total is not None:
            loaded.total = max(0, loaded.total + len(new) - len(removed))
        stamps = [c.modified_at for c in changes if c.modified_at is not None]
        loaded.newest = max([loaded.newest, *stamps])
        loaded.probe = {c.id: fingerprint(c) for c in changes}
        self._save_view(loaded, touched)
        self.worker.reapply_pending()
        return RefreshResult(
            new=new,
            changed=changed,
            removed=removed,
            requests=requests,
            touched=touched,
            previous=previous,
            since=since_asked,
        )

    def _still_in(self, loaded: LoadedView) -> int:
        """Loaded rows the server still has in the view, as far as is known here: a row
        the agent changed since it was read (closed, moved) may have left it. Counting one
        too few only re-reads an overlap; one too many would skip a row."""
        known = self.store.conversations
        count = 0
        for ident in loaded.ids:
            conv = known.get(ident)
            seen = loaded.as_read.get(ident)
            if conv is None or (seen is not None and seen != (conv.status, conv.mailbox_id)):
                continue
            count += 1
        return count

    @staticmethod
    def _within(loaded: LoadedView, conversation: Conversation) -> bool:
        """Whether a conversation that joined the view falls among the loaded rows.

        In the default order a change puts it on top; in another order it may belong past
        the last loaded row, where its page brings it (adding it now would count it twice
        in the paging cursor).
        """
        view = loaded.view
        return loaded.complete or (view.sort_field, view.sort_order) == DEFAULT_SORT

    async def _changed_since(
        self, params: dict[str, Any], since: datetime
    ) -> tuple[list[Conversation], int] | None:
        """Every conversation modified since ``since``: page 1, then the rest at once.

        None when more than ``CHANGES_MAX_PAGES`` pages changed (a long absence, a busy
        account): merging them all would cost more than the view's page 1 read afresh.
        """
        first = await self._read(
            self.client.list_conversations(page=1, modified_since=since, **params)
        )
        pages = first.info.total_pages
        if pages > CHANGES_MAX_PAGES:
            return None
        read = [first]
        if pages > 1:
            read += await self._read(
                _collect(
                    self.client.conversation_pages(
                        first_page=2, max_pages=pages - 1, modified_since=since, **params
                    )
                )
            )
        return unique_items(read), len(read)

    def sync_state(self, mailbox_id: int) -> SyncState | None:
        """Where a requested mailbox sync stands (from the cache: it survives a restart)."""
        if self.cache is None or not self.cache.available or self.cache.account is None:
            return None
        raw = self.cache.get_meta(f"sync:{mailbox_id}")
        return SyncState.from_json(raw) if isinstance(raw, dict) else None

    def _save_sync_state(self, mailbox_id: int, state: SyncState) -> None:
        if self.cache is not None and self.cache.account is not None:
            self.cache.put_meta(f"sync:{mailbox_id}", state.to_json())

    def cancel_sync(self, mailbox_id: int) -> None:
        """The agent stopped it: the next start does not resume it (a new request does)."""
        state = self.sync_state(mailbox_id)
        if state is not None and state.phase != "done":
            self._save_sync_state(mailbox_id, replace(state, cancelled=True))

    def unfinished_syncs(self) -> list[int]:
        """Mailboxes whose requested sync a previous run left half done (not cancelled)."""
        out = []
        for mailbox in self.mailboxes:
            state = self.sync_state(mailbox.id)
            if state is not None and state.phase != "done" and not state.cancelled:
                out.append(mailbox.id)
        return out

    async def sync_mailbox(
        self,
        mailbox_id: int,
        *,
        concurrency: int = SYNC_CONCURRENCY,
        on_progress: Callable[[SyncProgress], Any] | None = None,
    ) -> list[Conversation]:
        """Every conversation of a mailbox into the store and cache, for offline search.

        Only on the agent's request. Background work: every page asks the rate budget
        first (``budget.acquire``), so the sync spends at most ``background_share`` of the
        minute and stops below the floor. Each page is kept as it arrives and the next
        page number is saved in the cache, so a sync stopped (cancelled, quit, killed)
        resumes there. Pages go oldest first (``createdAt`` ascending): a conversation
        created meanwhile lands on a later page instead of shifting the ones already read.
        What changed while it ran is asked at the end with ``modifiedSince`` = its start,
        and a sync of a mailbox already synced asks only that.
        """
        now = datetime.fromtimestamp(self._wall_clock(), UTC)
        saved = self.sync_state(mailbox_id)
        if saved is None or (saved.phase == "done" and saved.since is None):
            saved = SyncState(phase="pages", next_page=1, since=now - SYNC_SLACK)
        elif saved.phase == "done":
            saved = SyncState(phase="catchup", next_page=1, since=saved.since)
        state: SyncState = replace(saved, cancelled=False, requested=now - SYNC_SLACK)
        self._save_sync_state(mailbox_id, state)
        kept: dict[int, Conversation] = {}
        started_at = self._clock()
        read_now = 0

        def report(done: int, total: int) -> None:
            if on_progress is None:
                return
            left = max(total - done, 0)
            eta: float | None = None
            if read_now and left:
                per_page = (self._clock() - started_at) / read_now
                eta = left * max(per_page, 60.0 / self.budget.allowance)
            elif not left:
                eta = 0.0
            on_progress(SyncProgress(done, total, eta, self.budget.paused_reason))

        def keep(page: Page[Conversation], asked_at: int) -> None:
            fresh = [c for c in page.items if c.id not in kept]
            for conversation in fresh:
                kept[conversation.id] = conversation
            self._keep_read(fresh, asked_at)
            if self.cache is not None:
                self.cache.put_conversations(fresh)
            # The fresh copies replaced local ones: unsent changes show on them again.
            self.worker.reapply_pending()

        # Pages are read several at once: a write confirmed after the sync began wins over
        # every page of it (the local copy already shows the write).
        asked = [self._confirm_seq]

        async def pace() -> None:
            """Every page asks the budget; a pause is shown while it lasts."""
            if not self.budget.allows():
                report(state.next_page - 1, max(state.total_pages, state.next_page - 1))
            await self.budget.acquire()

        base: dict[str, Any] = {"mailbox": mailbox_id, "status": "all"}
        if state.phase == "pages":
            report(state.next_page - 1, max(state.total_pages, state.next_page - 1))
            pages_of = self.client.conversation_pages(
                first_page=state.next_page,
                concurrency=concurrency,
                before_request=pace,
                sort_field="createdAt",
                sort_order="asc",
                **base,
            )

            async def read_pages() -> None:
                nonlocal state, read_now
                async with aclosing(pages_of) as stream:
                    async for page in stream:
                        keep(page, asked[0])
                        read_now += 1
                        total = max(page.info.total_pages, page.info.number)
                        state = replace(state, next_page=page.info.number + 1, total_pages=total)
                        self._save_sync_state(mailbox_id, state)
                        report(page.info.number, total)

            await self._read(read_pages())
            state = replace(state, phase="catchup")
            self._save_sync_state(mailbox_id, state)
        # What changed since the sync (or the last one) began.
        since = state.since or state.requested
        pages_of = self.client.conversation_pages(
            concurrency=concurrency,
            before_request=pace,
            modified_since=since,
            sort_field="modifiedAt",
            sort_order="desc",
            **base,
        )

        async def read_changes() -> None:
            async with aclosing(pages_of) as stream:
                async for page in stream:
                    keep(page, asked[0])

        await self._read(read_changes())
        state = replace(state, phase="done", since=state.requested, next_page=1)
        self._save_sync_state(mailbox_id, state)
        total = max(state.total_pages, 1)
        report(total, total)
        self.worker.reapply_pending()
        return list(kept.values())

    # --- threads ---------------------------------------------------------------------

    async def load_threads(self, conversation_id: int) -> list[Thread]:
        """Oldest first; threads still being sent are appended."""
        running = self._prefetches.get(conversation_id)
        if running is not None:
            try:
                await asyncio.shield(running)
            except asyncio.CancelledError:
                # The prefetch was dropped from its queue: this read asks for itself, unless
                # it is this read that is being cancelled.
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise
            if conversation_id in self.store.threads:
                return self.store.thread_list(conversation_id)
        self._loading_threads[conversation_id] = self._loading_threads.get(conversation_id, 0) + 1
        try:
            threads = await self._read(self.client.list_threads(conversation_id))
        finally:
            left = self._loading_threads.pop(conversation_id) - 1
            if left:
                self._loading_threads[conversation_id] = left
        self._keep_threads(conversation_id, threads)
        return self.store.thread_list(conversation_id)

    def _keep_threads(self, conversation_id: int, threads: list[Thread]) -> None:
        self.store.set_threads(conversation_id, threads)
        if self.cache is not None:
            self.cache.put_threads(conversation_id, threads)

    def trim_memory(self, keep_ids: Iterable[int] = ()) -> int:
        """After a refresh: let the store drop what no loaded view needs (see
        ``Store.evict_beyond``); unsent changes and conversations not yet saved to the
        cache stay. Returns how many conversations left memory."""
        keep = set(keep_ids) | self._unsaved
        keep.update(a.conversation_id for a in self.worker.pending_actions if a.conversation_id)
        return self.store.evict_beyond(keep)

    def cached_threads(self, conversation_id: int) -> list[Thread] | None:
        """Threads known without a request (memory, then disk); None when a fetch is due.

        Threads from disk count only while the conversation's thread count still matches.
        """
        conversation = self.store.get(conversation_id)
        if conversation_id in self.store.threads:
            loaded = self.store.threads[conversation_id]
            if conversation is not None and conversation.threads not in (None, len(loaded)):
                return None
            return self.store.thread_list(conversation_id)
        if self.cache is None:
            return None
        threads = self.cache.get_threads(conversation_id)
        if threads is None or conversation is None or conversation.threads != len(threads):
            return None
        self.store.set_threads(conversation_id, threads)
        return self.store.thread_list(conversation_id)

    def prefetch_threads(self, conversation_ids: Iterable[int]) -> list[asyncio.Task[None]]:
        """Fetch these conversations' threads in the background, a few at a time.

        Ones already known or on their way are skipped; when the agent scrolls faster than
        the fetches, the oldest waiting ones are dropped so the newest neighbours win.
        Returns the fetches started now (to await, e.g. to refresh a rate-limit display).
        """
        started: list[asyncio.Task[None]] = []
        loop = asyncio.get_running_loop()
        if self._prefetch_gate is None:
            self._prefetch_gate = asyncio.Semaphore(PREFETCH_CONCURRENCY)
        for ident in conversation_ids:
            if ident <= 0 or ident in self._prefetches or ident in self._loading_threads:
                continue
            if self.cached_threads(ident) is not None:
                continue
            task = loop.create_task(self._prefetch(ident))
            self._prefetches[ident] = task
            started.append(task)
        while len(self._prefetches) > PREFETCH_QUEUE:
            oldest = next(iter(self._prefetches))
            self._prefetches.pop(oldest).cancel()
        return started

    async def _prefetch(self, conversation_id: int) -> None:
        assert self._prefetch_gate is not None
        try:
            async with self._prefetch_gate:
                busy = conversation_id in self._loading_threads
                if busy or conversation_id in self.store.threads:
                    return
                if not self.budget.take():
                    return  # over the background share: the agent's enter still asks
                threads = await self._read(self.client.list_threads(conversation_id))
                self._keep_threads(conversation_id, threads)
        except HelpScoutError as exc:
            log.debug("prefetch of %s skipped: %s", conversation_id, type(exc).__name__)
        finally:
            if self._prefetches.get(conversation_id) is asyncio.current_task():
                del self._prefetches[conversation_id]

    @property
    def prefetching(self) -> int:
        """Thread fetches started in the background and not finished yet."""
        return len(self._prefetches)

    async def wait_prefetched(self) -> None:
        """Wait for the background fetches started so far (tests and benchmarks)."""
        while self._prefetches:
            await asyncio.gather(*list(self._prefetches.values()), return_exceptions=True)

    # --- search ----------------------------------------------------------------------

    def search_local(
        self, text: str, *, mailbox_id: int | None = None, limit: int = 500, phrase: bool = False
    ) -> list[Conversation]:
        """Cached conversations matching every word typed (prefixes), newest first; no request.

        Subject, customer name and email, tags and the text of threads read so far;
        ``phrase`` wants the words adjacent (a filter typed letter by letter).
        """
        if not text.strip():
            return []
        if self.cache is not None and self.cache.available:
            return self._cached_hits(
                *self._query_cache(self.cache, text, mailbox_id, limit, phrase)
            )
        return self._search_memory(text, mailbox_id, limit)

    async def search_local_off_loop(
        self, text: str, *, mailbox_id: int | None = None, limit: int = 500, phrase: bool = False
    ) -> list[Conversation]:
        """``search_local`` with its SQLite work (the FTS query, the rows not in memory) in a
        thread: a filter keystroke never waits for the disk or another hsinbox's lock."""
        cache = self.cache
        if not text.strip() or cache is None or not cache.available:
            return self.search_local(text, mailbox_id=mailbox_id, limit=limit, phrase=phrase)
        hits = await asyncio.to_thread(self._query_cache, cache, text, mailbox_id, limit, phrase)
        return self._cached_hits(*hits)

    def _query_cache(
        self, cache: Cache, text: str, mailbox_id: int | None, limit: int, phrase: bool
    ) -> tuple[list[int], dict[int, Conversation]]:
        """The cache's part of a local search; reads the store only by key (thread-safe)."""
        ids = cache.search(text, mailbox_id=mailbox_id, limit=limit, phrase=phrase)
        missing = [i for i in ids if i not in self.store.conversations]
        return ids, cache.get_conversations(missing) if missing else {}

    def _cached_hits(self, ids: list[int], found: dict[int, Conversation]) -> list[Conversation]:
        out = []
        for ident in ids:
            conversation = self.store.conversations.get(ident) or found.get(ident)
            if conversation is not None:
                out.append(conversation)
        return out

    def _search_memory(self, text: str, mailbox_id: int | None, limit: int) -> list[Conversation]:
        """Without a cache: the same prefix matching over what is loaded."""
        from hsinbox.inbox.cache import _WORD, strip_html

        words = _WORD.findall(text.lower())
        out: list[Conversation] = []
        for conversation in self.store.conversations.values():
            if mailbox_id is not None and conversation.mailbox_id != mailbox_id:
                continue
            customer = conversation.primary_customer
            parts = [conversation.subject or "", conversation.preview or ""]
            if customer is not None:
                parts += [customer.name, customer.email or ""]
            parts += conversation.tag_names
            parts += [strip_html(t.body) for t in self.store.threads.get(conversation.id, [])]
            tokens = _WORD.findall(" ".join(parts).lower())
            if all(any(t.startswith(w) for t in tokens) for w in words):
                out.append(conversation)
        out.sort(key=lambda c: (c.modified_at is not None, c.modified_at, c.id), reverse=True)
        return out[:limit]

    @staticmethod
    def search_view(text: str, mailbox_id: int | None = None) -> View:
        """Help Scout's search for the phrase (any status) as a view: paged like any other."""
        return View(mailbox_id, status="all", query=server_query(text))  # type: ignore[arg-type]

    async def search_server(
        self, text: str, *, mailbox_id: int | None = None
    ) -> list[Conversation]:
        """Page 1 of Help Scout's search for the phrase (any status); ``load_more`` on
        ``search_view(text, mailbox_id)`` asks the next. Results join store and cache."""
        if not text.strip():
            return []
        return await self.load_view(self.search_view(text, mailbox_id))

    async def count_views(self, views: Iterable[View], *, background: bool) -> dict[str, int]:
        """Each view's count from its page 1 (one request a view; the page is kept, so
        opening the view afterwards shows it at once). Background work (the refresh timer)
        asks the rate budget first and skips a view it refuses. Keyed by ``view.key``."""
        counts: dict[str, int] = {}
        for view in views:
            if background and not self.budget.take():
                continue
            await self.load_view(view)
            total = self.view_total(view)
            if total is not None:
                counts[view.key] = total
        return counts

    async def next_to_take(self, mailbox_id: int) -> Conversation | None:
        """The unassigned active conversation whose customer has waited longest, asked of
        Help Scout in one request (page 1, ``waitingSince`` ascending) so a colleague's
        take is seen and the answer holds over the whole mailbox, not the loaded rows.

        The mailbox's Unassigned folder when it has one, else the ``assigned:"Unassigned"``
        query; the candidate joins the store (with any unsent change on top).
        """
        params: dict[str, Any] = {
            "mailbox": mailbox_id,
            "status": "active",
            "sort_field": "waitingSince",
            "sort_order": "asc",
        }
        folder = next(
            (
                f
                for f in self.folders.get(mailbox_id, [])
                if (f.type or "").casefold() == "unassigned"
            ),
            None,
        )
        if folder is not None:
            params["folder"] = folder.id
        else:
            params["query"] = f"({field_phrase('assigned', 'Unassigned')})"
        page = await self._read(self.client.list_conversations(page=1, **params))
        chosen = longest_waiting_unassigned(page.items)
        if chosen is None:
            return None
        if chosen.id not in self.store.conversations:
            self.store.put_many([chosen])
            self.worker.reapply_pending()
        if self.cache is not None:
            self.cache.put_conversations([chosen])
        return self.store.conversations.get(chosen.id, chosen)

    async def load_customer(self, customer_id: int) -> Customer:
        customer = await self._read(self.client.get_customer(customer_id))
        self.store.set_customer(customer)
        return customer

    async def refresh_folders(self, mailbox_id: int, *, background: bool = False) -> list[Folder]:
        """The folders and their counts; ``background`` (a timer's) asks the budget first
        and keeps the counts it has when the budget says no."""
        if background and not self.budget.take():
            return self.folders.get(mailbox_id, [])
        folders = await self._read(self.client.list_folders(mailbox_id))
        changed = folders != self.folders.get(mailbox_id)
        self.folders[mailbox_id] = folders
        if changed and self._started:
            self._save_account()  # the next offline start shows these counts, not start's
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
        self._keep_threads(conversation_id, threads)
        return [t for t in threads if t.id not in seen]

    # --- writes ----------------------------------------------------------------------

    def reply_action(self, conversation: Conversation, text_html: str, **kwargs: Any) -> Reply:
        """A reply with the configured status-after-reply unless one is given."""
        kwargs.setdefault("status", self.settings.status_after_reply)
        return Reply.of(conversation, text_html, **kwargs)

    def submit(self, action: Action) -> bool:
        """Journal, apply locally, and queue for sending. Never raises for API trouble;
        False (with an ``ActionFailed``) when it was refused: read-only, or a full disk."""
        if self.settings.read_only:
            self._emit(
                ActionFailed(action, "hsinbox is in read-only mode, so nothing was changed.")
            )
            return False
        if not self.worker.submit(action):
            return False
        for sent in action.actions if isinstance(action, Bulk) else (action,):
            if sent.draft_key:
                # The text now travels in the action: the composer starts afresh, and the
                # confirmation deletes this revision only.
                try:
                    self.drafts.mark_queued(sent.draft_key, sent.id)
                except (OSError, ValueError):
                    log.warning("could not mark a sent draft")
        return True

    def cancel(self, action_id: str) -> bool:
        """Undo an action that has not been sent yet (its delay is still running)."""
        return self.worker.cancel(action_id)

    def resume(self) -> None:
        """Continue sending after the user signed in again."""
        self.worker.resume()

    async def sign_in_again(self) -> None:
        """Check the sign-in works again; raises ``HelpScoutError`` while it does not.

        A token saved since (``hsinbox auth login`` in another terminal) replaces the one in
        memory; with app credentials the client mints a fresh token on the next 401.
        """
        self.client.reload_token()
        await self._read(self.client.get_me())

    async def load_conversation(self, conversation_id: int) -> Conversation:
        """One conversation (e.g. a draft's, outside the open view) into the store."""
        known = self.store.get(conversation_id)
        if known is not None:
            return known
        conversation = await self._read(self.client.get_conversation(conversation_id))
        self.store.put_many([conversation])
        self.worker.reapply_pending()
        return self.store.get(conversation_id) or conversation

    async def open_by_number(self, number: int) -> Conversation | None:
        """The conversation with this number, in whichever mailbox it is: the store's copy,
        else one list request (``number=``, any status, no mailbox); None when there is none
        the agent can see. It joins the store (with any unsent change on top)."""
        known = next((c for c in self.store.conversations.values() if c.number == number), None)
        if known is not None:
            return known
        page = await self._read(self.client.list_conversations(number=number, status="all"))
        found = next((c for c in page.items if c.number == number), None)
        if found is None:
            return None
        self.store.put_many([found])
        self.worker.reapply_pending()
        if self.cache is not None:
            self.cache.put_conversations([found])
        return self.store.get(found.id) or found

    @property
    def queue_length(self) -> int:
        return self.worker.queue_length

    @property
    def pending_actions(self) -> list[Action]:
        return self.worker.pending_actions

    @property
    def online(self) -> bool:
        return self.worker.online

    async def drain(self) -> None:
        await self.worker.drain()

    def send_now(self) -> None:
        """Send the queue now, undo windows ended (quitting with "send now")."""
        if not self.settings.read_only:
            self.worker.send_now()

    async def close(self) -> None:
        """Stop the outbox; unsent actions stay in the journal for the next start."""
        if self._closed:
            return
        self._closed = True
        if self._account_fetch is not None:
            self._account_fetch.cancel()
            self._account_fetch = None
        self._drop_first_lists()
        for task in list(self._prefetches.values()):
            task.cancel()
        self._prefetches.clear()
        self._agent_day_close()
        await self.worker.close()
        self._journal.close()
        self._save_cache()
        if self.cache is not None:
            self.cache.close()

    def _save_cache(self) -> None:
        """Views as the agent left them, and conversations changed by confirmed actions."""
        if self.cache is None or self.cache.account is None:
            return
        for key, loaded in self.store.views.items():
            if loaded.ids or loaded.paged:
                self.cache.put_view(
                    key,
                    ViewState(ids=list(loaded.ids), newest=loaded.newest, probe=dict(loaded.probe)),
                )
        known = self.store.conversations
        self.cache.put_conversations([known[i] for i in self._unsaved if i in known])


async def _collect(pages: AsyncGenerator[Page[Conversation], None]) -> list[Page[Conversation]]:
    """Every page of a stream (closed at once if one fails, so none stays in flight)."""
    async with aclosing(pages) as stream:
        return [page async for page in stream]
