"""The ``hsinbox`` command: opens the inbox, signs in and out, serves the sandbox.

Every failure a user can cause or meet ends as one line on stderr and a non-zero exit code,
never a traceback. The TUI, the sandbox and the config module are imported only when the
command that needs them runs, so ``hsinbox auth status`` stays fast and light.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import shutil
import sys
import webbrowser
from collections.abc import Sequence
from typing import NoReturn, TextIO

from hsinbox import __version__, paths
from hsinbox.helpscout.auth import (
    DEFAULT_CALLBACK_PORT,
    AppCredentials,
    api_base_from_env,
    authorization_code_grant,
    authorize_url,
    client_credentials_grant,
    ready_token,
)
from hsinbox.helpscout.client import HelpScoutClient
from hsinbox.helpscout.errors import HelpScoutError, NotSignedIn, clean_detail
from hsinbox.helpscout.models import Token, User
from hsinbox.helpscout.tokens import KeyringTokenStore, default_token_store

PROG = "hsinbox"


class CLIError(Exception):
    """A problem to report in one line, with the exit code to use."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line instead of usage plus error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="A keyboard-driven terminal inbox for Help Scout.",
        epilog="Run without a command to open your inbox.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument(
        "--read-only", action="store_true", help="browse without changing anything in Help Scout"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    demo = sub.add_parser("demo", help="open the built-in sample help desk (no account needed)")
    # Also after the command (`hsinbox demo --read-only`); SUPPRESS keeps the one given first.
    demo.add_argument(
        "--read-only",
        action="store_true",
        default=argparse.SUPPRESS,
        help="browse without changing anything",
    )

    auth = sub.add_parser("auth", help="sign in to Help Scout, sign out, show who is signed in")
    auth_sub = auth.add_subparsers(dest="auth_command", metavar="ACTION", parser_class=_Parser)
    auth_sub.required = True
    login = auth_sub.add_parser("login", help="sign in with your Help Scout app")
    login.add_argument(
        "--client-credentials",
        action="store_true",
        help="sign in as the app's owner without a browser (internal integrations)",
    )
    login.add_argument(
        "--token",
        action="store_true",
        help="sign in with a ready access token, read from a hidden prompt or stdin "
        "(never from the command line); it is not refreshed",
    )
    login.add_argument("--app-id", help="the app's ID (default: $HSINBOX_APP_ID or a prompt)")
    login.add_argument(
        "--app-secret-stdin",
        action="store_true",
        help="read the app's secret from the first line of stdin",
    )
    login.add_argument(
        "--app-secret",
        help="discouraged: every local user sees it in `ps`; default: $HSINBOX_APP_SECRET, "
        "else a hidden prompt",
    )
    login.add_argument(
        "--port",
        type=int,
        default=DEFAULT_CALLBACK_PORT,
        help="local port for the browser's answer; the app's Redirection URL must be "
        f"http://127.0.0.1:PORT/callback (default {DEFAULT_CALLBACK_PORT})",
    )
    login.add_argument(
        "--no-browser", action="store_true", help="print the sign-in address, do not open it"
    )
    login.add_argument(
        "--timeout", type=float, default=300.0, help="seconds to wait for the browser (300)"
    )
    logout = auth_sub.add_parser(
        "logout", help="forget the saved sign-in (this account's local data stays unless --purge)"
    )
    logout.add_argument(
        "--purge",
        action="store_true",
        help="also remove this account's cache and drafts (refused while changes are unsent)",
    )
    logout.add_argument(
        "--discard-unsent",
        action="store_true",
        help="with --purge: remove unsent changes too (they are never sent)",
    )
    auth_sub.add_parser("status", help="show who is signed in and where the sign-in is kept")

    sandbox = sub.add_parser("sandbox", help="serve the sample Help Scout API on this machine")
    sandbox.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    sandbox.add_argument("--port", type=int, default=0, help="port (default: any free port)")

    config = sub.add_parser("config", help="the settings file")
    config_sub = config.add_subparsers(
        dest="config_command", metavar="ACTION", parser_class=_Parser
    )
    config_sub.required = True
    config_sub.add_parser("path", help="print where the settings file is")
    init = config_sub.add_parser("init", help="write a commented settings file")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")

    cache = sub.add_parser("cache", help="cached data")
    cache_sub = cache.add_subparsers(dest="cache_command", metavar="ACTION", parser_class=_Parser)
    cache_sub.required = True
    cache_sub.add_parser("clear", help="delete the cache")
    return parser


# --- helpers -----------------------------------------------------------------------


def _say(text: str, stream: TextIO | None = None) -> None:
    print(text, file=stream or sys.stdout, flush=True)


def _person(user: User) -> str:
    name = clean_detail(user.name, 120)
    email = clean_detail(user.email, 120)
    return f"{name} <{email}>" if email and email != name else name


SECRET_IN_ARGV = (
    "warning: --app-secret shows the secret to every user of this machine (`ps`, shell "
    "history); use the prompt, --app-secret-stdin or HSINBOX_APP_SECRET instead."
)


