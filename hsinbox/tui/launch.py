"""Start the app: the demo help desk, or the signed-in account."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from hsinbox import paths
from hsinbox.config import Settings, load_settings


def build_session(client: Any, settings: Settings, data_dir: Any, cache_path: Any = None) -> Any:
    from hsinbox.inbox.session import InboxSession

    return InboxSession(client, settings=settings, data_dir=data_dir, cache_path=cache_path)


def run(mode: str = "live", read_only: bool = False) -> int:
    """Run the TUI until the user quits; returns the process exit code."""
    from hsinbox.helpscout.client import prepare_tls

    if mode != "demo":
        prepare_tls()  # loads CA certificates while the app's modules import
    from hsinbox.helpscout.errors import HelpScoutError, NotSignedIn
    from hsinbox.tui.app import HsInboxApp

    settings, problems = load_settings()
    if read_only:
        # The session refuses writes too, so no path around the screen can change anything.
        settings = settings.model_copy(update={"read_only": True})
    session = None
    client: Any = None
    sign_in_problem: str | None = None
    if mode == "demo":
        from hsinbox.helpscout.auth import AppCredentials
        from hsinbox.helpscout.client import HelpScoutClient
        from hsinbox.sandbox import Sandbox

        sandbox = Sandbox(state_path=paths.data_dir() / "demo-state.json")
        client = HelpScoutClient(
            "https://api.helpscout.net",
            credentials=AppCredentials(sandbox.app_id, sandbox.app_secret),
            transport=sandbox.transport(),
        )
        # The demo speaks to api.helpscout.net's address in-process: its cache stays apart.
        session = build_session(
            client, settings, paths.data_dir() / "demo", paths.cache_dir() / "demo-cache.sqlite3"
        )
    else:
        from hsinbox.helpscout.client import HelpScoutClient

        try:
            client = HelpScoutClient.from_env()
        except NotSignedIn as exc:
            sign_in_problem = str(exc)
        except HelpScoutError as exc:
            sign_in_problem = str(exc)
        else:
            session = build_session(client, settings, paths.data_dir())
    app = HsInboxApp(
        session,
        settings,
        read_only=read_only,
        sign_in_problem=sign_in_problem,
        notices=[str(p) for p in problems],
    )
    try:
        result = app.run()
    finally:
        if client is not None:
            with contextlib.suppress(Exception):
                asyncio.run(client.aclose())
    if sign_in_problem:
        return 2
    return result if isinstance(result, int) else 0
