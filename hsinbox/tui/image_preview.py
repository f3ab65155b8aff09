"""Screenshots in the terminal: an image attachment previewed in the attachments screen.

Optional: ``pip install 'hsinbox[images]'`` brings textual-image (Kitty graphics, Sixel, or a
Unicode half-block fallback, chosen from what the terminal answers; over SSH and tmux that is
usually half-blocks) and Pillow to decode. Without it the pane says so in one line. An
attachment Help Scout flags (``state`` other than ``valid``) is never previewed.

textual-image asks the terminal what it supports when it is first imported, which cannot
work once Textual owns the terminal: ``preload()`` imports it before the app starts.
"""

from __future__ import annotations

import importlib
import io
from typing import Any

from textual.widget import Widget

from hsinbox.helpscout.models import Attachment

IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp")
INSTALL_HINT = "Image previews need the images extra: pip install 'hsinbox[images]'"
FLAGGED = "Help Scout flagged this file as possibly malicious: it is not previewed or opened."
MAX_PREVIEW_BYTES = 10 * 1024 * 1024


def is_image(att: Attachment) -> bool:
    mime = (att.mime_type or "").lower()
    name = (att.filename or "").lower()
    return mime in IMAGE_TYPES or (not mime and name.endswith(IMAGE_SUFFIXES))


def is_flagged(att: Attachment) -> bool:
    """Anything but ``valid`` (or no state at all) is treated as flagged: the values Help
    Scout uses are not documented, so the safe side is chosen."""
    return att.state not in (None, "valid")


_broken: str | None = None  # why textual-image failed to start, once it has


def _load() -> tuple[Any, Any] | str:
    """textual-image's widget module and Pillow's Image, else why not. A failed start is
    remembered (its import asks the terminal, and one that reports no size makes it raise);
    a missing extra is not, so installing it needs no restart of this process's imports."""
    global _broken
    if _broken is not None:
        return _broken
    try:
        widgets = importlib.import_module("textual_image.widget")
        pil = importlib.import_module("PIL.Image")
    except ImportError:
        return INSTALL_HINT
    except Exception as exc:
        _broken = f"Image previews are off: textual-image could not start ({type(exc).__name__})."
        return _broken
    return widgets, pil


def _modules() -> tuple[Any, Any] | None:
    loaded = _load()
    return None if isinstance(loaded, str) else loaded


def unavailable_reason() -> str | None:
    """One line for the pane when previews cannot be shown (None when they can)."""
    loaded = _load()
    return loaded if isinstance(loaded, str) else None


def available() -> bool:
    return _modules() is not None


def preload() -> None:
    """Import textual-image before Textual starts (its terminal query needs the tty)."""
    _modules()


def image_widget(data: bytes, *, id: str | None = None) -> Widget | None:
    """A widget showing ``data`` sized to its container, or None (no extra, not an image)."""
    modules = _modules()
    if modules is None or len(data) > MAX_PREVIEW_BYTES:
        return None
    widgets, pil = modules
    try:
        picture = pil.open(io.BytesIO(data))
        picture.load()
    except Exception:
        return None
    renderable = importlib.import_module("textual_image.renderable")
    # Not a terminal that answered (tests, a pipe): the half-block fallback, not bare glyphs.
    cls = widgets.HalfcellImage if renderable.Image is renderable.UnicodeImage else widgets.Image
    widget: Widget = cls(picture, id=id)
    return widget
