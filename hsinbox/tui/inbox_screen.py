"""The three-pane inbox: sidebar, conversation list, thread (and customer panel).

Widgets never talk to Help Scout: reads go through ``InboxSession`` in named workers, and every
change is an ``Action`` handed to ``session.submit``. The screen re-reads the session's store
whenever the write path reports an event, so optimistic changes and roll-backs show at once.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.coordinate import Coordinate
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Input, OptionList, Static

from hsinbox import paths
from hsinbox.helpscout.models import Conversation, Customer, NewConversation, NewThread, User
from hsinbox.inbox import actions as act
from hsinbox.inbox import events as ev
from hsinbox.inbox.drafts import Draft
from hsinbox.inbox.text import clean, markdown_to_html, safe_text
from hsinbox.inbox.view import View
from hsinbox.tui.clipboard import web_url
from hsinbox.tui.collision import EDIT, SEND, CollisionScreen, unseen_threads
from hsinbox.tui.compose import (
    Composed,
    ComposerScreen,
    CustomerEditScreen,
    CustomerForm,
    NewConversationFields,
    NewConversationForm,
    NewConversationScreen,
)
from hsinbox.tui.dialogs import (
    Choice,
    ConfirmScreen,
    PickerScreen,
    StatusPicker,
    TagEdit,
    TagsScreen,
)
from hsinbox.tui.drafts_screen import DraftsScreen
from hsinbox.tui.reauth import ReauthScreen
from hsinbox.tui.widgets import (
    SORTS,
    ConversationTable,
    Sidebar,
    StatusLine,
    ThreadView,
    ViewKey,
    render_customer,
)

if TYPE_CHECKING:
    from hsinbox.tui.app import HsInboxApp

WRITE_ACTIONS = {
    "reply",
    "note",
    "status",
    "close_next",
    "assign",
    "assign_me",
    "move",
    "tags",
    "delete",
    "new_conversation",
    "edit_customer",
    "take_next",
}
NEEDS_CONVERSATION = WRITE_ACTIONS - {"new_conversation", "take_next"} | {
    "open",
    "customer_panel",
    "copy_number",
    "copy_url",
    "open_web",
}


class InboxScreen(Screen[None]):
    """Sidebar · list · thread. Keys act on the marked conversations, else the cursor row."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]

    BINDINGS = [
        Binding("r", "reply", "Reply", id="reply"),
        Binding("n", "note", "Note", id="note"),
        Binding("s", "status", "Status", id="status"),
        Binding("e", "close_next", "Close+next", id="close_next"),
        Binding("a", "assign", "Assign", id="assign"),
        Binding("A", "assign_me", "Assign to me", id="assign_me", show=False),
        Binding("N", "take_next", "Take next", id="take_next", show=False),
        Binding("v", "move", "Move", id="move", show=False),
        Binding("t", "tags", "Tags", id="tags"),
        Binding("d", "delete", "Delete", id="delete", show=False),
        Binding("c", "new_conversation", "New", id="new_conversation", show=False),
        Binding("I", "edit_customer", "Edit customer", id="edit_customer", show=False),
        Binding("slash", "filter", "Filter", id="filter", show=False),
        Binding("R", "refresh", "Refresh", id="refresh", show=False),
        Binding("i", "customer_panel", "Customer", id="customer_panel", show=False),
        Binding("y", "copy_number", "Copy number", id="copy_number", show=False),
        Binding("Y", "copy_url", "Copy web link", id="copy_url", show=False),
        Binding("O", "open_web", "Open in browser", id="open_web", show=False),
        Binding("u", "undo", "Undo", id="undo"),
        Binding("D", "drafts", "Unsent drafts", id="drafts", show=False),
        Binding("tab", "next_pane", "Next pane", id="next_pane", show=False),
        Binding("shift+tab", "previous_pane", "Previous pane", id="previous_pane", show=False),
        Binding("question_mark", "help", "Help", id="help"),
        Binding("q", "back", "Back/quit", id="back"),
        Binding("escape", "back_only", "Back", id="back_only", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.view: View | None = None
        self.view_label = ""
        self.in_flight = 0
        self.queue_length = 0
        self.failures: list[str] = []
        self.online = True
        self.offline_reason = ""
        self.pending_undo: act.Action | None = None
        self.loading_view = False
        self.rate_wait: float | None = None
        self._rate_timer: Timer | None = None
        self.auth_needed = False
        self.last_result: Text | None = None
        self._failures_shown = 0
        self.customer: Customer | None = None
        self._show_timer: Timer | None = None
        self._prefetch_timer: Timer | None = None
        self._first_painted = False
        self.new_count = 0
        self._last_highlighted: int | None = None

    @property
    def inbox_app(self) -> HsInboxApp:
        return self.app  # type: ignore[return-value]

    @property
    def session(self) -> Any:
        return self.inbox_app.session

    # --- layout --------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        app = self.inbox_app
        settings = app.settings
        with Horizontal(id="panes"):
            yield Sidebar(id="sidebar")
            with Vertical(id="main"):
                yield Input(placeholder="filter: words, #number, tag…", id="filter")
                yield ConversationTable(
                    id="list",
                    now=app.now,
                    warn=settings.waiting_warn_minutes,
                    alert=settings.waiting_alert_minutes,
                )
                with Horizontal(id="reading"):
                    yield ThreadView(id="thread", now=app.now)
                    yield Static(id="customer")
        yield StatusLine(id="status-line")
        yield Footer()

    async def on_mount(self) -> None:
        self.query_one("#filter").display = False
        self.query_one("#customer").display = False
        self.query_one(ThreadView).show(None)
        self.query_one(ConversationTable).focus()
        self.update_status()
        self.start_session()

    @property
    def table(self) -> ConversationTable:
        return self.query_one(ConversationTable)

    @property
    def thread(self) -> ThreadView:
        return self.query_one(ThreadView)

    @property
    def narrow(self) -> bool:
        return self.has_class("-narrow")

    # --- start and views -----------------------------------------------------------------
    @work(exclusive=True, group="start", exit_on_error=False)
    async def start_session(self) -> None:
        self.loading_view = True
        self.update_status("Connecting to Help Scout…")
        painted = self.paint_from_cache()
        try:
            await self.session.start()
        except Exception as exc:
            self.loading_view = False
            self.fail(f"Could not load your mailboxes: {exc}")
            return
        self.session.subscribe(self.inbox_app.session_callback)
        # What start() resumed from the journal was announced before we listened.
        self.queue_length = self.session.queue_length
        self.online = self.session.online
        self.fill_sidebar()
        view = self.initial_view()
        if view is not None and painted and view == self.view:
            # The list is already on screen from the cache: only ask what changed.
            self.select_view_in_sidebar(view)
            self.load_list(view)
        elif view is not None:
            self.open_view(view)
        else:
            self.loading_view = False
            self.update_status("No mailboxes.")

    def paint_from_cache(self) -> bool:
        """Show the last view as cached before Help Scout answers; True when painted."""
        restore = getattr(self.session, "restore", None)
        if restore is None or not restore():
            return False
        self.fill_sidebar()
        view = self.initial_view()
        rows = self.session.cached_view(view) if view is not None else None
        if view is None or rows is None:
            return False
        self.view = view
        self.view_label = self.describe_view(view)
        self.table.set_conversations(rows)
        self.select_view_in_sidebar(view)
        self.mark_first_paint()
        self.update_status()
        return True

    def select_view_in_sidebar(self, view: View) -> None:
        self.query_one(Sidebar).select_view(ViewKey(view.mailbox_id, view.folder_id))

    def mark_first_paint(self) -> None:
        """For benchmarks: write the time the list first painted to $HSINBOX_BENCH_MARKER."""
        if self._first_painted or not self.table.row_count:
            return
        self._first_painted = True
        marker = os.environ.get("HSINBOX_BENCH_MARKER")
        if marker:
            self.call_after_refresh(write_marker, marker)

    def fill_sidebar(self) -> None:
        self.query_one(Sidebar).set_mailboxes(
            list(self.session.mailboxes), dict(self.session.folders)
        )

    def initial_view(self) -> View | None:
        mailboxes = list(self.session.mailboxes)
        if not mailboxes:
            return None
        state = self.inbox_app.load_state()
        ids = {m.id for m in mailboxes}
        mailbox_id = state.get("mailbox_id")
        if isinstance(mailbox_id, int) and mailbox_id in ids:
            folder_id = state.get("folder_id")
            folders = {f.id for f in self.session.folders.get(mailbox_id, [])}
            return View(mailbox_id, folder_id if folder_id in folders else None)
        settings = self.inbox_app.settings
        chosen = mailboxes[0]
        wanted = settings.default_mailbox
        for mailbox in mailboxes:
            if wanted is not None and (mailbox.id == wanted or mailbox.name == wanted):
                chosen = mailbox
        folder_id = None
        if settings.default_folder:
            for folder in self.session.folders.get(chosen.id, []):
                if (folder.name or "").casefold() == settings.default_folder.casefold():
                    folder_id = folder.id
        return View(chosen.id, folder_id)

    def describe_view(self, view: View) -> str:
        mailbox = next((m for m in self.session.mailboxes if m.id == view.mailbox_id), None)
        name = safe_text(mailbox.name if mailbox else f"Mailbox {view.mailbox_id}").plain
        if view.folder_id is None:
            return f"{name} / active"
        folder = next(
            (f for f in self.session.folders.get(view.mailbox_id, []) if f.id == view.folder_id),
            None,
        )
        return f"{name} / {safe_text(folder.name if folder else str(view.folder_id)).plain}"

    def open_view(self, view: View) -> None:
        self.view = view
        self.view_label = self.describe_view(view)
        self.table.marked.clear()
        cached = self.session.store.view_conversations(view)
        if not cached:
            cached = getattr(self.session, "cached_view", lambda _view: None)(view) or []
        self.table.set_conversations(cached)
        self.query_one(Sidebar).select_view(ViewKey(view.mailbox_id, view.folder_id))
        self.inbox_app.save_state({"mailbox_id": view.mailbox_id, "folder_id": view.folder_id})
        self.load_list(view)

    @work(exclusive=True, group="list", exit_on_error=False)
    async def load_list(self, view: View, full: bool = False) -> None:
        """Ask only for what changed since the view was last seen; ``full`` reloads it all."""
        self.loading_view = True
        self.update_status()
        refresh = None if full else getattr(self.session, "refresh_view", None)
        try:
            if refresh is not None:
                await refresh(view)
                conversations = self.session.store.view_conversations(view)
            else:
                conversations = await self.session.load_view(view)
        except Exception as exc:
            self.loading_view = False
            self.fail(f"Could not load {self.view_label}: {exc}")
            return
        self.loading_view = False
        if self.view != view:
            return
        self.repaint_list(conversations)
        self.mark_first_paint()
        self.update_status()
        if not self.narrow:
            self.show_current()

    def repaint_list(self, conversations: list[Conversation]) -> None:
        """New rows, same highlighted conversation at the same line of the screen."""
        table = self.table
        offset = table.cursor_row - round(table.scroll_y) if table.row_count else 0
        table.set_conversations(conversations)
        if table.row_count and offset >= 0:
            target = max(0, table.cursor_row - offset)
            self.call_after_refresh(table.scroll_to, y=target, animate=False)

    def refresh_on_timer(self) -> None:
        """The timer's refresh: one request when nothing changed, a notice when rows arrive."""
        if self.view is None or self.loading_view:
            return
        if getattr(self.session, "refresh_view", None) is None:
            self.action_refresh()
            return
        self._refresh_quietly(self.view)

    @work(exclusive=True, group="quiet-refresh", exit_on_error=False)
    async def _refresh_quietly(self, view: View) -> None:
        try:
            result = await self.session.refresh_view(view)
        except Exception:
            return  # offline and rate-limit states reach the status line through events
        if self.view != view:
            return
        self.repaint_list(self.session.store.view_conversations(view))
        if result.new:
            self.new_count += len(result.new)
            noun = "conversation" if len(result.new) == 1 else "conversations"
            self.notify(markup=False, message=f"{len(result.new)} new {noun}.", timeout=4)
        conv = self.thread.conversation
        if conv is not None and conv.id in {c.id for c in result.changed}:
            self.load_thread(conv.id)
        if result.new or result.changed or result.removed:
            self.refresh_folders()
        self.update_status()

    def refresh_from_store(self) -> None:
        """Re-read the store: optimistic changes and roll-backs land here."""
        if self.view is None:
            return
        self.table.set_conversations(self.session.store.view_conversations(self.view))
        conv = self.thread.conversation
        if conv is not None:
            fresh = self.session.store.get(conv.id)
            if fresh is not None:
                self.thread.show(fresh, self.session.store.thread_list(conv.id))
            elif conv.id not in self.table.conversations:
                self.thread.show(None)
        if self.customer is not None:
            fresh_customer = self.session.store.customers.get(self.customer.id)
            if fresh_customer is not None:
                self.customer = fresh_customer
                self.query_one("#customer", Static).update(render_customer(fresh_customer))
        self.update_status()

    # --- thread --------------------------------------------------------------------------
    def show_current(self) -> None:
        conv = self.table.current
        if conv is None:
            self.thread.show(None)
            return
        if self.thread.conversation is None or self.thread.conversation.id != conv.id:
            known = getattr(self.session, "cached_threads", lambda _id: None)(conv.id)
            if known is not None:
                # Prefetched (or read before) and unchanged since: no request at all.
                self.thread.show(conv, known)
                self.thread.scroll_home(animate=False)
            else:
                cached = self.session.store.thread_list(conv.id)
                self.thread.show(conv, cached or None)
                self.thread.scroll_home(animate=False)
                self.load_thread(conv.id)
        if self.query_one("#customer").display:
            self.load_customer_panel()

    @work(exclusive=True, group="thread", exit_on_error=False)
    async def load_thread(self, conversation_id: int) -> None:
        try:
            threads = await self.session.load_threads(conversation_id)
        except Exception as exc:
            if self.thread.conversation and self.thread.conversation.id == conversation_id:
                self.thread.show(self.thread.conversation, [])
            self.fail(f"Could not load the conversation's messages: {exc}")
            return
        current = self.thread.conversation
        if current is not None and current.id == conversation_id:
            fresh = self.session.store.get(conversation_id) or current
            self.thread.show(fresh, list(threads))

    @on(DataTable.RowHighlighted, "#list")
    def _highlighted(self) -> None:
        # Holding j must not render every conversation it passes: wait for the cursor to rest.
        if self._show_timer is not None:
            self._show_timer.stop()
        delay = self.inbox_app.preview_delay
        if not self.narrow and delay > 0:
            self._show_timer = self.set_timer(delay, self._show_rested)
        elif not self.narrow:
            self.show_current()
        if self.table.current_id != self._last_highlighted:
            # The agent moved: the "N new" notice has been seen. A repaint keeps the row.
            self._last_highlighted = self.table.current_id
            self.new_count = 0
        self._schedule_prefetch()
        self.update_status()

    def _schedule_prefetch(self) -> None:
        if self._prefetch_timer is not None:
            self._prefetch_timer.stop()
            self._prefetch_timer = None
        delay = self.inbox_app.preview_delay
        if delay > 0:
            self._prefetch_timer = self.set_timer(delay, self.prefetch_neighbours)
        else:
            self.prefetch_neighbours()

    def prefetch_neighbours(self) -> None:
        """The rows around the cursor load in the background, so j/k then enter is instant."""
        self._prefetch_timer = None
        prefetch = getattr(self.session, "prefetch_threads", None)
        table = self.table
        if prefetch is None or not table.row_count:
            return
        row = table.cursor_row
        ids: list[int] = []
        for index in (row, row + 1, row - 1):
            if 0 <= index < table.row_count:
                key = table.coordinate_to_cell_key(Coordinate(index, 0)).row_key.value
                if key is not None:
                    ids.append(int(key))
        started = prefetch(ids)
        if started:
            self._after_prefetch(started)

    @work(group="prefetch", exit_on_error=False)
    async def _after_prefetch(self, tasks: list[Any]) -> None:
        """The rate budget on the status line counts the background fetches too."""
        await asyncio.gather(*tasks, return_exceptions=True)
        self.update_status()

    def _show_rested(self) -> None:
        self._show_timer = None
        self.show_current()

    @on(DataTable.RowSelected, "#list")
    def _selected(self) -> None:
        self.action_open()

    @on(OptionList.OptionSelected, "#sidebar")
    def _view_chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is None:
            return
        key = ViewKey.from_option_id(event.option.id)
        self.open_view(View(key.mailbox_id, key.folder_id))
        self.set_focus(self.table)
        self.remove_class("sidebar-open")

    # --- filter --------------------------------------------------------------------------
    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.table.filter_text = event.value
        self.table.match_ids = self.local_matches(event.value)
        self.table.set_conversations(list(self.table.conversations.values()))
        self.update_status()

    def local_matches(self, text: str) -> set[int]:
        """Conversations of this mailbox whose cached text (threads too) holds the phrase."""
        search = getattr(self.session, "search_local", None)
        if search is None or self.view is None or not text.strip():
            return set()
        found = search(text, mailbox_id=self.view.mailbox_id, phrase=True)
        return {c.id for c in found}

    @on(Input.Submitted, "#filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        self.table.focus()
        if event.value.strip() and hasattr(self.session, "search_server"):
            self.search_server(event.value)

    @work(exclusive=True, group="search", exit_on_error=False)
    async def search_server(self, text: str) -> None:
        """Enter: Help Scout's search for what the cache lacks, merged into the list."""
        view = self.view
        if view is None:
            return
        self.update_status("Searching Help Scout…")
        try:
            found = await self.session.search_server(text, mailbox_id=view.mailbox_id)
        except Exception as exc:
            self.fail(f"Search failed: {exc}")
            return
        if self.view != view or self.table.filter_text != text:
            return
        rows = dict(self.table.conversations)
        extra = [c for c in found if c.id not in rows]
        rows.update({c.id: c for c in extra})
        self.table.match_ids = self.table.match_ids | {c.id for c in found}
        self.table.set_conversations(list(rows.values()))
        noun = "conversation" if len(extra) == 1 else "conversations"
        self.notify(markup=False, message=f"Help Scout found {len(extra)} more {noun}.", timeout=3)
        self.update_status()

    def clear_filter(self) -> bool:
        box = self.query_one("#filter", Input)
        if not box.display and not box.value:
            return False
        box.value = ""
        box.display = False
        self.table.filter_text = ""
        self.table.match_ids = set()
        if self.view is not None:
            # Search results from other views leave with the filter.
            self.table.set_conversations(self.session.store.view_conversations(self.view))
        else:
            self.table.set_conversations(list(self.table.conversations.values()))
        self.table.focus()
        return True

    def action_sort(self) -> None:
        label = self.table.cycle_sort()
        self.notify(markup=False, message=f"Sorted: {label}.", timeout=2)
        self.update_status()

    def action_sort_waiting(self) -> None:
        """Longest waiting first; pressed again, back to newest first."""
        name = "updated" if SORTS[self.table.sort_index][0] == "waiting" else "waiting"
        label = self.table.sort_by(name)
        self.notify(markup=False, message=f"Sorted: {label}.", timeout=2)
        self.update_status()

    def action_toggle_mark(self) -> None:
        self.table.toggle_mark()
        self.update_status()

    def action_toggle_quoted(self) -> None:
        self.thread.toggle_quoted()

    # --- navigation ----------------------------------------------------------------------
    def action_open(self) -> None:
        if self.table.current is None:
            return
        self.thread.conversation = None  # force a reload of the threads
        self.show_current()
        self.add_class("thread-open")
        self.thread.focus()

    def panes(self) -> list[Any]:
        return [self.query_one(Sidebar), self.table, self.thread]

    def _focus_pane(self, index: int) -> None:
        pane = self.panes()[index]
        if pane is self.query_one(Sidebar):
            self.add_class("sidebar-open")
        else:
            self.remove_class("sidebar-open")
        if pane is self.thread:
            if self.thread.conversation is None:
                self.show_current()
            self.add_class("thread-open")
        elif pane is self.table:
            self.remove_class("thread-open")
        pane.focus()

    def _pane_index(self) -> int:
        focused = self.focused
        for i, pane in enumerate(self.panes()):
            if focused is pane:
                return i
        return 1

    def action_next_pane(self) -> None:
        self._focus_pane((self._pane_index() + 1) % 3)

    def action_previous_pane(self) -> None:
        self._focus_pane((self._pane_index() - 1) % 3)

    def action_back(self) -> None:
        if not self.action_back_only():
            self.app.exit()

    def action_back_only(self) -> bool:
        if self.focused is self.query_one("#filter"):
            self.clear_filter()
            return True
        if self.focused is self.thread or self.focused is self.query_one(Sidebar):
            self._focus_pane(1)
            return True
        if self.clear_filter():
            return True
        if self.table.marked:
            self.table.marked.clear()
            self.table.set_conversations(list(self.table.conversations.values()))
            self.update_status()
            return True
        return False

    def action_refresh(self) -> None:
        if self.view is not None:
            self.load_list(self.view, full=True)
            conv = self.thread.conversation
            if conv is not None:
                self.load_thread(conv.id)
            self.refresh_folders()

    @work(exclusive=True, group="folders", exit_on_error=False)
    async def refresh_folders(self) -> None:
        if self.view is None:
            return
        try:
            await self.session.refresh_folders(self.view.mailbox_id)
        except Exception:
            return
        self.fill_sidebar()

    def action_customer_panel(self) -> None:
        panel = self.query_one("#customer", Static)
        panel.display = not panel.display
        if panel.display:
            self.load_customer_panel()

    def load_customer_panel(self) -> None:
        conv = self.table.current or self.thread.conversation
        panel = self.query_one("#customer", Static)
        if conv is None or conv.primary_customer is None or conv.primary_customer.id is None:
            panel.update(Text("No customer on this conversation.", "dim"))
            return
        cached = self.session.store.customers.get(conv.primary_customer.id)
        panel.update(render_customer(cached))
        self.customer = cached
        self.load_customer(conv.primary_customer.id)

    @work(exclusive=True, group="customer", exit_on_error=False)
    async def load_customer(self, customer_id: int) -> Customer | None:
        try:
            customer = await self.session.load_customer(customer_id)
        except Exception as exc:
            self.fail(f"Could not load the customer: {exc}")
            return None
        self.customer = customer
        self.query_one("#customer", Static).update(render_customer(customer))
        return customer

    def action_help(self) -> None:
        self.inbox_app.show_help()

    # --- status line ---------------------------------------------------------------------
    def update_status(self, note: str | None = None) -> None:
        session = self.session
        parts: list[Text] = []
        me = getattr(session, "me", None)
        if me is not None:
            parts.append(safe_text(getattr(me, "name", "") or "", "bold"))
        if self.inbox_app.read_only:
            parts.append(Text("READ-ONLY", "bold reverse"))
        if note:
            parts.append(Text(note))
        elif self.view is not None:
            shown = self.table.row_count
            total = len(self.table.conversations)
            count = f"{shown}" if shown == total else f"{shown} of {total}"
            view = Text(self.view_label + f" ({count})", end="")
            if self.loading_view:
                view.append(" loading…", "italic")
            if self.new_count:
                view.append(f" · {self.new_count} new", "bold")
            parts.append(view)
        if self.table.sort_index:
            parts.append(Text(f"sort: {SORTS[self.table.sort_index][1]}"))
        if self.table.marked:
            parts.append(Text(f"{len(self.table.marked)} marked", "bold"))
        if not self.online:
            parts.append(Text(f"offline · {self.queue_length} queued", "bold reverse yellow"))
        elif self.auth_needed:
            parts.append(Text(f"sign-in needed · {self.queue_length} queued", "bold reverse red"))
        elif self.queue_length:
            parts.append(Text(f"sending · {self.queue_length} queued", "italic"))
        if self.failures and len(self.failures) > self._failures_shown:
            parts.append(Text(f"✗ {self.failures[-1]}", "bold red"))
        elif self.last_result is not None:
            parts.append(self.last_result)
        client = getattr(session, "client", None)
        remaining = getattr(client, "rate_limit_remaining", None)
        if remaining is not None:
            parts.append(Text(f"API {remaining} left", "dim"))
        if self.rate_wait:
            parts.append(Text(f"rate-limited, waiting {self.rate_wait:.0f}s", "bold yellow"))
        if self.pending_undo is not None:
            hint = Text("u to undo: ", "bold", end="")
            hint.append(safe_text(self.pending_undo.describe()))
            parts.append(hint)
        self.query_one(StatusLine).show(parts)

    def fail(self, message: str) -> None:
        self.failures.append(message)
        self.notify(markup=False, message=clean(message), severity="error", timeout=8)
        self.update_status()

    # --- session events ------------------------------------------------------------------
    def handle_event(self, event: Any) -> None:
        if isinstance(event, ev.ActionApplied):
            if event.action.delay_eligible and self.inbox_app.settings.undo_delay > 0:
                self.pending_undo = event.action
        elif isinstance(event, ev.ActionConfirmed):
            self._settled(event.action)
            self._show_result(Text(f"✓ {clean(event.message)}", "green"))
            self.notify(markup=False, message=clean(event.message), timeout=3)
            if isinstance(event.action, act.CreateConversation) and self.view is not None:
                self.load_list(self.view)
        elif isinstance(event, ev.ActionFailed):
            self._settled(event.action)
            self.failures.append(clean(event.message))
            self.notify(markup=False, message=clean(event.message), severity="error", timeout=10)
        elif isinstance(event, ev.ActionCancelled):
            self._settled(event.action)
            self.notify(markup=False, message=clean(event.message), timeout=3)
        elif isinstance(event, ev.BulkFinished):
            self._settled(event.bulk)
            severity = "error" if event.failed else "information"
            if event.failed:
                self.failures.append(clean(event.summary))
            else:
                self._show_result(Text(f"✓ {clean(event.summary)}", "green"))
            self.notify(
                markup=False,
                message=clean(event.summary),
                severity=severity,
                timeout=8 if event.failed else 4,
            )
        elif isinstance(event, ev.QueueChanged):
            self.queue_length = event.length
        elif isinstance(event, ev.ConnectionChanged):
            self.online = event.online
            self.offline_reason = event.reason
            if not event.online:
                self.notify(
                    markup=False,
                    message=f"Help Scout is unreachable ({event.reason or 'no connection'}); "
                    "changes wait in the queue.",
                    severity="warning",
                )
            else:
                self.notify(markup=False, message="Back online; sending queued changes.", timeout=3)
        elif isinstance(event, ev.RateLimitWait):
            self._rate_limited(event.seconds)
        elif isinstance(event, ev.AuthRequired):
            self._ask_sign_in(event.reason)
        self.refresh_from_store()

    def _show_result(self, line: Text) -> None:
        """The latest landed result replaces older failures on the status line."""
        self.last_result = line
        self._failures_shown = len(self.failures)

    def _rate_limited(self, seconds: float) -> None:
        self.rate_wait = max(seconds, 1.0)
        self.notify(
            markup=False,
            message=f"Help Scout rate limit reached; waiting {self.rate_wait:.0f} s.",
            severity="warning",
            timeout=max(self.rate_wait, 3.0),
        )
        if self._rate_timer is not None:
            self._rate_timer.stop()
        self._rate_timer = self.set_interval(1.0, self._rate_tick)

    def _rate_tick(self) -> None:
        """Count the shown wait down; the worker does the real waiting."""
        if self.rate_wait is not None:
            self.rate_wait -= 1.0
            if self.rate_wait <= 0:
                self.rate_wait = None
        if self.rate_wait is None and self._rate_timer is not None:
            self._rate_timer.stop()
            self._rate_timer = None
        self.update_status()

    def _ask_sign_in(self, reason: str) -> None:
        """Pause for a sign-in: a modal on top of everything, which keeps what is below."""
        self.auth_needed = True
        self.failures.append(clean(f"Sign-in stopped working: {reason}"))
        if any(isinstance(s, ReauthScreen) for s in self.app.screen_stack):
            return

        def done(signed_in: bool | None) -> None:
            if signed_in:
                self.auth_needed = False
                self._show_result(Text("✓ Signed in again; sending the queue.", "green"))
                self.notify(markup=False, message="Signed in again.", timeout=3)
            self.update_status()

        self.app.push_screen(ReauthScreen(self.session, reason, self.queue_length), done)

    def action_drafts(self) -> None:
        store = self.session.drafts

        def describe(conversation_id: int) -> Text:
            conv = self.session.store.get(conversation_id)
            if conv is None:
                return Text(f"conversation {conversation_id}", "dim")
            label = Text(f"#{conv.number or conv.id} ", end="")
            subject = safe_text(conv.subject or "(no subject)")
            subject.truncate(40, overflow="ellipsis")
            label.append(subject)
            return label

        def done(draft: Draft | None) -> None:
            if draft is not None:
                self.resume_draft(draft)

        self.app.push_screen(DraftsScreen(store, describe), done)

    @work(group="resume-draft", exit_on_error=False)
    async def resume_draft(self, draft: Draft) -> None:
        """Open the composer or form the draft was written in, its text restored."""
        if draft.conversation_id is None:
            if self.inbox_app.read_only:
                self.explain_read_only("New conversation")
            else:
                self.action_new_conversation()
            return
        try:
            conv = await self.session.load_conversation(draft.conversation_id)
        except Exception as exc:
            self.fail(f"Could not open the draft's conversation: {exc}")
            return
        if conv.id in self.table.conversations:
            self.table.go_to(conv.id)
        self._open_composer(draft.kind, conv)

    def _settled(self, action: act.Action) -> None:
        if self.pending_undo is not None and self.pending_undo.id == action.id:
            self.pending_undo = None
        if (
            self.pending_undo is not None
            and isinstance(action, act.Bulk)
            and any(a.id == self.pending_undo.id for a in action.actions)
        ):
            self.pending_undo = None

    # --- actions -------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in WRITE_ACTIONS and self.inbox_app.read_only:
            return None
        if action in NEEDS_CONVERSATION and self.table.current is None:
            return None
        if action == "undo" and self.pending_undo is None:
            return None
        return True

    @on(events.Key)
    def _read_only_key(self, event: events.Key) -> None:
        """A change key in read-only mode says why nothing happens instead of doing nothing."""
        if not self.inbox_app.read_only or self.app.screen is not self:
            return
        active = self.active_bindings.get(event.key)
        if active is None or active.enabled:
            return
        action = active.binding.action.removeprefix("screen.")
        if action in WRITE_ACTIONS:
            event.stop()
            event.prevent_default()
            self.explain_read_only(active.binding.description)

    def explain_read_only(self, what: str) -> None:
        self.notify(
            markup=False,
            message=f"{what} is off: hsinbox runs read-only (--read-only), nothing is changed.",
            severity="warning",
            timeout=4,
        )

    def submit(self, action: act.Action) -> None:
        if self.inbox_app.read_only:
            self.explain_read_only(action.describe())
            return
        try:
            self.session.submit(action)
        except Exception as exc:
            self.fail(f"{action.describe()} could not start: {exc}")
            return
        self.refresh_from_store()

    def targets(self) -> list[Conversation]:
        return self.table.targets()

    def submit_each(self, items: list[act.Action]) -> None:
        if not items:
            return
        if len(items) == 1:
            self.submit(items[0])
        else:
            self.submit(act.Bulk(tuple(items)))
            self.table.marked.clear()

    def action_undo(self) -> None:
        action = self.pending_undo
        if action is None:
            self.notify(markup=False, message="Nothing to undo.", timeout=2)
            return
        if not self.session.cancel(action.id):
            self.notify(
                markup=False, message="Too late to undo: it was already sent.", severity="warning"
            )
        self.pending_undo = None
        self.refresh_from_store()

    # compose
    def _drafts(self) -> Any:
        return self.session.drafts

    def action_reply(self) -> None:
        self._open_composer("reply")

    def action_note(self) -> None:
        self._open_composer("note")

    def _open_composer(
        self,
        kind: str,
        conversation: Conversation | None = None,
        seen: frozenset[int] | None = None,
    ) -> None:
        conv = conversation or self.table.current or self.thread.conversation
        if conv is None:
            return
        # What the agent has seen when they start writing: the send-time check compares.
        opened_at = datetime.now(UTC)
        known = self.session.store.threads.get(conv.id)
        if known is not None:
            seen = (seen or frozenset()) | frozenset(t.id for t in known)
        if kind == "reply" and (conv.primary_customer is None or conv.primary_customer.id is None):
            self.notify(
                markup=False,
                message="This conversation has no customer to reply to.",
                severity="warning",
            )
            return
        drafts = self._drafts()
        saved = drafts.load(conv.id, kind)
        initial = saved.text if saved else ""
        if not saved and kind == "reply" and self.inbox_app.settings.signature:
            initial = "\n\n" + self.inbox_app.settings.signature
        settings = self.inbox_app.settings
        default_status = settings.status_after_reply if kind == "reply" else conv.status
        if default_status not in ("active", "pending", "closed"):
            default_status = "active"

        def save(text: str) -> None:
            if text.strip():
                drafts.save(Draft(conversation_id=conv.id, kind=kind, text=text))
            else:
                drafts.delete(conv.id, kind)

        def done(result: Composed | None) -> None:
            if result is None:
                return
            save(result.body)
            key = drafts.load(conv.id, kind)
            draft_key = key.key if key else None
            html = markdown_to_html(result.body)
            fresh = self.session.store.get(conv.id) or conv
            try:
                if result.kind == "reply":
                    action: act.Action = act.Reply.of(
                        fresh,
                        html,
                        cc=result.cc,
                        bcc=result.bcc,
                        status=result.status,
                        draft=result.draft,
                        draft_key=draft_key,
                    )
                else:
                    status = result.status if result.status != fresh.status else None
                    action = act.Note(
                        fresh.id, html, status, number=fresh.number, draft_key=draft_key
                    )
            except ValueError as exc:
                self.fail(str(exc))
                return
            self.check_and_send(action, kind, conv.id, seen, opened_at)

        self.app.push_screen(
            ComposerScreen(
                kind,
                conv,
                initial=initial,
                default_status=default_status,
                save_draft=save,
                editor=self.inbox_app.editor,
                debounce=self.inbox_app.draft_debounce,
            ),
            done,
        )

    @work(group="collision", exit_on_error=False)
    async def check_and_send(
        self,
        action: act.Action,
        kind: str,
        conversation_id: int,
        seen: frozenset[int] | None,
        opened_at: datetime,
    ) -> None:
        """Hold a reply or note back when someone else wrote in the conversation meanwhile.

        The text is already in its draft; a failed check sends anyway (the outbox queues it
        while Help Scout is unreachable) rather than losing or sitting on it.
        """
        try:
            threads = await self.session.new_threads_since(conversation_id, seen or frozenset())
        except Exception as exc:
            self.notify(
                markup=False,
                message=clean(f"Could not check for new messages ({exc}); sending anyway."),
                severity="warning",
            )
            self.submit(action)
            return
        me = self.session.me
        unseen = unseen_threads(
            threads, seen, me_id=me.id if me is not None else None, opened_at=opened_at
        )
        if not unseen:
            self.submit(action)
            return
        self.refresh_from_store()
        choice = await self.app.push_screen_wait(CollisionScreen(kind, unseen))
        if choice == SEND:
            self.submit(action)
        elif choice == EDIT:
            conv = self.session.store.get(conversation_id)
            if conv is not None:
                known = frozenset(t.id for t in threads) | (seen or frozenset())
                self._open_composer(kind, conv, known)
        else:
            self.notify(markup=False, message="Not sent; your text is kept as a draft.", timeout=4)

    # status
    def action_status(self) -> None:
        targets = self.targets()
        if not targets:
            return
        title = self._title("Set status of", targets)
        current = targets[0].status if len(targets) == 1 else None

        def done(status: str | None) -> None:
            if status:
                self.submit_each(
                    [act.SetStatus.of(c, status) for c in targets if c.status != status]
                )

        self.app.push_screen(StatusPicker(title, current), done)

    def action_close_next(self) -> None:
        conv = self.table.current
        if conv is None:
            return
        nxt = self.table.next_id_after(conv.id)
        if conv.status != "closed":
            self.submit(act.SetStatus.of(conv, "closed"))
        if nxt is not None:
            self.table.go_to(nxt)
            self.thread.conversation = None
            if not self.narrow or self.has_class("thread-open"):
                self.show_current()

    # assign
    def users_for(self, mailbox_id: int | None) -> list[User]:
        if mailbox_id is None:
            return list(self.session.users)
        return list(self.session.users_for_mailbox(mailbox_id))

    def action_assign(self) -> None:
        targets = self.targets()
        if not targets:
            return
        me = self.session.me
        users = self.users_for(targets[0].mailbox_id)
        choices = []
        if me is not None:
            label = Text("me  ", "bold", end="")
            label.append(safe_text(me.name, "dim"))
            choices.append(Choice(str(me.id), label, f"me {me.name} {me.email or ''}"))
        for user in users:
            if me is not None and user.id == me.id:
                continue
            label = safe_text(user.name)
            if user.email:
                label.append("  ")
                label.append(safe_text(user.email, "dim"))
            choices.append(Choice(str(user.id), label, f"{user.name} {user.email or ''}"))
        choices.append(Choice("none", Text("Unassign", "italic"), "unassign nobody none"))
        known = {u.id: u for u in users}
        if me is not None:
            known.setdefault(me.id, me)

        def done(value: str | None) -> None:
            if value is None:
                return
            user = None if value == "none" else known.get(int(value))
            self.submit_each([act.Assign.of(c, user) for c in targets])

        self.app.push_screen(PickerScreen(self._title("Assign", targets), choices), done)

    def action_assign_me(self) -> None:
        targets = self.targets()
        me = self.session.me
        if not targets or me is None:
            return
        self.submit_each([act.Assign.of(c, me) for c in targets])

    # take next
    def action_take_next(self) -> None:
        if self.view is None:
            return
        me = self.session.me
        if me is None:
            self.notify(markup=False, message="Still signing in; try again in a moment.")
            return
        self._take_next(self.view.mailbox_id, me)

    @work(exclusive=True, group="take-next", exit_on_error=False)
    async def _take_next(self, mailbox_id: int, me: User) -> None:
        """Ask for the mailbox's active list afresh, so a colleague's take is seen."""
        try:
            active = await self.session.load_view(View(mailbox_id))
        except Exception as exc:
            self.fail(f"Could not load the mailbox to take the next conversation: {exc}")
            return
        chosen = longest_waiting_unassigned(active)
        if chosen is None:
            self.notify(
                markup=False,
                message="Nothing to take: no unassigned active conversation in this mailbox.",
                timeout=4,
            )
            return
        self.submit(act.Assign.of(chosen, me))
        self.open_conversation(self.session.store.get(chosen.id) or chosen)

    def open_conversation(self, conv: Conversation) -> None:
        """Open a conversation in the thread pane, whether or not the list shows it."""
        self.table.go_to(conv.id)
        self.thread.conversation = None
        if self.table.current is not None and self.table.current.id == conv.id:
            self.show_current()
        else:
            self.thread.show(conv, self.session.store.thread_list(conv.id) or None)
            self.thread.scroll_home(animate=False)
            self.load_thread(conv.id)
        self.add_class("thread-open")
        self.thread.focus()

    # copy and open
    def _current_conversation(self) -> Conversation | None:
        if self.focused is self.thread and self.thread.conversation is not None:
            return self.thread.conversation
        return self.table.current or self.thread.conversation

    def action_copy_number(self) -> None:
        conv = self._current_conversation()
        if conv is None:
            return
        number = str(conv.number or conv.id)
        self.app.copy_to_clipboard(number)
        self.notify(markup=False, message=f"Copied #{number} (OSC 52).", timeout=3)

    def action_copy_url(self) -> None:
        conv = self._current_conversation()
        if conv is None:
            return
        url = web_url(conv.id, conv.number)
        self.app.copy_to_clipboard(url)
        self.notify(markup=False, message=f"Copied {url} (OSC 52).", timeout=3)

    def action_open_web(self) -> None:
        conv = self._current_conversation()
        if conv is None:
            return
        url = web_url(conv.id, conv.number)
        if self.inbox_app.open_in_browser(url):
            self.notify(markup=False, message=f"Opened {url}", timeout=3)
        else:
            self.notify(
                markup=False,
                message=f"No browser here; the conversation is at {url} (Y copies it).",
                timeout=10,
            )

    # move
    def action_move(self) -> None:
        targets = self.targets()
        if not targets:
            return
        here = {c.mailbox_id for c in targets}
        choices = [
            Choice(str(m.id), safe_text(m.name or str(m.id)), m.name or "")
            for m in self.session.mailboxes
            if not (len(here) == 1 and m.id in here)
        ]
        names = {m.id: m.name for m in self.session.mailboxes}

        def done(value: str | None) -> None:
            if value is None:
                return
            mailbox_id = int(value)
            self.submit_each(
                [
                    act.Move.of(c, mailbox_id, names.get(mailbox_id))
                    for c in targets
                    if c.mailbox_id != mailbox_id
                ]
            )

        self.app.push_screen(PickerScreen(self._title("Move", targets), choices), done)

    # tags
    def action_tags(self) -> None:
        targets = self.targets()
        if not targets:
            return
        common = set(targets[0].tag_names)
        for c in targets[1:]:
            common &= set(c.tag_names)
        known = [getattr(t, "name", "") for t in self.session.tags]
        known = [k for k in known if k]
        for c in targets:
            known += c.tag_names

        def done(edit: TagEdit | None) -> None:
            if edit is None or not (edit.add or edit.remove):
                return
            items = []
            for c in targets:
                tags = [t for t in c.tag_names if t not in edit.remove]
                tags += [t for t in edit.add if t not in tags]
                if tags != c.tag_names:
                    items.append(act.SetTags.of(c, tags))
            self.submit_each(items)

        self.app.push_screen(
            TagsScreen(self._title("Tags of", targets), sorted(common), known), done
        )

    # delete
    def action_delete(self) -> None:
        targets = self.targets()
        if not targets:
            return
        if len(targets) == 1:
            conv = targets[0]
            question = Text(f"Delete conversation #{conv.number or conv.id} “", end="")
            question.append(safe_text(conv.subject or "(no subject)", "bold"))
            question.append("”?\nIt goes to Help Scout's Recently Deleted folder.")
        else:
            question = Text(f"Delete {len(targets)} marked conversations?\n", end="")
            for conv in targets[:8]:
                question.append(f"#{conv.number or conv.id} ")
                question.append(safe_text(conv.subject or "", "bold"))
                question.append("\n")
            if len(targets) > 8:
                question.append(f"… and {len(targets) - 8} more\n")

        def done(yes: bool | None) -> None:
            if yes:
                self.submit_each([act.Delete.of(c) for c in targets])

        self.app.push_screen(ConfirmScreen("Delete", question), done)

    # new conversation
    def action_new_conversation(self) -> None:
        """The form, restored from the "new" draft when one was left (escape, a crash)."""
        drafts = self._drafts()
        saved = drafts.load(None, "new")
        initial = NewConversationFields.from_draft(saved) if saved is not None else None
        view_mailbox = self.view.mailbox_id if self.view else None
        known = {m.id for m in self.session.mailboxes}
        mailbox_id = view_mailbox
        if initial is not None and initial.mailbox_id in known:
            mailbox_id = initial.mailbox_id
        me = self.session.me

        def save(fields: NewConversationFields) -> None:
            if fields.empty:
                drafts.delete(None, "new")
            else:
                drafts.save(fields.to_draft())

        def done(form: NewConversationForm | None) -> None:
            if form is None:
                return
            new = NewConversation(
                subject=form.subject,
                type=form.type,
                mailbox_id=form.mailbox_id,
                status=form.status,
                customer={"email": form.customer_email},
                threads=[
                    NewThread(
                        type="customer" if form.type == "email" else form.type,
                        text=markdown_to_html(form.body),
                        customer={"email": form.customer_email},
                    )
                ],
                tags=list(form.tags) or None,
                assign_to=form.assignee_id,
            )
            # The draft stays on disk until Help Scout confirmed the conversation.
            self.submit(act.CreateConversation(new, draft_key=Draft(None, "new").key))

        self.app.push_screen(
            NewConversationScreen(
                list(self.session.mailboxes),
                self.users_for(mailbox_id),
                mailbox_id=mailbox_id,
                me_id=me.id if me else None,
                initial=initial,
                save_draft=save,
                debounce=self.inbox_app.draft_debounce,
            ),
            done,
        )

    # customer edit
    def action_edit_customer(self) -> None:
        conv = self.table.current or self.thread.conversation
        if conv is None or conv.primary_customer is None or conv.primary_customer.id is None:
            self.notify(
                markup=False, message="This conversation has no customer.", severity="warning"
            )
            return
        self._edit_customer(conv.primary_customer.id, conv)

    @work(exclusive=True, group="customer-edit", exit_on_error=False)
    async def _edit_customer(self, customer_id: int, conv: Conversation) -> None:
        try:
            customer = await self.session.load_customer(customer_id)
        except Exception as exc:
            self.fail(f"Could not load the customer: {exc}")
            return

        def done(form: CustomerForm | None) -> None:
            if form is None:
                return
            changes: dict[str, Any] = {}
            pairs = [
                ("first_name", form.first_name, customer.first_name),
                ("last_name", form.last_name, customer.last_name),
                ("organization", form.organization, customer.organization),
                ("job_title", form.job_title, customer.job_title),
            ]
            for key, new, old in pairs:
                if (new or None) != (old or None):
                    changes[key] = new or None
            if list(form.emails) != [e.value for e in customer.emails]:
                changes["emails"] = list(form.emails)
            if list(form.phones) != [p.value for p in customer.phones]:
                changes["phones"] = list(form.phones)
            if not changes:
                self.notify(markup=False, message="No changes to the customer.", timeout=2)
                return
            self.submit(act.UpdateCustomer.of(customer, **changes))

        self.app.push_screen(CustomerEditScreen(customer), done)

    def _title(self, verb: str, targets: list[Conversation]) -> str:
        if len(targets) == 1:
            c = targets[0]
            subject = safe_text(c.subject or "").plain
            if len(subject) > 40:
                subject = subject[:39] + "…"
            return f"{verb} #{c.number or c.id} {subject}"
        return f"{verb} {len(targets)} marked conversations"


def longest_waiting_unassigned(conversations: list[Conversation]) -> Conversation | None:
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


def write_marker(path: str) -> None:
    """The benchmark's signal: the wall-clock time the first list was on screen."""
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(f"{time.time():.6f}\n")
    except OSError:
        return


def read_state(path: Any) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_state(path: Any, data: dict[str, Any]) -> None:
    try:
        paths.write_private(path, json.dumps(data))
    except OSError:
        return
