"""The list's filter box, Help Scout search, sort order and marks."""

from __future__ import annotations

from textual import work
from textual.widgets import Input

from hsinbox.tui.screen_base import InboxScreenBase
from hsinbox.tui.view_loading import SERVER_SORTS
from hsinbox.tui.widgets import SORTS


class FilterAndSort(InboxScreenBase):
    """Mixed into ``InboxScreen``: narrows and orders the list without changing any conversation."""

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    async def local_matches(self, text: str) -> set[int]:
        """Conversations of this mailbox whose cached text (threads too) holds the phrase;
        the SQLite query runs in a thread."""
        if self.view is None or not text.strip():
            return set()
        found = await self.session.search_local_off_loop(
            text, mailbox_id=self.view.mailbox_id, phrase=True
        )
        return {c.id for c in found}

    @work(exclusive=True, group="filter", exit_on_error=False)
    async def match_cached_text(self, text: str) -> None:
        """After a filter keystroke: add what the cache's index finds (thread text too).
        The list already shows what its cells match; a newer keystroke cancels this one."""
        matches = await self.local_matches(text)
        if self.table.filter_text != text or matches == self.table.match_ids:
            return
        self.table.match_ids = matches
        self.table.set_conversations(list(self.table.conversations.values()))
        self.update_status()

    @work(exclusive=True, group="search", exit_on_error=False)
    async def search_server(self, text: str) -> None:
        """Enter: page 1 of Help Scout's search, merged into the list; the next pages come
        as the cursor nears the end, as in any view."""
        view = self.view
        if view is None:
            return
        self.search_results = None
        self.update_status("Searching Help Scout…")
        try:
            found = await self.session.search_server(text, mailbox_id=view.mailbox_id)
        except Exception as exc:
            self.report_error(f"Search failed: {exc}")
            return
        if self.view != view or self.table.filter_text != text:
            return
        self.search_results = self.session.search_view(text, view.mailbox_id)
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
        self.search_results = None
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
        self._sort_by(SORTS[(self.table.sort_index + 1) % len(SORTS)][0])

    def action_sort_waiting(self) -> None:
        """Longest waiting first; pressed again, back to newest first."""
        self._sort_by("updated" if SORTS[self.table.sort_index][0] == "waiting" else "waiting")

    def _sort_by(self, name: str) -> None:
        """Locally when every row is loaded; else Help Scout's order (page 1 of it replaces
        the loaded rows), so "longest waiting first" holds over the whole view."""
        label = self.table.sort_by(name)
        self.inbox_app.save_state({"sort": name})
        view = self.view
        wanted = SERVER_SORTS[name]
        if (
            view is not None
            and self.search_results is None
            and (view.sort_field, view.sort_order) != wanted
            and not self.session.view_complete(view)
        ):
            sorted_view = view.sorted_by(*wanted)
            self.view = sorted_view
            self.loading_view = True  # no page of the old order is asked meanwhile
            table = self.table
            table.loading_more = False
            table.load_error = None
            table.total = self.session.view_total(sorted_view)
            table.move_cursor(row=0)
            self.load_list(sorted_view, top=True)
        self.notify(markup=False, message=f"Sorted: {label}.", timeout=2)
        self.update_status()

    def restore_sort(self) -> None:
        """The order chosen last time (state.json), before the first rows arrive."""
        saved = self.inbox_app.load_state().get("sort")
        if saved in {name for name, _label in SORTS}:
            self.table.sort_by(saved)

    def action_toggle_mark(self) -> None:
        self.table.toggle_mark()
        self.update_status()
