"""Settings as the person meets them: problems, keymap, themes, read-only, take next, copy/open."""

from __future__ import annotations

import importlib.resources
import tomllib
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable
from tui_helpers import NOW, SUPPORT, conv, make_app, settle, writes

from hsinbox import paths
from hsinbox.config import Settings, load_settings
from hsinbox.helpscout.models import Conversation
from hsinbox.inbox import actions as act
from hsinbox.tui.app import HsInboxApp, known_binding_ids
from hsinbox.tui.commands import ActionsProvider
from hsinbox.tui.dialogs import HelpScreen
from hsinbox.tui.inbox_screen import WRITE_ACTIONS, InboxScreen, longest_waiting_unassigned

REPO = Path(__file__).resolve().parents[2]
CHANGES = ("POST", "PATCH", "PUT", "DELETE")


def screen_of(app: HsInboxApp) -> InboxScreen:
    screen = app.inbox_screen
    assert screen is not None
    return screen


def messages(app: HsInboxApp) -> list[str]:
    return [n.message for n in app._notifications]


async def go_to(pilot: Any, number: int) -> None:
    """Scroll (end, as the agent would) until the conversation's page is loaded; go to it."""
    screen = screen_of(pilot.app)
    for _ in range(20):
        if any(c.number == number for c in screen.table.conversations.values()):
            break
        screen.table.focus()
        await pilot.press("end")
        await settle(pilot)
    target = next(c for c in screen.table.conversations.values() if c.number == number)
    screen.table.go_to(target.id)
    await pilot.pause()


def capture_terminal(app: HsInboxApp) -> list[str]:
    written: list[str] = []
    assert app._driver is not None
    app._driver.write = written.append  # type: ignore[method-assign]
    return written


# --- settings problems -------------------------------------------------------------------


async def test_bad_config_is_one_line_each_and_app_starts_with_defaults(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        'theme = "nord"\nundo_delay = "soon"\nrefresh_interval = 0\n'
        '[keymap]\nreply = "ctrl+r"\nno_such_action = "z"\n',
        encoding="utf-8",
    )
    settings, problems = load_settings(path)
    assert [str(p) for p in problems] == [
        f"{path}:2: undo_delay: input should be a valid number, "
        "unable to parse string as a number; using the default"
    ]
    app, _sb, session = make_app(tmp_path, **settings.model_dump())
    app.notices = [str(p) for p in problems]
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, session)
        assert isinstance(app.screen, InboxScreen)
        assert app.settings.undo_delay == Settings().undo_delay
        assert app.theme == "nord"
        shown = messages(app)
        assert sum(m.startswith(f"{path}:2: undo_delay: ") for m in shown) == 1
        unknown = [m for m in shown if "no_such_action" in m]
        assert len(unknown) == 1 and "names no key binding" in unknown[0]
        assert not any("reply" in m and "names no key binding" in m for m in shown)


async def test_unknown_theme_falls_back_with_one_line(tmp_path: Path) -> None:
    app, _sb, session = make_app(tmp_path, theme="solarized-purple")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, session)
        assert app.theme == "textual-dark"
        assert [m for m in messages(app) if "theme" in m] == [
            "Unknown theme 'solarized-purple' in config.toml; using textual-dark."
        ]


def test_every_inbox_binding_id_is_known() -> None:
    ids = known_binding_ids()
    for name in ("reply", "take_next", "copy_number", "copy_url", "open_web", "sort_waiting"):
        assert name in ids
    assert "no_such_action" not in ids


# --- keymap and help ---------------------------------------------------------------------


async def test_remapped_key_acts_and_help_shows_it(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path, keymap={"assign_me": "ctrl+t", "take_next": "f6"})
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        await go_to(pilot, 10072)
        c = conv(sb, 10072)
        assert not c.get("assignee")
        await pilot.press("A")  # the old key no longer assigns
        await settle(pilot, session)
        assert not writes(sb)
        await pilot.press("ctrl+t")
        await settle(pilot, session)
        assert writes(sb) == [
            (
                "PATCH",
                f"/v2/conversations/{c['id']}",
                {"op": "replace", "path": "/assignTo", "value": sb.me_id},
            )
        ]
        assert conv(sb, 10072)["assignee"]["id"] == sb.me_id
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        rows = {row[3]: row[1] for row in app.screen.rows}
        assert rows["assign_me"] == "^t"
        assert rows["take_next"] == "f6"
        assert rows["copy_url"] == "Y" and rows["open_web"] == "O"
        table = app.screen.query_one(DataTable)
        shown = {
            str(table.get_row_at(i)[3]): str(table.get_row_at(i)[1]) for i in range(table.row_count)
        }
        assert shown["assign_me"] == "^t" and shown["take_next"] == "f6"


# --- read-only ---------------------------------------------------------------------------


