"""The list's filter box, Help Scout search, sort order and marks."""

from __future__ import annotations

from textual import work
from textual.widgets import Input

from hsinbox.inbox.text import clean
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
    async def search_server(self, text: str, everywhere: bool = False) -> None:
        """Enter: page 1 of Help Scout's search, merged into the list; the next pages come
        as the cursor nears the end, as in any view. ``everywhere``: no mailbox
        (search_anywhere.py)."""
        view = self.view
        if view is None:
            return
        self.search_results = None
        self.update_status("Searching Help Scout…")
        mailbox_id = None if everywhere else view.mailbox_id
        try:
            found = await self.session.search_server(text, mailbox_id=mailbox_id)
        except Exception as exc:
            self.report_error(f"Search failed: {exc}")
            return
        if self.view != view or self.table.filter_text != text:
            return
        search = self.session.search_view(text, mailbox_id)
        self.search_results = search
        self.table.match_ids = self.table.match_ids | {c.id for c in found}
        self.table.set_conversations(self.list_rows())
        scope = "every mailbox" if everywhere else self.describe_view(view).split(" / ")[0]
        phrase = clean(text.strip(), one_line=True)
        # The label says it is a search, not the folder it started from.
        self.view_label = f"Search “{phrase}” in {scope}"
        total = self.session.view_total(search)
        count = total if total is not None else len(found)
        if count:
            noun = "conversation" if count == 1 else "conversations"
            message = f"Search in {scope}: {count:,} {noun}."
        else:
            message = f"Search in {scope}: nothing matches “{phrase}”."
        self.notify(markup=False, message=message, timeout=4)
        self.update_status()

    def clear_filter(self) -> bool:
        box = self.query_one("#filter", Input)
        if not box.display and not box.value:
            return False
        box.value = ""
        box.display = False
        if self.search_results is not None and self.view is not None:
            self.view_label = self.describe_view(self.view)
        self.search_results = None
        self.search_all_mailboxes = False
        self.table.filter_text = ""
        self.table.match_ids = set()
        if self.view is not None:
            # Search results from other views leave with the filter.
            self.table.set_conversations(self.list_rows())
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

    def action_save_search_view(self) -> None:
        """The palette's "Save this search as a view": a ``[[views]]`` table appended to
        config.toml (the rest of the file, comments too, stays as it is)."""
        from hsinbox.config import SavedView, append_saved_view

        search, view = self.search_results, self.view
        phrase = clean(self.table.filter_text.strip(), one_line=True)
        if search is None or view is None or not search.query or not phrase:
            self.notify(
                markup=False,
                message="Search Help Scout first (/, type, enter); then save it as a view.",
                timeout=4,
            )
            return
        mailbox = None
        if search.mailbox_id is not None:
            mailbox = next(
                (m.name or m.id for m in self.session.mailboxes if m.id == search.mailbox_id),
                search.mailbox_id,
            )
        taken = {v.name for v in self.inbox_app.settings.views}
        name, n = phrase[:60], 2
        while name in taken:
            name, n = f"{phrase[:55]} ({n})", n + 1
        saved = SavedView.model_validate(
            {"name": name, "query": search.query, "mailbox": mailbox, "status": search.status}
        )
        try:
            path = append_saved_view(saved)
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.report_error(f"Could not save the view to config.toml: {reason}.")
            return
        self.inbox_app.settings.views = [*self.inbox_app.settings.views, saved]
        self.fill_sidebar()
        self.notify(markup=False, message=f"Saved “{name}” as a view in {path}.", timeout=5)
