"""Nothing lost, nothing doubled: the app over the in-process Sandbox with faults injected.

Every test asserts the sandbox's final state (what Help Scout would hold), not only what the
app shows. Waits go through a gate the test opens, so no test sleeps for real.
"""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path
from typing import Any

import httpx
from textual.widgets import DataTable, TextArea
from tui_helpers import conv, make_app, settle, until

from hsinbox.inbox import actions as act
from hsinbox.inbox.drafts import Draft
from hsinbox.inbox.session import InboxSession
from hsinbox.sandbox import Sandbox
from hsinbox.tui.app import HsInboxApp
from hsinbox.tui.collision import CollisionScreen
from hsinbox.tui.compose import ComposerScreen
from hsinbox.tui.dialogs import ConfirmScreen
from hsinbox.tui.drafts_screen import DraftsScreen
from hsinbox.tui.inbox_screen import InboxScreen
from hsinbox.tui.reauth import ReauthScreen
from hsinbox.tui.widgets import StatusLine

NUMBER = 10021


class Gate:
    """An injected ``sleep`` that records each wait and returns only when released."""

    def __init__(self) -> None:
        self.waits: list[float] = []
        self._open = asyncio.Event()

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await self._open.wait()

    def release(self) -> None:
        self._open.set()
        self._open = asyncio.Event()


class Waits:
    """The client's sleep: recorded, never slept."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0)


def build(
    tmp: Path, sb: Sandbox | None = None, **settings: Any
) -> tuple[HsInboxApp, Sandbox, InboxSession, Gate, Waits]:
    """``make_app`` without the cache, its session's waits held by a gate the test opens."""
    gate, client_waits = Gate(), Waits()
    app, sb, session = make_app(
        tmp,
        sandbox=sb,
        session_sleep=gate,
        client_sleep=client_waits,
        **{"cache": False, **settings},
    )
    return app, sb, session, gate, client_waits


def screen_of(app: HsInboxApp) -> InboxScreen:
    screen = app.inbox_screen
    assert screen is not None
    return screen


def status_text(app: HsInboxApp) -> str:
    return str(screen_of(app).query_one(StatusLine).content)


async def ready(pilot: Any, session: InboxSession) -> None:
    await until(pilot, lambda: screen_of(pilot.app).table.row_count > 0)
    await settle(pilot, session)


async def open_thread(pilot: Any, session: InboxSession, number: int) -> dict[str, Any]:
    screen = screen_of(pilot.app)
    target = next(c for c in screen.table.conversations.values() if c.number == number)
    screen.table.go_to(target.id)
    screen.show_current()
    await until(pilot, lambda: target.id in session.store.threads)
    await settle(pilot, session)
    return target


def replies(sb: Sandbox, conversation_id: int, text: str) -> list[dict[str, Any]]:
    return [
        t
        for t in sb.threads_of(conversation_id)
        if t["type"] in ("message", "note") and text in (t.get("body") or "")
    ]


async def compose(pilot: Any, kind: str, text: str) -> ComposerScreen:
    await pilot.press("r" if kind == "reply" else "n")
    await until(pilot, lambda: isinstance(pilot.app.screen, ComposerScreen))
    composer = pilot.app.screen
    assert isinstance(composer, ComposerScreen)
    composer.query_one(TextArea).load_text(text)
    drafts = pilot.app.session.drafts
    conversation_id = composer.conversation.id

    def saved() -> bool:
        draft = drafts.load(conversation_id, kind)
        return draft is not None and draft.text == text

    await until(pilot, saved)  # the debounced draft save has run
    return composer


