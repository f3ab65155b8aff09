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


def first_view_guess(app: Any, settings: Settings) -> Any:
    """Which view the screen will open first, from the mailboxes alone (or None).

    Mirrors the screen's choice: the view saved in state.json, else the configured default
    mailbox (a default folder needs the folders, so no guess), else the first mailbox. A
    wrong guess costs one unused request: the session only hands over an exact match.
    """
    from hsinbox.inbox.view import View

    def guess(mailboxes: list[Any]) -> Any:
        if not mailboxes:
            return None
        state = app.load_state()
        mailbox_id = state.get("mailbox_id")
        if isinstance(mailbox_id, int) and any(m.id == mailbox_id for m in mailboxes):
            folder_id = state.get("folder_id")
            return View(mailbox_id, folder_id if isinstance(folder_id, int) else None)
        if settings.default_folder:
            return None
        chosen = mailboxes[0]
        wanted = settings.default_mailbox
        for mailbox in mailboxes:
            if wanted is not None and (mailbox.id == wanted or mailbox.name == wanted):
                chosen = mailbox
        return View(chosen.id)

    return guess


def prefetch_on_loop_start(app: Any, session: Any, first_view: Any) -> None:
    """Send the sign-in and first requests as soon as the app's event loop runs.

    They then travel while Textual builds the screen, instead of after it is mounted.
    ``App.run()`` makes its own loop, so the hook is the first step of ``run_async``.
    """
    run_async = app.run_async

    async def run_async_after_prefetch(**kwargs: Any) -> Any:
        session.prefetch_start(first_view)
        return await run_async(**kwargs)

    app.run_async = run_async_after_prefetch


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
    if session is not None:
        prefetch_on_loop_start(app, session, first_view_guess(app, settings))
    try:
        result = app.run()
    finally:
        if client is not None:
            with contextlib.suppress(Exception):
                asyncio.run(client.aclose())
    if sign_in_problem:
        return 2
    return result if isinstance(result, int) else 0
