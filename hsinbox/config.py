"""Settings from ``config.toml``.

A bad file never stops the app: each bad value is reported in one sentence naming the
file, line and key, and that value falls back to its default while the good ones are kept.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from datetime import time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hsinbox import paths

StatusAfterReply = Literal["active", "pending", "closed"]
Delivery = Literal["both", "bell", "desktop", "log", "none"]
QUIET_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class NotifySettings(BaseModel):
    """``[notify]``: how each kind of notice reaches the agent (``both`` = bell and desktop
    notice; every notice also goes to the messages log), which folders count, quiet hours."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    new: Delivery = "both"
    reply: Delivery = "both"
    assigned: Delivery = "both"
    watched: Delivery = "both"
    folders: list[str] = Field(default_factory=lambda: ["unassigned", "mine"])
    quiet_hours: str = ""
    title: bool = True

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_format(cls, value: str) -> str:
        if value.strip() and not _quiet(value):
            raise ValueError('write it as "HH:MM-HH:MM", e.g. "19:00-08:00"')
        return value

    @field_validator("folders")
    @classmethod
    def _folder_names(cls, value: list[str]) -> list[str]:
        return [v.strip().lower() for v in value if v.strip()]

    def delivery(self, kind: str) -> Delivery:
        by_kind: dict[str, Delivery] = {
            "new": self.new,
            "reply": self.reply,
            "assigned": self.assigned,
        }
        return by_kind.get(kind, self.watched)

    def quiet_window(self) -> tuple[time, time] | None:
        return _quiet(self.quiet_hours)


def _quiet(value: str) -> tuple[time, time] | None:
    match = QUIET_RE.match(value)
    if match is None:
        return None
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        return None
    return time(h1, m1), time(h2, m2)


SIGNATURE_MAX = 10_000
"""Characters a signature may have: it rides on every reply, so a pasted file is refused."""


SORT_NAMES = ("updated", "waiting", "number", "customer", "status")


class SavedView(BaseModel):
    """``[[views]]``: a Help Scout query shown in the sidebar under "Views", with a count."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=60)
    query: str = Field(min_length=1, max_length=2000)
    mailbox: str | int | None = None  # a name or id; left out (or "all"): every mailbox
    status: Literal["active", "pending", "closed", "spam", "open", "all"] = "all"
    sort: Literal["updated", "waiting", "number", "customer", "status"] = "updated"

    @property
    def everywhere(self) -> bool:
        return self.mailbox is None or str(self.mailbox).strip().casefold() == "all"

    def to_toml(self) -> str:
        """The ``[[views]]`` table for this view (strings quoted as TOML basic strings)."""
        lines = ["[[views]]", f"name = {_toml_string(self.name)}"]
        lines.append(f"query = {_toml_string(self.query)}")
        if not self.everywhere:
            mailbox = self.mailbox
            lines.append(
                f"mailbox = {mailbox if isinstance(mailbox, int) else _toml_string(str(mailbox))}"
            )
        if self.status != "all":
            lines.append(f"status = {_toml_string(self.status)}")
        if self.sort != "updated":
            lines.append(f"sort = {_toml_string(self.sort)}")
        return "\n".join(lines) + "\n"


def _toml_string(value: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's (control characters as \\uXXXX)."""
    return json.dumps(value, ensure_ascii=False)


HookOutput = Literal["pager", "note", "reply"]


class Hook(BaseModel):
    """One ``[hooks.NAME]`` table: a key runs ``command`` (placeholders filled, each value
    quoted for the shell by hsinbox). A hook named ``customer`` runs when the customer panel
    opens and its output shows there."""

    model_config = ConfigDict(extra="forbid")

    command: str
    key: str | None = None
    output: HookOutput = "pager"
    timeout: float = Field(default=30.0, gt=0, le=600)

    @field_validator("command")
    @classmethod
    def _safe_template(cls, value: str) -> str:
        from hsinbox.inbox.pipes import check_template

        check_template(value)
        return value


