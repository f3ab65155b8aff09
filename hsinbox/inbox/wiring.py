"""What the app runs on: settings, the client (the signed-in account or the demo sandbox) and
the session. The TUI gets these built and only builds screens over them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hsinbox import paths
from hsinbox.config import ConfigProblem, Settings, load_settings
from hsinbox.helpscout.client import HelpScoutClient
from hsinbox.helpscout.models import Mailbox
from hsinbox.inbox.session import InboxSession
from hsinbox.inbox.view import View, first_view


@dataclass
class Wiring:
    """The built parts; ``session`` is None when there is no account (``sign_in_problem``)."""

    settings: Settings
    problems: list[ConfigProblem] = field(default_factory=list)
    client: HelpScoutClient | None = None
    session: InboxSession | None = None
    sign_in_problem: str | None = None


def build(mode: str = "live", read_only: bool = False) -> Wiring:
    """``mode`` "demo": the built-in sandbox help desk, in-process; "live": the account."""
    from hsinbox.helpscout.errors import HelpScoutError

    settings, problems = load_settings()
    if read_only:
        # The session refuses writes too, so no path around the screen can change anything.
        settings = settings.model_copy(update={"read_only": True})
    wiring = Wiring(settings, list(problems))
    if mode == "demo":
        from hsinbox.helpscout.auth import AppCredentials
        from hsinbox.sandbox import Sandbox

        sandbox = Sandbox(state_path=paths.data_dir() / "demo-state.json")
        wiring.client = HelpScoutClient(
            "https://api.helpscout.net",
            credentials=AppCredentials(sandbox.app_id, sandbox.app_secret),
            transport=sandbox.transport(),
        )
        # The demo speaks to api.helpscout.net's address in-process: its cache stays apart.
        wiring.session = InboxSession(
            wiring.client,
            settings=settings,
            data_dir=paths.data_dir() / "demo",
            cache_path=paths.cache_dir() / "demo-cache.sqlite3",
        )
        return wiring
    try:
        wiring.client = HelpScoutClient.from_env()
    except HelpScoutError as exc:  # NotSignedIn among them
        wiring.sign_in_problem = str(exc)
    else:
        from hsinbox.inbox.accounts import for_client

        # Drafts, journal and cache of this account only: another never starts on them.
        account = for_client(wiring.client)
        wiring.session = InboxSession(
            wiring.client,
            settings=settings,
            data_dir=account.data_dir,
            cache_path=account.cache_file,
        )
    return wiring


def first_view_guess(
    settings: Settings, load_state: Callable[[], dict[str, Any]]
) -> Callable[[list[Mailbox]], View | None]:
    """The session's start-up prefetch asks for this view's list with the folders.

    ``first_view`` from the mailboxes alone (the folders are not known yet); a wrong guess
    costs one unused request: the session only hands over an exact match.
    """

    def guess(mailboxes: list[Mailbox]) -> View | None:
        return first_view(
            mailboxes,
            load_state(),
            default_mailbox=settings.default_mailbox,
            default_folder=settings.default_folder,
        )

    return guess
