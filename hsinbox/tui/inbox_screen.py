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

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Input, OptionList, Static

from hsinbox.helpscout.models import Customer
from hsinbox.inbox import actions as act
from hsinbox.inbox.view import View
from hsinbox.tui.agent_day import AgentDay
from hsinbox.tui.filtering import FilterAndSort
from hsinbox.tui.links import ConversationLinks
from hsinbox.tui.reading import Reading
from hsinbox.tui.saved_state import read_state, write_state
from hsinbox.tui.session_events import SessionEvents
from hsinbox.tui.status_report import StatusReport
from hsinbox.tui.submitting import Submitting
from hsinbox.tui.triage import Triage, longest_waiting_unassigned
from hsinbox.tui.view_loading import ViewLoading
from hsinbox.tui.widgets import ConversationTable, Sidebar, StatusLine, ThreadView, ViewKey
from hsinbox.tui.writing import Writing

if TYPE_CHECKING:
    from hsinbox.tui.app import HsInboxApp

__all__ = [
    "NEEDS_CONVERSATION",
    "WRITE_ACTIONS",
    "InboxScreen",
    "longest_waiting_unassigned",
    "read_state",
    "write_state",
]

# The keys that change something: off in read-only mode (and said so when pressed).
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
    # agent day
    "snooze",
    "unsnooze",
    "custom_fields",
    "workflow",
    "edit_subject",
}
NEEDS_CONVERSATION = WRITE_ACTIONS - {"new_conversation", "take_next"} | {
    "open",
    "attachments",
    "customer_panel",
    "copy_number",
    "copy_url",
    "open_web",
}


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
    AgentDay,
    Screen[None],
):
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
        Binding("z", "snooze", "Snooze", id="snooze", show=False),
        Binding("Z", "unsnooze", "Unsnooze", id="unsnooze", show=False),
        Binding("f", "custom_fields", "Custom fields", id="custom_fields", show=False),
        Binding("w", "workflow", "Run workflow", id="workflow", show=False),
        Binding("F", "attachments", "Attachments", id="attachments", show=False),
        Binding("E", "edit_subject", "Edit subject", id="edit_subject", show=False),
        Binding(
            "H", "customer_history", "Customer's conversations", id="customer_history", show=False
        ),
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

    # --- event routing -------------------------------------------------------------------
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

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.table.filter_text = event.value
        self.table.match_ids = self.local_matches(event.value)
        self.table.set_conversations(list(self.table.conversations.values()))
        self.update_status()

    @on(Input.Submitted, "#filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        self.table.focus()
        if event.value.strip() and hasattr(self.session, "search_server"):
            self.search_server(event.value)

    # --- navigation ----------------------------------------------------------------------
    def action_toggle_quoted(self) -> None:
        self.thread.toggle_quoted()

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

    def action_help(self) -> None:
        self.inbox_app.show_help()

    # --- which keys are on -----------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in WRITE_ACTIONS and self.inbox_app.read_only:
            return None
        if action in NEEDS_CONVERSATION and self.table.current is None:
            return None
        if action == "undo" and self.pending_undo is None and self.undoable is None:
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
