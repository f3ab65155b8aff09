"""The `hsinbox` command line, run through main() in-process."""

from __future__ import annotations

import io
import json
import socket
import stat
import sys
from pathlib import Path

import pytest

from hsinbox import __version__, cli, paths
from hsinbox.helpscout.auth import AppCredentials
from hsinbox.helpscout.models import Token
from hsinbox.helpscout.tokens import default_token_store
from hsinbox.sandbox import Sandbox


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_version(capsys) -> None:
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"hsinbox {__version__}"


def test_help_lists_commands(capsys) -> None:
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for word in ("demo", "auth", "sandbox", "config", "cache", "--read-only"):
        assert word in out


@pytest.mark.parametrize(
    "argv", [["--bogus"], ["frobnicate"], ["auth"], ["auth", "login", "--port", "x"]]
)
def test_bad_arguments_are_one_line_exit_2(argv: list[str], capsys) -> None:
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(_lines(captured.err)) == 1
    assert captured.err.startswith("hsinbox")
    assert "Traceback" not in captured.err


def test_auth_status_not_signed_in(capsys) -> None:
    assert cli.main(["auth", "status"]) == 1
    captured = capsys.readouterr()
    assert _lines(captured.err) == ["Not signed in: run `hsinbox auth login`."]


def test_logout_when_signed_out(capsys) -> None:
    assert cli.main(["auth", "logout"]) == 0
    assert "nothing to remove" in capsys.readouterr().out


def test_logout_clears_the_store(memory_keyring, capsys) -> None:
    default_token_store().save(Token(access_token="SECRET-T"), AppCredentials("i", "SECRET-S"))
    assert memory_keyring.store
    assert cli.main(["auth", "logout"]) == 0
    assert memory_keyring.store == {}
    out = capsys.readouterr().out
    assert "system keyring" in out and "SECRET" not in out
    assert default_token_store().load() is None


def test_config_path(capsys) -> None:
    assert cli.main(["config", "path"]) == 0
    assert capsys.readouterr().out.strip() == str(paths.config_file())


def test_config_path_honours_override(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("HSINBOX_CONFIG", str(tmp_path / "c.toml"))
    assert cli.main(["config", "path"]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "c.toml")


def test_config_init_writes_once_then_refuses_unless_forced(capsys) -> None:
    from hsinbox.config import DEFAULT_CONFIG_TOML

    path = paths.config_file()
    assert cli.main(["config", "init"]) == 0
    assert path.read_text() == DEFAULT_CONFIG_TOML
    path.write_text("# mine\n")
    assert cli.main(["config", "init"]) == 1
    assert len(_lines(capsys.readouterr().err)) == 1
    assert path.read_text() == "# mine\n"
    assert cli.main(["config", "init", "--force"]) == 0
    assert path.read_text() == DEFAULT_CONFIG_TOML


def test_cache_clear_removes_contents(capsys) -> None:
    root = paths.cache_dir()
    (root / "a.json").write_text("{}")
    (root / "sub").mkdir()
    (root / "sub" / "b").write_text("x")
    assert cli.main(["cache", "clear"]) == 0
    assert list(root.iterdir()) == []
    out = capsys.readouterr().out
    assert "a.json" in out and "sub" in out and "2 items" in out


def test_no_command_opens_live_and_demo_opens_demo(monkeypatch) -> None:
    import hsinbox.tui.launch as launch

    calls: list[tuple[str, bool]] = []

    def fake_run(mode: str = "live", read_only: bool = False) -> int:
        calls.append((mode, read_only))
        return 3

    monkeypatch.setattr(launch, "run", fake_run)
    assert cli.main([]) == 3
    assert cli.main(["--read-only", "demo"]) == 3
    assert calls == [("live", False), ("demo", True)]


def test_sandbox_delegates(monkeypatch) -> None:
    import types

    seen: list[tuple[str, int]] = []
    fake = types.ModuleType("hsinbox.sandbox.cli")

    def serve_command(host: str, port: int) -> int:
        seen.append((host, port))
        return 0

    fake.serve_command = serve_command  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "hsinbox.sandbox.cli", fake)
    assert cli.main(["sandbox", "--port", "8999"]) == 0
    assert seen == [("127.0.0.1", 8999)]


