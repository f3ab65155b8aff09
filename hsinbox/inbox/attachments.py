"""Files in and out: attaching a file to a reply or note, saving a downloaded attachment.

Outgoing files are read once, when attached, and their bytes travel in the action (and so
in the outbox journal): what is sent is what the agent attached, even if the file changes
or goes away before the queue reaches it. Help Scout's size limit is not documented in the
stored references; hsinbox refuses files over ``MAX_ATTACHMENT_BYTES`` (10 MB) before
sending, the same limit the sandbox enforces.

File names from the API are untrusted: ``safe_filename`` keeps them to one plain name in the
chosen folder, and ``save_bytes`` never overwrites (``name (1).png``) and writes the platform's
"downloaded from" mark (``mark_origin``).

Files are untrusted too: saving is one thing, opening another. ``open_plan`` decides, by name
*and* content, whether a file may be opened: images and PDFs go to the desktop's viewer, plain
text and CSV are shown inside hsinbox, everything else is refused with one sentence (programs,
scripts and launchers by name; a shebang, ELF, Mach-O, PE, a desktop entry or a Java archive by
content, whatever the name says), and so is anything Help Scout has not marked ``valid``.
"""

from __future__ import annotations

import logging
import mimetypes
import os
import re
import shutil
import subprocess
import sys
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from hsinbox.helpscout.models import NewAttachment
from hsinbox.inbox.text import clean, human_size

log = logging.getLogger(__name__)

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_NAME = 200


class AttachmentRefused(ValueError):
    """A file that cannot be attached; ``str()`` is one sentence for the status line."""


def over_the_limit(size: int) -> str:
    """Why a size is refused, with the exact bytes: 10 MB + 1 byte rounds to "10.0 MB" too."""
    return (
        f"it is {size:,} bytes ({human_size(size)}), over Help Scout's limit of "
        f"{MAX_ATTACHMENT_BYTES:,} bytes ({human_size(MAX_ATTACHMENT_BYTES)})"
    )


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
            raise AttachmentRefused(f"{name} was not attached: {over_the_limit(size)}.")
        raw = p.read_bytes()
    except PermissionError:
        raise AttachmentRefused(f"{name} was not attached: it cannot be read.") from None
    except OSError as exc:
        raise AttachmentRefused(
            f"{name} was not attached: {exc.strerror or 'it cannot be read'}."
        ) from None
    if len(raw) > MAX_ATTACHMENT_BYTES:  # it grew while we looked
        raise AttachmentRefused(f"{name} was not attached: {over_the_limit(len(raw))}.")
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
            raise AttachmentRefused(f"{att.file_name} cannot be sent: {over_the_limit(att.size)}.")


_UNSAFE = re.compile(r"[/\\:*?\"<>|]")
_RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.IGNORECASE)


def safe_filename(name: str | None, fallback: str = "attachment") -> str:
    """One plain file name: no path separators, no ``..``, no control, invisible or bidi
    characters (the one sanitiser, ``text.clean``), not hidden, not a Windows device name, at
    most 200 characters (extension kept)."""
    text = clean(unicodedata.normalize("NFC", name or ""), one_line=True)
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


def save_bytes(directory: Path, name: str | None, data: bytes, origin: str | None = None) -> Path:
    """Write ``data`` under a safe, new name in ``directory``; never replaces a file.

    ``origin`` (where it was downloaded from) is written as the platform's origin mark."""
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
        mark_origin(path, origin)
        return path


