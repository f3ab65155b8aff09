"""Start the app: build it over the wiring (demo help desk or the signed-in account), run it."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from hsinbox import paths

if TYPE_CHECKING:
    from hsinbox.inbox.wiring import Wiring
    from hsinbox.tui.app import HsInboxApp


async def main(wiring: Wiring, read_only: bool = False) -> int | None:
    """Send the sign-in and first requests, then build the app and run it on the same loop.

    The requests leave before Textual is even imported: the app's modules import in a
    thread while the loop sends the token request and, as answers come, me, the mailboxes
    and the first list (the socket work releases the GIL), so the network's latency overlaps
    the import and the first layout instead of following them.
    """
    from hsinbox.inbox.wiring import first_view_guess
    from hsinbox.tui.saved_state import read_state

    try:
        if wiring.session is not None:
            state_file = paths.data_dir() / "state.json"
            wiring.session.prefetch_start(
                first_view_guess(wiring.settings, lambda: read_state(state_file))
            )
            await asyncio.sleep(0)  # the token request is on the wire before imports start
            app_class = await asyncio.to_thread(_app_class)
        else:
            app_class = _app_class()
        app = app_class(
            wiring.session,
            wiring.settings,
            read_only=read_only,
            sign_in_problem=wiring.sign_in_problem,
            notices=[str(p) for p in wiring.problems],
        )
        return await app.run_async()
    finally:
        if wiring.client is not None:
            with contextlib.suppress(Exception):
                await wiring.client.aclose()


def _app_class() -> type[HsInboxApp]:
    from hsinbox.tui.app import HsInboxApp
    from hsinbox.tui.image_preview import preload

    preload()  # the images extra asks the terminal what it draws: before Textual owns it

    return HsInboxApp


def run(mode: str = "live", read_only: bool = False) -> int:
    """Run the TUI until the user quits; returns the process exit code."""
    from hsinbox.helpscout.client import prepare_tls

    if mode != "demo":
        prepare_tls()  # loads CA certificates while the app's modules import
    from hsinbox.inbox.wiring import build

    wiring = build(mode, read_only)
    result = asyncio.run(main(wiring, read_only))
    if wiring.sign_in_problem:
        return 2
    return result if isinstance(result, int) else 0
