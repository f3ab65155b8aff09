"""The ``hsinbox`` command's entry point (also ``python -m hsinbox``)."""

from __future__ import annotations

import sys


def run() -> int:
    """Collector off before the first import (see ``startup_gc``), then the command line."""
    from hsinbox import startup_gc

    startup_gc.pause()
    from hsinbox.cli import main

    return main()


if __name__ == "__main__":
    sys.exit(run())
