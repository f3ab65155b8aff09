"""Snapshots: fixed clock, seeded sandbox, workers settled before the picture."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from tui_helpers import make_app, settle

from hsinbox.helpscout.models import Thread

THREAD_KINDS = 10063  # customer, activity, reply, note threads


def _steady_budget(session) -> None:
    """Pin the status line's rate budget for the whole run, not just at the end.

    Concurrent requests answer in any order and the client keeps the last header it saw, so
    the count varies by run; a late answer would overwrite a value set once.
    """
    client = session.client
    pinned = {"rate_limit_remaining": property(lambda _self: 380, lambda _self, _value: None)}
    client.__class__ = type(type(client).__name__, (type(client),), pinned)


def _app(tmp_path: Path, **settings):
    """The app over a fresh sandbox, its budget pinned before the first request."""
    app, sb, session = make_app(tmp_path, **settings)
    _steady_budget(session)
    return app, sb, session


def _before(session, *keys: str, number: int | None = None):
    async def run_before(pilot) -> None:
        await settle(pilot, session)
        if number is not None:
            screen = pilot.app.inbox_screen
            for _ in range(10):  # its page first, scrolled to as the agent would
                if any(c.number == number for c in screen.table.conversations.values()):
                    break
                screen.table.focus()
                await pilot.press("end")
                await settle(pilot, session)
            target = next(c for c in screen.table.conversations.values() if c.number == number)
            screen.table.go_to(target.id)
            await settle(pilot, session)
        for key in keys:
            await pilot.press(key)
            await settle(pilot, session)

    return run_before


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_main_screen(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    app, _sb, session = _app(tmp_path)
    assert snap_compare(app, terminal_size=size, run_before=_before(session))


HOSTILE_SUBJECT = "請求書の件 — 返金をお願いします 🙏🏽 👨‍👩‍👧‍👦 🇯🇵"


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (160, 48)])
def test_list_with_hostile_rows(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    """Columns fit the width; CJK, ZWJ emoji, flags and RTL do not push later columns off."""
    app, sb, session = _app(tmp_path)
    row = next(c for c in sb.state["conversations"] if c["number"] == 10021)
    row["subject"] = HOSTILE_SUBJECT
    row["tags"] = [{"id": 1, "tag": "返金"}, {"id": 2, "tag": "🇯🇵 vip"}]
    assert snap_compare(app, terminal_size=size, run_before=_before(session))


def test_thread_with_every_kind(snap_compare, tmp_path: Path) -> None:
    """One thread of each kind the sandbox seeds, a draft, and a type nobody documented."""
    app, sb, session = _app(tmp_path)
    seen: dict[str, Thread] = {}
    for raw in sb.state["threads"]:
        kind = raw["type"] + ("/draft" if raw.get("state") == "draft" else "")
        if kind not in seen and len(raw.get("body") or "") < 400:
            seen[kind] = Thread.model_validate(raw)
    seen["mystery"] = Thread(id=1, type="mysterytype", body="<p>Kept, not dropped.</p>")
    threads = sorted(seen.values(), key=lambda t: (t.created_at is None, t.created_at or 0))

    async def run_before(pilot) -> None:
        await _before(session, "enter", number=THREAD_KINDS)(pilot)
        screen = pilot.app.inbox_screen
        screen.thread.show(screen.thread.conversation, threads)
        await settle(pilot, session)

    assert snap_compare(app, terminal_size=(120, 60), run_before=run_before)


def test_composer(snap_compare, tmp_path: Path) -> None:
    app, _sb, session = _app(tmp_path)
    run_before = _before(session, "r", number=10021)
    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


@pytest.mark.parametrize("key", ["s", "a", "v", "t"])
def test_pickers(snap_compare, tmp_path: Path, key: str) -> None:
    app, _sb, session = _app(tmp_path)
    assert snap_compare(
        app, terminal_size=(100, 30), run_before=_before(session, key, number=10021)
    )


def test_delete_dialog(snap_compare, tmp_path: Path) -> None:
    app, _sb, session = _app(tmp_path)
    assert snap_compare(
        app, terminal_size=(100, 30), run_before=_before(session, "d", number=10021)
    )


def test_help_screen(snap_compare, tmp_path: Path) -> None:
    app, _sb, session = _app(tmp_path)
    run_before = _before(session, "question_mark")
    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


def test_light_theme(snap_compare, tmp_path: Path) -> None:
    """textual-light with waiting marks, the cursor row and the status line."""
    app, _sb, session = _app(tmp_path, theme="textual-light")
    run_before = _before(session, number=10072)
    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


def test_help_screen_after_remap(snap_compare, tmp_path: Path) -> None:
    """The help screen shows the user's keys: reply on ctrl+r, take next on f6."""
    app, _sb, session = _app(tmp_path, keymap={"reply": "ctrl+r", "take_next": "f6"})
    run_before = _before(session, "question_mark")
    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


