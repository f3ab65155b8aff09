"""Start-up without the cyclic garbage collector.

Importing and building the first screen allocates several hundred thousand objects that all
stay alive (classes, pydantic schemas, Textual styles); the collector walking them again and
again took about a third of the import time. The entry point turns it off; it is on again
once the first list is painted, a few seconds after the app mounts if nothing was painted, or
at once for any command other than the inbox.
"""

from __future__ import annotations

import gc

_paused = False


def pause() -> None:
    """Off until ``resume()``; only the entry point calls this (tests never do)."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume() -> None:
    """On again, if ``pause()`` turned it off; safe to call any number of times."""
    global _paused
    if _paused:
        _paused = False
        gc.enable()


def paused() -> bool:
    return _paused