async def test_network_down_then_back_queues_then_sends_in_order(tmp_path: Path) -> None:
    app, sb, session, gate, _ = build(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(pilot, session)
        target = await open_thread(pilot, session, NUMBER)
        sb.faults.drop(times=10_000)  # the network is gone: nothing reaches Help Scout
        composer = await compose(pilot, "note", "Checked the logs while offline")
        composer.action_send()
        await until(pilot, lambda: session.queue_length == 1 and not session.online)
        screen = screen_of(app)
        await pilot.press("s", "p")  # and set the status to pending, queued behind the note
        await until(pilot, lambda: session.queue_length == 2)
        await until(pilot, lambda: "offline · 2 queued" in status_text(app))
        assert conv(sb, NUMBER)["status"] == "active"
        assert replies(sb, target.id, "Checked the logs while offline") == []
        # The local view already shows both changes.
        assert screen.table.conversations[target.id].status == "pending"

        sb.faults.clear()
        gate.release()
        await until(pilot, lambda: session.queue_length == 0 and session.online)
        await settle(pilot, session)
        assert "offline" not in status_text(app)
        assert "✓" in status_text(app)
        assert len(replies(sb, target.id, "Checked the logs while offline")) == 1
        assert conv(sb, NUMBER)["status"] == "pending"
        applied = [
            (r.method, r.path)
            for r in sb.requests
            if r.method != "GET" and "oauth2" not in r.path and r.fault is None
        ]
        assert applied == [
            ("POST", f"/v2/conversations/{target.id}/notes"),
            ("PATCH", f"/v2/conversations/{target.id}"),
        ]
        messages = [n.message for n in app._notifications]
        assert any("unreachable" in m for m in messages)
        assert sum("done" in m for m in messages) >= 2
        # The note's draft went away only once it was confirmed.
        assert session.drafts.load(target.id, "note") is None


async def test_dropped_answer_after_the_reply_was_applied_gives_one_reply(tmp_path: Path) -> None:
    app, sb, session, gate, _ = build(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(pilot, session)
        target = await open_thread(pilot, session, NUMBER)
        sb.faults.drop(times=1, method="POST", path=r"/reply$", after_apply=True)
        composer = await compose(pilot, "reply", "Your refund is on its way")
        composer.action_send()
        await until(pilot, lambda: not session.online and session.queue_length == 1)
        # The server applied it even though the answer was lost.
        assert len(replies(sb, target.id, "Your refund is on its way")) == 1
        assert session.drafts.load(target.id, "reply") is not None
        gate.release()
        await until(pilot, lambda: session.queue_length == 0)
        await settle(pilot, session)
        assert len(replies(sb, target.id, "Your refund is on its way")) == 1
        posts = [r for r in sb.requests if r.method == "POST" and r.path.endswith("/reply")]
        assert len(posts) == 1
        assert session.drafts.load(target.id, "reply") is None


async def test_burst_of_429s_waits_as_told_and_lands_once(tmp_path: Path) -> None:
    app, sb, session, gate, client_waits = build(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(pilot, session)
        await open_thread(pilot, session, NUMBER)
        sb.faults.add(
            status=429,
            times=4,
            method="PATCH",
            headers={"X-RateLimit-Retry-After": "7", "Retry-After": "7"},
        )
        await pilot.press("s", "c")
        await until(pilot, lambda: gate.waits == [7.0])
        await until(pilot, lambda: "rate-limited, waiting 7s" in status_text(app))
        patches = [r for r in sb.requests if r.method == "PATCH"]
        assert [r.fault for r in patches] == ["status:429"] * 3
        assert conv(sb, NUMBER)["status"] == "active"
        gate.release()
        await until(pilot, lambda: session.queue_length == 0)
        await settle(pilot, session)
        patches = [r for r in sb.requests if r.method == "PATCH"]
        assert [r.fault for r in patches] == ["status:429"] * 4 + [None]
        assert conv(sb, NUMBER)["status"] == "closed"
        # Every retry waited what Help Scout asked first: never hammered.
        assert client_waits.waits.count(7.0) == 3


async def test_expired_token_is_renewed_silently(tmp_path: Path) -> None:
    app, sb, session, _gate, _ = build(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(pilot, session)
        await open_thread(pilot, session, NUMBER)
        grants = sum(1 for r in sb.requests if "oauth2" in r.path)
        sb.faults.expire_tokens()
        await pilot.press("s", "p")
        await until(pilot, lambda: session.queue_length == 0)
        await settle(pilot, session)
        assert conv(sb, NUMBER)["status"] == "pending"
        assert sum(1 for r in sb.requests if "oauth2" in r.path) == grants + 1
        assert not any(isinstance(s, ReauthScreen) for s in app.screen_stack)
        assert not [n for n in app._notifications if n.severity == "error"]


async def test_failed_renewal_asks_to_sign_in_keeping_composer_and_queue(tmp_path: Path) -> None:
    app, sb, session, _gate, _ = build(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(pilot, session)
        target = await open_thread(pilot, session, NUMBER)
        real_secret = sb.app_secret
        sb.app_secret = "revoked"  # the app's credentials stop working: renewal fails
        sb.faults.expire_tokens()
        composer = await compose(pilot, "reply", "Half-written answer")
        session.submit(act.SetStatus.of(session.store.get(target.id), "pending"))
        await until(pilot, lambda: isinstance(app.screen, ReauthScreen))
        assert session.queue_length == 1
        assert "sign-in needed · 1 queued" in status_text(app)
        # Retry while the credentials are still refused: the modal stays, nothing lost.
        await pilot.press("r")
        await until(
            pilot,
            lambda: "Still not signed in" in str(app.screen.query_one("#reauth-problem").content),
        )
        assert isinstance(app.screen, ReauthScreen) and session.queue_length == 1
        assert conv(sb, NUMBER)["status"] == "active"

        sb.app_secret = real_secret  # the agent fixed the sign-in elsewhere
        await pilot.press("r")
        await until(pilot, lambda: app.screen is composer)
        await until(pilot, lambda: session.queue_length == 0)
        await settle(pilot, session)
        assert conv(sb, NUMBER)["status"] == "pending"
        assert composer.query_one(TextArea).text == "Half-written answer"
        assert screen_of(app).table.current_id == target.id
        assert "sign-in needed" not in status_text(app)


async def test_garbage_answers_show_an_error_and_the_app_keeps_running(tmp_path: Path) -> None:
    app, sb, session, gate, _ = build(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(pilot, session)
        target = await open_thread(pilot, session, NUMBER)
        # A read answered with garbage: one error line, nothing else changes.
        sb.faults.add(
            status=200, times=1, method="GET", path=r"/v2/conversations$", body="not json"
        )
        await pilot.press("R")
        await settle(pilot, session)
        errors = [n.message for n in app._notifications if n.severity == "error"]
        assert errors and "Could not load" in errors[-1]
        assert "✗" in status_text(app)
        assert screen_of(app).table.row_count > 0
        # A write answered with garbage: the outcome is unknown, so it is checked, not doubled.
        sb.faults.add(status=200, times=1, method="POST", path=r"/notes$", body="not json")
        composer = await compose(pilot, "note", "Garbage-proof note")
        composer.action_send()
        await until(pilot, lambda: len(gate.waits) >= 1)
        gate.release()
        await until(pilot, lambda: session.queue_length == 0)
        await settle(pilot, session)
        assert len(replies(sb, target.id, "Garbage-proof note")) == 1
        assert app.is_running


async def test_drafts_list_resumes_and_discards(tmp_path: Path) -> None:
    app, sb, session, _gate, _ = build(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(pilot, session)
        target = await open_thread(pilot, session, NUMBER)
        other = conv(sb, 10020)
        session.drafts.save(Draft(other["id"], "note", "Old note for later\nsecond line"))
        composer = await compose(pilot, "reply", "Newest reply draft")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, InboxScreen))
        await pilot.press("D")
        await until(pilot, lambda: isinstance(app.screen, DraftsScreen))
        table = app.screen.query_one(DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert rows[0][:3] == [
            f"#{NUMBER} {target.subject}"[: len(rows[0][0])],
            "reply",
            "Newest reply draft",
        ]
        assert rows[1][1:3] == ["note", "Old note for later"]
        # Discard the older one: it asks first.
        await pilot.press("down", "d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, DraftsScreen) and table.row_count == 1)
        assert session.drafts.load(other["id"], "note") is None
        # Resume the reply: the composer opens with its text.
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ComposerScreen))
        composer = app.screen
        assert isinstance(composer, ComposerScreen)
        assert composer.kind == "reply" and composer.conversation.id == target.id
        assert composer.query_one(TextArea).text == "Newest reply draft"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: session.queue_length == 0 and session.drafts.list() == [])
        await settle(pilot, session)
        assert len(replies(sb, target.id, "Newest reply draft")) == 1


async def test_drafts_list_is_in_the_command_palette(tmp_path: Path) -> None:
    app, _sb, session, _gate, _ = build(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(pilot, session)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"unsent drafts")

        def offered() -> bool:
            lists = app.screen.query("CommandList")
            if not lists or not lists.first().option_count:
                return False
            return "Unsent drafts" in str(lists.first().get_option_at_index(0).prompt)

        await until(pilot, offered)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DraftsScreen))
        assert str(app.screen.query_one("#drafts-empty").content) == "No unsent drafts."
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, InboxScreen))


