"""Sign in again without losing anything: a modal over whatever the agent was doing.

The outbox is paused (nothing is dropped); the screens below, an open composer included,
stay exactly as they were. Retry checks the sign-in and, once it works, resumes the queue.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from hsinbox.inbox.text import clean, safe_text
from hsinbox.tui.key_footer import KeyFooter
from hsinbox.tui.registry import bindings

if TYPE_CHECKING:
    from hsinbox.inbox.session import InboxSession


class ReauthScreen(ModalScreen[bool]):
    """enter/r retries the sign-in, escape leaves the queue paused for later."""

    DEFAULT_CSS = """
    ReauthScreen .reauth {
        width: 76;
        height: auto;
        border: thick $error;
    }
    ReauthScreen #reauth-buttons {
        height: auto;
        margin-top: 1;
    }
    ReauthScreen #reauth-buttons Button {
        margin: 0 1 0 0;
    }
    ReauthScreen #reauth-problem {
        color: $error;
        margin-top: 1;
    }
    """

    BINDINGS = bindings("reauth")

    def __init__(self, session: InboxSession, reason: str, queued: int = 0) -> None:
        super().__init__(classes="dialog-screen")
        self.session = session
        self.reason = reason
        self.queued = queued
        self.checking = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog reauth"):
            yield Label("Sign in to Help Scout again", classes="dialog-title")
            text = Text(end="")
            text.append(safe_text(self.reason, "italic"))
            text.append("\n\nNothing is lost: ")
            if self.queued:
                text.append(f"{self.queued} queued change(s) wait, ")
            text.append("your drafts and this view stay as they are.\n\n")
            text.append("In another terminal run\n\n")
            text.append("    hsinbox auth login\n\n", "bold")
            text.append("or, when using an app's credentials, set HSINBOX_APP_ID and ")
            text.append("HSINBOX_APP_SECRET to working ones; then press Retry.")
            yield Static(text)
            yield Static("", id="reauth-problem")
            with Horizontal(id="reauth-buttons"):
                yield Button("Retry (r)", variant="primary", id="reauth-retry")
                yield Button("Later (escape)", id="reauth-later")
            yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#reauth-retry", Button).focus()

    @on(Button.Pressed, "#reauth-retry")
    def _retry_pressed(self) -> None:
        self.action_retry()

    @on(Button.Pressed, "#reauth-later")
    def _later_pressed(self) -> None:
        self.action_later()

    def action_retry(self) -> None:
        if not self.checking:
            self.checking = True
            self.query_one("#reauth-problem", Static).update(Text("Checking the sign-in…"))
            self._check()

    @work(exclusive=True, group="reauth", exit_on_error=False)
    async def _check(self) -> None:
        try:
            await self.session.sign_in_again()
        except Exception as exc:
            self.checking = False
            self.query_one("#reauth-problem", Static).update(
                Text(f"Still not signed in: {clean(str(exc))}")
            )
            return
        self.checking = False
        self.session.resume()
        self.dismiss(True)

    def action_later(self) -> None:
        self.dismiss(False)
