"""The full mailbox sync for offline search: only on request, a progress bar, cancellable.

The session does the work within background work's share of the rate budget and keeps
where it stands in the cache; this mixin starts it from the palette, shows it, stops it
(escape or the palette) and resumes one a previous run left unfinished.
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, ProgressBar

from hsinbox.inbox.session import SyncProgress
from hsinbox.inbox.text import safe_text
from hsinbox.tui.screen_base import InboxScreenBase

SYNC_GROUP = "mailbox-sync"


def describe_eta(seconds: float | None) -> str:
    """ "about 3 min left", from the session's estimate."""
    if seconds is None:
        return "estimating…"
    if seconds < 1:
        return "finishing"
    if seconds < 90:
        return f"about {max(1, round(seconds))} s left"
    minutes = seconds / 60
    if minutes < 90:
        return f"about {round(minutes)} min left"
    return f"about {minutes / 60:.1f} h left"


class SyncBar(Horizontal):
    """A one-line bar above the status line while a sync runs: pages done/total, time left."""

    DEFAULT_CSS = """
    SyncBar { height: 1; display: none; padding: 0 1; }
    SyncBar.-running { display: block; }
    SyncBar Label { width: 1fr; }
    SyncBar ProgressBar { width: 40; }
    """

    def compose(self) -> ComposeResult:
        yield Label(id="sync-label")
        yield ProgressBar(total=None, show_eta=False, id="sync-progress")

    def show(self, mailbox: str, progress: SyncProgress) -> None:
        self.add_class("-running")
        total = max(progress.total, progress.done)
        text = safe_text(f"Syncing {mailbox} for offline search: ")
        text.append(f"{progress.done:,}/{total:,} pages" if total else "starting")
        text.append(" · ")
        text.append(f"paused: {progress.paused}" if progress.paused else describe_eta(progress.eta))
        text.append(" · esc cancels")
        self.query_one(Label).update(text)
        bar = self.query_one(ProgressBar)
        bar.update(total=total or None, progress=progress.done)

    def hide(self) -> None:
        self.remove_class("-running")


class Syncing(InboxScreenBase):
    """Mixed into ``InboxScreen``: the palette's "Sync mailbox for offline search"."""

    @property
    def sync_bar(self) -> SyncBar:
        return self.query_one(SyncBar)

    def _mailbox_name(self, mailbox_id: int) -> str:
        mailbox = next((m for m in self.session.mailboxes if m.id == mailbox_id), None)
        return safe_text(mailbox.name if mailbox else f"mailbox {mailbox_id}").plain

    def action_sync_mailbox(self) -> None:
        """Read every page of the open mailbox into the cache (on request only)."""
        if self.view is None:
            self.update_status("Open a mailbox to sync it.")
            return
        if self.syncing_mailbox is not None:
            self.notify(markup=False, message="A mailbox sync is already running.", timeout=4)
            return
        self.run_sync(self.view.mailbox_id)

    def action_cancel_sync(self) -> None:
        mailbox_id = self.syncing_mailbox
        if mailbox_id is None:
            self.update_status("No mailbox sync is running.")
            return
        self.workers.cancel_group(self, SYNC_GROUP)
        self.session.cancel_sync(mailbox_id)
        self.syncing_mailbox = None
        self.sync_bar.hide()
        state = self.session.sync_state(mailbox_id)
        where = f" after {state.next_page - 1:,} pages" if state and state.next_page > 1 else ""
        self.notify(
            markup=False,
            message=f"Mailbox sync stopped{where}; asking for it again resumes there.",
            timeout=5,
        )

    def cancel_sync_on_escape(self) -> bool:
        """Escape with nothing else to go back from stops a running sync."""
        if self.syncing_mailbox is None:
            return False
        self.action_cancel_sync()
        return True

    def resume_unfinished_sync(self) -> None:
        """A sync the agent asked for and did not cancel continues after a restart."""
        if self.syncing_mailbox is not None:
            return
        unfinished = self.session.unfinished_syncs()
        if unfinished:
            self.run_sync(unfinished[0])

    @work(group=SYNC_GROUP, exclusive=True, exit_on_error=False)
    async def run_sync(self, mailbox_id: int) -> None:
        self.syncing_mailbox = mailbox_id
        name = self._mailbox_name(mailbox_id)
        bar = self.sync_bar
        bar.show(name, SyncProgress(0, 0))

        def progress(report: SyncProgress) -> None:
            # A page task still running when escape cancelled the sync may report once more:
            # only the sync that is still wanted may show the bar again.
            if self.syncing_mailbox == mailbox_id:
                bar.show(name, report)

        try:
            synced = await self.session.sync_mailbox(mailbox_id, on_progress=progress)
        except Exception as exc:
            if self.syncing_mailbox == mailbox_id:
                self.syncing_mailbox = None
                bar.hide()
                self.report_error(f"The mailbox sync stopped: {exc}. Asking again resumes it.")
            return
        if self.syncing_mailbox != mailbox_id:
            return
        self.syncing_mailbox = None
        bar.hide()
        self.notify(
            markup=False,
            message=f"{name} synced: {len(synced):,} conversations read for offline search.",
            timeout=5,
        )
