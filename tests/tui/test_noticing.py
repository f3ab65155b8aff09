"""Notices from the refresh, by keys against the sandbox: a colleague's new conversation in
Unassigned rings the bell and writes a desktop notice after R, with no extra request; the
agent's own change does not; a watched conversation notifies; marks in the list."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from testdata import SUPPORT
from tui_helpers import make_app, settle, until

from hsinbox.sandbox import Sandbox
from hsinbox.tui.app import HsInboxApp
from hsinbox.tui.inbox_screen import InboxScreen

BELL = "\a"
OSC9 = "\x1b]9;"


def screen_of(app: HsInboxApp) -> InboxScreen:
    screen = app.screen
    assert isinstance(screen, InboxScreen)
    return screen


def capture_terminal(app: HsInboxApp) -> list[str]:
    written: list[str] = []
    assert app._driver is not None
    app._driver.write = written.append  # type: ignore[method-assign]
    return written


def api_requests(sb: Sandbox, since: int) -> list[Any]:
    return [r for r in sb.requests[since:] if not r.path.startswith("/v2/oauth2")]


async def as_colleague(sb: Sandbox, method: str, path: str, body: Any = None) -> httpx.Response:
    """A second writer (another agent's browser): straight at the sandbox, not the app."""
    async with httpx.AsyncClient(transport=sb.transport(), base_url="http://127.0.0.1") as c:
        token = await c.post(
            "/v2/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": sb.app_id,
                "client_secret": sb.app_secret,
            },
        )
        c.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        r = await c.request(method, path, json=body)
        assert r.status_code < 300, r.text
        return r


def new_conversation_body(sb: Sandbox, subject: str) -> dict[str, Any]:
    customer = next(c for c in sb.state["customers"] if c["_embedded"]["emails"])
    return {
        "subject": subject,
        "mailboxId": SUPPORT,
        "type": "email",
        "status": "active",
        "customer": {"id": customer["id"]},
        "threads": [
            {"type": "customer", "customer": {"id": customer["id"]}, "text": "Hello there"}
        ],
    }


