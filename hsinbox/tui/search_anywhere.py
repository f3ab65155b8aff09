"""Search anywhere: ``#10034`` (or ``number:10034``) in ``/`` opens that conversation in
whichever mailbox it is (one request), and the palette's "Search every mailbox" runs Help
Scout's search without a mailbox (rows of other mailboxes name theirs in the list)."""

from __future__ import annotations

from textual import work
from textual.widgets import Input

from hsinbox.inbox.session import typed_number
from hsinbox.tui.screen_base import InboxScreenBase


class SearchAnywhere(InboxScreenBase):
    """Mixed into ``InboxScreen``."""

    def open_typed_number(self, text: str) -> bool:
        """Enter in ``/``: a typed number opens its conversation; True when it was one."""
        number = typed_number(text)
        if number is None:
            return False
        self._open_number(number)
        return True

    @work(exclusive=True, group="open-number", exit_on_error=False)
    async def _open_number(self, number: int) -> None:
        self.update_status(f"Looking for #{number}…")
        try:
            found = await self.session.open_by_number(number)
        except Exception as exc:
            self.report_error(f"Could not look for #{number}: {exc}")
            return
        if found is None:
            self.notify(
                markup=False,
                message=f"No conversation #{number} in the mailboxes you can see.",
                severity="warning",
            )
            self.update_status()
            return
        self.open_conversation(found)
        where = self.mailbox_name(found.mailbox_id)
        self.notify(markup=False, message=f"Opened #{number} ({where}).", timeout=3)
        self.update_status()

    def mailbox_name(self, mailbox_id: int | None) -> str:
        mailbox = next((m for m in self.session.mailboxes if m.id == mailbox_id), None)
        return (mailbox.name if mailbox is not None else None) or f"mailbox {mailbox_id}"

    def action_search_everywhere(self) -> None:
        """Palette "Search every mailbox": the filter box's text (or, when empty, the box
        opened: its enter searches every mailbox)."""
        box = self.query_one("#filter", Input)
        self.search_all_mailboxes = True
        if box.value.strip():
            self.search_server(box.value, everywhere=True)
            return
        box.display = True
        box.focus()
