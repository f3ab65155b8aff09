"""The custom fields form (``f``); the thread header's line of values is in ``thread_lines``.

One input per field of the mailbox: a picker for dropdowns, ``YYYY-MM-DD`` for dates,
numbers checked before saving. The form hands back a value for EVERY field, because Help
Scout's PUT replaces the whole set (``SetCustomFields.of`` lays it over the current set).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static

from hsinbox.helpscout.models import Conversation, MailboxField
from hsinbox.inbox.custom_fields import FieldValueRefused, check_value
from hsinbox.inbox.text import safe_text
from hsinbox.tui.key_footer import KeyFooter
from hsinbox.tui.registry import bindings

PLACEHOLDERS = {"date": "YYYY-MM-DD", "number": "a number", "multiline": "text"}


def _current(conv: Conversation, definition: MailboxField) -> str:
    found = next((f for f in conv.custom_fields if f.id == definition.id), None)
    return "" if found is None or found.value is None else str(found.value)


class FieldsFormScreen(ModalScreen[dict[int, Any] | None]):
    """Every field of the mailbox; ctrl+s checks each value and saves them all at once."""

    BINDINGS = bindings("fields")

    def __init__(
        self,
        conversation: Conversation,
        definitions: list[MailboxField],
        *,
        note: str = "",
        title: str | None = None,
        current: dict[int, str] | None = None,
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.conversation = conversation
        self.title_text = title  # another record's fields (a customer's properties)
        self.current = current
        self.definitions = sorted(
            definitions, key=lambda d: (d.order if d.order is not None else 1 << 30, d.id)
        )
        self.note = note

    def compose(self) -> ComposeResult:
        conv = self.conversation
        with VerticalScroll(classes="dialog form fields-form"):
            if self.title_text is not None:
                title = safe_text(self.title_text)
            else:
                title = Text(f"Custom fields  ·  #{conv.number or conv.id} ", end="")
                title.append(safe_text(conv.subject or ""))
            yield Label(title, classes="dialog-title")
            if self.note:
                yield Static(Text(self.note, "yellow"), classes="dialog-help")
            for d in self.definitions:
                label = safe_text(d.name or f"Field {d.id}")
                if d.required:
                    label.append(" *", "bold red")
                kind = d.type or "text"
                label.append(f"  ({kind})", "dim")
                yield Label(label)
                value = _current(conv, d) if self.current is None else self.current.get(d.id, "")
                if d.type == "dropdown":
                    options = [(safe_text(o.label).plain, str(o.id)) for o in d.options]
                    known = {v for _, v in options}
                    yield Select(
                        options,
                        value=value if value in known else Select.NULL,
                        prompt="(empty)",
                        id=f"field-{d.id}",
                    )
                else:
                    yield Input(
                        safe_text(value).plain,
                        placeholder=PLACEHOLDERS.get(kind, ""),
                        id=f"field-{d.id}",
                    )
            yield Static(
                Text("* required · ctrl+s saves every field · escape cancels"),
                classes="dialog-help",
            )
            yield KeyFooter()

    def on_mount(self) -> None:
        if self.definitions:
            self.query_one(f"#field-{self.definitions[0].id}").focus()

    def values(self) -> dict[int, Any]:
        """What each field holds now (an empty string clears it)."""
        out: dict[int, Any] = {}
        for d in self.definitions:
            widget = self.query_one(f"#field-{d.id}")
            if isinstance(widget, Select):
                out[d.id] = widget.value if isinstance(widget.value, str) else ""
            else:
                out[d.id] = widget.value if isinstance(widget, Input) else ""
        return out

    def action_save(self) -> None:
        values = self.values()
        for d in self.definitions:
            try:
                check_value(d, values[d.id])
            except FieldValueRefused as exc:
                self.notify(markup=False, message=str(exc), severity="warning")
                self.query_one(f"#field-{d.id}").focus()
                return
        self.dismiss(values)

    def action_cancel(self) -> None:
        self.dismiss(None)


class CloseAskScreen(ModalScreen[str | None]):
    """Closing with a required field empty: ``f`` fill it now, ``c`` close anyway, escape."""

    BINDINGS = bindings("close_ask")

    def __init__(self, lacking: list[tuple[Conversation, list[str]]], total: int) -> None:
        super().__init__(classes="dialog-screen")
        self.lacking = lacking
        self.total = total

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog confirm"):
            yield Label("Required fields are empty", classes="dialog-title")
            text = Text(end="")
            for conv, names in self.lacking[:8]:
                text.append(f"#{conv.number or conv.id} ", "bold")
                text.append(safe_text(", ".join(names)))
                text.append("\n")
            if len(self.lacking) > 8:
                text.append(f"… and {len(self.lacking) - 8} more\n")
            first = self.lacking[0][0]
            text.append(f"\nf  fill #{first.number or first.id}'s fields now, then close\n")
            text.append(
                "c  close anyway\n" if self.total == 1 else f"c  close all {self.total} anyway\n"
            )
            text.append("escape  cancel")
            yield Static(text, id="close-ask")
            yield KeyFooter()

    def action_answer(self, value: str) -> None:
        self.dismiss(value or None)
