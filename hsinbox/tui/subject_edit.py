"""``E``: edit a conversation's subject in one line (one PATCH, undoable)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from hsinbox.helpscout.models import Conversation
from hsinbox.inbox.text import safe_text
from hsinbox.tui.key_footer import KeyFooter
from hsinbox.tui.registry import bindings


class SubjectScreen(ModalScreen[str | None]):
    """Enter saves the new subject; escape keeps the old one."""

    BINDINGS = bindings("subject")

    def __init__(self, conversation: Conversation) -> None:
        super().__init__(classes="dialog-screen")
        self.conversation = conversation

    def compose(self) -> ComposeResult:
        conv = self.conversation
        with Vertical(classes="dialog picker"):
            yield Label(f"Subject of #{conv.number or conv.id}", classes="dialog-title")
            # The cursor at the end, nothing selected: typing adds to the subject.
            yield Input(
                safe_text(conv.subject or "").plain, id="subject-input", select_on_focus=False
            )
            yield KeyFooter()

    def on_mount(self) -> None:
        field = self.query_one(Input)
        field.focus()
        field.cursor_position = len(field.value)

    @on(Input.Submitted, "#subject-input")
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
