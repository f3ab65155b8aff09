"""The thread pane and the customer panel: what the agent reads, prefetched around the cursor."""

from __future__ import annotations

import asyncio
from typing import Any

from rich.text import Text
from textual import work
from textual.widgets import Static

from hsinbox.helpscout.models import Conversation, Customer
from hsinbox.tui.screen_base import InboxScreenBase


class Reading(InboxScreenBase):
    """Mixed into ``InboxScreen``.

    Shows the highlighted conversation and loads its threads and customer.
    """

    def show_current(self) -> None:
        conv = self.table.current
        self.table.cursor_hidden = False
        if conv is None:
            self.thread.show(None)
            return
        if self.thread.conversation is None or self.thread.conversation.id != conv.id:
            known = self.session.cached_threads(conv.id)
            if known is not None:
                # Prefetched (or read before) and unchanged since: no request at all.
                self.thread.show(conv, known)
                self.thread.scroll_home(animate=False)
            else:
                cached = self.session.store.thread_list(conv.id)
                self.thread.show(conv, cached or None)
                self.thread.scroll_home(animate=False)
                self.load_thread(conv.id)
        self.seen_conversation(conv)
        if self.query_one("#customer").display:
            self.load_customer_panel()

    @work(exclusive=True, group="thread", exit_on_error=False)
    async def load_thread(self, conversation_id: int) -> None:
        try:
            threads = await self.session.load_threads(conversation_id)
        except Exception as exc:
            shown = self.thread.conversation
            if shown is not None and shown.id == conversation_id:
                self.thread.show_failed(shown, str(exc) or type(exc).__name__)
            self.report_error(f"Could not load the conversation's messages: {exc}", kind="thread")
            return
        self.read_succeeded("thread")
        current = self.thread.conversation
        if current is not None and current.id == conversation_id:
            fresh = self.session.store.get(conversation_id) or current
            self.thread.show(fresh, list(threads))

    def retry_failed_thread(self) -> None:
        """A key after a failed thread load asks for it again (the pane said so), once the
        key has done its own work: a key that moved to another conversation reads that one
        instead, so only a failed load still on screen, and still current, is asked again."""
        if self.thread.load_state == "failed":
            self.call_after_refresh(self._retry_if_still_failed)

    def _retry_if_still_failed(self) -> None:
        shown = self.thread.conversation
        current = self.current_conversation()
        if shown is None or self.thread.load_state != "failed":
            return
        if current is None or current.id != shown.id:
            return
        self.thread.show(shown)
        self.load_thread(shown.id)

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
        table = self.table
        if not table.row_count:
            return
        row = table.cursor_row
        ids: list[int] = []
        for index in (row, row + 1, row - 1):
            key = table.row_id(index)
            if key is not None:
                ids.append(key)
        started = self.session.prefetch_threads(ids)
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

    def open_conversation(self, conv: Conversation) -> None:
        """Open a conversation in the thread pane, whether or not the list shows it."""
        self.table.go_to(conv.id)
        self.thread.conversation = None
        if self.table.current is not None and self.table.current.id == conv.id:
            self.show_current()
        else:
            self.table.cursor_hidden = True  # the list's row is not what is open
            self.thread.show(conv, self.session.store.thread_list(conv.id) or None)
            self.thread.scroll_home(animate=False)
            self.load_thread(conv.id)
        self.seen_conversation(conv)
        self.add_class("thread-open")
        self.thread.focus()

    def action_customer_panel(self) -> None:
        panel = self.query_one("#customer", Static)
        panel.display = not panel.display
        if panel.display:
            self.load_customer_panel()

    def load_customer_panel(self) -> None:
        conv = self.current_conversation()
        panel = self.query_one("#customer", Static)
        if conv is None or conv.primary_customer is None or conv.primary_customer.id is None:
            panel.update(Text("No customer on this conversation.", "dim"))
            return
        cached = self.session.store.customers.get(conv.primary_customer.id)
        panel.update(self.customer_panel_text(cached))
        self.customer = cached
        self.load_customer(conv.primary_customer.id)

    @work(exclusive=True, group="customer", exit_on_error=False)
    async def load_customer(self, customer_id: int) -> Customer | None:
        try:
            customer = await self.session.load_customer(customer_id)
        except Exception as exc:
            self.report_error(f"Could not load the customer: {exc}")
            return None
        self.customer = customer
        self.query_one("#customer", Static).update(self.customer_panel_text(customer))
        self.load_customer_history(customer_id)
        self.load_reach(customer)
        return customer
