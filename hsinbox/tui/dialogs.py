"""Modal screens: pickers, the tag editor, confirmation, quitting, help, the sign-in notice."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from hsinbox.inbox.text import safe_text
from hsinbox.tui.key_footer import KeyFooter
from hsinbox.tui.registry import bindings


@dataclass(frozen=True)
class Choice:
    """One pickable item: ``value`` is returned, ``label`` shown, ``search`` matched."""

    value: str
    label: Text
    search: str = ""


class PickerScreen(ModalScreen[str | None]):
    """Type to filter, enter chooses, escape cancels."""

    BINDINGS = bindings("picker")

    def __init__(self, title: str, choices: Iterable[Choice], *, placeholder: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.choices = list(choices)
        self.placeholder = placeholder or "type to filter"

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog picker"):
            yield Label(Text(self.title_text), classes="dialog-title")
            yield Input(placeholder=self.placeholder, id="picker-filter")
            yield OptionList(id="picker-options")
            yield KeyFooter()

    def on_mount(self) -> None:
        self._fill("")
        self.query_one(Input).focus()

    def _fill(self, needle: str) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        needle = needle.casefold().strip()
        shown = [
            Option(c.label, id=c.value)
            for c in self.choices
            if not needle or needle in (c.search or c.label.plain).casefold()
        ]
        options.add_options(shown)
        if shown:
            options.highlighted = 0

    @on(Input.Changed, "#picker-filter")
    def _filter(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_move(self, delta: int) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            current = options.highlighted if options.highlighted is not None else -1
            options.highlighted = max(0, min(options.option_count - 1, current + delta))

    def action_choose(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None and options.option_count:
            self.dismiss(options.get_option_at_index(options.highlighted).id)

    def action_cancel(self) -> None:
        self.dismiss(None)


STATUS_CHOICES = [("a", "active"), ("p", "pending"), ("c", "closed"), ("s", "spam")]


class StatusPicker(ModalScreen[str | None]):
    """One key per status: a active, p pending, c closed, s spam."""

    BINDINGS = bindings("status")

    def __init__(self, title: str, current: str | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog status-picker"):
            yield Label(Text(self.title_text), classes="dialog-title")
            options = []
            for key, status in STATUS_CHOICES:
                label = Text(f"{key}  ", "bold", end="")
                label.append(status)
                if status == self.current:
                    label.append("  (current)", "dim")
                options.append(Option(label, id=status))
            yield OptionList(*options, id="status-options")
            yield KeyFooter()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_pick(self, status: str) -> None:
        self.dismiss(status or None)


@dataclass(frozen=True)
class TagEdit:
    add: tuple[str, ...]
    remove: tuple[str, ...]


class TagsScreen(ModalScreen[TagEdit | None]):
    """Toggle tags on and off; a typed name that is not listed is added as a new tag."""

    BINDINGS = bindings("tags")

    def __init__(self, title: str, current: Iterable[str], known: Iterable[str]) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.initial = list(dict.fromkeys(current))
        self.selected = set(self.initial)
        self.known = sorted(set(known) | set(self.initial), key=str.casefold)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog picker"):
            yield Label(Text(self.title_text), classes="dialog-title")
            yield Input(placeholder="type a tag; enter toggles, ctrl+s applies", id="tag-input")
            yield OptionList(id="tag-options")
            yield Static(id="tag-summary", classes="dialog-help")
            yield KeyFooter()

    def on_mount(self) -> None:
        self._fill()
        self.query_one(Input).focus()

    def _fill(self) -> None:
        needle = self.query_one(Input).value.casefold().strip()
        options = self.query_one(OptionList)
        options.clear_options()
        shown = []
        for tag in self.known:
            if needle and needle not in tag.casefold():
                continue
            label = Text("✓ " if tag in self.selected else "  ", "bold green", end="")
            label.append(safe_text(tag))
            shown.append(Option(label, id=tag))
        options.add_options(shown)
        if shown:
            options.highlighted = 0
        summary = Text("Tags: ", "dim", end="")
        summary.append(safe_text(", ".join(sorted(self.selected, key=str.casefold)) or "none"))
        self.query_one("#tag-summary", Static).update(summary)

    @on(Input.Changed, "#tag-input")
    def _changed(self) -> None:
        self._fill()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._toggle(str(event.option.id))

    def _toggle(self, tag: str) -> None:
        self.selected.symmetric_difference_update({tag})
        if tag not in self.known:
            self.known = sorted([*self.known, tag], key=str.casefold)
        self.query_one(Input).value = ""
        self._fill()

    def action_toggle(self) -> None:
        typed = " ".join(self.query_one(Input).value.split()).strip().lower()
        options = self.query_one(OptionList)
        exact = typed and typed in {t.casefold() for t in self.known}
        if typed and not exact:
            self._toggle(typed)
        elif options.highlighted is not None and options.option_count:
            self._toggle(str(options.get_option_at_index(options.highlighted).id))

    def action_move(self, delta: int) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            current = options.highlighted if options.highlighted is not None else -1
            options.highlighted = max(0, min(options.option_count - 1, current + delta))

    def action_apply(self) -> None:
        add = tuple(t for t in self.known if t in self.selected and t not in self.initial)
        remove = tuple(t for t in self.initial if t not in self.selected)
        self.dismiss(TagEdit(add=add, remove=remove))

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question; the question names what will happen."""

    BINDINGS = bindings("confirm")

    def __init__(self, title: str, question: Text, *, yes: str = "Delete") -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.question = question
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog confirm"):
            yield Label(Text(self.title_text), classes="dialog-title")
            yield Static(self.question, id="confirm-question")
            yield Button(f"{self.yes} (y)", variant="error", id="confirm-yes")
            yield Button("Cancel (n)", id="confirm-no")

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