class Settings(BaseModel):
    """Every setting hsinbox reads, with the default a new user gets."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    theme: str = "textual-dark"
    default_mailbox: str | int | None = None
    default_folder: str | None = None
    status_after_reply: StatusAfterReply = "pending"
    undo_delay: float = Field(default=5.0, ge=0, le=60)
    refresh_interval: int = Field(default=60, ge=0, le=86400)
    background_share: float = Field(default=0.25, ge=0, le=1)
    background_floor: int = Field(default=20, ge=0, le=10000)
    waiting_warn_minutes: int = Field(default=60, ge=1)
    waiting_alert_minutes: int = Field(default=240, ge=1)
    signature: str = ""
    editor: str | None = None
    cache: bool = True
    read_only: bool = False
    download_dir: str | None = None
    keymap: dict[str, str] = Field(default_factory=dict)
    notify: NotifySettings = Field(default_factory=NotifySettings)
    views: list[SavedView] = Field(default_factory=list)
    hooks: dict[str, Hook] = Field(default_factory=dict)

    @field_validator("signature")
    @classmethod
    def _signature_fits(cls, value: str) -> str:
        if len(value) > SIGNATURE_MAX:
            raise ValueError(
                f"is {len(value):,} characters, over the {SIGNATURE_MAX:,} a signature may have"
            )
        return value

    @field_validator("keymap")
    @classmethod
    def _keys_not_empty(cls, value: dict[str, str]) -> dict[str, str]:
        for action, keys in value.items():
            if not keys.strip():
                raise ValueError(f"the keys for {action!r} are empty")
        return value


DEFAULT_CONFIG_TOML = """\
# hsinbox settings. Every line is optional; delete what you do not change.
# Path: `hsinbox config path` prints where this file lives (HSINBOX_CONFIG overrides it).

# A Textual theme: textual-dark, textual-light, nord, gruvbox, dracula, tokyo-night, ...
# theme = "textual-dark"

# The view opened on start when there is no remembered one: a mailbox name or id,
# and a folder name ("Unassigned", "Mine", ...).
# default_mailbox = "Support"
# default_folder = "Mine"

# Status a conversation gets after you reply: "active", "pending" or "closed".
# status_after_reply = "pending"

# Seconds that close, spam, move, delete and bulk actions wait for `u` (undo); 0 = off.
# undo_delay = 5

# Seconds between automatic refreshes of the open view; 0 = only on R.
# refresh_interval = 60

# Background work (prefetch, the refresh timer, folder counts, a mailbox sync) spends at
# most this share of Help Scout's per-minute rate limit, which every integration of the
# account shares, and stops entirely when fewer than background_floor requests are left.
# background_share = 0.25
# background_floor = 20

# Conversations whose customer has waited longer than these are marked in the list.
# waiting_warn_minutes = 60
# waiting_alert_minutes = 240

# Appended to every reply (Markdown).
# signature = "-- \\nThe Support Team"

# Editor for ctrl+e in the composer; defaults to $VISUAL, then $EDITOR, then vi.
# editor = "nvim"

# Keep a local cache of conversations for instant start and search.
# cache = true

# Disable every change (for training and shadowing).
# read_only = false

# Where `F` saves attachments; defaults to your Downloads folder.
# download_dir = "~/Downloads"

# Notices from the refresh (R and the timer; no extra request): "both" (bell and a
# desktop notice through the terminal, OSC 9 / OSC 777), "bell", "desktop", "log" (only a
# line in the messages log, M, where every notice also goes) or "none" (off).
# Folders: unassigned, mine, assigned, or a folder's name. No bell or desktop notice
# during quiet_hours (local time).
# [notify]
# new = "both"          # new in a watched folder
# reply = "both"        # a customer replied on a conversation assigned to you
# assigned = "both"     # assigned to you by someone else
# watched = "both"      # any change on a conversation you watch (the watch key)
# folders = ["unassigned", "mine"]
# quiet_hours = "19:00-08:00"
# title = true          # the terminal's title shows the count of unseen notices

# Saved views: a Help Scout query in the sidebar under "Views", with its count (one
# request per view per refresh, within the background budget). mailbox: a name or id;
# left out, every mailbox. status: active, pending, closed, spam, open or all (default).
# sort: updated (default), waiting, number, customer, status. The palette's "Save this
# search as a view" adds one here.
# [[views]]
# name = "VIP waiting"
# query = "tag:vip"
# mailbox = "Support"
# status = "active"
# sort = "waiting"

# Key overrides by action name; see the help screen (?) for the names.
# [keymap]
# reply = "r"
# close_next = "e,ctrl+d"

