"""Copy a conversation's number or web link, or open it in a browser."""

from __future__ import annotations

from hsinbox.tui.clipboard import web_url
from hsinbox.tui.screen_base import InboxScreenBase


class ConversationLinks(InboxScreenBase):
    """Mixed into ``InboxScreen``.

    The thread pane's conversation when it has focus, else the cursor row's.
    """

    def _copy(self, text: str, shown: str) -> None:
        """OSC 52 reaches the agent's own terminal, over SSH too."""
        self.app.copy_to_clipboard(text)
        self.notify(markup=False, message=f"Copied {shown} (OSC 52).", timeout=3)

    def action_copy_number(self) -> None:
        conv = self.current_conversation()
        if conv is not None:
            number = str(conv.number or conv.id)
            self._copy(number, f"#{number}")

    def action_copy_url(self) -> None:
        conv = self.current_conversation()
        if conv is not None:
            url = web_url(conv.id, conv.number)
            self._copy(url, url)

    def action_open_web(self) -> None:
        conv = self.current_conversation()
        if conv is None:
            return
        url = web_url(conv.id, conv.number)
        if self.inbox_app.open_in_browser(url):
            self.notify(markup=False, message=f"Opened {url}", timeout=3)
        else:
            self.notify(
                markup=False,
                message=f"No browser here; the conversation is at {url} (Y copies it).",
                timeout=10,
            )