async def test_read_only_blocks_every_change_key_and_command(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path, read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        await go_to(pilot, 10072)
        change_keys = {
            binding.id: binding.key
            for binding in InboxScreen.BINDINGS
            if binding.action.removeprefix("screen.") in WRITE_ACTIONS
        }
        assert set(change_keys) == WRITE_ACTIONS
        for binding_id, key in change_keys.items():
            active = screen.active_bindings[key]
            assert not active.enabled, binding_id
            before = len(messages(app))
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, InboxScreen), binding_id
            new = messages(app)[before:]
            assert len(new) == 1 and "is off: hsinbox runs read-only" in new[0], binding_id
        provider = ActionsProvider(screen)
        commands = {action: label for label, _keys, action in provider._action_commands()}
        for action in WRITE_ACTIONS:
            assert commands[action].endswith("(off: read-only)")
            before = len(messages(app))
            await provider._run(action, commands[action])
            await pilot.pause()
            assert isinstance(app.screen, InboxScreen)
            assert "is off: hsinbox runs read-only" in messages(app)[before]
        help_rows = {row[3]: row[2] for row in app.help_rows()}
        assert help_rows["reply"] == "Reply (off: read-only)"
        assert help_rows["filter"] == "Filter"
        assert "READ-ONLY" in str(screen.query_one("#status-line").render())
        # reading still works
        await pilot.press("enter")
        await settle(pilot, session)
        assert screen.thread.threads
    assert not [r for r in sb.requests if r.method in CHANGES and "oauth2" not in r.path]