async def add_customer_thread(
    sb: Sandbox, session: InboxSession, conversation_id: int, text: str
) -> None:
    """The customer writes again, through the API as Help Scout's mail intake would."""
    customer_id = sb.conversation(conversation_id)["primaryCustomer"]["id"]
    token = session.client.token
    assert token is not None
    async with httpx.AsyncClient(transport=sb.transport()) as raw:
        response = await raw.post(
            f"https://api.helpscout.net/v2/conversations/{conversation_id}/customer",
            json={"customer": {"id": customer_id}, "text": text},
            headers={"Authorization": f"Bearer {token.access_token}"},
        )
    assert response.status_code == 201


async def test_collision_send_anyway_sends_once(tmp_path: Path) -> None:
    app, sb, session, _gate, _ = build(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(pilot, session)
        target = await open_thread(pilot, session, NUMBER)
        composer = await compose(pilot, "reply", "Here is how to fix it")
        await add_customer_thread(sb, session, target.id, "<p>Never mind, it works now!</p>")
        composer.action_send()
        await until(pilot, lambda: isinstance(app.screen, CollisionScreen))
        shown = " ".join(str(s.content) for s in app.screen.query(".collision-thread"))
        assert "Never mind, it works now!" in shown
        assert replies(sb, target.id, "Here is how to fix it") == []
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, InboxScreen))
        await until(pilot, lambda: session.queue_length == 0)
        await settle(pilot, session)
        assert len(replies(sb, target.id, "Here is how to fix it")) == 1


