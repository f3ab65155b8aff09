"""The time picker of snooze (``z``) and send later (the composer's ``ctrl+l``).

Four ready-made times, or a typed one (``inbox/times.py``: ``tomorrow 9``, ``mon``, ``3h``…)
read back in the agent's local time zone before enter confirms it; "wake up (or cancel) when
the customer replies" is on unless toggled off.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from hsinbox.inbox.snooze import SnoozeChoice, choices
from hsinbox.inbox.times import TimeRefused, parse_when, read_back
from hsinbox.tui.key_footer import KeyFooter
from hsinbox.tui.registry import bindings
from hsinbox.tui.tick_box import TickBox


@dataclass(frozen=True)
class SnoozeRequest:
    until: datetime
    unsnooze_on_customer_reply: bool = True


@dataclass(frozen=True)
class PickerWords:
    """What the picker says: snoozing wakes a conversation, send later sends a reply."""

    verb: str = "Wakes"
    confirm: str = "snooze"
    toggle: str = "Wake up when the customer replies (ctrl+r)"


SEND_LATER_WORDS = PickerWords("Sends", "schedule", "Cancel if the customer replies (ctrl+r)")


class SnoozeScreen(ModalScreen[SnoozeRequest | None]):
    """Pick a time or type one; ``ctrl+r`` toggles waking (cancelling) on a customer reply."""

    BINDINGS = bindings("snooze")

    def __init__(
        self,
        title: str,
        *,
        now: Callable[[], datetime] | None = None,
        wake_on_reply: bool = True,
        words: PickerWords | None = None,
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.words = words or PickerWords()
        self._now = now or (lambda: datetime.now().astimezone())
        self.choices: list[SnoozeChoice] = choices(self._now())
        self.initial_wake = wake_on_reply

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog picker snooze"):
            yield Label(Text(self.title_text), classes="dialog-title")
            yield OptionList(
                *[Option(Text(c.shown), id=str(i)) for i, c in enumerate(self.choices)],
                id="snooze-options",
            )
            yield Input(
                placeholder="or type: tomorrow 9, mon 14:00, 3h, 2026-12-09 09:00 (local time)",
                id="snooze-typed",
            )
            yield Static(id="snooze-shown", classes="dialog-help")
            yield TickBox(
                self.words.toggle,
                self.initial_wake,
                id="snooze-wake",
            )
            yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(OptionList).highlighted = 0
        self.query_one(Input).focus()
        self._show_typed("")

    @property
    def wake_on_reply(self) -> bool:
        return self.query_one("#snooze-wake", Checkbox).value

    def _typed(self) -> datetime | str | None:
        """The typed time, a refusal sentence, or None when nothing is typed."""
        raw = self.query_one(Input).value.strip()
        if not raw:
            return None
        try:
            return parse_when(raw, self._now())
        except TimeRefused as exc:
            return str(exc)

    def _show_typed(self, _value: str) -> None:
        typed = self._typed()
        shown = self.query_one("#snooze-shown", Static)
        if typed is None:
            shown.update(Text(f"enter: {self.words.confirm} at the highlighted time", "dim"))
        elif isinstance(typed, str):
            shown.update(Text(typed, "yellow"))
        else:
            line = Text(f"{self.words.verb} ", end="")
            line.append(read_back(typed, self._now()), "bold")
            line.append(f" — enter to {self.words.confirm}", "dim")
            shown.update(line)

    @on(Input.Changed, "#snooze-typed")
    def _changed(self, event: Input.Changed) -> None:
        self._show_typed(event.value)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._dismiss_with(self.choices[int(event.option.id or 0)].until)

    def _dismiss_with(self, until: datetime) -> None:
        self.dismiss(SnoozeRequest(until, self.wake_on_reply))

    def action_choose(self) -> None:
        typed = self._typed()
        if isinstance(typed, str):
            self.notify(markup=False, message=typed, severity="warning")
            return
        if typed is not None:
            self._dismiss_with(typed)
            return
        options = self.query_one(OptionList)
        if options.highlighted is not None:
            self._dismiss_with(self.choices[options.highlighted].until)

    def action_toggle_wake(self) -> None:
        box = self.query_one("#snooze-wake", Checkbox)
        box.value = not box.value

    def action_move(self, delta: int) -> None:
        options = self.query_one(OptionList)
        current = options.highlighted if options.highlighted is not None else -1
        options.highlighted = max(0, min(options.option_count - 1, current + delta))

    def action_cancel(self) -> None:
        self.dismiss(None)


class SendLaterScreen(SnoozeScreen):
    """The same picker for a reply sent later: its own keys' words in the footer."""

    BINDINGS = bindings("send_later")

    def __init__(self, title: str, *, now: Callable[[], datetime] | None = None) -> None:
        super().__init__(title, now=now, words=SEND_LATER_WORDS)
