"""Which view is open, and loading it: start-up, cache paint, list, refresh, folders."""

from __future__ import annotations

from textual import work
from textual.widgets import Static

from hsinbox.config import SavedView
from hsinbox.helpscout.errors import AuthError
from hsinbox.helpscout.models import Conversation
from hsinbox.inbox.saved_views import UnknownMailbox, view_of
from hsinbox.inbox.text import safe_text
from hsinbox.inbox.view import DEFAULT_SORT, SORT_PARAMS, View, first_view
from hsinbox.tui.conversation_list import NEAR_END
from hsinbox.tui.debug import markers_path, write_marker
from hsinbox.tui.screen_base import InboxScreenBase
from hsinbox.tui.widgets import SAVED_PREFIX, SORTS, Sidebar, ViewKey

SERVER_SORTS = SORT_PARAMS


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
        self.call_after_refresh(self.count_saved_views)  # after the first paint, in budget
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
        self.table.total = None  # known once Help Scout answers a page
        self.table.set_conversations(rows)
        self.select_view_in_sidebar(view)
        self.mark_first_paint()
        self.update_status()
        return True

    def select_view_in_sidebar(self, view: View) -> None:
        sidebar = self.query_one(Sidebar)
        saved = self.saved_index(view)
        if saved is not None:
            sidebar.select_option_id(f"{SAVED_PREFIX}{saved}")
        else:
            sidebar.select_view(ViewKey(view.mailbox_id, view.folder_id))

    # --- saved views ([[views]] in config.toml) ----------------------------------------------
    def saved_views(self) -> list[tuple[SavedView, View | None]]:
        """Each ``[[views]]`` entry with its view (None: its mailbox is not this account's)."""
        out: list[tuple[SavedView, View | None]] = []
        for saved in self.inbox_app.settings.views:
            try:
                out.append((saved, view_of(saved, self.session.mailboxes)))
            except UnknownMailbox as exc:
                if saved.name not in self._saved_reported:
                    self._saved_reported.add(saved.name)
                    self.report_error(str(exc), kind="views")
                out.append((saved, None))
        return out

    def saved_index(self, view: View) -> int | None:
        for index, (_saved, known) in enumerate(self.saved_views()):
            if known is not None and known.key == view.key:
                return index
        return None

    def open_saved_view(self, index: int) -> None:
        entries = self.saved_views()
        if not 0 <= index < len(entries):
            return
        saved, view = entries[index]
        if view is None:
            self.notify(markup=False, message=f"“{saved.name}” cannot open here.", timeout=4)
            return
        self.clear_filter()
        self.open_view(view)

    @work(exclusive=True, group="saved-counts", exit_on_error=False)
    async def count_saved_views(self, background: bool = True) -> None:
        """The counts beside "Views": page 1 of each (one request a view; the open one is
        counted by its own refresh); the timer's is background work within the budget."""
        views = [v for _s, v in self.saved_views() if v is not None and v != self.view]
        if not views:
            return
        try:
            counts = await self.session.count_views(views, background=background)
        except Exception:
            return  # offline or rate-limited: the counts stay as last seen
        self.saved_counts.update(counts)
        self.fill_sidebar()

    def mark_first_paint(self) -> None:
        """The debug hook ``HSINBOX_DEBUG_MARKERS`` (tui/debug.py): the first paint's time."""
        if self._first_painted or not self.table.row_count:
            return
        self._first_painted = True
        marker = markers_path()
        if marker:
            self.call_after_refresh(write_marker, marker)

    def fill_sidebar(self) -> None:
        sidebar = self.query_one(Sidebar)
        counts = dict(self.saved_counts)
        if self.view is not None and self.view.query:
            total = self.session.view_total(self.view)
            if total is not None:
                counts[self.view.key] = total

        def count(view: View | None) -> int | None:
            if view is None:
                return None
            known = counts.get(view.key)
            return known if known is not None else self.session.view_total(view)

        sidebar.saved = [(saved.name, count(view)) for saved, view in self.saved_views()]
        sidebar.set_mailboxes(list(self.session.mailboxes), dict(self.session.folders))

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
        if view.query:
            saved = self.saved_index(view)
            if saved is not None:
                return f"View: {safe_text(self.inbox_app.settings.views[saved].name).plain}"
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
        view = self.in_list_order(view)
        self.view = view
        self.view_label = self.describe_view(view)
        self.table.marked.clear()
        cached = self.session.store.view_conversations(view)
        if not cached:
            cached = self.session.cached_view(view) or []
        table = self.table
        table.loading_more = False
        table.load_error = None
        table.total = self.session.view_total(view)
        table.set_conversations(cached)
        self.select_view_in_sidebar(view)
        if not view.query:  # a saved view is not where the next start opens
            self.inbox_app.save_state({"mailbox_id": view.mailbox_id, "folder_id": view.folder_id})
        self.loading_view = True  # set now: a NearEnd of the cached rows waits for page 1
        self.load_list(view)

    @work(exclusive=True, group="list", exit_on_error=False)
    async def load_list(self, view: View, full: bool = False, top: bool = False) -> None:
        """Ask only for what changed since the view was last seen (page 1 when it never
        was); ``full`` reads the loaded pages again; ``top`` puts the cursor on row 1."""
        self.loading_view = True
        self.update_status()
        try:
            if not full:
                await self.session.refresh_view(view)
                conversations = self.session.store.view_conversations(view)
            else:
                conversations = await self.session.reload_view(view)
        except Exception as exc:
            self.loading_view = False
            self.report_error(f"Could not load {self.view_label}: {exc}", kind="list")
            return
        self.loading_view = False
        self.read_succeeded("list")
        if self.view != view:
            return
        self.table.total = self.session.view_total(view)
        if top:
            # Another order: the first row, not the old highlight's new place (which could
            # sit near the end and ask for page 2 before the agent moved).
            self.table.set_conversations([])
        del conversations  # the store holds them; the list draws view and search alike
        self.repaint_list(self.list_rows())
        self.mark_first_paint()
        self.update_status()
        if not self.narrow and not self.thread.has_focus_within:
            self.show_current()  # (a conversation the agent is reading stays open)
        # The cursor may have neared the end while page 1 was on its way.
        self.table.check_near_end()
        if self.list_short_of_screen():
            self.load_more_rows()

    def in_list_order(self, view: View) -> View:
        """A view opened while the list is sorted is asked in that order (server-side)."""
        if (view.sort_field, view.sort_order) != DEFAULT_SORT:
            return view
        wanted = SERVER_SORTS.get(SORTS[self.table.sort_index][0], DEFAULT_SORT)
        return view if wanted == DEFAULT_SORT else view.sorted_by(*wanted)

    def paging_view(self) -> View | None:
        """What the next page belongs to: Help Scout's search while it is shown, else the view."""
        return self.search_results or self.view

    def load_more_rows(self) -> None:
        """The next page, asked as the cursor nears the end; keys never wait for it.

        A page of the same view already on its way is not cancelled by the next ask (that
        would leave "loading…" behind); another view's is."""
        target = self.paging_view()
        if target is not None and self._more_in_flight == target:
            self._more_again = True
            return
        self._load_more_rows(target)

    @work(exclusive=True, group="more", exit_on_error=False)
    async def _load_more_rows(self, target: View | None) -> None:
        self._more_in_flight = target
        self._more_again = False
        try:
            await self._load_more_for(target)
        finally:
            if self._more_in_flight == target:
                self._more_in_flight = None
                if self.table.loading_more:
                    self.table.loading_more = False
        if self._more_again:
            self._more_again = False
            self.table.check_near_end()

    async def _load_more_for(self, target: View | None) -> None:
        view = self.view
        table = self.table
        if view is None or target is None or self.loading_view:
            return  # load_list checks again when page 1 is in
        if table.filter_text.strip() and self.search_results is None:
            # Typing filters what is loaded; pages of the view would each re-trigger the
            # end of a short filtered list until every page was read. Enter asks Help Scout.
            return
        if self.session.view_complete(target):
            return
        if table.cursor_row < table.row_count - NEAR_END and not self.list_short_of_screen():
            # Asked for rows since replaced (a sort, a refresh): ask again when it is true.
            table.check_near_end()
            return
        table.loading_more = True
        self.update_status()
        try:
            added = await self.session.load_more(target)
        except Exception as exc:
            if self.view == view and self.paging_view() == target:
                table.load_error = str(exc) or type(exc).__name__
                self.update_status()
            return
        if self.view != view or self.paging_view() != target:
            return
        if target == view:
            table.total = self.session.view_total(view)
        else:
            table.match_ids = table.match_ids | {c.id for c in added}
        table.append_conversations(added)
        self.update_status()
        if added and self.list_short_of_screen():
            self.load_more_rows()  # the list fills the screen, a page at a time

    def list_short_of_screen(self) -> bool:
        """Fewer rows loaded than the list shows (a large-list layout) with more to ask."""
        table = self.table
        target = self.paging_view()
        if target is None or self.session.view_complete(target):
            return False
        if table.filter_text.strip() and self.search_results is None:
            return False
        return table.row_count < table.size.height

    def list_ids(self) -> list[int]:
        """The ids ``list_rows`` draws, in the same order (cheap to compare)."""
        if self.view is None:
            return list(self.table.conversations)
        store = self.session.store
        ids = store.view_ids(self.view)
        if self.search_results is not None:
            have = set(ids)
            ids += [i for i in store.view_ids(self.search_results) if i not in have]
        return ids

    def list_rows(self) -> list[Conversation]:
        """What the list shows: the view's rows, and Help Scout's search rows while a search
        is shown (each from its own LoadedView, so a repaint never drops them)."""
        if self.view is None:
            return list(self.table.conversations.values())
        store = self.session.store
        rows = store.view_conversations(self.view)
        if self.search_results is not None:
            have = {c.id for c in rows}
            rows += [c for c in store.view_conversations(self.search_results) if c.id not in have]
        return rows

    def repaint_list(self, conversations: list[Conversation]) -> None:
        """New rows, same highlighted conversation at the same line of the screen."""
        table = self.table
        offset = table.cursor_row - round(table.scroll_y) if table.row_count else 0
        table.set_conversations(conversations)
        if table.row_count and offset >= 0:
            target = max(0, table.cursor_row - offset)
            self.call_after_refresh(table.scroll_to, y=target, animate=False)

    def refresh_on_timer(self) -> None:
        """The timer's refresh is ``R``'s question: what changed, and the folder counts."""
        if self._start_failed:
            self.start_session()
            return
        if self.view is None or self.loading_view:
            return
        if not self.session.budget.take():
            return  # background work is over its share of the rate budget: next tick
        self._refresh_incrementally(self.view, quiet=True)

    @work(exclusive=True, group="quiet-refresh", exit_on_error=False)
    async def _refresh_incrementally(self, view: View, quiet: bool = False) -> None:
        """One list question (``modifiedSince`` the newest seen) and one for the folder
        counts: two requests when nothing changed, whatever the size of the view.

        What left the view leaves it, the highlight stays on its conversation (or the
        neighbour in its place); the open conversation's threads are read again only when
        its modification time or thread count changed.
        """
        self.refresh_folders(background=quiet)  # the timer's is background work; R is not
        self.count_saved_views(background=quiet)
        open_conv = self.thread.conversation
        before = self.session.store.get(open_conv.id) if open_conv is not None else None
        try:
            result = await self.session.refresh_view(view)
        except Exception as exc:
            if not quiet:
                self.report_error(
                    f"Could not load what changed in {self.view_label}: {exc}", kind="list"
                )
            return  # offline and rate-limit states reach the status line through events
        self.read_succeeded("list")
        self.notice_refresh(result)  # noticing.py: notices and marks from this answer
        if self.view != view:
            return
        self.table.total = self.session.view_total(view)
        self.repaint_list(self.list_rows())
        if result.new:
            self.new_count += len(result.new)
            noun = "conversation" if len(result.new) == 1 else "conversations"
            self.notify(markup=False, message=f"{len(result.new)} new {noun}.", timeout=4)
        conv = self.thread.conversation
        if conv is not None and open_conv is not None and conv.id == open_conv.id:
            after = self.session.store.get(conv.id)
            old = before or open_conv
            if after is not None and (
                after.modified_at != old.modified_at or after.threads != old.threads
            ):
                self.load_thread(conv.id)
        # A day of refreshes every few seconds must stay flat: what no view shows leaves.
        shown = set(self.table.conversations)
        if conv is not None:
            shown.add(conv.id)
        self.session.trim_memory(shown)
        self._say_cache_trouble()
        self.update_status()

    def schedule_repaint(self) -> None:
        """One repaint for a burst of session events (a 50-row bulk is 50 events)."""
        if not self._repaint_due:
            self._repaint_due = True
            self.call_later(self._repaint_now)

    def _repaint_now(self) -> None:
        self._repaint_due = False
        self.refresh_from_store()

    def _say_cache_trouble(self) -> None:
        """A cache write skipped (a full disk, another hsinbox writing): one line per reason
        and session, in the messages log; the cache stays on and the list is unaffected."""
        cache = self.session.cache
        if cache is None:
            return
        for reason in cache.skipped:
            if reason not in self.cache_trouble_said:
                self.cache_trouble_said.add(reason)
                self.notify(
                    markup=False,
                    message=f"The local cache skipped a write ({reason}); it stays on and "
                    "writes again on the next refresh.",
                    severity="warning",
                    timeout=4,
                )

    def refresh_from_store(self) -> None:
        """Re-read the store: optimistic changes and roll-backs land here."""
        if self.view is None:
            return
        store = self.session.store
        # A merged row's place goes to its survivor, not to its neighbour.
        current = self.table.current_id
        survivor = store.merged.get(current) if current is not None else None
        ids = self.list_ids()
        changed = store.changed_since(self._painted_version) if ids == self._painted_ids else None
        shown = self.table.conversations
        rows = [store.get(i) for i in changed or () if i in shown]
        if changed is None or None in rows or not self.table.update_rows(filter(None, rows)):
            self.table.set_conversations(self.list_rows())
        self._painted_ids, self._painted_version = ids, store.version
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
        """``R``: what changed since the newest modification seen (as the timer asks)."""
        if self._start_failed:
            self.start_session()  # an offline start: try the whole start again
            return
        if self.view is None:
            return
        if self.loading_view:
            return  # page 1 is on its way: it is the freshest answer there is
        self._refresh_incrementally(self.view)

    def action_reload_view(self) -> None:
        """The palette's "Reload view": the loaded pages read again (the cache is suspect)."""
        if self._start_failed:
            self.start_session()
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