def test_unreachable_server_is_one_line(monkeypatch, capsys) -> None:
    monkeypatch.setenv("HSINBOX_API_URL", f"http://127.0.0.1:{_free_port()}")
    monkeypatch.setenv("HSINBOX_APP_SECRET", "SECRET-S")
    argv = ["auth", "login", "--client-credentials", "--app-id", "a"]
    assert cli.main(argv) == 1
    captured = capsys.readouterr()
    err = _lines(captured.err)
    assert len(err) == 1 and err[0].startswith("hsinbox: Could not reach Help Scout")
    assert "Traceback" not in captured.err and "SECRET" not in captured.err + captured.out
    assert default_token_store().load() is None


def test_status_against_unreachable_server(monkeypatch, capsys) -> None:
    from hsinbox.helpscout.client import HelpScoutClient

    waits: list[float] = []

    async def no_wait(seconds: float) -> None:
        waits.append(seconds)

    original = HelpScoutClient.from_env.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(
        HelpScoutClient,
        "from_env",
        classmethod(lambda cls, store=None: original(cls, store, sleep=no_wait)),
    )
    default_token_store().save(Token(access_token="t"), AppCredentials("i", "s"))
    monkeypatch.setenv("HSINBOX_API_URL", f"http://127.0.0.1:{_free_port()}")
    assert cli.main(["auth", "status"]) == 1
    err = _lines(capsys.readouterr().err)
    assert len(err) == 1 and err[0].startswith("hsinbox: Could not reach Help Scout")
    assert waits == [0.5, 1.0]  # a GET is tried three times


def test_plain_http_api_url_is_refused(monkeypatch, capsys) -> None:
    monkeypatch.setenv("HSINBOX_API_URL", "http://help.example.com")
    monkeypatch.setenv("HSINBOX_APP_SECRET", "s")
    assert cli.main(["auth", "login", "--client-credentials", "--app-id", "a"]) == 2
    err = _lines(capsys.readouterr().err)
    assert len(err) == 1 and "https://" in err[0]


def test_login_needs_credentials_without_a_terminal(monkeypatch, capsys) -> None:
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    assert cli.main(["auth", "login", "--client-credentials"]) == 1
    assert "HSINBOX_APP_ID" in capsys.readouterr().err


def test_keyboard_interrupt_is_one_line(monkeypatch, capsys) -> None:
    def boom(args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "cmd_status", boom)
    assert cli.main(["auth", "status"]) == 130
    assert _lines(capsys.readouterr().err) == ["hsinbox: interrupted"]


def test_unexpected_error_is_one_line(monkeypatch, capsys) -> None:
    def boom(args: object) -> int:
        raise RuntimeError("kaput\nsecond line")

    monkeypatch.setattr(cli, "cmd_logout", boom)
    assert cli.main(["auth", "logout"]) == 1
    assert len(_lines(capsys.readouterr().err)) == 1


# --- against the sandbox over loopback -----------------------------------------------


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str, tty: bool = False) -> None:
    stream = io.StringIO(text + "\n")
    stream.isatty = lambda: tty  # type: ignore[method-assign]
    monkeypatch.setattr(sys, "stdin", stream)


@pytest.fixture
def served(monkeypatch):
    sb = Sandbox()
    with sb.serve() as url:
        monkeypatch.setenv("HSINBOX_API_URL", url)
        yield sb


def test_login_client_credentials_against_sandbox(
    served, memory_keyring, monkeypatch, capsys
) -> None:
    sb = served
    _stdin(monkeypatch, sb.app_secret)
    argv = [
        "auth",
        "login",
        "--client-credentials",
        "--app-id",
        sb.app_id,
        "--app-secret-stdin",
    ]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    me = next(u for u in sb.state["users"] if u["id"] == sb.me_id)
    assert f"Signed in as {me['firstName']} {me['lastName']} <{me['email']}>" in out
    saved = json.loads(memory_keyring.store[("hsinbox", "session")])
    assert saved["token"]["grant"] == "client_credentials"
    assert saved["app_id"] == sb.app_id
    assert saved["token"]["access_token"] not in out

    assert cli.main(["auth", "status"]) == 0
    out = capsys.readouterr().out
    assert me["email"] in out and "system keyring" in out
    assert saved["token"]["access_token"] not in out

    assert cli.main(["auth", "logout"]) == 0
    assert cli.main(["auth", "status"]) == 1