@pytest.fixture
def utc_local_time(monkeypatch: pytest.MonkeyPatch):
    """Local time is UTC for one test (and the machine's own again afterwards)."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_thread_header_with_fields_and_snooze(
    snap_compare, tmp_path: Path, utc_local_time: None
) -> None:
    """The seeded snoozed Support conversation: its wake-up time and every custom field.

    Wake-up times are shown in local time: the picture is taken in UTC on every machine.
    """
    app, sb, session = _app(tmp_path)
    snoozed = sb.state["sandboxNotes"]["snoozedConversation"]

    async def run_before(pilot) -> None:
        await settle(pilot, session)
        screen = pilot.app.inbox_screen
        screen.open_conversation(await session.load_conversation(snoozed))
        await settle(pilot, session)

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


def test_thread_with_a_colleagues_draft_and_a_rating(snap_compare, tmp_path: Path) -> None:
    """The seeded conversation a colleague is answering: "✎ Priya has a draft here (3m ago)"
    in the header, the customer's bad rating and comment under the rated reply, "opened …"."""
    app, sb, session = _app(tmp_path)
    drafted = sb.state["sandboxNotes"]["colleagueDraft"]

    async def run_before(pilot) -> None:
        await settle(pilot, session)
        screen = pilot.app.inbox_screen
        screen.open_conversation(await session.load_conversation(drafted))
        await settle(pilot, session)

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


def test_attachment_image_preview_half_blocks(snap_compare, tmp_path: Path) -> None:
    """F on the seeded screenshot: the images extra's half-block rendering (no terminal to
    ask in a test, so the fallback every terminal can draw), sized to the pane."""
    app, sb, session = _app(tmp_path)
    target = sb.state["sandboxNotes"]["imageConversation"]

    async def run_before(pilot) -> None:
        from hsinbox.tui.attachments_screen import AttachmentsScreen

        await settle(pilot, session)
        screen = pilot.app.inbox_screen
        screen.open_conversation(await session.load_conversation(target))
        await settle(pilot, session)
        await pilot.press("F")
        await settle(pilot, session)
        for _ in range(200):
            shown = pilot.app.screen
            if isinstance(shown, AttachmentsScreen) and shown.query("#preview-image"):
                break
            await pilot.pause()
        await settle(pilot, session)

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


def test_sidebar_with_saved_views(snap_compare, tmp_path: Path) -> None:
    """Two saved views under "Views" with their counts (page 1's totalElements), the first
    one open: its name in the status line, its conversations in the list."""
    views = [
        {"name": "VIP waiting", "query": "tag:vip", "mailbox": "Support", "status": "active"},
        {"name": "Refunds anywhere", "query": "refund"},
    ]
    app, _sb, session = _app(tmp_path, views=views)

    async def run_before(pilot) -> None:
        await settle(pilot, session)
        screen = pilot.app.inbox_screen
        screen.open_saved_view(0)
        await settle(pilot, session)

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)