async def test_collision_cancel_sends_nothing_and_keeps_the_draft(tmp_path: Path) -> None:
    app, sb, session, _gate, _ = build(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(pilot, session)
        target = await open_thread(pilot, session, NUMBER)
        composer = await compose(pilot, "note", "Internal: wait for them")
        await add_customer_thread(sb, session, target.id, "<p>One more detail</p>")
        composer.action_send()
        await until(pilot, lambda: isinstance(app.screen, CollisionScreen))
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, InboxScreen))
        await settle(pilot, session)
        assert replies(sb, target.id, "Internal: wait for them") == []
        assert session.queue_length == 0
        draft = session.drafts.load(target.id, "note")
        assert draft is not None and draft.text == "Internal: wait for them"


async def test_collision_edit_returns_to_the_composer_with_the_text(tmp_path: Path) -> None:
    app, sb, session, _gate, _ = build(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(pilot, session)
        target = await open_thread(pilot, session, NUMBER)
        composer = await compose(pilot, "reply", "First answer")
        await add_customer_thread(sb, session, target.id, "<p>Also, the invoice is wrong</p>")
        composer.action_send()
        await until(pilot, lambda: isinstance(app.screen, CollisionScreen))
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, ComposerScreen))
        again = app.screen
        assert isinstance(again, ComposerScreen)
        assert again.query_one(TextArea).text == "First answer"
        again.query_one(TextArea).load_text("First answer, and the invoice is fixed")
        again.action_send()  # the new thread was seen now: no second dialog
        await until(pilot, lambda: isinstance(app.screen, InboxScreen))
        await until(pilot, lambda: session.queue_length == 0)
        await settle(pilot, session)
        assert len(replies(sb, target.id, "the invoice is fixed")) == 1
        assert replies(sb, target.id, "First answer</p>") == []


async def test_collision_check_offline_still_queues_the_reply(tmp_path: Path) -> None:
    app, sb, session, gate, _ = build(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(pilot, session)
        target = await open_thread(pilot, session, NUMBER)
        composer = await compose(pilot, "reply", "Sent through a flaky link")
        sb.faults.drop(times=10_000)
        composer.action_send()
        await until(pilot, lambda: session.queue_length == 1)
        assert session.drafts.load(target.id, "reply") is not None
        sb.faults.clear()
        gate.release()
        await until(pilot, lambda: session.queue_length == 0)
        await settle(pilot, session)
        assert len(replies(sb, target.id, "Sent through a flaky link")) == 1


async def test_local_files_are_owner_only(tmp_path: Path) -> None:
    app, sb, session, _gate, _ = build(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(pilot, session)
        await open_thread(pilot, session, NUMBER)
        sb.faults.drop(times=10_000)
        await compose(pilot, "reply", "Private text")
        await pilot.press("escape")
        await pilot.press("s", "c")
        await until(pilot, lambda: session.queue_length == 1)
        files = [p for p in (tmp_path / "data").rglob("*") if p.is_file()]
        assert any("drafts" in p.parts for p in files)
        assert any(p.name == "outbox.jsonl" for p in files)
        for path in files:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        sb.faults.clear()