def _stdin_line(what: str) -> str:
    line = sys.stdin.readline().strip()
    if not line:
        raise CLIError(f"Expected {what} on the first line of stdin; it was empty.")
    return line


def _credentials(args: argparse.Namespace) -> AppCredentials:
    app_id = (args.app_id or os.environ.get("HSINBOX_APP_ID") or "").strip()
    if args.app_secret_stdin:
        if not app_id:
            raise CLIError("With --app-secret-stdin, give the app's ID with --app-id.")
        secret = _stdin_line("the app secret")
    elif args.app_secret:
        _say(SECRET_IN_ARGV, sys.stderr)
        secret = args.app_secret.strip()
    else:
        secret = os.environ.get("HSINBOX_APP_SECRET", "").strip()
    if not app_id or not secret:
        if not sys.stdin.isatty():
            raise CLIError(
                "Need the Help Scout app's ID and secret: pass --app-id with "
                "--app-secret-stdin, or set HSINBOX_APP_ID and HSINBOX_APP_SECRET."
            )
        _say("Your Help Scout app is under Your Profile → My Apps.")
        if not app_id:
            app_id = input("App ID: ").strip()
        if not secret:
            secret = getpass.getpass("App Secret (not shown): ").strip()
    if not app_id or not secret:
        raise CLIError("Sign-in needs both the app ID and the app secret.")
    return AppCredentials(app_id, secret)


def _browser_available() -> bool:
    """Open a browser only where one can show up: a text browser would take the terminal."""
    if sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")) and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        return False
    try:
        webbrowser.get()
    except webbrowser.Error:
        return False
    return True


def _ready_token() -> Token:
    """A ready access token from a hidden prompt, or stdin when it is not a terminal."""
    if sys.stdin.isatty():
        text = getpass.getpass("Access token (not shown): ")
    else:
        text = _stdin_line("the access token")
    try:
        return ready_token(text)
    except ValueError as exc:
        raise CLIError(str(exc)) from None


async def _me_with(token: Token, credentials: AppCredentials | None, base_url: str) -> User:
    async with HelpScoutClient(base_url, credentials=credentials, token=token) as client:
        return await client.get_me()


def _finish_sign_in(
    token: Token, credentials: AppCredentials | None, base_url: str, store: KeyringTokenStore
) -> int:
    from hsinbox.inbox.accounts import AccountData, adopt_legacy, user_key

    me = asyncio.run(_me_with(token, credentials, base_url))
    warning = store.take_warning()
    was_legacy = store.load() is not None and store.load_user_id() is None
    store.sign_in(token, credentials, me.id)
    _say(f"Signed in as {_person(me)}.")
    where = "the system keyring" if store.location == "system keyring" else store.location
    _say(f"The sign-in is kept in {where}.")
    if was_legacy:
        account = AccountData.of(user_key(base_url, me.id))
        moved = adopt_legacy(account)
        if moved:
            _say(f"Kept from the earlier sign-in: {moved}, now in {account.data_dir}.")
    if warning:
        _say(f"Note: {warning}", sys.stderr)
    return 0


# --- commands ----------------------------------------------------------------------


def cmd_login(args: argparse.Namespace) -> int:
    base_url = api_base_from_env()
    if args.token:
        if args.client_credentials or args.app_secret or args.app_secret_stdin:
            raise CLIError("--token signs in without an app: leave out the app's options.", 2)
        return _finish_sign_in(_ready_token(), None, base_url, default_token_store())
    credentials = _credentials(args)
    store = default_token_store()
    if args.client_credentials:
        token = asyncio.run(client_credentials_grant(credentials, base_url=base_url))
        return _finish_sign_in(token, credentials, base_url, store)
    from hsinbox.helpscout.callback import CallbackServer

    with CallbackServer(port=args.port, timeout=args.timeout, confirm=True) as server:
        url = authorize_url(
            credentials.app_id, server.state, server.redirect_uri, api_base=base_url
        )
        _say("To sign in, open this address in a browser and approve hsinbox:")
        _say(f"  {url}")
        _say(f"(The app's Redirection URL must be {server.redirect_uri})")
        if not args.no_browser and _browser_available():
            webbrowser.open(url)
        _say("Waiting for the browser…")
        code = server.wait()
        try:
            token = asyncio.run(
                authorization_code_grant(credentials, code, server.redirect_uri, base_url=base_url)
            )
        except Exception as exc:
            server.report(str(exc))  # the browser tab says it failed, not "Signed in"
            raise
        server.report(None)
    return _finish_sign_in(token, credentials, base_url, store)


