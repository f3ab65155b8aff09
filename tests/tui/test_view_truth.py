"""Issue 16: what the agent sees and acts on is what Help Scout holds, while colleagues and the
agent change it. Each test drives keys against the sandbox, with a second writer (a colleague,
through the API) changing conversations between the agent's keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from test_paging import active_support, big_sandbox, screen_of
from test_reliability import NUMBER, build, compose, open_thread, ready, replies
from testdata import new_sandbox_client
from textual.widgets import TextArea
from tui_helpers import make_app, settle, until

from hsinbox.sandbox import Sandbox
from hsinbox.tui.compose import ComposerScreen
from hsinbox.tui.dialogs import PickerScreen
from hsinbox.tui.fields_form import CloseAskScreen
from hsinbox.tui.inbox_screen import InboxScreen


def active_support_ids(sb: Sandbox) -> set[int]:
    return {c["id"] for c in active_support(sb)}


async def scroll_to_the_end(pilot: Any, app: Any, session: Any) -> None:
    """``G`` until the view is complete, as an agent holding it down would."""
    screen = screen_of(app)
    for _ in range(20):
        await pilot.press("G")
        await settle(pilot, session)
        assert screen.view is not None
        if session.view_complete(screen.view):
            return
    raise AssertionError("the view never completed")


async def close_current(pilot: Any, app: Any, session: Any) -> None:
    """``e``; Support requires a Plan some conversations lack: then close anyway."""
    target = screen_of(app).table.current_id
    assert target is not None

    def closed_or_asked() -> bool:
        stored = session.store.get(target)
        asked = isinstance(app.screen, CloseAskScreen)
        return asked or (stored is not None and stored.status == "closed")

    await pilot.press("e")
    await until(pilot, closed_or_asked)
    if isinstance(app.screen, CloseAskScreen):
        await pilot.press("c")
    await settle(pilot, session)


async def test_five_closes_then_R_then_scrolling_shows_every_active_conversation(
    tmp_path: Path,
) -> None:
    app, sb, session = make_app(tmp_path, sandbox=big_sandbox())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        table = screen_of(app).table
        table.focus()
        for _ in range(5):
            await close_current(pilot, app, session)
        await pilot.press("R")
        await settle(pilot, session)
        await scroll_to_the_end(pilot, app, session)
        shown = {c.id for c in table.visible()}
        assert shown == active_support_ids(sb)
        assert len(shown) == table.row_count  # no duplicates


async def test_a_colleagues_close_on_page_one_hides_nobody(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path, sandbox=big_sandbox())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        table = screen_of(app).table
        table.focus()
        other = new_sandbox_client(sb)
        for conv in table.visible()[3:6]:
            await other.update_status(conv.id, "closed")
        await other.aclose()
        await pilot.press("R")
        await settle(pilot, session)
        await scroll_to_the_end(pilot, app, session)
        assert {c.id for c in table.visible()} == active_support_ids(sb)


async def test_H_then_A_assigns_the_conversation_on_screen(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path)
    customer = sb.state["sandboxNotes"]["historyCustomer"]
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        mine = next(c for c in screen.table.visible() if c.primary_customer.id == customer)
        screen.table.go_to(mine.id)
        await pilot.press("i")
        await settle(pilot, session)
        await pilot.press("H")
        assert isinstance(app.screen, PickerScreen)
        others = [c for c in screen.history or [] if c.id != mine.id]
        target = others[-1]
        await pilot.press(*str(target.number), "enter")
        await settle(pilot, session)
        assert screen.thread.conversation is not None
        assert screen.thread.conversation.id == target.id
        assert screen.table.current_id == mine.id or screen.table.current_id != target.id
        await pilot.press("A")
        await settle(pilot, session)
        assigned = {r.path for r in sb.requests if r.method == "PATCH"}
        assert assigned == {f"/v2/conversations/{target.id}"}
        raw = next(c for c in sb.state["conversations"] if c["id"] == target.id)
        assert raw["assignee"]["id"] == sb.me_id
        # Back in the list, the preview is the highlighted row again.
        await pilot.press("q")
        await settle(pilot, session)
        assert screen.thread.conversation is not None
        assert screen.thread.conversation.id == screen.table.current_id


async def test_a_colleagues_tags_are_kept_across_the_agents_tag_change(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        conv = screen.table.current
        assert conv is not None
        other = new_sandbox_client(sb)
        await other.set_tags(conv.id, [*conv.tag_names, "colleague-tag"])
        await other.aclose()
        await pilot.press("t")
        await settle(pilot, session)
        await pilot.press(*"agent-tag", "enter")
        await settle(pilot, session)
        if app.screen is not screen:  # the picker may take a second enter to save
            await pilot.press("ctrl+s")
            await settle(pilot, session)
        raw = next(c for c in sb.state["conversations"] if c["id"] == conv.id)
        names = {t["tag"] if isinstance(t, dict) else t for t in raw["tags"]}
        assert {"colleague-tag", "agent-tag"} <= names
        assert set(conv.tag_names) <= names


async def test_a_colleagues_fields_are_kept_across_the_agents_field_change(
    tmp_path: Path,
) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        conv = screen.table.current
        assert conv is not None and conv.mailbox_id is not None
        definitions = await session.custom_fields(conv.mailbox_id)
        plan = next(d for d in definitions if d.name == "Plan")
        other_fields = [d for d in definitions if d.id != plan.id and d.type != "dropdown"]
        assert other_fields
        option = plan.options[0]
        # A colleague sets Plan after the list was read.
        other = new_sandbox_client(sb)
        await other.set_custom_fields(conv.id, {plan.id: option.id})
        await other.aclose()
        from hsinbox.inbox.agent_actions import SetCustomFields

        stale = session.store.get(conv.id)
        assert stale is not None
        target = next(d for d in other_fields if d.type in ("singleline", "text", "single_line"))
        action = SetCustomFields.of(stale, definitions, {target.id: "agent value"})
        screen.submit(action)
        await settle(pilot, session)
        raw = next(c for c in sb.state["conversations"] if c["id"] == conv.id)
        values = {f["id"]: f.get("value") for f in raw.get("customFields", [])}
        assert str(values.get(plan.id)) == str(option.id)
        assert values.get(target.id) == "agent value"


async def test_search_results_stay_listed_after_acting_on_one(tmp_path: Path) -> None:
    app, _sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        await pilot.press("/")
        await pilot.press(*"damaged", "enter")
        await settle(pilot, session)
        shown = [c.id for c in screen.table.visible()]
        numbers = {c.number for c in screen.table.visible()}
        assert 10042 in numbers  # closed: only Help Scout's search finds it
        status = str(screen.query_one("#status-line").render())
        assert "Search “damaged” in Support" in status
        assert any(
            "Search in Support:" in m.text and "conversation" in m.text for m in screen.messages_log
        )
        await pilot.press("A")
        await settle(pilot, session)
        assert [c.id for c in screen.table.visible()] == shown
        await pilot.press("escape", "escape")
        await settle(pilot, session)
        assert "Support / active" in str(screen.query_one("#status-line").render())


async def test_a_queued_reply_is_not_offered_again_and_the_follow_up_draft_is_kept(
    tmp_path: Path,
) -> None:
    app, sb, session, gate, _ = build(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(pilot, session)
        target = await open_thread(pilot, session, NUMBER)
        sb.faults.drop(times=10_000)  # the network is gone: the reply waits in the queue
        composer = await compose(pilot, "reply", "First answer, sent offline")
        composer.action_send()
        await until(pilot, lambda: session.queue_length == 1 and not session.online)
        # r again: the queued text is not offered (it would be sent twice) …
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ComposerScreen))
        assert "First answer" not in app.screen.query_one(TextArea).text
        # … and the follow-up written meanwhile is kept when the first reply is confirmed.
        app.screen.query_one(TextArea).load_text("A follow-up question")
        drafts = session.drafts

        def follow_up_saved() -> bool:
            draft = drafts.load(target.id, "reply")
            return draft is not None and draft.text == "A follow-up question"

        await until(pilot, follow_up_saved)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, InboxScreen))
        sb.faults.clear()
        gate.release()
        await until(pilot, lambda: session.queue_length == 0 and session.online)
        await settle(pilot, session)
        assert len(replies(sb, target.id, "First answer, sent offline")) == 1
        kept = drafts.load(target.id, "reply")
        assert kept is not None and kept.text == "A follow-up question" and kept.queued is None


async def test_a_sync_keeps_a_queued_close_shown_closed(tmp_path: Path) -> None:
    app, sb, session, _gate, _ = build(tmp_path, undo_delay=30)  # the window never ends
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, session)
        screen = screen_of(app)
        conv = screen.table.current
        assert conv is not None
        await pilot.press("e")  # waits in its undo window: not sent
        await until(pilot, lambda: session.store.get(conv.id).status == "closed")
        assert screen.table.conversations[conv.id].status == "closed"
        assert screen.view is not None
        seen: list[str] = []

        def during(_progress: Any) -> None:
            stored = session.store.get(conv.id)
            seen.append(stored.status if stored is not None else "gone")

        await session.sync_mailbox(screen.view.mailbox_id, concurrency=1, on_progress=during)
        # The sync's pages said "active" (the close is not sent): the row shows closed all along.
        assert len(seen) > 2 and set(seen) == {"closed"}
        stored = session.store.get(conv.id)
        assert stored is not None and stored.status == "closed"
        screen.refresh_from_store()
        assert screen.table.conversations[conv.id].status == "closed"
        raw = next(c for c in sb.state["conversations"] if c["id"] == conv.id)
        assert raw["status"] == "active"
        assert screen.pending_undo is not None
        session.cancel(screen.pending_undo.id)


async def test_f5_during_a_page_load_leaves_no_duplicates_and_no_gaps(tmp_path: Path) -> None:
    sb = big_sandbox()
    app, sb, session = make_app(tmp_path, sandbox=sb)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        table = screen.table
        table.focus()
        sb.faults.latency = 0.05
        table.move_cursor(row=table.row_count - 1)  # the next page is asked …
        screen.load_more_rows()
        await screen.run_action("reload_view")  # … and f5 while it is on its way
        await settle(pilot, session)
        sb.faults.latency = 0.0
        ids = [c.id for c in table.visible()]
        assert len(ids) == len(set(ids))
        assert set(ids) <= active_support_ids(sb)
        await scroll_to_the_end(pilot, app, session)
        final = [c.id for c in table.visible()]
        assert len(final) == len(set(final)) and set(final) == active_support_ids(sb)


async def test_a_failed_thread_load_says_so_and_retries_on_the_next_key(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        table = screen.table
        table.focus()
        target = table.visible()[3]
        sb.faults.add(
            status=500, times=10, method="GET", path=f"/v2/conversations/{target.id}/threads"
        )
        table.go_to(target.id)
        await settle(pilot, session)
        body = str(screen.query_one("#thread-body").render())
        assert "Could not load the messages" in body and "try again" in body
        sb.faults.clear()
        await pilot.press("j", "k")  # any key asks again; the cursor is back on it
        await settle(pilot, session)
        assert screen.thread.conversation is not None and screen.thread.conversation.id == target.id
        assert screen.thread.load_state == "loaded" and screen.thread.threads