def mark_origin(path: Path, origin: str | None) -> bool:
    """Mark a downloaded file as coming from the internet, where the platform has such a mark.

    Linux: the ``user.xdg.origin.url`` extended attribute (file managers show it, and some
    refuse to launch a marked file); macOS: ``com.apple.quarantine`` (Gatekeeper asks before
    anything runs it); Windows: a ``Zone.Identifier`` stream with ZoneId=3 (Mark of the Web).
    A file system without the feature is not an error: it is logged and the file stays saved.
    """
    url = origin or "about:internet"
    try:
        if sys.platform == "win32":
            stream = f"{path}:Zone.Identifier"
            with open(stream, "w", encoding="utf-8") as f:  # an NTFS alternate data stream
                f.write(f"[ZoneTransfer]\r\nZoneId=3\r\nHostUrl={url}\r\n")
        elif sys.platform == "darwin":
            value = f"0081;{int(time.time()):08x};hsinbox;"
            subprocess.run(
                ["xattr", "-w", "com.apple.quarantine", value, str(path)],
                check=True,
                capture_output=True,
                timeout=5,
            )
        elif sys.platform.startswith("linux"):
            os.setxattr(path, "user.xdg.origin.url", url.encode("utf-8"))
        else:
            return False
    except (OSError, subprocess.SubprocessError) as exc:
        log.info("no origin mark on %s: %s", path.name, type(exc).__name__)
        return False
    return True


# --- opening ---------------------------------------------------------------------------

TRUSTED_STATES = frozenset({"valid"})
"""Help Scout's ``attachment.state`` values that mean "checked, nothing found". Its changelog
(2024-08-27) says the field flags content it considers possibly malicious, and documents
``valid``; any other value, or none at all, is treated as flagged."""

# Magic bytes each viewer type must start with: a ".png" that is not a PNG is not opened.
VIEWER_MAGIC: dict[str, tuple[bytes, ...]] = {
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".gif": (b"GIF87a", b"GIF89a"),
    ".webp": (b"RIFF",),
    ".bmp": (b"BM",),
    ".pdf": (b"%PDF-",),
}
PAGER_TYPES = frozenset({".txt", ".log", ".csv", ".tsv", ".md", ".json"})

# Names that run something when opened on some desktop (or are archives of such).
# fmt: off
PROGRAM_EXTENSIONS = frozenset({
    ".action", ".app", ".appimage", ".application", ".applescript", ".apk", ".bash", ".bat",
    ".bin", ".cmd", ".com", ".command", ".cpl", ".csh", ".deb", ".desktop", ".dll", ".dmg",
    ".elf", ".exe", ".fish", ".gadget", ".hta", ".inf", ".ins", ".isp", ".iso", ".jar", ".jnlp",
    ".js", ".jse", ".ksh", ".lnk", ".msc", ".msh", ".msi", ".msp", ".mst", ".pif", ".pkg",
    ".pl", ".ps1", ".ps1xml", ".ps2", ".psc1", ".psm1", ".py", ".pyc", ".pyw", ".rb", ".reg",
    ".rpm", ".run", ".scf", ".scpt", ".scr", ".sct", ".sh", ".shb", ".terminal", ".url", ".vb",
    ".vbe", ".vbs", ".vhd", ".vhdx", ".workflow", ".ws", ".wsc", ".wsf", ".wsh", ".xll", ".zsh",
})
# fmt: on
PAGER_CHARS = 100_000
"""Characters of a text attachment the pager shows (the whole file is a save away)."""


def sniff_program(data: bytes) -> str | None:
    """What the content is when it is something that runs: a phrase, else None."""
    head = data[:8192]
    text_start = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if text_start.startswith(b"#!"):
        return "a script (it starts with #!)"
    if head.startswith(b"\x7fELF"):
        return "a program (ELF)"
    if head.startswith(b"MZ"):
        return "a Windows program (MZ/PE)"
    if head[:4] in (
        b"\xfe\xed\xfa\xce",
        b"\xfe\xed\xfa\xcf",
        b"\xce\xfa\xed\xfe",
        b"\xcf\xfa\xed\xfe",
        b"\xca\xfe\xba\xbe",
    ):
        return "a macOS program (Mach-O)"
    if head.startswith(b"L\x00\x00\x00\x01\x14\x02\x00"):
        return "a Windows shortcut"
    if b"[Desktop Entry]" in head:
        return "a desktop launcher ([Desktop Entry])"
    if head.startswith(b"PK\x03\x04") and b"META-INF/" in data:
        return "a Java archive"
    return None


