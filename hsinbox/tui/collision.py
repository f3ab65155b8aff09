"""The send-time collision check: someone wrote in the conversation while you were typing.

Like Help Scout's web app, a reply or note is held back when the conversation got threads the
agent has not seen; the agent reads them and chooses to send anyway, edit, or cancel.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from hsinbox.helpscout.models import Thread
from hsinbox.inbox.text import html_to_blocks, safe_text
from hsinbox.tui.key_footer import KeyFooter
from hsinbox.tui.registry import bindings

SEND, EDIT, CANCEL = "send", "edit", "cancel"
#: Threads that are activity, not something a person wrote.
_NOT_WRITTEN = {"lineitem"}
KIND_NAMES = {
    "customer": "customer",
    "message": "reply",
    "reply": "reply",
    "note": "note",
    "chat": "chat",
    "phone": "phone",
    "forwardparent": "forward",
    "forwardchild": "forward",
}


def unseen_threads(
    threads: Iterable[Thread],
    seen: frozenset[int] | None,
    *,
    me_id: int | None,
    opened_at: datetime | None = None,
) -> list[Thread]:
    """Threads someone else wrote that the agent has not seen.

    ``seen`` is the thread ids known when the composer opened; None when the conversation's
    threads were never loaded, and then anything created after ``opened_at`` counts.
    The agent's own threads (sent from here or elsewhere) and activity rows never count.
    """
    out = []
    for thread in threads:
        if thread.id <= 0 or thread.type in _NOT_WRITTEN:
            continue
        author = thread.created_by
        mine = author is not None and author.type == "user" and author.id == me_id
        if me_id is not None and mine:
            continue
        if seen is not None:
            if thread.id in seen:
                continue
        elif opened_at is None or thread.created_at is None or thread.created_at <= opened_at:
            continue
        out.append(thread)
    return out


def describe_thread(thread: Thread, lines: int = 4) -> Text:
    """Author, kind and the first lines of a thread, all from untrusted text."""
    person = thread.created_by or thread.customer
    head = Text(end="")
    head.append(safe_text(person.display if person else "someone", "bold"))
    head.append(f"  ·  {KIND_NAMES.get(thread.type, thread.type)}", "dim")
    if thread.created_at is not None:
        head.append(f"  ·  {thread.created_at:%Y-%m-%d %H:%M}", "dim")
    head.append("\n")
    shown = 0
    for block in html_to_blocks(thread.body or ""):
        if block.quoted:
            continue
        for line in block.text.splitlines():
            if not line.strip():
                continue
            if shown >= lines:
                head.append("…\n", "dim")
                return head
            head.append(safe_text(line))
            head.append("\n")
            shown += 1
    return head


class CollisionScreen(ModalScreen[str]):
    """New threads arrived: s sends anyway, e goes back to the composer, escape cancels."""

    DEFAULT_CSS = """
    CollisionScreen .collision {
        width: 90;
        height: auto;
        max-height: 90%;
        border: thick $warning;
    }
    CollisionScreen #collision-threads {
        height: auto;
        max-height: 20;
    }
    CollisionScreen .collision-thread {
        margin-bottom: 1;
    }
    CollisionScreen #collision-buttons {
        height: auto;
    }
    CollisionScreen #collision-buttons Button {
        margin: 0 1 0 0;
    }
    """

    BINDINGS = bindings("collision")

    def __init__(self, kind: str, threads: list[Thread]) -> None:
        super().__init__(classes="dialog-screen")
        self.kind = kind
        self.threads = threads

    def compose(self) -> ComposeResult:
        count = len(self.threads)
        what = "a new message" if count == 1 else f"{count} new messages"
        with Vertical(classes="dialog collision"):
            yield Label(
                Text(f"This conversation got {what} while you were writing"),
                classes="dialog-title",
            )
            with VerticalScroll(id="collision-threads"):
                for thread in self.threads:
                    yield Static(describe_thread(thread), classes="collision-thread")
            with Horizontal(id="collision-buttons"):
                yield Button(f"Send {self.kind} anyway (s)", variant="warning", id="collision-send")
                yield Button("Edit (e)", variant="primary", id="collision-edit")
                yield Button("Cancel (escape)", id="collision-cancel")
            yield Static(
                Text("Cancel keeps your text as a draft."),
                classes="dialog-help",
            )
            yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#collision-edit", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        choice = (event.button.id or "").removeprefix("collision-")
        self.dismiss(choice if choice in (SEND, EDIT) else CANCEL)

    def action_answer(self, choice: str) -> None:
        self.dismiss(choice)
