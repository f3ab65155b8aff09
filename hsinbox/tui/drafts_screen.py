"""The list of unsent drafts: resume one in the composer, or discard it (after asking).

Drafts live on disk until Help Scout confirmed the send, so this list is also where text
written before a crash, a dropped SSH session or a refused send is found again.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static

from hsinbox.inbox.drafts import Draft, DraftStore
from hsinbox.inbox.text import safe_text
from hsinbox.tui.dialogs import ConfirmScreen
from hsinbox.tui.key_footer import KeyFooter
from hsinbox.tui.registry import bindings

KIND_LABELS = {"reply": "reply", "note": "note", "new": "new conversation"}


def first_line(text: str, width: int = 60) -> str:
    """The first non-blank line of a draft, shortened to ``width`` characters."""
    for line in text.splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= width else line[: width - 1] + "…"
    return ""


def summary(draft: Draft) -> str:
    """The draft's first line of text (a new conversation is named by subject elsewhere)."""
    return first_line(draft.text)


def new_conversation_name(draft: Draft) -> Text:
    """A new conversation's draft is named by its subject, as it will be in the list."""
    subject = draft.fields.get("subject")
    name = Text("new: ", "italic", end="")
    if isinstance(subject, str) and subject.strip():
        name.append(safe_text(first_line(subject, 40), "bold"))
    else:
        name.append("(no subject yet)", "italic dim")
    return name


def age(seconds: float) -> str:
    """``"just now"``, ``"5 min"``, ``"3 h"``, ``"2 d"``: how long ago a draft was saved."""
    seconds = max(seconds, 0.0)
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} d"


def is_remote(draft: Draft) -> bool:
    """A Help Scout draft (kept on the server), not a local one."""
    return "help_scout_thread_id" in draft.fields


class DraftsScreen(ModalScreen[Draft | None]):
    """Unsent drafts, newest first. enter resumes, d discards (asks first), escape closes."""

    DEFAULT_CSS = """
    DraftsScreen .drafts {
        width: 100;
        height: auto;
    }
    DraftsScreen #drafts-table {
        height: auto;
        max-height: 16;
    }
    DraftsScreen #drafts-empty {
        padding: 1 0;
        color: $text-muted;
    }
    """

    BINDINGS = bindings("drafts")

    def __init__(
        self,
        store: DraftStore,
        describe: Callable[[int], Text],
        *,
        clock: Callable[[], float] = time.time,
        remote: list[Draft] | None = None,
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.store = store
        self.describe = describe
        self.clock = clock
        #: Help Scout drafts (saved on the server, ``fields["help_scout_thread_id"]``).
        self.remote = list(remote or [])
        self.drafts: list[Draft] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog drafts"):
            yield Label("Unsent drafts", classes="dialog-title")
            table: DataTable[Text | str] = DataTable(cursor_type="row", id="drafts-table")
            yield table
            yield Static(Text("No unsent drafts."), id="drafts-empty")
            yield Static(
                Text("enter resume · d discard · escape close"),
                classes="dialog-help",
            )
            yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Conversation", "Kind", "First line", "Saved")
        self.reload()
        table.focus()

    def reload(self) -> None:
        """Re-read the drafts from disk (another run may have sent or written some)."""
        self.drafts = sorted(
            [*self.store.list(), *self.remote], key=lambda d: d.updated_at, reverse=True
        )
        table = self.query_one(DataTable)
        table.clear()
        now = self.clock()
        for draft in self.drafts:
            where = (
                new_conversation_name(draft)
                if draft.conversation_id is None
                else self.describe(draft.conversation_id)
            )
            remote = is_remote(draft)
            table.add_row(
                where,
                "Help Scout draft" if remote else KIND_LABELS.get(draft.kind, draft.kind),
                safe_text(summary(draft)),
                age(now - draft.updated_at),
                key=f"hs:{draft.key}" if remote else draft.key,
            )
        empty = not self.drafts
        table.display = not empty
        self.query_one("#drafts-empty").display = empty

    @property
    def current(self) -> Draft | None:
        table = self.query_one(DataTable)
        if not self.drafts or table.cursor_row < 0 or table.cursor_row >= len(self.drafts):
            return None
        return self.drafts[table.cursor_row]

    @on(DataTable.RowSelected, "#drafts-table")
    def _selected(self) -> None:
        self.action_resume()

    def action_resume(self) -> None:
        draft = self.current
        if draft is not None:
            self.dismiss(draft)

    def action_discard(self) -> None:
        draft = self.current
        if draft is None:
            return
        if is_remote(draft):
            self.notify(
                markup=False,
                message="A Help Scout draft lives in Help Scout: resume it (enter) to send it.",
                timeout=4,
            )
            return
        question = Text("Discard this draft for good?\n", end="")
        question.append(safe_text(summary(draft) or "(empty)", "italic"))

        def done(yes: bool | None) -> None:
            if yes:
                self.store.delete(draft.conversation_id, draft.kind)
                self.notify(markup=False, message="Draft discarded.", timeout=2)
                self.reload()

        self.app.push_screen(ConfirmScreen("Discard draft", question, yes="Discard"), done)

    def action_close(self) -> None:
        self.dismiss(None)
