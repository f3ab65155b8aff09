"""Attachments: the list of the open conversation's files (``F``) and the composer's files
(``ctrl+o``: a path with completion).

Names from the API are untrusted: they are shown and saved only as ``safe_filename`` makes
them (one plain name, no separators, no ``..``, no control characters).
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from hsinbox.helpscout.models import Attachment
from hsinbox.inbox.text import safe_text
from hsinbox.tui.key_footer import KeyFooter
from hsinbox.tui.registry import bindings
from hsinbox.tui.thread_lines import attachment_line


@dataclass(frozen=True)
class AttachmentChoice:
    """What the agent asked for: ``save`` (enter) or ``open`` (o) one attachment."""

    verb: Literal["save", "open"]
    thread_id: int
    attachment: Attachment


class AttachmentsScreen(ModalScreen[AttachmentChoice | None]):
    """The conversation's attachments, oldest first; enter saves one, o opens it (images
    and PDFs in the desktop's viewer, text in hsinbox, never a program or script)."""

    BINDINGS = bindings("attachments")

    def __init__(
        self,
        title: str,
        items: list[tuple[int, Attachment]],
        where: Path,
        *,
        preview: Callable[[Attachment], Awaitable[bytes]] | None = None,
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.items = items
        self.where = where
        self._preview = preview  # an image's bytes (one request each): the preview pane

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog picker"):
            yield Label(Text(self.title_text), classes="dialog-title")
            yield OptionList(
                *[Option(attachment_line(a), id=str(i)) for i, (_t, a) in enumerate(self.items)],
                id="attachment-options",
            )
            help_line = Text("enter saves to ", "dim", end="")
            help_line.append(safe_text(str(self.where), "dim bold"))
            help_line.append(
                " (never over an existing file) · o opens an image, PDF or text", "dim"
            )
            yield Static(help_line, classes="dialog-help")
            if self._preview is not None:
                yield Vertical(id="attachment-preview")
            yield KeyFooter()

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = 0
        options.focus()

    def _finish(self, verb: Literal["save", "open"], index: int | None) -> None:
        if index is not None and 0 <= index < len(self.items):
            thread_id, attachment = self.items[index]
            self.dismiss(AttachmentChoice(verb, thread_id, attachment))

    @on(OptionList.OptionHighlighted, "#attachment-options")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if self._preview is not None:
            self.show_preview(self.items[int(event.option.id or 0)][1])

    @work(exclusive=True, group="preview", exit_on_error=False)
    async def show_preview(self, att: Attachment) -> None:
        """The highlighted image, sized to the pane (a line of text for anything else)."""
        from hsinbox.tui.image_preview import (
            FLAGGED,
            image_widget,
            is_flagged,
            is_image,
            unavailable_reason,
        )

        pane = self.query_one("#attachment-preview", Vertical)
        await pane.remove_children()
        if not is_image(att):
            return
        if is_flagged(att):
            await pane.mount(Static(Text(FLAGGED, "bold red"), id="preview-note"))
            return
        reason = unavailable_reason()
        if reason is not None:
            await pane.mount(Static(Text(reason, "dim"), id="preview-note"))
            return
        assert self._preview is not None
        await pane.mount(Static(Text("Loading the preview…", "dim"), id="preview-note"))
        try:
            data = await self._preview(att)
        except Exception as exc:
            await pane.remove_children()
            await pane.mount(Static(safe_text(f"No preview: {exc}", "yellow"), id="preview-note"))
            return
        widget = image_widget(data, id="preview-image")
        await pane.remove_children()
        if widget is None:
            await pane.mount(Static(Text("No preview: not a readable image.", "dim")))
        else:
            await pane.mount(widget)

    def action_choose(self) -> None:
        self._finish("save", self.query_one(OptionList).highlighted)

    def action_open(self) -> None:
        self._finish("open", self.query_one(OptionList).highlighted)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._finish("save", int(event.option.id or 0))

    def action_cancel(self) -> None:
        self.dismiss(None)


class TextPagerScreen(ModalScreen[None]):
    """A text attachment shown inside hsinbox: never handed to an opener, never markup,
    escape sequences and invisible characters stripped like every other text."""

    BINDINGS = bindings("pager")

    def __init__(self, title: str, text: str) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog help"):
            yield Label(Text(self.title_text), classes="dialog-title")
            with VerticalScroll(id="pager-scroll"):
                yield Static(safe_text(self.text), id="pager-text")
            yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#pager-scroll", VerticalScroll).focus()

    def action_line(self, delta: int) -> None:
        pane = self.query_one("#pager-scroll", VerticalScroll)
        pane.scroll_to(y=pane.scroll_target_y + delta, animate=False, immediate=True)

    def action_page(self, delta: int) -> None:
        pane = self.query_one("#pager-scroll", VerticalScroll)
        step = max(1, pane.size.height - 1)
        pane.scroll_to(y=pane.scroll_target_y + delta * step, animate=False, immediate=True)

    def action_edge(self, bottom: int) -> None:
        pane = self.query_one("#pager-scroll", VerticalScroll)
        pane.scroll_to(y=pane.max_scroll_y if bottom else 0, animate=False, immediate=True)

    def action_close(self) -> None:
        self.dismiss(None)


class PathSuggester(Suggester):
    """Completes the last part of a path from the file system (``~`` understood)."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        expanded = os.path.expanduser(value)
        folder, _, start = expanded.rpartition(os.sep)
        directory = Path(folder or (os.sep if expanded.startswith(os.sep) else "."))
        try:
            names = sorted(e.name for e in os.scandir(directory) if e.name.startswith(start))
        except OSError:
            return None
        names = [
            n for n in names if n != start and (start.startswith(".") or not n.startswith("."))
        ]
        if not names:
            return None
        name = names[0]
        if (directory / name).is_dir():
            name += os.sep
        return value + name[len(start) :]


class AttachPathScreen(ModalScreen[str | None]):
    """Type a file's path (tab or → accepts the completion); enter attaches it."""

    BINDINGS = bindings("attach_path")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog picker"):
            yield Label("Attach a file", classes="dialog-title")
            yield Input(
                placeholder="path, e.g. ~/logs/app.log", suggester=PathSuggester(), id="attach-path"
            )
            yield Static(
                Text("tab completes · enter attaches · escape cancels", "dim"),
                classes="dialog-help",
            )
            yield KeyFooter()

    def __init__(self) -> None:
        super().__init__(classes="dialog-screen")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def action_complete(self) -> None:
        field = self.query_one(Input)
        if field._suggestion:
            field.value = field._suggestion
            field.cursor_position = len(field.value)

    @on(Input.Submitted, "#attach-path")
    def _submitted(self, event: Input.Submitted) -> None:
        path = event.value.strip()
        self.dismiss(path or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
