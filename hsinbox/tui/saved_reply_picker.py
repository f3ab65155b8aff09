"""``ctrl+t`` in the reply and note composers: pick a saved reply, insert it at the cursor.

The list is the mailbox's (cached by the session); the chosen reply's variables are filled
for this conversation, and any placeholder hsinbox does not know is left as written and
named in one line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual import work
from textual.screen import ModalScreen
from textual.widgets import Static, TextArea

from hsinbox.helpscout.models import Conversation, SavedReplySummary
from hsinbox.inbox.text import clean, safe_text
from hsinbox.tui.dialogs import Choice, PickerScreen

if TYPE_CHECKING:
    from hsinbox.tui.app import HsInboxApp


def saved_reply_choices(replies: list[SavedReplySummary]) -> list[Choice]:
    """Name in bold, the preview dimmed; the filter matches both."""
    out = []
    for r in replies:
        label = safe_text(r.name or f"Saved reply {r.id}", "bold")
        preview = safe_text(" ".join((r.preview or "").split()), "dim")
        preview.truncate(max(10, 60 - label.cell_len), overflow="ellipsis")  # one line
        if preview.plain:
            label.append("  ")
            label.append(preview)
        out.append(Choice(str(r.id), label, f"{r.name} {r.preview or ''}"))
    return out


class SavedReplyPicking(ModalScreen[Any]):
    """Mixed into ``ComposerScreen`` (which has ``conversation`` and a ``#composer-body``)."""

    conversation: Conversation

    def action_saved_reply(self) -> None:
        self._pick_saved_reply()

    @work(exclusive=True, group="saved-reply", exit_on_error=False)
    async def _pick_saved_reply(self) -> None:
        session = cast("HsInboxApp", self.app).session
        mailbox_id = self.conversation.mailbox_id
        if session is None or mailbox_id is None:
            return
        try:
            replies = await session.saved_replies(mailbox_id)
        except Exception as exc:
            self._composer_notice(f"Could not load the saved replies: {exc}", "error")
            return
        if not replies:
            self._composer_notice("This mailbox has no saved replies.", "warning")
            return
        chosen = await self.app.push_screen_wait(
            PickerScreen(
                "Insert a saved reply",
                saved_reply_choices(replies),
                placeholder="type to filter by name or text",
            )
        )
        if chosen is None:
            return
        try:
            insertable = await session.insertable_saved_reply(self.conversation, int(chosen))
        except Exception as exc:
            self._composer_notice(f"Could not load the saved reply: {exc}", "error")
            return
        area = self.query_one("#composer-body", TextArea)
        area.insert(insertable.text)
        area.focus()
        if insertable.notice:
            self._composer_notice(insertable.notice, "warning")
        else:
            notice = self.query_one("#composer-notice", Static)
            notice.update("")
            notice.display = False

    def _composer_notice(self, message: str, severity: str) -> None:
        """One line under the text (and a toast): it stays while the agent edits."""
        notice = self.query_one("#composer-notice", Static)
        notice.update(Text(clean(message), "yellow"))
        notice.display = True
        self.notify(markup=False, message=clean(message), severity=severity)  # type: ignore[arg-type]