# Keys that run your own commands; hsinbox quotes each {placeholder}'s value for the shell:
# {number} {id} {customer.email} {customer.name} {url} {subject} {mailbox}.
# output: "pager" (default), "note" or "reply". A hook named "customer" fills the i panel.
# [hooks.orders]
# key = "ctrl+k"
# command = "orders-lookup --email {customer.email}"
"""


class ConfigProblem(BaseModel):
    """One bad thing in the config file, already phrased for a person."""

    path: str
    line: int | None
    key: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        key = f" {self.key}:" if self.key else ""
        return f"{where}:{key} {self.message}"


def _line_of(text: str, dotted_key: str) -> int | None:
    """The line where a key is set, found by scanning (tomllib keeps no positions)."""
    parts = dotted_key.split(".")
    leaf = re.escape(parts[-1])
    section = ".".join(parts[:-1])
    current = ""
    pattern = re.compile(rf'^\s*("?){leaf}\1\s*=')
    for number, line in enumerate(text.splitlines(), start=1):
        header = re.match(r"^\s*\[([^\]]+)\]\s*$", line)
        if header:
            current = header.group(1).strip()
            continue
        if current == section and pattern.match(line):
            return number
    return None


def load_settings(path: Path | None = None) -> tuple[Settings, list[ConfigProblem]]:
    """Read the settings; a missing file is not a problem, a bad one never raises."""
    path = path or paths.config_file()
    if not path.exists():
        return Settings(), []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
        return Settings(), [
            ConfigProblem(
                path=str(path),
                line=None,
                key=None,
                message=f"cannot be read ({reason}); using defaults",
            )
        ]
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        line = int(match.group(1)) if match else None
        detail = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        return Settings(), [
            ConfigProblem(
                path=str(path),
                line=line,
                key=None,
                message=f"is not valid TOML ({detail}); using defaults",
            )
        ]
    return _validate(raw, text, str(path))


def _validate(raw: dict[str, Any], text: str, path: str) -> tuple[Settings, list[ConfigProblem]]:
    problems: list[ConfigProblem] = []
    good: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "keymap" and isinstance(value, dict):
            good[key] = _validate_keymap(value, text, path, problems)
            continue
        if key == "views" and isinstance(value, list):
            good[key] = _validate_views(value, text, path, problems)
            continue
        if key == "hooks" and isinstance(value, dict):
            good[key] = _validate_hooks(value, text, path, problems)
            continue
        if key not in Settings.model_fields:
            problems.append(
                ConfigProblem(
                    path=path,
                    line=_line_of(text, key),
                    key=key,
                    message="is not a setting hsinbox knows; ignored",
                )
            )
            continue
        try:
            Settings.model_validate({key: value})
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(str(p) for p in err["loc"])
            message = err["msg"].rstrip(".").removeprefix("Value error, ")
            problems.append(
                ConfigProblem(
                    path=path,
                    line=_line_of(text, loc) or _line_of(text, key),
                    key=loc,
                    message=f"{message[0].lower()}{message[1:]}; using the default",
                )
            )
            continue
        good[key] = value
    return Settings.model_validate(good), problems


def _validate_views(
    raw: list[Any], text: str, path: str, problems: list[ConfigProblem]
) -> list[SavedView]:
    """Keep each good ``[[views]]`` table; a bad one is reported on its own line."""
    views: list[SavedView] = []
    headers = [n for n, line in enumerate(text.splitlines(), 1) if line.strip() == "[[views]]"]
    for index, entry in enumerate(raw):
        line = headers[index] if index < len(headers) else None
        try:
            views.append(SavedView.model_validate(entry))
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "the table"
            message = err["msg"].rstrip(".").removeprefix("Value error, ")
            problems.append(
                ConfigProblem(
                    path=path,
                    line=line,
                    key=f"views[{index + 1}]",
                    message=f"{where}: {message[0].lower()}{message[1:]}; this view is left out",
                )
            )
    return views


def append_saved_view(view: SavedView, path: Path | None = None) -> Path:
    """Add a ``[[views]]`` table at the end of config.toml, leaving the rest of the file as
    it is (comments too). Raises OSError when the file cannot be written."""
    path = path or paths.config_file()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    if text and not text.endswith("\n"):
        text += "\n"
    text += ("\n" if text else "") + view.to_toml()
    tomllib.loads(text)  # never write a file the next start cannot read
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.write(fd, text.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    return path


def _validate_keymap(
    raw: dict[str, Any], text: str, path: str, problems: list[ConfigProblem]
) -> dict[str, str]:
    """Keep each good override; a bad one is reported on its own line."""
    keymap: dict[str, str] = {}
    for action, keys in raw.items():
        dotted = f"keymap.{action}"
        if not isinstance(keys, str) or not keys.strip():
            problems.append(
                ConfigProblem(
                    path=path,
                    line=_line_of(text, dotted),
                    key=dotted,
                    message='must be keys such as "ctrl+r" or "r,f5"; using the default',
                )
            )
            continue
        keymap[str(action)] = keys
    return keymap


def _validate_hooks(
    raw: dict[str, Any], text: str, path: str, problems: list[ConfigProblem]
) -> dict[str, Any]:
    """Keep each good hook; a bad one is reported on its own line and left out."""
    hooks: dict[str, Any] = {}
    for name, spec in raw.items():
        try:
            Hook.model_validate(spec)
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(["hooks", str(name), *(str(p) for p in err["loc"])])
            message = err["msg"].rstrip(".").removeprefix("Value error, ")
            problems.append(
                ConfigProblem(
                    path=path,
                    line=_line_of(text, loc) or _line_of(text, f"hooks.{name}"),
                    key=loc,
                    message=f"{message[0].lower()}{message[1:]}; this hook is off",
                )
            )
            continue
        hooks[str(name)] = spec
    return hooks