def cmd_logout(args: argparse.Namespace) -> int:
    from hsinbox.inbox.accounts import AccountData, user_key

    if args.discard_unsent and not args.purge:
        raise CLIError("--discard-unsent goes with --purge.", 2)
    store = default_token_store()
    had = store.load() is not None
    if not had:
        if args.purge:
            return _purge_every_account(args.discard_unsent)
        _say("Not signed in; nothing to remove.")
        return 0
    user_id = store.load_user_id()
    account = AccountData.of(None if user_id is None else user_key(api_base_from_env(), user_id))
    if args.purge:
        unsent = account.unsent()
        if unsent and not args.discard_unsent:
            raise CLIError(
                f"Not signed out: {unsent} unsent change{'s' if unsent != 1 else ''} would be "
                "lost. Open hsinbox to send them, or add --discard-unsent to drop them."
            )
        if account.in_use():
            raise CLIError("Not signed out: hsinbox is running on this account; quit it first.")
    where = store.location
    store.clear()
    _say(f"Signed out; the saved sign-in was removed from {where}.")
    kept = account.summary()
    if args.purge:
        account.purge()
        if kept:
            _say(f"Removed from this machine: {kept}.")
    elif kept:
        _say(
            f"Kept on this machine for this account: {kept} ({account.data_dir}); signing in "
            "as it again uses them, `hsinbox auth logout --purge` removes them."
        )
    return 0


def _purge_every_account(discard_unsent: bool) -> int:
    """Signed out already: ``--purge`` removes what every account left on this machine."""
    from hsinbox.inbox.accounts import every_account

    accounts = [a for a in every_account() if a.summary()]
    unsent = sum(a.unsent() for a in accounts)
    if unsent and not discard_unsent:
        raise CLIError(
            f"Nothing removed: {unsent} unsent change{'s' if unsent != 1 else ''} would be "
            "lost. Sign in and open hsinbox to send them, or add --discard-unsent."
        )
    if any(a.in_use() for a in accounts):
        raise CLIError("Nothing removed: hsinbox is running; quit it first.")
    if not accounts:
        _say("Not signed in; nothing to remove.")
        return 0
    for account in accounts:
        what = account.summary()
        account.purge()
        _say(f"Removed {what} ({account.data_dir}).")
    return 0


async def _status() -> tuple[User, str]:
    store = default_token_store()
    client = HelpScoutClient.from_env(store)
    if client.token_store is not None:
        where = store.location
    elif client.credentials is not None:
        where = "nowhere (HSINBOX_APP_ID and HSINBOX_APP_SECRET from the environment)"
    else:
        where = "nowhere (HSINBOX_TOKEN from the environment)"
    async with client:
        return await client.get_me(), where


def cmd_status(args: argparse.Namespace) -> int:
    try:
        me, where = asyncio.run(_status())
    except NotSignedIn:
        _say("Not signed in: run `hsinbox auth login`.", sys.stderr)
        return 1
    _say(f"Signed in as {_person(me)}")
    _say(f"Sign-in kept in: {where}")
    return 0


def cmd_sandbox(args: argparse.Namespace) -> int:
    from hsinbox.sandbox.cli import serve_command

    return int(serve_command(args.host, args.port))


def cmd_config(args: argparse.Namespace) -> int:
    path = paths.config_file()
    if args.config_command == "path":
        _say(str(path))
        return 0
    from hsinbox.config import DEFAULT_CONFIG_TOML

    if path.exists() and not args.force:
        _say(f"{path} already exists; use --force to overwrite it.", sys.stderr)
        return 1
    paths.write_private(path, DEFAULT_CONFIG_TOML)
    _say(f"Wrote {path}")
    return 0


def cmd_cache(args: argparse.Namespace) -> int:
    root = paths.cache_dir()
    removed = 0
    for entry in sorted(root.iterdir()):
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
        _say(f"removed {entry}")
        removed += 1
    _say(f"Cache cleared ({removed} item{'s' if removed != 1 else ''}) in {root}")
    return 0


def cmd_open(args: argparse.Namespace, mode: str) -> int:
    try:
        from hsinbox.tui.launch import run
    except ImportError as exc:
        raise CLIError(f"The terminal interface could not be loaded ({exc}).") from None
    return int(run(mode=mode, read_only=args.read_only))


def _dispatch(args: argparse.Namespace) -> int:
    match args.command:
        case None:
            return cmd_open(args, "live")
        case "demo":
            return cmd_open(args, "demo")
        case "auth":
            handler = {"login": cmd_login, "logout": cmd_logout, "status": cmd_status}
            return handler[args.auth_command](args)
        case "sandbox":
            return cmd_sandbox(args)
        case "config":
            return cmd_config(args)
        case "cache":
            return cmd_cache(args)
    raise CLIError(f"unknown command {args.command!r}", 2)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(list(argv) if argv is not None else None)
    except SystemExit as exc:  # --help, --version, bad arguments
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return _dispatch(args)
    except KeyboardInterrupt:
        _say(f"{PROG}: interrupted", sys.stderr)
        return 130
    except CLIError as exc:
        _say(f"{PROG}: {exc}", sys.stderr)
        return exc.code
    except HelpScoutError as exc:
        _say(f"{PROG}: {exc}", sys.stderr)
        return 1
    except ValueError as exc:  # e.g. a refused HSINBOX_API_URL
        _say(f"{PROG}: {clean_detail(exc, 400)}", sys.stderr)
        return 2
    except OSError as exc:
        _say(f"{PROG}: {clean_detail(exc, 400)}", sys.stderr)
        return 1
    except Exception as exc:  # a traceback is never the answer a user gets
        _say(
            f"{PROG}: unexpected error: {type(exc).__name__}: {clean_detail(exc, 300)}", sys.stderr
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