@dataclass(frozen=True)
class OpenPlan:
    """What opening an attachment does: ``viewer`` (the desktop's app), ``pager`` (shown in
    hsinbox) or ``refused`` with ``reason``, one sentence naming the file."""

    how: Literal["viewer", "pager", "refused"]
    reason: str = ""


def open_plan(name: str | None, state: str | None, data: bytes | None = None) -> OpenPlan:
    """Decide by Help Scout's state, the name and (when given) the bytes; the name and state
    alone already refuse most, before anything is downloaded."""
    if state is not None and state not in TRUSTED_STATES:
        return OpenPlan("refused", flagged_sentence(name, state))
    if state is None:
        return _refused(safe_filename(name), "Help Scout has not marked it safe (no state)")
    return file_plan(name, data)


def flagged_sentence(name: str | None, state: str) -> str:
    """What is said of a file Help Scout flagged: neither opened nor saved (``enter``)."""
    return (
        f"{safe_filename(name)} is not opened or saved: Help Scout flagged this file as "
        f"possibly malicious (state {clean_state(state)!r})."
    )


def file_plan(name: str | None, data: bytes | None = None) -> OpenPlan:
    """``open_plan`` by name and content only: also the last check before an opener runs."""
    safe = safe_filename(name)
    suffix = Path(safe).suffix.lower()
    if suffix in PROGRAM_EXTENSIONS:
        return _refused(safe, f"{suffix} files are programs, scripts or launchers")
    if suffix not in VIEWER_MAGIC and suffix not in PAGER_TYPES:
        return _refused(safe, "hsinbox opens only images, PDFs and plain text")
    if data is None:
        return OpenPlan("pager" if suffix in PAGER_TYPES else "viewer")
    program = sniff_program(data)
    if program is not None:
        return _refused(safe, f"its content is {program}, whatever its name says")
    if suffix in PAGER_TYPES:
        return OpenPlan("pager")
    if not data.startswith(VIEWER_MAGIC[suffix]) or (suffix == ".webp" and data[8:12] != b"WEBP"):
        return _refused(safe, f"its content is not the {suffix[1:].upper()} its name says")
    return OpenPlan("viewer")


@dataclass(frozen=True)
class Opening:
    """The session's answer to "open this attachment": the plan, the pager's text, or the
    saved file for the viewer."""

    plan: OpenPlan
    text: str = ""
    path: Path | None = None


def _refused(name: str, why: str) -> OpenPlan:
    return OpenPlan("refused", f"{name} is not opened: {why}; enter saves it.")


def clean_state(state: str) -> str:
    return re.sub(r"[^\w .-]", "", state)[:40]


def pager_text(data: bytes) -> str:
    """The text the pager shows: UTF-8 (bad bytes replaced), at most ``PAGER_CHARS``, with a
    last line saying so when the file is longer."""
    text = data[: PAGER_CHARS * 4].decode("utf-8", errors="replace")
    if len(text) <= PAGER_CHARS and len(data) <= PAGER_CHARS * 4:
        return text
    return text[:PAGER_CHARS] + f"\n\n(the first {PAGER_CHARS:,} characters; enter saves the file)"


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
    """Hand a saved image or PDF to the desktop's viewer; False when there is no desktop.

    Checks the file on disk once more (name and content) and raises AttachmentRefused for
    anything but a viewer type: nothing else reaches an opener, whoever calls this."""
    with open(path, "rb") as f:
        head = f.read(1 << 20)
    plan = file_plan(path.name, head)
    if plan.how != "viewer":
        raise AttachmentRefused(
            plan.reason or f"{path.name} is shown inside hsinbox, not handed to an opener."
        )
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


def saved_message(path: Path, opened: bool | None = None) -> str:
    """The one line the screen shows after a download (``opened``: after ``o``)."""
    if opened:
        return f"Saved and opened {path.name} ({path.parent})."
    if opened is False:
        return f"Saved to {path}; there is no desktop here to open it."
    return f"Saved to {path}."