async def test_a_colleagues_new_unassigned_conversation_rings_and_notifies_after_R(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TMUX", raising=False)
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        await pilot.press("R")  # the first refresh sets the boundary it asks from
        await settle(pilot, session)
        written = capture_terminal(app)
        hostile = "Lamp \x1b]0;pwned\x07 flickers"
        await as_colleague(sb, "POST", "/v2/conversations", new_conversation_body(sb, hostile))
        before = len(sb.requests)
        await pilot.press("R")
        await settle(pilot, session)
        await until(pilot, lambda: any(OSC9 in w for w in written))
        sent = api_requests(sb, before)
        paths = sorted(r.path for r in sent)
        # R's own two questions, as when nothing changed: what changed, the folder counts.
        assert paths == ["/v2/conversations", f"/v2/mailboxes/{SUPPORT}/folders"], paths
        assert "modifiedSince" in sent[0].query or "modifiedSince" in sent[1].query
        out = "".join(written)
        assert out.startswith(BELL)
        assert "\x1b]9;New in Unassigned: #" in out and "Lamp  flickers" in out
        assert "\x1b]777;notify;hsinbox;New in Unassigned" in out
        assert "pwned\x07" not in out and "\x1b]0" not in out, "the subject injects nothing"
        assert "\x1b]2;hsinbox (1)\x1b\\" in out
        assert any("New in Unassigned" in m.text for m in screen.messages_log)


async def test_in_tmux_the_desktop_notice_is_wrapped_for_passthrough(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMUX", "/tmp/tmux-0/default,1,0")
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, session)
        await pilot.press("R")
        await settle(pilot, session)
        written = capture_terminal(app)
        await as_colleague(sb, "POST", "/v2/conversations", new_conversation_body(sb, "Hi"))
        await pilot.press("R")
        await settle(pilot, session)
        await until(pilot, lambda: any("Ptmux;" in w for w in written))
        out = "".join(written)
        assert out.startswith(BELL + "\x1bPtmux;\x1b\x1b]9;New in Unassigned")
        assert "\x1b]9;" not in out.replace("\x1b\x1b]9;", ""), "OSC 9 only wrapped in tmux"


async def test_the_agents_own_change_does_not_notify(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TMUX", raising=False)
    app, _sb, session = make_app(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        await pilot.press("R")
        await settle(pilot, session)
        written = capture_terminal(app)
        # Assigning to me by key: Mine gets it, but the agent did it.
        target = next(c for c in screen.table.visible() if c.assignee is None)
        screen.table.go_to(target.id)
        await pilot.press("A")
        await settle(pilot, session)
        await until(pilot, lambda: session.queue_length == 0)
        await pilot.press("R")
        await settle(pilot, session)
        assert session.store.get(target.id).assignee is not None  # type: ignore[union-attr]
        assert not [w for w in written if BELL in w or OSC9 in w]
        assert not any(m.text.startswith("Notice") for m in screen.messages_log)


async def test_a_watched_conversation_notifies_on_any_change_and_is_marked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TMUX", raising=False)
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        await pilot.press("R")
        await settle(pilot, session)
        rows = screen.table.visible()
        target = rows[3]
        screen.table.go_to(target.id)
        await pilot.press("b")
        assert target.id in (screen.marks.watched if screen.marks else set())
        row = screen.table.row_text(screen.table.conversations[target.id], 140).plain
        assert "◇" in row
        screen.table.go_to(rows[0].id)  # the watched one is not on screen
        await pilot.pause()
        written = capture_terminal(app)
        await as_colleague(
            sb, "PUT", f"/v2/conversations/{target.id}/tags", {"tags": ["escalated"]}
        )
        await pilot.press("R")
        await settle(pilot, session)
        await until(pilot, lambda: any(OSC9 in w for w in written))
        assert f"Changed (watching): #{target.number}" in "".join(written)
        # Kept on this machine, for this account: a new start reads it back.
        assert screen.marks is not None
        await screen.marks.flush()
        path = tmp_path / "data" / "marks" / f"{sb.me_id}.json"
        assert str(target.id) in path.read_text()


@pytest.mark.parametrize(
    ("notify", "logged"),
    [({"quiet_hours": "00:00-23:59"}, True), ({"new": "log"}, True), ({"new": "none"}, False)],
)
async def test_quiet_hours_log_and_none_keep_the_terminal_silent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, notify: dict[str, str], logged: bool
) -> None:
    monkeypatch.delenv("TMUX", raising=False)
    app, sb, session = make_app(tmp_path, notify=notify)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        await pilot.press("R")
        await settle(pilot, session)
        written = capture_terminal(app)
        await as_colleague(sb, "POST", "/v2/conversations", new_conversation_body(sb, "Quiet"))
        await pilot.press("R")
        await settle(pilot, session)
        assert not [w for w in written if BELL in w or OSC9 in w]
        assert any("New in Unassigned" in m.text for m in screen.messages_log) is logged


async def test_r_on_a_conversation_a_colleague_is_answering_says_so_first(
    tmp_path: Path,
) -> None:
    app, sb, session = make_app(tmp_path)
    drafted = sb.state["sandboxNotes"]["colleagueDraft"]
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        for _ in range(5):  # its page, as the agent would scroll to it
            if drafted in screen.table.conversations:
                break
            await pilot.press("end")
            await settle(pilot, session)
        screen.table.go_to(drafted)
        await pilot.press("enter")
        await settle(pilot, session)
        before = len(sb.requests)
        await pilot.press("r")
        await settle(pilot, session)
        question: Any = app.screen
        assert type(question).__name__ == "ConfirmScreen"
        assert question.question.plain == (
            "✎ Priya has a draft here (3m ago); your reply would be a second one. "
            "Write a reply anyway?"
        )
        await pilot.press("n")
        await settle(pilot, session)
        assert app.screen is screen, "no composer after no"
        await pilot.press("r")
        await settle(pilot, session)
        await pilot.press("y")
        await settle(pilot, session)
        assert type(app.screen).__name__ == "ComposerScreen"
        assert api_requests(sb, before) == [], "known from the threads already read"
        # The list marks it too, now its threads are known: ✎ and the bad rating ☹.
        row = screen.table.row_text(session.store.get(drafted), 140).plain  # type: ignore[arg-type]
        assert "✎☹" in row


async def test_changed_since_opened_is_marked_and_cleared_when_opened(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        await pilot.press("R")
        await settle(pilot, session)
        rows = screen.table.visible()
        target = rows[2]
        screen.table.go_to(target.id)  # shown in the thread pane: opened
        await settle(pilot, session)
        screen.table.go_to(rows[0].id)
        await settle(pilot, session)
        assert "●" not in screen.table.row_text(target, 140).plain
        # A customer writes again (a second writer), an hour after the sandbox's "now".
        raw = sb.conversation(target.id)
        later = "2026-03-02T13:00:00Z"
        raw["customerWaitingSince"]["time"] = later
        raw["userUpdatedAt"] = later
        raw["sandbox"]["modifiedAt"] = later
        await pilot.press("R")
        await settle(pilot, session)
        fresh = screen.table.conversations[target.id]
        line = screen.table.row_text(fresh, 140)
        assert f"● {(target.subject or '')[:12]}" in line.plain, line.plain
        dot = line.plain.index("●")
        assert "bold" in str(line.get_style_at_offset(app.console, dot))
        screen.table.go_to(target.id)
        await settle(pilot, session)
        assert "●" not in screen.table.row_text(screen.table.conversations[target.id], 140).plain


# --- search anywhere ---------------------------------------------------------------------


async def test_hash_number_opens_a_conversation_of_another_mailbox_in_one_request(
    tmp_path: Path,
) -> None:
    app, sb, session = make_app(tmp_path)
    other = next(
        c
        for c in sb.state["conversations"]
        if c["mailboxId"] != SUPPORT and c["state"] == "published" and c["status"] == "closed"
    )
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        assert other["id"] not in screen.table.conversations
        before = len(sb.requests)
        await pilot.press("slash", *f"#{other['number']}", "enter")
        await settle(pilot, session)
        await until(
            pilot,
            lambda: (
                screen.thread.conversation is not None
                and screen.thread.conversation.id == other["id"]
            ),
        )
        lists = [r for r in api_requests(sb, before) if r.path == "/v2/conversations"]
        assert len(lists) == 1
        assert lists[0].query == {"number": str(other["number"]), "status": "all", "page": "1"}
        assert any(f"Opened #{other['number']} (" in m.text for m in screen.messages_log)
        before = len(sb.requests)
        await pilot.press("slash", *"number:99999999", "enter")
        await settle(pilot, session)
        assert any("No conversation #99999999" in m.text for m in screen.messages_log)
        assert [r.path for r in api_requests(sb, before) if "threads" not in r.path] == [
            "/v2/conversations"
        ]


async def test_search_every_mailbox_names_the_mailbox_of_each_row(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        await pilot.press("slash", *"refund")
        screen.action_search_everywhere()
        await settle(pilot, session)
        await until(pilot, lambda: screen.search_results is not None)
        searches = [r for r in sb.requests if r.query.get("query")]
        assert searches and "mailbox" not in searches[-1].query
        foreign = [c for c in screen.table.visible() if c.mailbox_id != SUPPORT]
        assert foreign, "rows from other mailboxes"
        row = screen.table.row_text(foreign[0], 140).plain
        assert "Billing:" in row or "Partnerships:" in row


async def test_watching_lists_the_watched_with_one_get_per_conversation_not_loaded(
    tmp_path: Path,
) -> None:
    app, sb, session = make_app(tmp_path)
    elsewhere = next(
        c
        for c in sb.state["conversations"]
        if c["mailboxId"] != SUPPORT and c["status"] == "closed"
    )
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        shown = screen.table.visible()[1]
        screen.table.go_to(shown.id)
        await pilot.press("b")
        assert screen.marks is not None
        screen.marks.toggle_watch([elsewhere["id"]])  # watched in an earlier session
        before = len(sb.requests)
        screen.action_watching()
        await until(pilot, lambda: type(app.screen).__name__ == "PickerScreen")
        sent = [r.path for r in api_requests(sb, before) if "threads" not in r.path]
        assert sent == [f"/v2/conversations/{elsewhere['id']}"]
        picker: Any = app.screen
        assert {c.value for c in picker.choices} == {str(shown.id), str(elsewhere["id"])}
        await pilot.press(*str(elsewhere["number"]), "enter")
        await settle(pilot, session)
        await until(
            pilot,
            lambda: (
                screen.thread.conversation is not None
                and screen.thread.conversation.id == elsewhere["id"]
            ),
        )


async def test_marks_from_an_earlier_run_show_at_start_even_when_narrow(tmp_path: Path) -> None:
    from hsinbox.inbox.awareness import LocalMarks

    app, sb, session = make_app(tmp_path)
    first = next(
        c
        for c in sorted(sb.state["conversations"], key=lambda c: c["createdAt"], reverse=True)
        if c["mailboxId"] == SUPPORT and c["status"] == "active" and c["state"] == "published"
    )
    LocalMarks.for_account(tmp_path / "data", sb.me_id).toggle_watch([first["id"]])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        row = screen.table.row_text(screen.table.conversations[first["id"]], 80).plain
        assert "◇" in row
