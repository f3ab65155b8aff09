"""Noticing without looking: notices from the refresh, the watch list, "changed since you
opened it", and what colleagues are doing (their drafts, customers' ratings).

Everything here comes from what the screen already read: the refresh's ``modifiedSince``
answer (``RefreshResult.touched`` / ``previous``), threads already loaded, and the local marks
(``inbox.awareness.LocalMarks``). No request of its own.
"""

from __future__ import annotations

from datetime import datetime
from time import monotonic

from textual import work

from hsinbox.config import NotifySettings
from hsinbox.helpscout.models import Conversation
from hsinbox.inbox import actions as act
from hsinbox.inbox import events as ev
from hsinbox.inbox.awareness import (
    LocalMarks,
    WatchListFull,
    bad_rating,
    colleague_drafts,
    watched_conversations,
)
from hsinbox.inbox.notify import Notice, in_quiet_hours, notices
from hsinbox.inbox.session import RefreshResult
from hsinbox.inbox.text import clean, waiting
from hsinbox.tui.conversation_list import CHANGED_MARK
from hsinbox.tui.screen_base import InboxScreenBase

WATCHED_MARK = "◇"
DRAFT_MARK = "✎"
BAD_RATING_MARK = "☹"
STANDARD_FOLDERS = ("unassigned", "mine", "assigned")
APP_TITLE = "hsinbox"
MAILBOX_WIDTH = 12


