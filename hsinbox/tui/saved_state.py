"""The small JSON state file (last mailbox and folder), written 0600."""

from __future__ import annotations

import json
from typing import Any

from hsinbox import paths


def read_state(path: Any) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_state(path: Any, data: dict[str, Any]) -> str | None:
    """None when written; else why not (a full disk): the app says it once, never crashes."""
    try:
        paths.write_private(path, json.dumps(data))
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    return None
