"""The three-pane inbox: sidebar, conversation list, thread (and customer panel).

Widgets never talk to Help Scout: reads go through ``InboxSession`` in named workers, and every
change is an ``Action`` handed to ``session.submit``. The screen re-reads the session's store
whenever the write path reports an event, so optimistic changes and roll-backs show at once.

This module holds the layout, the keys, pane movement and event routing; what the keys do lives
in mixins: view_loading, reading, filtering, submitting, triage, writing, links, session_events
and status_report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, OptionList, Static

from hsinbox.inbox.session import longest_waiting_unassigned
from hsinbox.inbox.view import View
from hsinbox.tui.agent_day import AgentDay
from hsinbox.tui.customer_reach import CustomerReach
from hsinbox.tui.filtering import FilterAndSort
from hsinbox.tui.key_footer import KeyFooter
from hsinbox.tui.links import ConversationLinks
from hsinbox.tui.noticing import Noticing
from hsinbox.tui.pipe_screen import PipeAndHooks
from hsinbox.tui.reading import Reading
from hsinbox.tui.registry import NEEDS_CONVERSATION, WRITE_ACTIONS, bindings
from hsinbox.tui.saved_state import read_state, write_state
from hsinbox.tui.screen_modes import SplitModes
from hsinbox.tui.search_anywhere import SearchAnywhere
from hsinbox.tui.send_later import SendLaterKeys
from hsinbox.tui.session_events import SessionEvents
from hsinbox.tui.status_report import StatusReport
from hsinbox.tui.submitting import Submitting
from hsinbox.tui.syncing import SyncBar, Syncing
from hsinbox.tui.triage import Triage
from hsinbox.tui.view_loading import ViewLoading
from hsinbox.tui.widgets import (
    SAVED_PREFIX,
    ConversationTable,
    Sidebar,
    StatusLine,
    ThreadView,
    ViewKey,
)
from hsinbox.tui.writing import Writing

if TYPE_CHECKING:
    pass

__all__ = [
    "NEEDS_CONVERSATION",
    "WRITE_ACTIONS",
    "InboxScreen",
    "longest_waiting_unassigned",
    "read_state",
    "write_state",
]


class InboxScreen(
    ViewLoading,
    Reading,
    FilterAndSort,
    Submitting,
    Triage,
    Writing,
    ConversationLinks,
    SessionEvents,
    StatusReport,
    Syncing,
    SplitModes,
    AgentDay,
    Noticing,
    SearchAnywhere,
    SendLaterKeys,
    CustomerReach,
    PipeAndHooks,
):
    """Sidebar · list · thread. Keys act on the marked conversations, else the cursor row."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]

    BINDINGS = bindings("inbox")

    # --- layout --------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        app = self.inbox_app
        settings = app.settings
        with Horizontal(id="panes"):
            yield Sidebar(id="sidebar")
            with Vertical(id="main"):
                yield Input(
                    placeholder="filter as you type · enter searches Help Scout "
                    '(its syntax too: tag:vip status:closed AND OR "…")',
                    id="filter",
                )
                yield ConversationTable(
                    id="list",
                    now=app.now,
                    warn=settings.waiting_warn_minutes,
                    alert=settings.waiting_alert_minutes,
                )
                with Horizontal(id="reading"):
                    yield ThreadView(id="thread", now=app.now)
                    yield Static(id="customer")
        yield SyncBar(id="sync-bar")
        yield StatusLine(id="status-line")
        yield KeyFooter()

    async def on_mount(self) -> None:
        self.query_one("#filter").display = False
        self.query_one("#customer").display = False
        self.restore_split()
        self.restore_sidebar()
        self.restore_sort()
        self.query_one(ThreadView).show(None)
        self.query_one(ConversationTable).focus()
        self.table.flags = self.row_flags  # noticing.py: the local marks before the subject
        self.update_status()
        self.start_session()

    @property
    def start_failed(self) -> bool:
        """Help Scout did not answer the start: it is tried again on refresh."""
        return self._start_failed

    # --- event routing -------------------------------------------------------------------
    @on(ConversationTable.Highlighted, "#list")
    def _highlighted(self) -> None:
        # Holding j must not render every conversation it passes: wait for the cursor to rest.
        if self._show_timer is not None:
            self._show_timer.stop()
        delay = self.inbox_app.preview_delay
        if not self.narrow and delay > 0:
            self._show_timer = self.set_timer(delay, self._show_rested)
        elif not self.narrow:
            self.show_current()
        self.current_id = self.table.current_id
        if self.table.current_id != self._last_highlighted:
            # The agent moved: the "N new" notice has been seen. A repaint keeps the row.
            self._last_highlighted = self.table.current_id
            self.new_count = 0
        self._schedule_prefetch()
        self.update_status()

    @on(ConversationTable.NearEnd, "#list")
    def _near_end(self) -> None:
        self.load_more_rows()

    @on(ConversationTable.Selected, "#list")
    def _selected(self) -> None:
        self.action_open()

    @on(OptionList.OptionSelected, "#sidebar")
    def _view_chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is None:
            return
        if event.option.id.startswith(SAVED_PREFIX):
            self.open_saved_view(int(event.option.id.removeprefix(SAVED_PREFIX)))
            self.set_focus(self.table)
            self.remove_class("sidebar-open")
            return
        key = ViewKey.from_option_id(event.option.id)
        self.open_view(View(key.mailbox_id, key.folder_id))
        self.set_focus(self.table)
        self.remove_class("sidebar-open")

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.table.filter_text = event.value
        # The index's matches follow from a thread; the last ones stand until then.
        self.table.set_conversations(list(self.table.conversations.values()))
        self.update_status()
        self.match_cached_text(event.value)

    @on(Input.Submitted, "#filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        self.table.focus()
        if self.open_typed_number(event.value):  # search_anywhere.py: #10034 opens it, any mailbox
            return
        if event.value.strip():
            self.search_server(event.value, everywhere=self.search_all_mailboxes)

    # --- navigation ----------------------------------------------------------------------
    def action_toggle_quoted(self) -> None:
        self.thread.toggle_quoted()

    def action_expand_message(self) -> None:
        """A long message is folded after its first part; X shows all of it."""
        if not self.thread.expand():
            self.notify(markup=False, message="Nothing folded in this conversation.", timeout=3)

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
            if not self.narrow:
                # Back in the list, the preview is the highlighted row again (the thread may
                # show one opened from outside the list: H, N).
                self.show_current()
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
        if not self._back():
            self.inbox_app.request_quit()

    def action_back_only(self) -> bool:
        """Escape: back out one step; with nothing to back out of, stop a running sync
        (its bar says "esc cancels"). ``q`` at the top still quits."""
        return self._back() or self.cancel_sync_on_escape()

    def _back(self) -> bool:
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

    def action_help(self) -> None:
        self.inbox_app.show_help()

    # --- which keys are on -----------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in WRITE_ACTIONS and self.inbox_app.read_only:
            return None
        if action in NEEDS_CONVERSATION and self.current_conversation() is None:
            return None
        if action in NEEDS_CONVERSATION and isinstance(self.focused, Sidebar):
            return False  # the folder pane chooses a view: its footer offers no reply/note
        if action == "undo" and self.pending_undo is None and self.undoable is None:
            return None
        return True

    @on(events.Key)
    def _read_only_key(self, event: events.Key) -> None:
        """A key that is off says why nothing happens instead of doing nothing."""
        if self.app.screen is not self:
            return
        self.retry_failed_thread()
        active = self.active_bindings.get(event.key)
        if active is None or active.enabled:
            return
        action = active.binding.action.removeprefix("screen.")
        if action == "undo":
            event.stop()
            event.prevent_default()
            self.notify(markup=False, message="Nothing to undo.", timeout=2)
            return
        if not self.inbox_app.read_only:
            return
        if action in WRITE_ACTIONS:
            event.stop()
            event.prevent_default()
            self.explain_read_only(active.binding.description)
