"""Which view is open, and loading it: start-up, cache paint, list, refresh, folders."""

from __future__ import annotations

from textual import work
from textual.widgets import Static

from hsinbox.helpscout.errors import AuthError
from hsinbox.helpscout.models import Conversation
from hsinbox.inbox.text import safe_text
from hsinbox.inbox.view import View, first_view
from hsinbox.tui.debug import markers_path, write_marker
from hsinbox.tui.screen_base import InboxScreenBase
from hsinbox.tui.widgets import Sidebar, ViewKey


class ViewLoading(InboxScreenBase):
    """Mixed into ``InboxScreen``.

    The list pane's rows come from here, the cache first, then Help Scout.
    """

    @work(exclusive=True, group="start", exit_on_error=False)
    async def start_session(self) -> None:
        self.loading_view = True
        retry = self._start_failed
        if not retry:
            self.update_status("Connecting to Help Scout…")
        painted = self.paint_from_cache() if not retry else self.view is not None
        try:
            await self.session.start()
        except Exception as exc:
            self.loading_view = False
            if isinstance(exc, AuthError):
                # A wrong secret or a revoked sign-in: the "not signed in" screen says what
                # to do, instead of an empty inbox and a toast.
                from hsinbox.tui.dialogs import SignInScreen

                self.app.push_screen(SignInScreen(f"Help Scout refused the sign-in: {exc}"))
                return
            self._listen_to_session()
            if not retry:
                self.report_error(f"Could not load your mailboxes: {exc}", kind="start")
            # Started again once Help Scout answers (see handle_event).
            self._start_failed = True
            self.refresh_from_store()
            return
        self._start_failed = False
        self._listen_to_session()
        self.fill_sidebar()
        # A sync the agent asked for in a previous run goes on, after the first paint.
        self.call_after_refresh(self.resume_unfinished_sync)
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

    def _listen_to_session(self) -> None:
        """Subscribe once; the queue start() resumed was announced before we listened."""
        if not self._listening:
            self._listening = True
            self.session.subscribe(self.inbox_app.session_callback)
        self.queue_length = self.session.queue_length
        self.online = self.session.online

    def paint_from_cache(self) -> bool:
        """Show the last view as cached before Help Scout answers; True when painted."""
        if not self.session.restore():
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
        """The debug hook ``HSINBOX_DEBUG_MARKERS`` (tui/debug.py): the first paint's time."""
        if self._first_painted or not self.table.row_count:
            return
        self._first_painted = True
        marker = markers_path()
        if marker:
            self.call_after_refresh(write_marker, marker)

    def fill_sidebar(self) -> None:
        self.query_one(Sidebar).set_mailboxes(
            list(self.session.mailboxes), dict(self.session.folders)
        )

    def initial_view(self) -> View | None:
        settings = self.inbox_app.settings
        return first_view(
            self.session.mailboxes,
            self.inbox_app.load_state(),
            default_mailbox=settings.default_mailbox,
            default_folder=settings.default_folder,
            folders=self.session.folders,
        )

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
            cached = self.session.cached_view(view) or []
        self.table.set_conversations(cached)
        self.query_one(Sidebar).select_view(ViewKey(view.mailbox_id, view.folder_id))
        self.inbox_app.save_state({"mailbox_id": view.mailbox_id, "folder_id": view.folder_id})
        self.load_list(view)

    @work(exclusive=True, group="list", exit_on_error=False)
    async def load_list(self, view: View, full: bool = False) -> None:
        """Ask only for what changed since the view was last seen; ``full`` reloads it all."""
        self.loading_view = True
        self.update_status()
        try:
            if not full:
                await self.session.refresh_view(view)
                conversations = self.session.store.view_conversations(view)
            else:
                conversations = await self.session.load_view(view)
        except Exception as exc:
            self.loading_view = False
            self.report_error(f"Could not load {self.view_label}: {exc}", kind="list")
            return
        self.loading_view = False
        self.read_succeeded("list")
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
        if self._start_failed:
            self.start_session()
            return
        if self.view is None or self.loading_view:
            return
        if not self.session.budget.take():
            return  # background work is over its share of the rate budget: next tick
        self._refresh_quietly(self.view)

    @work(exclusive=True, group="quiet-refresh", exit_on_error=False)
    async def _refresh_quietly(self, view: View) -> None:
        try:
            result = await self.session.refresh_view(view)
        except Exception:
            return  # offline and rate-limit states reach the status line through events
        self.read_succeeded("list")
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
            self.refresh_folders(background=True)
        self.update_status()

    def refresh_from_store(self) -> None:
        """Re-read the store: optimistic changes and roll-backs land here."""
        if self.view is None:
            return
        store = self.session.store
        # A merged row's place goes to its survivor, not to its neighbour.
        current = self.table.current_id
        survivor = store.merged.get(current) if current is not None else None
        self.table.set_conversations(store.view_conversations(self.view))
        if survivor is not None:
            self.table.go_to(survivor)
        conv = self.thread.conversation
        if conv is not None:
            shown_id = store.merged.get(conv.id, conv.id)
            fresh = store.get(shown_id)
            if fresh is not None:
                self.thread.show(fresh, store.thread_list(shown_id))
            elif conv.id not in self.table.conversations:
                self.thread.show(None)
        if self.customer is not None:
            fresh_customer = self.session.store.customers.get(self.customer.id)
            if fresh_customer is not None:
                self.customer = fresh_customer
                self.query_one("#customer", Static).update(self.customer_panel_text(fresh_customer))
        self.update_status()

    def action_refresh(self) -> None:
        if self._start_failed:
            self.start_session()  # an offline start: try the whole start again
            return
        if self.view is not None:
            self.load_list(self.view, full=True)
            conv = self.thread.conversation
            if conv is not None:
                self.load_thread(conv.id)
            self.refresh_folders()

    @work(exclusive=True, group="folders", exit_on_error=False)
    async def refresh_folders(self, background: bool = False) -> None:
        if self.view is None:
            return
        try:
            await self.session.refresh_folders(self.view.mailbox_id, background=background)
        except Exception:
            return
        self.fill_sidebar()