async def test_read_only_session_refuses_writes_behind_the_screen(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path, read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        target = screen_of(app).table.current
        assert target is not None and session.settings.read_only
        session.submit(act.SetStatus.of(target, "closed"))
        await settle(pilot, session)
        assert screen_of(app).table.conversations[target.id].status == target.status
    assert not writes(sb)


# --- take next ---------------------------------------------------------------------------


def expected_next(sb: Any) -> dict[str, Any]:
    waiting = [
        c
        for c in sb.state["conversations"]
        if c["mailboxId"] == SUPPORT and c["status"] == "active" and not c.get("assignee")
    ]
    return min(waiting, key=lambda c: c["customerWaitingSince"]["time"])


async def test_take_next_assigns_longest_waiting_unassigned_and_opens_it(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        wanted = expected_next(sb)
        assert screen.table.current is not None and screen.table.current.id != wanted["id"]
        await pilot.press("N")
        await settle(pilot, session)
        assert writes(sb) == [
            (
                "PATCH",
                f"/v2/conversations/{wanted['id']}",
                {"op": "replace", "path": "/assignTo", "value": sb.me_id},
            )
        ]
        assert conv(sb, wanted["number"])["assignee"]["id"] == sb.me_id
        assert screen.thread.conversation is not None
        assert screen.thread.conversation.id == wanted["id"]
        assert app.focused is screen.thread and screen.thread.threads
        # the next press takes the next one, not the same again
        second = expected_next(sb)
        await pilot.press("N")
        await settle(pilot, session)
        assert conv(sb, second["number"])["assignee"]["id"] == sb.me_id
        assert second["id"] != wanted["id"]


async def test_take_next_with_nothing_to_take_says_so(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path)
    me = {"id": sb.me_id, "type": "user", "first": "Maya", "last": "Lindqvist"}
    for c in sb.state["conversations"]:
        if c["mailboxId"] == SUPPORT:
            c["assignee"] = me
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        await pilot.press("N")
        await settle(pilot, session)
        assert "Nothing to take: no unassigned active conversation in this mailbox." in (
            messages(app)
        )
    assert not writes(sb)


def test_longest_waiting_puts_nobody_waiting_last() -> None:
    base = {"status": "active", "mailboxId": SUPPORT}
    items = [
        Conversation.model_validate({**base, "id": 1, "createdAt": "2026-01-01T00:00:00Z"}),
        Conversation.model_validate(
            {**base, "id": 2, "customerWaitingSince": {"time": "2026-03-01T10:00:00Z"}}
        ),
        Conversation.model_validate(
            {**base, "id": 3, "customerWaitingSince": {"time": "2026-03-01T09:00:00Z"}},
        ),
        Conversation.model_validate(
            {
                **base,
                "id": 4,
                "customerWaitingSince": {"time": "2026-02-01T09:00:00Z"},
                "assignee": {"id": 9, "type": "user"},
            }
        ),
    ]
    chosen = longest_waiting_unassigned(items)
    assert chosen is not None and chosen.id == 3
    assert longest_waiting_unassigned(items[:1]) is items[0]
    assert longest_waiting_unassigned(items[3:]) is None


# --- waiting marks and sort ---------------------------------------------------------------


async def test_waiting_marks_are_symbols_and_w_sorts_longest_first(tmp_path: Path) -> None:
    app, _sb, session = make_app(tmp_path, waiting_warn_minutes=60, waiting_alert_minutes=24 * 60)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        table = screen_of(app).table
        await pilot.press("W")
        visible = table.visible()
        waits = [c.customer_waiting_since.time for c in visible if c.customer_waiting_since]
        assert waits == sorted(waits)
        first = visible[0]
        assert first.customer_waiting_since is not None
        cell = table.cells(first)["waiting"]
        assert cell.plain.startswith("!! ")
        for c in visible:
            since = c.customer_waiting_since.time if c.customer_waiting_since else None
            if since is None or c.status != "active":
                continue
            minutes = (NOW - since).total_seconds() / 60
            plain = table.cells(c)["waiting"].plain
            if minutes >= 24 * 60:
                assert plain.startswith("!! ")
            elif minutes >= 60:
                assert plain.startswith("! ")
            else:
                assert not plain.startswith("!")
        await pilot.press("W")
        assert table.visible()[0].modified_at == max(
            c.modified_at for c in table.conversations.values() if c.modified_at
        )


# --- copy and open -----------------------------------------------------------------------


async def test_y_and_Y_copy_number_and_url_through_osc52(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TMUX", raising=False)
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        await go_to(pilot, 10072)
        c = conv(sb, 10072)
        written = capture_terminal(app)
        await pilot.press("y")
        assert written == ["\x1b]52;c;MTAwNzI=\x1b\\"]
        assert app.clipboard == "10072"
        await pilot.press("Y")
        url = f"https://secure.helpscout.net/conversation/{c['id']}/10072/"
        assert app.clipboard == url
        monkeypatch.setenv("TMUX", "/tmp/tmux-0/default,1,0")
        written.clear()
        await pilot.press("y")
        assert written == [
            "\x1b]52;c;MTAwNzI=\x1b\\\x1bPtmux;\x1b\x1b]52;c;MTAwNzI=\x1b\x1b\\\x1b\\"
        ]
        assert any(m == "Copied #10072 (OSC 52)." for m in messages(app))
    assert not writes(sb)


async def test_O_opens_a_browser_only_when_one_can_show(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("hsinbox.tui.clipboard.sys.platform", "linux")
    app, sb, session = make_app(tmp_path)
    opened: list[str] = []
    monkeypatch.setattr(app, "open_url", lambda url, **_kw: opened.append(url))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        await go_to(pilot, 10072)
        url = f"https://secure.helpscout.net/conversation/{conv(sb, 10072)['id']}/10072/"
        await pilot.press("O")
        assert opened == []
        assert f"No browser here; the conversation is at {url} (Y copies it)." in messages(app)
        monkeypatch.setenv("DISPLAY", ":0")
        await pilot.press("O")
        assert opened == [url]


# --- themes ------------------------------------------------------------------------------


def themed_app(tmp_path: Path, theme: str = "textual-dark") -> HsInboxApp:
    """No session needed: the theme is settled before any screen asks Help Scout."""
    return HsInboxApp(
        None,
        Settings(theme=theme),
        state_path=tmp_path / "state.json",
        sign_in_problem="not needed here",
        now=lambda: NOW,
    )


async def test_palette_theme_is_remembered_until_config_changes(tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text('{"mailbox_id": 8401}', encoding="utf-8")
    app = themed_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        app.theme = "gruvbox"  # what the palette's theme command does
        await pilot.pause()
        await pilot.pause()
    app = themed_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.theme == "gruvbox"
        assert app.load_state()["mailbox_id"] == SUPPORT  # the view is kept beside it
    for _ in range(2):  # config.toml changed since: it wins, and keeps winning
        app = themed_app(tmp_path, "textual-light")
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert app.theme == "textual-light"
    assert not paths.config_file().exists()  # a palette choice never rewrites config.toml


# --- packaging ---------------------------------------------------------------------------


def test_stylesheets_are_package_data() -> None:
    """Every .tcss in the source is covered by pyproject's package-data and loads as a resource."""
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["hsinbox"]
    sheets = sorted((REPO / "hsinbox").rglob("*.tcss"))
    assert sheets
    for sheet in sheets:
        relative = sheet.relative_to(REPO / "hsinbox")
        assert any(relative.match(p.removeprefix("**/")) for p in patterns), relative
    resource = importlib.resources.files("hsinbox.tui").joinpath(HsInboxApp.CSS_PATH)
    assert resource.is_file() and "#status-line" in resource.read_text(encoding="utf-8")


def test_launch_passes_config_problems_and_read_only_to_app_and_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hsinbox.tui import launch

    config = tmp_path / "config.toml"
    config.write_text('theme = "nord"\nundo_delay = -3\n', encoding="utf-8")
    monkeypatch.setenv("HSINBOX_CONFIG", str(config))
    started: list[HsInboxApp] = []

    async def fake_run_async(self: HsInboxApp) -> int:
        started.append(self)
        return 0

    monkeypatch.setattr(HsInboxApp, "run_async", fake_run_async)
    assert launch.run(mode="demo", read_only=True) == 0
    (app,) = started
    assert app.read_only and app.session.settings.read_only
    assert app.settings.theme == "nord" and app.settings.undo_delay == Settings().undo_delay
    assert len(app.notices) == 1 and app.notices[0].startswith(f"{config}:2: undo_delay: ")