class Noticing(InboxScreenBase):
    """Mixed into ``InboxScreen``."""

    # --- the local marks -------------------------------------------------------------
    def local_marks(self) -> LocalMarks | None:
        """This account's watch list and openings; None until the session knows who it is."""
        if self.marks is None:
            me = self.session.me
            if me is None:
                return None
            self.marks = LocalMarks.for_account(self.session.data_dir, me.id)
            self.thread.me_id = me.id
        return self.marks

    def row_flags(self, conv: Conversation) -> str:
        """The list's marks before the subject: ● changed since opened, ◇ watched,
        ✎ a colleague's draft, ☹ a bad rating (the last two only from threads read)."""
        marks = self.local_marks()
        if marks is None:
            return ""
        flags = ""
        if marks.changed_since_opened(conv):
            flags += CHANGED_MARK
        if conv.id in marks.watched:
            flags += WATCHED_MARK
        threads = self.session.store.threads.get(conv.id)
        if threads:
            me = self.session.me.id if self.session.me is not None else None
            if colleague_drafts(threads, me):
                flags += DRAFT_MARK
            if bad_rating(threads):
                flags += BAD_RATING_MARK
        view = self.view
        if view is not None and view.mailbox_id is not None and conv.mailbox_id != view.mailbox_id:
            # A search of every mailbox: a row from another one names it.
            name = clean(self.mailbox_name(conv.mailbox_id)).replace(CHANGED_MARK, "")
            flags += f"{name[:MAILBOX_WIDTH]}:"
        return flags

    def seen_conversation(self, conv: Conversation) -> None:
        """Shown in the thread pane: no longer "changed since opened", its notice seen."""
        marks = self.local_marks()
        if marks is None:
            return
        marks.opened_now(self.session.store.get(conv.id) or conv)
        if conv.id in self.unseen:
            self.unseen.discard(conv.id)
            self._show_unseen()

    # --- the watch list --------------------------------------------------------------
    def action_watch(self) -> None:
        """Toggle "watch" on the marked conversations, else the cursor row (kept locally)."""
        marks = self.local_marks()
        targets = self.targets()
        if marks is None or not targets:
            return
        try:
            watching = marks.toggle_watch([c.id for c in targets])
        except WatchListFull as exc:
            self.notify(markup=False, message=str(exc), severity="warning")
            return
        which = (
            f"#{targets[0].number or targets[0].id}"
            if len(targets) == 1
            else f"{len(targets)} conversations"
        )
        verb = "Watching" if watching else "No longer watching"
        self.notify(markup=False, message=f"{verb} {which} (on this machine only).", timeout=4)
        self.table.refresh()

    def action_watching(self) -> None:
        """Palette "Watched conversations": a picker of them; enter opens one."""
        marks = self.local_marks()
        if marks is None:
            return
        if not marks.watched:
            self.notify(markup=False, message="You watch no conversation (b watches one).")
            return
        self._show_watching(sorted(marks.watched))

    @work(exclusive=True, group="watching", exit_on_error=False)
    async def _show_watching(self, ids: list[int]) -> None:
        from hsinbox.tui.customer_history import history_line
        from hsinbox.tui.dialogs import Choice, PickerScreen

        self.update_status("Reading the watched conversations…")
        found = await watched_conversations(self.session, ids)
        self.update_status()
        choices = [
            Choice(str(c.id), history_line(c), f"{c.number} {c.status} {c.subject or ''}")
            for c in found.conversations
        ]
        notes = []
        if found.unreadable:
            notes.append(f"{found.unreadable} could not be read")
        if found.not_shown:
            notes.append(f"{found.not_shown} more not listed")
        if notes:
            self.notify(markup=False, message=f"Watching: {'; '.join(notes)}.", timeout=5)
        if not choices:
            return

        def done(chosen: str | None) -> None:
            conv = self.session.store.get(int(chosen)) if chosen else None
            if conv is not None:
                self.open_conversation(conv)

        self.app.push_screen(PickerScreen("Watching (on this machine)", choices), done)

    # --- notices from the refresh ----------------------------------------------------
    def awareness_event(self, event: ev.Event) -> None:
        """The agent's own changes: never a notice, never "changed since opened"."""
        if isinstance(event, ev.ActionApplied):
            self.own_changes.note(event.action, monotonic())
        elif isinstance(event, ev.ActionConfirmed):
            created = event.result if isinstance(event.action, act.CreateConversation) else None
            self.own_changes.note(event.action, monotonic(), created=created)

    def notice_refresh(self, result: RefreshResult) -> None:
        """What a refresh's answer means for the agent: notices, then the marks repainted."""
        marks = self.local_marks()
        if marks is None:
            return
        me = self.session.me.id if self.session.me is not None else None
        own = self.own_changes.ids(self.session.pending_actions)
        self.own_changes.settle(monotonic())
        settings = self.inbox_app.settings.notify
        kinds, ids = self._watched_folders(settings)
        found = notices(
            result.previous,
            result.touched,
            me_id=me,
            watched=marks.watched,
            folder_kinds=kinds,
            folder_ids=ids,
            own=own,
            since=result.since,
            settings=settings,
        )
        marks.seen_again(c for c in result.touched if c.id in own)
        open_conv = self.thread.conversation
        if open_conv is not None:
            fresh = self.session.store.get(open_conv.id)
            if fresh is not None:
                marks.opened_now(fresh)  # on screen: seen as it is now
        if found:
            self._deliver(found, settings)
        self.table.refresh()

    def _watched_folders(self, settings: NotifySettings) -> tuple[set[str], set[int]]:
        kinds = {f for f in settings.folders if f in STANDARD_FOLDERS}
        names = {f for f in settings.folders if f not in STANDARD_FOLDERS}
        ids = {
            folder.id
            for folders in self.session.folders.values()
            for folder in folders
            if (folder.name or "").strip().lower() in names
        }
        return kinds, ids

    def _deliver(self, found: list[Notice], settings: NotifySettings) -> None:
        """Each notice a line in the messages log (a toast); one bell and one desktop notice
        for the lot, as ``[notify]`` says per kind, none in quiet hours."""
        for notice in found:
            self.notify(markup=False, message=notice.text, title="Notice", timeout=6)
            self.unseen.add(notice.conversation_id)
        now = self.inbox_app.now()
        quiet = in_quiet_hours(settings, now.astimezone().time())
        deliveries = {settings.delivery(n.kind) for n in found}
        bell = not quiet and bool(deliveries & {"both", "bell"})
        desktop = not quiet and bool(deliveries & {"both", "desktop"})
        body = found[0].text if len(found) == 1 else f"{len(found)} notices: {found[0].text}"
        self.inbox_app.alert_terminal(APP_TITLE, clean(body), bell=bell, desktop=desktop)
        self._show_unseen()

    def _show_unseen(self) -> None:
        if not self.inbox_app.settings.notify.title:
            return
        count = len(self.unseen)
        self.inbox_app.set_terminal_title(f"{APP_TITLE} ({count})" if count else APP_TITLE)

    # --- what colleagues are doing ---------------------------------------------------
    def colleague_draft_notice(self, conv: Conversation) -> str | None:
        """ "Priya has a draft here (3m ago)" from threads already read, else None."""
        threads = self.session.store.threads.get(conv.id) or []
        me = self.session.me.id if self.session.me is not None else None
        drafts = colleague_drafts(threads, me)
        if not drafts:
            return None
        draft = drafts[0]
        when = _ago(draft.created_at, self.inbox_app.now())
        return f"{clean(draft.author)} has a draft here{when}; your reply would be a second one."


def _ago(at: datetime | None, now: datetime) -> str:
    if at is None:
        return ""
    ago = waiting(at, now)
    return " (just now)" if ago == "now" else f" ({ago} ago)"