def test_login_wrong_secret_against_sandbox(served, monkeypatch, capsys) -> None:
    _stdin(monkeypatch, "wrong-secret")
    argv = [
        "auth",
        "login",
        "--client-credentials",
        "--app-id",
        served.app_id,
        "--app-secret-stdin",
    ]
    assert cli.main(argv) == 1
    captured = capsys.readouterr()
    assert len(_lines(captured.err)) == 1 and "wrong-secret" not in captured.err


def test_login_file_fallback_mode(served, monkeypatch, capsys, caplog) -> None:
    _stdin(monkeypatch, served.app_secret)
    import keyring
    import keyring.backends.fail

    keyring.set_keyring(keyring.backends.fail.Keyring())
    argv = [
        "auth",
        "login",
        "--client-credentials",
        "--app-id",
        served.app_id,
        "--app-secret-stdin",
    ]
    assert cli.main(argv) == 0
    path = paths.config_dir() / "session.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    captured = capsys.readouterr()
    assert str(path) in captured.out
    assert captured.err.count("keyring is not available") == 1
    assert "keyring is not available" not in caplog.text  # shown once, not also logged


def test_login_code_flow_against_sandbox(served, memory_keyring, monkeypatch, capsys) -> None:
    import threading
    import webbrowser

    import httpx

    visits: list[threading.Thread] = []

    def fake_open(url: str) -> bool:
        # Stands in for the browser: Help Scout's approve page redirects to the callback.
        t = threading.Thread(target=httpx.get, args=(url,), kwargs={"follow_redirects": True})
        t.start()
        visits.append(t)
        return True

    monkeypatch.setattr(cli, "_browser_available", lambda: True)
    monkeypatch.setattr(webbrowser, "open", fake_open)
    _stdin(monkeypatch, served.app_secret)
    argv = [
        "auth",
        "login",
        "--port",
        "0",
        "--timeout",
        "5",
        "--app-id",
        served.app_id,
        "--app-secret-stdin",
    ]
    assert cli.main(argv) == 0
    for t in visits:
        t.join()
    out = capsys.readouterr().out
    assert "authorizeClientApplication?client_id=" in out
    assert "Signed in as" in out
    saved = json.loads(memory_keyring.store[("hsinbox", "session")])
    assert saved["token"]["grant"] == "authorization_code"
    assert saved["token"]["refresh_token"]
    exchange = [r for r in served.requests if r.path == "/v2/oauth2/token"][-1]
    assert b"grant_type=authorization_code" in exchange.body
    assert b"redirect_uri=http%3A%2F%2F127.0.0.1%3A" in exchange.body
    assert b"%3A0%2Fcallback" not in exchange.body


def test_read_only_is_accepted_after_demo_too() -> None:
    """`hsinbox demo --read-only` was refused; only `hsinbox --read-only demo` worked."""
    from hsinbox.cli import build_parser

    parser = build_parser()
    assert parser.parse_args(["demo", "--read-only"]).read_only is True
    assert parser.parse_args(["--read-only", "demo"]).read_only is True
    assert parser.parse_args(["demo"]).read_only is False


# --- secrets never on the command line; a ready token ---------------------------------


def test_app_secret_in_argv_works_with_a_one_line_warning(served, memory_keyring, capsys) -> None:
    argv = ["auth", "login", "--client-credentials", "--app-id", served.app_id]
    assert cli.main([*argv, "--app-secret", served.app_secret]) == 0
    captured = capsys.readouterr()
    assert _lines(captured.err) == [cli.SECRET_IN_ARGV]
    assert served.app_secret not in captured.err + captured.out


def test_app_secret_from_a_hidden_prompt(served, memory_keyring, monkeypatch, capsys) -> None:
    import getpass

    _stdin(monkeypatch, served.app_id, tty=True)
    prompts: list[str] = []

    def hidden(prompt: str) -> str:
        prompts.append(prompt)
        return served.app_secret

    monkeypatch.setattr(getpass, "getpass", hidden)
    assert cli.main(["auth", "login", "--client-credentials"]) == 0
    assert prompts == ["App Secret (not shown): "]
    assert served.app_secret not in capsys.readouterr().out
    saved = json.loads(memory_keyring.store[("hsinbox", "session")])
    assert saved["app_id"] == served.app_id and saved["user_id"] == served.me_id


