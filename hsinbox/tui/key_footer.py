"""The footer: the focused context's keys, drawn as one line by one widget.

Textual's ``Footer`` mounts a widget per key and recomposes all of them on every bindings
change (focus moves, the undo window opens, a conversation opens); at start-up that style
pass over fresh widgets was a third of the time from the imports to the first list. This
widget keeps no children: a bindings change is one repaint of one line.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget


@dataclass(frozen=True, slots=True)
class FooterEntry:
    """One key as the footer shows it."""

    key: str
    display: str
    description: str
    action: str
    enabled: bool
    tooltip: str


class KeyFooter(Widget, can_focus=False):
    """Shown keys of the screen's active bindings, the palette's key on the right."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"key-footer--key", "key-footer--description", "key-footer--hover"}
    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        & > .key-footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .key-footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        & > .key-footer--hover {
            background: $block-hover-background;
        }
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._spans: list[tuple[int, int, FooterEntry]] = []
        self._hover: int | None = None

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen) -> None:
        self.refresh()

    def entries(self) -> list[FooterEntry]:
        """What the footer shows now, left to right; the palette's key is the last."""
        shown, palette = self._entries()
        return [*shown, palette] if palette is not None else shown

    def _entries(self) -> tuple[list[FooterEntry], FooterEntry | None]:
        """The shown keys (one per action) and the palette's key, if the palette is on."""
        palette_key = self.app.COMMAND_PALETTE_BINDING
        seen: set[str] = set()
        shown: list[FooterEntry] = []
        palette: FooterEntry | None = None
        for key, (_node, binding, enabled, tooltip) in self.screen.active_bindings.items():
            entry = FooterEntry(
                key=binding.key,
                display=self.app.get_key_display(binding),
                description=binding.description,
                action=binding.action,
                enabled=enabled,
                tooltip=tooltip or binding.tooltip or binding.description,
            )
            if key == palette_key and self.app.ENABLE_COMMAND_PALETTE:
                palette = entry
            elif binding.show and binding.action not in seen:
                seen.add(binding.action)
                shown.append(entry)
        return shown, palette

    def render(self) -> Text:
        key_style = self.get_component_rich_style("key-footer--key")
        text_style = self.get_component_rich_style("key-footer--description")
        hover_style = self.get_component_rich_style("key-footer--hover", partial=True)
        dim = Style(dim=True)
        entries, palette = self._entries()
        line = Text(no_wrap=True, overflow="crop", end="")
        spans: list[tuple[int, int, FooterEntry]] = []

        def add(entry: FooterEntry) -> None:
            start = len(line)
            line.append(f" {entry.display} ", key_style)
            if entry.description:
                line.append(f"{entry.description} ", text_style)
            if not entry.enabled:
                line.stylize(dim, start)
            if self._hover is not None and self._hover == len(spans):
                line.stylize(hover_style, start)
            spans.append((start, len(line), entry))

        for entry in entries:
            add(entry)
        width = self.size.width
        if palette is not None:
            right = len(f"▏ {palette.display} {palette.description} ")
            if len(line) + right > width:
                line.truncate(max(0, width - right))
                spans = [(a, min(b, len(line)), e) for a, b, e in spans if a < len(line)]
            line.append(" " * max(0, width - right - len(line)))
            line.append("▏", text_style)
            add(palette)
        self._spans = spans
        return line

    def _entry_at(self, x: int) -> int | None:
        for index, (start, end, _entry) in enumerate(self._spans):
            if start <= x < end:
                return index
        return None

    def on_mouse_move(self, event: events.MouseMove) -> None:
        hover = self._entry_at(event.x)
        if hover != self._hover:
            self._hover = hover
            self.tooltip = self._spans[hover][2].tooltip if hover is not None else None
            self.refresh()

    def on_leave(self, event: events.Leave) -> None:
        if self._hover is not None:
            self._hover = None
            self.tooltip = None
            self.refresh()

    def on_click(self, event: events.Click) -> None:
        index = self._entry_at(event.x)
        if index is None:
            return
        entry = self._spans[index][2]
        if entry.enabled:
            self.app.simulate_key(entry.key)
        else:
            self.app.bell()
