"""Where hsinbox keeps its files: the one place that asks platformdirs.

Every file that may hold customer data or tokens is created owner-only (0600, dirs 0700).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "hsinbox"


def _ensure_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def config_dir() -> Path:
    return _ensure_dir(Path(platformdirs.user_config_dir(APP, appauthor=False)))


def config_file() -> Path:
    override = os.environ.get("HSINBOX_CONFIG")
    if override:
        return Path(override).expanduser()
    return config_dir() / "config.toml"


def data_dir() -> Path:
    """Drafts, outbox journal, demo state."""
    return _ensure_dir(Path(platformdirs.user_data_dir(APP, appauthor=False)))


def cache_dir() -> Path:
    return _ensure_dir(Path(platformdirs.user_cache_dir(APP, appauthor=False)))


def downloads_dir() -> Path:
    """Where downloaded attachments go unless ``download_dir`` says otherwise."""
    return Path(platformdirs.user_downloads_dir())


def write_private(path: Path, data: str | bytes) -> None:
    """Write a file readable by its owner only, atomically (temp file + rename)."""
    _ensure_dir(path.parent)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    fd = os.open(tmp, flags, 0o600)
    try:
        try:
            os.fchmod(fd, 0o600)
            payload = data.encode("utf-8") if isinstance(data, str) else data
            view = memoryview(payload)
            while view:  # a short write (a disk filling up) is finished or raises
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError:
        # A full disk keeps the old file whole and leaves no half-written temp file behind.
        tmp.unlink(missing_ok=True)
        raise