def test_app_secret_stdin_needs_the_app_id(monkeypatch, capsys) -> None:
    _stdin(monkeypatch, "s3cret")
    assert cli.main(["auth", "login", "--client-credentials", "--app-secret-stdin"]) == 1
    err = capsys.readouterr().err
    assert _lines(err) == ["hsinbox: With --app-secret-stdin, give the app's ID with --app-id."]


def _mint(sb: Sandbox, url: str) -> str:
    import httpx

    answer = httpx.post(
        f"{url}/v2/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": sb.app_id,
            "client_secret": sb.app_secret,
        },
    )
    return str(answer.json()["access_token"])


def test_login_with_a_ready_token_from_stdin(served, memory_keyring, monkeypatch, capsys) -> None:
    import os

    access = _mint(served, os.environ["HSINBOX_API_URL"])
    _stdin(monkeypatch, access)
    assert cli.main(["auth", "login", "--token"]) == 0
    out = capsys.readouterr().out
    assert "Signed in as" in out and access not in out
    saved = json.loads(memory_keyring.store[("hsinbox", "session")])
    assert saved["token"]["access_token"] == access
    assert saved["token"]["grant"] == "access_token"
    assert saved["user_id"] == served.me_id and "app_secret" not in saved
    assert cli.main(["auth", "status"]) == 0
    capsys.readouterr()
    before = len(served.requests)
    served.faults.expire_tokens()
    assert cli.main(["auth", "status"]) == 1
    err = _lines(capsys.readouterr().err)
    assert len(err) == 1 and "hsinbox auth login --token" in err[0] and access not in err[0]
    assert [r.path for r in served.requests[before:]] == ["/v2/users/me"]  # no refresh


def test_login_token_from_a_hidden_prompt_and_never_argv(monkeypatch, capsys) -> None:
    import getpass

    _stdin(monkeypatch, "", tty=True)
    monkeypatch.setattr(getpass, "getpass", lambda prompt: "two words")
    assert cli.main(["auth", "login", "--token"]) == 1
    assert "not an access token" in capsys.readouterr().err
    assert cli.main(["auth", "login", "--token", "abc"]) == 2  # a value is refused


def test_status_with_hsinbox_token(served, monkeypatch, capsys) -> None:
    import os

    monkeypatch.setenv("HSINBOX_TOKEN", _mint(served, os.environ["HSINBOX_API_URL"]))
    assert cli.main(["auth", "status"]) == 0
    assert "nowhere (HSINBOX_TOKEN from the environment)" in capsys.readouterr().out


# --- logout: what stays, --purge ------------------------------------------------------


