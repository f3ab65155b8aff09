"""The composer's files (``ctrl+o``): attached by path, listed under the text with their
sizes, removable (``delete`` on the list), kept by path in the draft.

A file is read when attached (refused at once when missing, unreadable or over the limit)
and read again when sending, so what goes out is the file as it is then; a refusal at either
moment is one sentence, sends nothing and keeps the list.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.screen import ModalScreen
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from hsinbox.helpscout.models import NewAttachment
from hsinbox.inbox.attachments import AttachmentRefused, load_attachment
from hsinbox.inbox.text import human_size, safe_text
from hsinbox.tui.attachments_screen import AttachPathScreen
from hsinbox.tui.registry import bindings


class AttachmentList(OptionList):
    """The composer's attached files; ``delete`` (or ``backspace``) removes the highlighted one."""

    BINDINGS = bindings("composer_files")


def load_all(paths: list[str]) -> list[NewAttachment]:
    """Every file read again right before sending; raises AttachmentRefused (one sentence)."""
    return [load_attachment(p) for p in paths]


class ComposerAttachments(ModalScreen[Any]):
    """Mixed into ``ComposerScreen``; ``attachment_paths`` is what the draft keeps."""

    attachment_paths: list[str]

    if TYPE_CHECKING:
        # ComposerScreen's; declared for the type checker only.
        def _save_now(self) -> None: ...

    def action_attach(self) -> None:
        self.app.push_screen(AttachPathScreen(), self._attach_path)

    def _attach_path(self, raw: str | None) -> None:
        if not raw:
            return
        path = str(Path(raw).expanduser().absolute())
        try:
            load_attachment(path)
        except AttachmentRefused as exc:
            self.notify(markup=False, message=str(exc), severity="warning")
            return
        if path not in self.attachment_paths:
            self.attachment_paths.append(path)
        self.show_attachments()
        self._save_now()

    def action_remove_attachment(self) -> None:
        listing = self.query_one("#composer-attachments", AttachmentList)
        index = listing.highlighted
        if index is None or not (0 <= index < len(self.attachment_paths)):
            return
        removed = self.attachment_paths.pop(index)
        self.show_attachments()
        self._save_now()
        self.notify(markup=False, message=f"Removed {Path(removed).name}.", timeout=2)
        if not self.attachment_paths:
            self.query_one("#composer-body").focus()

    def show_attachments(self) -> None:
        listing = self.query_one("#composer-attachments", AttachmentList)
        keep = listing.highlighted
        listing.clear_options()
        for path in self.attachment_paths:
            p = Path(path)
            label = Text("📎 ", end="")
            label.append(safe_text(p.name))
            try:
                label.append(f"  {human_size(p.stat().st_size)}", "dim")
            except OSError:
                label.append("  missing", "bold red")
            listing.add_option(Option(label))
        listing.display = bool(self.attachment_paths)
        if self.attachment_paths:
            listing.highlighted = min(keep or 0, len(self.attachment_paths) - 1)

    def attachments_to_send(self) -> list[NewAttachment] | None:
        """The files' bytes now, or None after saying in one sentence why not."""
        try:
            return load_all(self.attachment_paths)
        except AttachmentRefused as exc:
            self.notify(
                markup=False,
                message=str(exc),
                severity="warning",
            )
            return None
