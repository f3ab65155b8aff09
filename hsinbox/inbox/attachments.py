"""Files in and out: attaching a file to a reply or note, saving a downloaded attachment.

Outgoing files are read once, when attached, and their bytes travel in the action (and so
in the outbox journal): what is sent is what the agent attached, even if the file changes
or goes away before the queue reaches it. Help Scout's size limit is not documented in the
stored references; hsinbox refuses files over ``MAX_ATTACHMENT_BYTES`` (10 MB) before
sending, the same limit the sandbox enforces.

File names from the API are untrusted: ``safe_filename`` keeps them to one plain name in the
chosen folder, and ``save_bytes`` never overwrites (``name (1).png``).
"""

from __future__ import annotations

import mimetypes
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

from hsinbox.helpscout.models import NewAttachment
from hsinbox.inbox.text import human_size

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_NAME = 200


class AttachmentRefused(ValueError):
    """A file that cannot be attached; ``str()`` is one sentence for the status line."""


def load_attachment(path: str | os.PathLike[str]) -> NewAttachment:
    """Read a file to attach; AttachmentRefused when missing, unreadable or too big."""
    p = Path(path).expanduser()
    name = p.name or str(path)
    try:
        if not p.exists():
            raise AttachmentRefused(f"{name} was not attached: there is no such file.")
        if not p.is_file():
            raise AttachmentRefused(f"{name} was not attached: it is not a file.")
        size = p.stat().st_size
        if size > MAX_ATTACHMENT_BYTES:
            raise AttachmentRefused(
                f"{name} was not attached: it is {human_size(size)}, over Help Scout's "
                f"{human_size(MAX_ATTACHMENT_BYTES)} limit."
            )
        raw = p.read_bytes()
    except PermissionError:
        raise AttachmentRefused(f"{name} was not attached: it cannot be read.") from None
    except OSError as exc:
        raise AttachmentRefused(
            f"{name} was not attached: {exc.strerror or 'it cannot be read'}."
        ) from None
    if len(raw) > MAX_ATTACHMENT_BYTES:  # it grew while we looked
        raise AttachmentRefused(
            f"{name} was not attached: it is over Help Scout's "
            f"{human_size(MAX_ATTACHMENT_BYTES)} limit."
        )
    return NewAttachment.of(p.name, guess_mime_type(p.name), raw)


# What agents attach most and the platform's table may not know (no /etc/mime.types).
COMMON_TYPES = {
    ".log": "text/plain",
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".csv": "text/csv",
    ".json": "application/json",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".pdf": "application/pdf",
}


def guess_mime_type(name: str) -> str:
    """The file's type from its name, the same on every machine for the common kinds."""
    suffix = Path(name).suffix.lower()
    if suffix in COMMON_TYPES:
        return COMMON_TYPES[suffix]
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def check_attachments(attachments: list[NewAttachment] | tuple[NewAttachment, ...]) -> None:
    """Refuse (one sentence) a list that cannot go out; used again right before submitting."""
    for att in attachments:
        if att.size > MAX_ATTACHMENT_BYTES:
            raise AttachmentRefused(
                f"{att.file_name} cannot be sent: it is over Help Scout's "
                f"{human_size(MAX_ATTACHMENT_BYTES)} limit."
            )


_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f/\\:*?\"<>|\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.IGNORECASE)


def safe_filename(name: str | None, fallback: str = "attachment") -> str:
    """One plain file name: no path separators, no ``..``, no control or bidi characters,
    not hidden, not a Windows device name, at most 200 characters (extension kept)."""
    text = unicodedata.normalize("NFC", name or "")
    text = _UNSAFE.sub("_", text)
    text = text.replace("..", "_")
    text = text.strip(" .")
    text = text.lstrip("-")  # never read as an option by an opener
    if not text or set(text) <= {"_"}:
        text = fallback
    if _RESERVED.match(text):
        text = f"_{text}"
    if len(text) > MAX_NAME:
        stem, dot, ext = text.rpartition(".")
        if dot and 0 < len(ext) <= 16:
            text = stem[: MAX_NAME - len(ext) - 1] + "." + ext
        else:
            text = text[:MAX_NAME]
    return text


def unique_path(directory: Path, name: str) -> Path:
    """``directory/name``, or ``name (1).ext``, ``name (2).ext``… when it already exists."""
    candidate = directory / name
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        stem, ext = name, ""
    n = 1
    while candidate.exists() or candidate.is_symlink():
        suffix = f".{ext}" if ext else ""
        candidate = directory / f"{stem} ({n}){suffix}"
        n += 1
    return candidate


def save_bytes(directory: Path, name: str | None, data: bytes) -> Path:
    """Write ``data`` under a safe, new name in ``directory``; never replaces a file."""
    directory = Path(directory).expanduser()
    directory.mkdir(parents=True, exist_ok=True)
    safe = safe_filename(name)
    while True:
        path = unique_path(directory, safe)
        try:
            # O_EXCL: another process creating the same name meanwhile is not overwritten.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        try:
            try:
                view = memoryview(data)
                while view:  # a short write (the disk filling up) goes on or raises
                    view = view[os.write(fd, view) :]
            finally:
                os.close(fd)
        except OSError:
            path.unlink(missing_ok=True)  # a full disk leaves no truncated file behind
            raise
        resolved = path.resolve()
        if resolved.parent != directory.resolve():  # cannot happen with a safe name
            resolved.unlink(missing_ok=True)
            raise AttachmentRefused("The attachment's name tried to leave the download folder.")
        return path


def graphical_opener() -> list[str] | None:
    """The command that opens a file in the desktop's default app, or None (SSH, no display)."""
    if os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY"):
        return None
    if sys.platform == "darwin":
        return ["open"]
    if sys.platform == "win32":
        return None  # os.startfile is used instead
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return None
    opener = shutil.which("xdg-open")
    return [opener] if opener else None


def open_file(path: Path) -> bool:
    """Open a saved file where a graphical opener exists; False when there is none."""
    if sys.platform == "win32" and not os.environ.get("SSH_CONNECTION"):
        os.startfile(path)  # type: ignore[attr-defined]
        return True
    command = graphical_opener()
    if command is None:
        return False
    subprocess.Popen(
        [*command, str(path)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    return True


def saved_message(path: Path, opened: bool) -> str:
    """The one line the screen shows after a download."""
    if opened:
        return f"Saved and opened {path.name} ({path.parent})."
    return f"Saved to {path}."
