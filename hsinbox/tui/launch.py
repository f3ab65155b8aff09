"""Start the app: build it over the wiring (demo help desk or the signed-in account), run it."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hsinbox.inbox.wiring import Wiring
    from hsinbox.tui.app import HsInboxApp


async def main(app: HsInboxApp, wiring: Wiring) -> int | None:
    """Send the sign-in and first requests, then run the app on the same loop.

    The requests travel while Textual builds the screen, instead of after it is mounted.
    """
    from hsinbox.inbox.wiring import first_view_guess

    try:
        if wiring.session is not None:
            wiring.session.prefetch_start(first_view_guess(wiring.settings, app.load_state))
        return await app.run_async()
    finally:
        if wiring.client is not None:
            with contextlib.suppress(Exception):
                await wiring.client.aclose()


def run(mode: str = "live", read_only: bool = False) -> int:
    """Run the TUI until the user quits; returns the process exit code."""
    from hsinbox.helpscout.client import prepare_tls

    if mode != "demo":
        prepare_tls()  # loads CA certificates while the app's modules import
    from hsinbox.inbox.wiring import build
    from hsinbox.tui.app import HsInboxApp

    wiring = build(mode, read_only)
    app = HsInboxApp(
        wiring.session,
        wiring.settings,
        read_only=read_only,
        sign_in_problem=wiring.sign_in_problem,
        notices=[str(p) for p in wiring.problems],
    )
    result = asyncio.run(main(app, wiring))
    if wiring.sign_in_problem:
        return 2
    return result if isinstance(result, int) else 0
