"""What every mixin of ``InboxScreen`` may rely on: the screen's state and its cross-calls.

The rule (DEVELOPERS.md, "Screens and controllers"): a mixin subclasses ``InboxScreenBase``
and touches nothing of the screen that is not declared here. The state lives here once, with
its type; a method one mixin calls on another is declared here (for the type checker only), so
renaming it in the mixin that provides it is a pyright error, not a feature silently gone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer

from hsinbox.helpscout.models import Conversation, Customer, User
from hsinbox.inbox import actions as act
from hsinbox.inbox.awareness import LocalMarks
from hsinbox.inbox.notify import OwnChanges
from hsinbox.inbox.session import InboxSession, RefreshResult
from hsinbox.inbox.view import View
from hsinbox.tui.widgets import ConversationTable, ThreadView

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from textual.worker import Worker

    from hsinbox.inbox import events as ev
    from hsinbox.tui.app import HsInboxApp
    from hsinbox.tui.status_report import LoggedMessage


class InboxScreenBase(Screen[None]):
    """The state the inbox screen's mixins share, declared once with its type."""

    # The footer greys keys out through ``check_action``: these re-ask it when they change,
    # so "u Undo" is enabled exactly while an undo is possible.
    pending_undo: reactive[act.Action | None] = reactive(None, bindings=True)
    current_id: reactive[int | None] = reactive(None, bindings=True)
    """The cursor row's conversation id (mirrors the list; the keys that need one follow it)."""
    undoable: reactive[act.Action | None] = reactive(None, bindings=True)
    """After the undo window: the inverse of the last change that has one (``u`` sends it)."""

    def __init__(self) -> None:
        super().__init__()
        self.view: View | None = None
        self.view_label = ""
        self.queue_length = 0
        self.failures: list[str] = []
        self._failures_shown = 0
        self.online = True
        self.loading_view = False
        self.rate_wait: float | None = None
        self._rate_timer: Timer | None = None
        self.auth_needed = False
        self.last_result: Text | None = None
        self.customer: Customer | None = None
        self._show_timer: Timer | None = None
        self._prefetch_timer: Timer | None = None
        self._first_painted = False
        self.new_count = 0
        self._last_highlighted: int | None = None
        self._listening = False
        self._start_failed = False
        self.syncing_mailbox: int | None = None
        """The mailbox a requested sync is reading now (syncing.Syncing)."""
        self.messages_log: list[LoggedMessage] = []
        self.search_results: View | None = None  # Help Scout's search shown in the list
        self._close_checks: set[int] = set()
        self._repaint_due = False  # a repaint is scheduled for the current burst of events
        self._more_in_flight: View | None = None  # the view a next page is being read for
        self._more_again = False  # the cursor neared the end again meanwhile
        # What the list drew last from the store: its ids and the store's version then.
        self._painted_ids: list[int] = []
        self._painted_version = -1
        self.saved_counts: dict[str, int] = {}  # the saved views' counts, by view key
        self._saved_reported: set[str] = set()  # saved views whose problem was said once
        # noticing.Noticing: the local marks (once the session knows the account), the
        # agent's own recent changes, the conversations with a notice not yet looked at.
        self.marks: LocalMarks | None = None
        self.own_changes = OwnChanges()
        self.unseen: set[int] = set()
        self.search_all_mailboxes = (
            False  # search_anywhere.py: the next enter in / searches them all
        )

        self.customer_hook_output: dict[int, str] = {}
        """A ``customer`` hook's output per customer id (pipe_screen.PipeAndHooks)."""
        self.cache_trouble_said: set[str] = set()  # why the cache skipped writes, said once

    @property
    def inbox_app(self) -> HsInboxApp:
        return cast("HsInboxApp", self.app)

    @property
    def session(self) -> InboxSession:
        """The app's session; this screen is only pushed when there is one."""
        session = self.inbox_app.session
        if session is None:
            raise RuntimeError("InboxScreen needs the app's InboxSession")
        return session

    @property
    def table(self) -> ConversationTable:
        return self.query_one(ConversationTable)

    @property
    def thread(self) -> ThreadView:
        return self.query_one(ThreadView)

    @property
    def narrow(self) -> bool:
        return self.has_class("-narrow")

    if TYPE_CHECKING:
        # Provided by one mixin, called by others. Declared for the type checker only: at
        # run time a missing provider is an AttributeError, never a silent stub.

        # status_report.StatusReport
        def update_status(self, note: str | None = None) -> None: ...
        def read_succeeded(self, what: str) -> None: ...
        def back_online(self) -> None: ...
        def clear_failures(self, *kinds: str) -> None: ...
        def note_failure(self, message: str, *, kind: str = "write") -> None: ...
        def start_undo_window(self, seconds: float) -> None: ...
        def report_error(self, message: str, *, kind: str = "read") -> None: ...

        # view_loading.ViewLoading
        def load_list(self, view: View, full: bool = False, top: bool = False) -> None: ...
        def refresh_from_store(self) -> None: ...
        def schedule_repaint(self) -> None: ...
        def list_rows(self) -> list[Conversation]: ...
        def start_session(self) -> Worker[None]: ...
        def describe_view(self, view: View) -> str: ...
        def fill_sidebar(self) -> None: ...

        # filtering.FilterAndSort
        def clear_filter(self) -> bool: ...

        # reading.Reading
        def show_current(self) -> None: ...
        def load_thread(self, conversation_id: int) -> None: ...
        def retry_failed_thread(self) -> None: ...
        def open_conversation(self, conv: Conversation) -> None: ...

        # submitting.Submitting
        def explain_read_only(self, what: str) -> None: ...
        def targets(self) -> list[Conversation]: ...
        def current_conversation(self) -> Conversation | None: ...
        def submit(self, action: act.Action) -> bool: ...
        def submit_each(self, items: Sequence[act.Action]) -> None: ...
        def single_only(self, what: str) -> None: ...

        # syncing.Syncing
        def resume_unfinished_sync(self) -> None: ...
        # inbox_screen.InboxScreen
        def _focus_pane(self, index: int) -> None: ...

        # agent_day.AgentDay
        def customer_panel_text(self, customer: Customer | None) -> Text: ...
        def load_customer_history(self, customer_id: int) -> Worker[None]: ...
        def agent_day_event(self, event: ev.Event) -> None: ...
        def undo_sent(self) -> bool: ...
        def before_closing(
            self, targets: list[Conversation], proceed: Callable[[], None]
        ) -> None: ...

        # session_events.SessionEvents
        def _show_result(self, line: Text) -> None: ...

        # filtering.FilterAndSort
        def search_server(self, text: str, everywhere: bool = False) -> Worker[None]: ...

        # search_anywhere.SearchAnywhere
        def open_typed_number(self, text: str) -> bool: ...
        def mailbox_name(self, mailbox_id: int | None) -> str: ...

        # noticing.Noticing
        def notice_refresh(self, result: RefreshResult) -> None: ...
        def row_flags(self, conv: Conversation) -> str: ...
        def awareness_event(self, event: ev.Event) -> None: ...
        def seen_conversation(self, conv: Conversation) -> None: ...
        def colleague_draft_notice(self, conv: Conversation) -> str | None: ...

        # customer_reach.CustomerReach
        def reach_text(self, customer: Customer) -> Text: ...
        def load_reach(self, customer: Customer) -> Worker[None]: ...

        # pipe_screen.PipeAndHooks
        def run_customer_hook(self, customer: Customer) -> Worker[None]: ...

        # writing.Writing
        def _open_composer(
            self,
            kind: str,
            conversation: Conversation | None = None,
            seen: frozenset[int] | None = None,
        ) -> None: ...

        # triage.Triage
        def _title(self, verb: str, targets: list[Conversation]) -> str: ...
        def users_for(self, mailbox_id: int | None) -> list[User]: ...
