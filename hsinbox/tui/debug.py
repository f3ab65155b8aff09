"""Debug hooks: off unless their environment variable is set; nothing else reads these.

``HSINBOX_DEBUG_MARKERS=path``: when the first list is on screen, the wall-clock time is
written to ``path``. ``benchmarks/bench.py`` measures start-up with it; the app never reads it.
"""

from __future__ import annotations

import os
import time

MARKERS_ENV = "HSINBOX_DEBUG_MARKERS"


def markers_path() -> str | None:
    """Where the markers go, or None when the hook is off (the one reader of the variable)."""
    return os.environ.get(MARKERS_ENV) or None


def write_marker(path: str) -> None:
    """The benchmark's signal: the wall-clock time the first list was on screen."""
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(f"{time.time():.6f}\n")
    except OSError:
        return