def _account_with_data(unsent: int, drafts: int) -> Path:
    """A saved sign-in of user 7 and its data folder with journal lines, drafts, cache."""
    from hsinbox.inbox.accounts import AccountData, user_key

    store = default_token_store()
    store.sign_in(Token(access_token="SECRET-T"), AppCredentials("i", "SECRET-S"), 7)
    account = AccountData.of(user_key("https://api.helpscout.net", 7))
    account.data_dir.mkdir(parents=True)
    lines = [{"op": "submit", "id": f"a{i}", "action": {}, "submitted_at": 1} for i in range(3)]
    lines += [{"op": "done", "id": f"a{i}"} for i in range(3 - unsent)]
    (account.data_dir / "outbox.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    (account.data_dir / "drafts").mkdir()
    for i in range(drafts):
        (account.data_dir / "drafts" / f"{i}-reply.json").write_text("{}")
    assert account.cache_file is not None
    account.cache_file.parent.mkdir(parents=True)
    account.cache_file.write_bytes(b"")
    return account.data_dir


def test_logout_says_what_stays(capsys) -> None:
    folder = _account_with_data(unsent=2, drafts=1)
    assert cli.main(["auth", "logout"]) == 0
    out = _lines(capsys.readouterr().out)
    assert out[0].startswith("Signed out;")
    assert out[1].startswith("Kept on this machine for this account: 2 unsent changes, 1 draft ")
    assert "and the cache" in out[1] and str(folder) in out[1] and "--purge" in out[1]
    assert (folder / "outbox.jsonl").exists()


def test_purge_refuses_to_drop_unsent_changes(capsys) -> None:
    folder = _account_with_data(unsent=1, drafts=1)
    assert cli.main(["auth", "logout", "--purge"]) == 1
    err = _lines(capsys.readouterr().err)
    assert err == [
        "hsinbox: Not signed out: 1 unsent change would be lost. Open hsinbox to send them, "
        "or add --discard-unsent to drop them."
    ]
    assert default_token_store().load() is not None  # nothing was done
    assert (folder / "outbox.jsonl").exists()
    assert cli.main(["auth", "logout", "--purge", "--discard-unsent"]) == 0
    out = _lines(capsys.readouterr().out)
    assert out[1] == "Removed from this machine: 1 unsent change, 1 draft and the cache."
    assert not folder.exists()
    assert not list((paths.cache_dir() / "accounts").iterdir())


def test_purge_without_unsent_changes_removes_drafts_and_cache(capsys) -> None:
    folder = _account_with_data(unsent=0, drafts=2)
    assert cli.main(["auth", "logout", "--purge"]) == 0
    assert "Removed from this machine: 2 drafts and the cache." in capsys.readouterr().out
    assert not folder.exists()


def test_signing_in_again_takes_the_data_of_a_sign_in_from_before(
    served, memory_keyring, monkeypatch, capsys
) -> None:
    default_token_store().save(Token(access_token="old"), AppCredentials(served.app_id, "x"))
    root = paths.data_dir()
    record = {"op": "submit", "id": "a1", "action": {}, "submitted_at": 1}
    (root / "outbox.jsonl").write_text(json.dumps(record) + "\n")
    (root / "drafts").mkdir()
    (root / "drafts" / "5-reply.json").write_text("{}")
    _stdin(monkeypatch, served.app_secret)
    argv = ["auth", "login", "--client-credentials", "--app-id", served.app_id]
    assert cli.main([*argv, "--app-secret-stdin"]) == 0
    folder = root / "accounts" / f"127.0.0.1_{served_port(served)}-{served.me_id}"
    assert (
        f"Kept from the earlier sign-in: 1 unsent change and 1 draft, now in {folder}."
        in capsys.readouterr().out
    )
    assert (folder / "outbox.jsonl").exists() and (folder / "drafts" / "5-reply.json").exists()
    assert not (root / "outbox.jsonl").exists()


def served_port(sb: Sandbox) -> int:
    import os
    from urllib.parse import urlsplit

    return int(urlsplit(os.environ["HSINBOX_API_URL"]).port or 0)


def test_purge_after_logout_removes_what_every_account_left(capsys) -> None:
    folder = _account_with_data(unsent=1, drafts=1)
    assert cli.main(["auth", "logout"]) == 0
    capsys.readouterr()
    assert cli.main(["auth", "logout", "--discard-unsent"]) == 2  # only with --purge
    assert cli.main(["auth", "logout", "--purge"]) == 1
    assert "1 unsent change would be lost" in capsys.readouterr().err
    assert folder.exists()
    assert cli.main(["auth", "logout", "--purge", "--discard-unsent"]) == 0
    out = _lines(capsys.readouterr().out)
    assert out == [f"Removed 1 unsent change, 1 draft and the cache ({folder})."]
    assert not folder.exists()
    assert cli.main(["auth", "logout", "--purge"]) == 0
    assert "nothing to remove" in capsys.readouterr().out


def test_purge_refuses_while_hsinbox_runs_on_the_account(capsys) -> None:
    import fcntl
    import os

    folder = _account_with_data(unsent=0, drafts=1)
    fd = os.open(folder / "outbox.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running hsinbox's journal holds it
    try:
        assert cli.main(["auth", "logout", "--purge"]) == 1
        assert "hsinbox is running on this account" in capsys.readouterr().err
        assert folder.exists() and default_token_store().load() is not None
    finally:
        os.close(fd)
    assert cli.main(["auth", "logout", "--purge"]) == 0
    assert not folder.exists()