SEND_AND_QUIT = "send"
QUIT_LATER = "later"


class QuitScreen(ModalScreen[str | None]):
    """Quitting with unsent work: send now and quit / quit and send next time / cancel.

    "Send now" keeps the screen up with a progress line while the app waits (bounded) for
    the queue; ``progress()`` updates that line.
    """

    BINDINGS = bindings("quit")

    def __init__(self, question: Text, send: Callable[[QuitScreen], None]) -> None:
        super().__init__(classes="dialog-screen")
        self.question = question
        self._send = send
        self.sending = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog confirm"):
            yield Label(Text("Quit with unsent changes?"), classes="dialog-title")
            yield Static(self.question, id="confirm-question")
            yield Button("Send now and quit (s)", variant="primary", id="quit-send")
            yield Button("Quit, send next time (l)", id="quit-later")
            yield Button("Cancel (c)", id="quit-cancel")
            yield Static("", id="quit-progress")

    def on_mount(self) -> None:
        self.query_one("#quit-send", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        answers = {"quit-send": SEND_AND_QUIT, "quit-later": QUIT_LATER}
        self.action_answer(answers.get(event.button.id or ""))

    def action_answer(self, value: str | None) -> None:
        if self.sending:
            return  # the app is sending; it quits when done (or at its time limit)
        if value == SEND_AND_QUIT:
            self.sending = True
            self.progress("Sending…")
            self._send(self)  # the screen stays, with the progress line, until the app quits
            return
        self.dismiss(value)

    def progress(self, line: str) -> None:
        self.query_one("#quit-progress", Static).update(Text(line, "italic"))


class HelpScreen(ModalScreen[None]):
    """Every key as currently bound (after the user's keymap), per context."""

    BINDINGS = bindings("help")

    def __init__(self, rows: list[tuple[str, str, str, str]]) -> None:
        super().__init__(classes="dialog-screen")
        self.rows = rows

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog help"):
            yield Label("Keys (as currently bound)", classes="dialog-title")
            table: DataTable[str] = DataTable(cursor_type="row", id="help-table")
            yield table
            yield Static(
                Text(
                    "Rebind any key in config.toml under [keymap] with the name in the last column."
                ),
                classes="dialog-help",
            )
            yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Where", "Key", "Action", "Name")
        for row in self.rows:
            table.add_row(*row)
        table.focus()

    def action_move(self, delta: int) -> None:
        table = self.query_one(DataTable)
        row = max(0, min(table.row_count - 1, table.cursor_row + delta))
        table.move_cursor(row=row, animate=False)

    def action_edge(self, bottom: int) -> None:
        table = self.query_one(DataTable)
        table.move_cursor(row=table.row_count - 1 if bottom else 0, animate=False)

    def action_close(self) -> None:
        self.dismiss(None)


SEVERITY_STYLE = {"error": ("✗", "bold red"), "warning": ("!", "bold yellow")}


class MessagesScreen(ModalScreen[None]):
    """Every notice of this session, oldest first: toasts fade, their text stays here."""

    BINDINGS = bindings("messages")

    def __init__(self, messages: list[Any]) -> None:
        super().__init__(classes="dialog-screen")
        self.messages = messages

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog help"):
            yield Label("Messages (this session, oldest first)", classes="dialog-title")
            with VerticalScroll(id="messages-log"):
                yield Static(self._render_log(), id="messages-text")
            yield KeyFooter()

    def _render_log(self) -> Text:
        if not self.messages:
            return Text("No messages yet.", "dim")
        lines = []
        for entry in self.messages:
            mark, style = SEVERITY_STYLE.get(entry.severity, ("·", "dim"))
            line = Text(entry.at.strftime("%H:%M:%S "), "dim", end="")
            line.append(f"{mark} ", style)
            line.append(safe_text(entry.text, style if entry.severity == "error" else ""))
            lines.append(line)
        return Text("\n", end="").join(lines)

    def on_mount(self) -> None:
        log = self.query_one("#messages-log", VerticalScroll)
        log.focus()
        self.call_after_refresh(log.scroll_end, animate=False)

    def action_line(self, delta: int) -> None:
        log = self.query_one("#messages-log", VerticalScroll)
        log.scroll_to(y=log.scroll_target_y + delta, animate=False, immediate=True)

    def action_edge(self, bottom: int) -> None:
        log = self.query_one("#messages-log", VerticalScroll)
        log.scroll_to(y=log.max_scroll_y if bottom else 0, animate=False, immediate=True)

    def action_close(self) -> None:
        self.dismiss(None)


class SignInScreen(Screen[None]):
    """Shown instead of a crash when there are no credentials."""

    BINDINGS = bindings("sign_in")

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="signin"):
            yield Label("hsinbox is not signed in to Help Scout", classes="dialog-title")
            text = Text(end="")
            text.append(safe_text(self.reason, "italic"))
            text.append("\n\nTo sign in, quit (q) and run:\n\n", "")
            text.append("    hsinbox auth login\n\n", "bold")
            text.append("or set an app's credentials for this shell:\n\n")
            text.append("    export HSINBOX_APP_ID=…\n    export HSINBOX_APP_SECRET=…\n\n", "bold")
            text.append("To try hsinbox without an account: ")
            text.append("hsinbox demo", "bold")
            yield Static(text)
        yield KeyFooter()
