"""Pilot tests for the agent-day keys of the inbox: snooze (z/Z), custom fields (f), closing
with a required field empty, workflows (w), the subject (E), the customer's other
conversations (i, H), merged conversations and read-only mode.

Each drives the real keys through the real session to the in-process sandbox and asserts
the exact requests and the sandbox's state afterwards.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from textual.widgets import Input, Select, Static
from tui_helpers import NOW, SUPPORT, conv, make_app, settle, until, writes

from hsinbox.inbox.times import parse_when as parse_typed
from hsinbox.tui.dialogs import PickerScreen
from hsinbox.tui.fields_form import CloseAskScreen, FieldsFormScreen
from hsinbox.tui.snooze_picker import SnoozeScreen
from hsinbox.tui.subject_edit import SubjectScreen

PLAN = 601


def utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def go_to(pilot: Any, number: int) -> dict[str, Any]:
    screen = pilot.app.inbox_screen
    target = next(c for c in screen.table.conversations.values() if c.number == number)
    screen.table.go_to(target.id)
    await pilot.pause()
    return conv(pilot.app._sb, number)


def shown_support(app: Any, sb: Any, *, plan_filled: bool) -> list[int]:
    """Numbers of rows on screen whose Plan field is (or is not) filled, in list order."""
    screen = app.inbox_screen
    out = []
    for c in screen.table.visible():
        raw = conv(sb, c.number)
        filled = any(f["id"] == PLAN and f.get("value") for f in raw.get("customFields", []))
        if raw["mailboxId"] == SUPPORT and filled == plan_filled:
            out.append(c.number)
    return out


def build(tmp_path: Path, **settings: Any):
    app, sb, session = make_app(tmp_path, **settings)
    app._sb = sb  # type: ignore[attr-defined]
    return app, sb, session


# --- snooze -------------------------------------------------------------------------


async def test_snooze_later_today_one_put_and_row_shows_wake_time(tmp_path: Path) -> None:
    app, sb, session = build(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        raw = await go_to(pilot, 10021)
        before = len(writes(sb))
        await pilot.press("z")
        assert isinstance(app.screen, SnoozeScreen)
        await pilot.press("enter")  # the first choice: later today, +3 h
        await settle(pilot, session)
        until_utc = (NOW + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert writes(sb)[before:] == [
            (
                "PUT",
                f"/v2/conversations/{raw['id']}/snooze",
                {"snoozedUntil": until_utc, "unsnoozeOnCustomerReply": True},
            )
        ]
        assert conv(sb, 10021)["snooze"]["snoozedUntil"] == until_utc
        screen = app.inbox_screen
        cells = screen.table.cells(screen.table.conversations[raw["id"]])
        assert cells["waiting"].plain.startswith("z ")  # wakes in 3 h: "z HH:MM"
        # u after it was sent: the inverse (awake again), one DELETE.
        await pilot.press("u")
        await settle(pilot, session)
        assert writes(sb)[before + 1 :] == [
            ("DELETE", f"/v2/conversations/{raw['id']}/snooze", None)
        ]
        assert not conv(sb, 10021).get("snooze")


async def test_snooze_typed_time_is_shown_back_and_wake_on_reply_toggles(tmp_path: Path) -> None:
    app, sb, session = build(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        raw = await go_to(pilot, 10021)
        before = len(writes(sb))
        await pilot.press("z")
        await pilot.press(*"2026-02-01 10:00")  # in the past: refused, nothing sent
        shown = app.screen.query_one("#snooze-shown", Static)
        assert "future" in str(shown.render())
        await pilot.press("enter")
        assert isinstance(app.screen, SnoozeScreen)
        field = app.screen.query_one(Input)
        field.value = ""
        await pilot.press(*"2026-03-10 14:30")
        await until(pilot, lambda: "Wakes" in str(shown.render()))
        assert "Tue 10 Mar 14:30" in str(shown.render())
        await pilot.press("ctrl+r")  # wake on a customer reply: off
        await pilot.press("enter")
        await settle(pilot, session)
        wanted = parse_typed("2026-03-10 14:30", NOW)
        assert writes(sb)[before:] == [
            (
                "PUT",
                f"/v2/conversations/{raw['id']}/snooze",
                {"snoozedUntil": utc(wanted), "unsnoozeOnCustomerReply": False},
            )
        ]


async def test_snooze_and_unsnooze_marked_rows_as_one_bulk(tmp_path: Path) -> None:
    app, sb, session = build(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        first = await go_to(pilot, 10021)
        await pilot.press("x")  # marks and moves down
        second_id = app.inbox_screen.table.current_id
        await pilot.press("x")
        before = len(writes(sb))
        await pilot.press("z", "down", "enter")  # tomorrow 09:00
        await settle(pilot, session)
        tomorrow = datetime(2026, 3, 3, 9, 0).astimezone()
        sent = writes(sb)[before:]
        assert sorted(p for _m, p, _b in sent) == sorted(
            f"/v2/conversations/{i}/snooze" for i in (first["id"], second_id)
        )
        assert all(m == "PUT" and b["snoozedUntil"] == utc(tomorrow) for m, _p, b in sent)
        assert not app.inbox_screen.table.marked
        for cid in (first["id"], second_id):
            raw = next(c for c in sb.state["conversations"] if c["id"] == cid)
            assert raw["snooze"]["snoozedUntil"] == utc(tomorrow)
        # Z on both marked rows: two DELETEs.
        app.inbox_screen.table.go_to(first["id"])
        await pilot.press("x", "x")
        before = len(writes(sb))
        await pilot.press("Z")
        await settle(pilot, session)
        assert sorted(writes(sb)[before:]) == sorted(
            ("DELETE", f"/v2/conversations/{i}/snooze", None) for i in (first["id"], second_id)
        )


# --- custom fields ---------------------------------------------------------------------


async def test_fields_form_checks_values_and_puts_the_whole_set(tmp_path: Path) -> None:
    app, sb, session = build(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        raw = await go_to(pilot, 10021)  # Plan is filled (Starter), the others are empty
        await pilot.press("f")
        await until(pilot, lambda: isinstance(app.screen, FieldsFormScreen))
        form = app.screen
        assert form.query_one(f"#field-{PLAN}", Select).value == "7001"
        form.query_one("#field-611", Input).focus()
        await pilot.press(*"2026-13-01")
        before = len(sb.requests)
        await pilot.press("ctrl+s")  # not a date: refused in the form, nothing sent
        assert app.screen is form and len(sb.requests) == before
        form.query_one("#field-611", Input).value = "2026-03-05"
        form.query_one("#field-612", Input).focus()
        await pilot.press(*"12a")
        await pilot.press("ctrl+s")
        assert app.screen is form
        form.query_one("#field-612", Input).value = "4521"
        form.query_one(f"#field-{PLAN}", Select).value = "7002"
        before = len(writes(sb))
        await pilot.press("ctrl+s")
        await settle(pilot, session)
        assert writes(sb)[before:] == [
            (
                "PUT",
                f"/v2/conversations/{raw['id']}/fields",
                {
                    "fields": [
                        {"id": PLAN, "value": "7002"},
                        {"id": 611, "value": "2026-03-05"},
                        {"id": 612, "value": "4521"},
                    ]
                },
            )
        ]
        stored = {f["id"]: f["value"] for f in conv(sb, 10021)["customFields"]}
        assert stored == {PLAN: "7002", 611: "2026-03-05", 612: "4521"}
        header = str(app.inbox_screen.query_one("#thread-header", Static).render())
        assert "Ticket date: 2026-03-05" in header and "Order number: 4521" in header


async def test_closing_with_required_field_empty_asks_first(tmp_path: Path) -> None:
    app, sb, session = build(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        number = shown_support(app, sb, plan_filled=False)[0]
        raw = await go_to(pilot, number)
        before = len(writes(sb))
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, CloseAskScreen))
        assert "Plan" in str(app.screen.query_one("#close-ask", Static).render())
        await pilot.press("escape")  # cancel: nothing sent
        await settle(pilot, session)
        assert writes(sb)[before:] == [] and conv(sb, number)["status"] == "active"
        # s c, then fill now: the form, then one PUT and one PATCH.
        await pilot.press("s", "c")
        await until(pilot, lambda: isinstance(app.screen, CloseAskScreen))
        await pilot.press("f")
        await until(pilot, lambda: isinstance(app.screen, FieldsFormScreen))
        app.screen.query_one(f"#field-{PLAN}", Select).value = "7003"
        await pilot.press("ctrl+s")
        await settle(pilot, session)
        assert writes(sb)[before:] == [
            (
                "PUT",
                f"/v2/conversations/{raw['id']}/fields",
                {"fields": [{"id": PLAN, "value": "7003"}]},
            ),
            (
                "PATCH",
                f"/v2/conversations/{raw['id']}",
                {"op": "replace", "path": "/status", "value": "closed"},
            ),
        ]
        assert conv(sb, number)["status"] == "closed"
        # Another one: close anyway sends only the status.
        other = shown_support(app, sb, plan_filled=False)[0]
        raw2 = await go_to(pilot, other)
        before = len(writes(sb))
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, CloseAskScreen))
        await pilot.press("c")
        await settle(pilot, session)
        assert writes(sb)[before:] == [
            (
                "PATCH",
                f"/v2/conversations/{raw2['id']}",
                {"op": "replace", "path": "/status", "value": "closed"},
            )
        ]


async def test_closing_with_required_fields_filled_does_not_ask(tmp_path: Path) -> None:
    app, sb, session = build(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        raw = await go_to(pilot, 10021)
        before = len(writes(sb))
        await pilot.press("e")
        await settle(pilot, session)
        assert writes(sb)[before:] == [
            (
                "PATCH",
                f"/v2/conversations/{raw['id']}",
                {"op": "replace", "path": "/status", "value": "closed"},
            )
        ]


# --- workflows -------------------------------------------------------------------------


async def test_workflow_picker_runs_on_marked_rows_in_batches_of_50(tmp_path: Path) -> None:
    app, sb, session = build(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        screen = app.inbox_screen
        rows = [c.id for c in screen.table.visible()]
        screen.table.go_to(rows[0])
        for _ in rows:
            await pilot.press("x")
        assert screen.table.marked == set(rows)
        before = len(writes(sb))
        await pilot.press("w")
        await until(pilot, lambda: isinstance(app.screen, PickerScreen))
        options = app.screen.query_one("#picker-options")
        labels = [options.get_option_at_index(i).prompt.plain for i in range(options.option_count)]
        assert labels == ["Escalate to tier 2", "Hand over to Priya and wait"]  # manual only
        await pilot.press(*"escal", "enter")
        await settle(pilot, session)
        await session.settle_background()
        await settle(pilot, session)
        runs = writes(sb)[before:]
        assert all(m == "POST" and p == "/v2/workflows/41001/run" for m, p, _b in runs)
        sizes = [len(b["conversationIds"]) for _m, _p, b in runs]
        assert sizes == [50, len(rows) - 50] if len(rows) > 50 else [len(rows)]
        assert sorted(i for _m, _p, b in runs for i in b["conversationIds"]) == sorted(rows)
        tagged = [c for c in sb.state["conversations"] if c["id"] in rows]
        assert all("escalated" in [t["tag"] for t in c["tags"]] for c in tagged)
        # The rows were read again: the list shows the tag.
        assert all("escalated" in screen.table.conversations[i].tag_names for i in rows)


# --- subject ---------------------------------------------------------------------------


async def test_edit_subject_one_patch_and_undo(tmp_path: Path) -> None:
    app, sb, session = build(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        raw = await go_to(pilot, 10021)
        old = raw["subject"]
        before = len(writes(sb))
        await pilot.press("E")
        assert isinstance(app.screen, SubjectScreen)
        app.screen.query_one(Input).value = ""
        await pilot.press(*"Printer on fire", "enter")
        await settle(pilot, session)
        patch = {"op": "replace", "path": "/subject", "value": "Printer on fire"}
        assert writes(sb)[before:] == [("PATCH", f"/v2/conversations/{raw['id']}", patch)]
        assert conv(sb, 10021)["subject"] == "Printer on fire"
        await pilot.press("u")
        await settle(pilot, session)
        assert writes(sb)[before + 1 :] == [
            ("PATCH", f"/v2/conversations/{raw['id']}", {**patch, "value": old})
        ]
        assert conv(sb, 10021)["subject"] == old


# --- customer history ------------------------------------------------------------------


async def test_customer_panel_lists_other_conversations_and_opens_one(tmp_path: Path) -> None:
    app, sb, session = build(tmp_path)
    customer = sb.state["sandboxNotes"]["historyCustomer"]
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        screen = app.inbox_screen
        mine = next(c for c in screen.table.visible() if c.primary_customer.id == customer)
        screen.table.go_to(mine.id)
        await pilot.press("i")
        await settle(pilot, session)
        searches = [
            r
            for r in sb.requests
            if r.path == "/v2/conversations" and "customerIds" in str(r.query)
        ]
        assert len(searches) == 1 and searches[0].query.get("status") == "all"
        panel = str(screen.query_one("#customer", Static).render())
        theirs = sorted(
            (
                c
                for c in sb.state["conversations"]
                if c["primaryCustomer"]["id"] == customer and c["state"] == "published"
            ),
            key=lambda c: c["createdAt"],
            reverse=True,
        )
        others = [c for c in theirs if c["id"] != mine.id]
        numbers = [f"#{c['number']}" for c in others]
        positions = [panel.index(n) for n in numbers]
        assert positions == sorted(positions)  # newest first
        await pilot.press("H")
        assert isinstance(app.screen, PickerScreen)
        await pilot.press(*str(others[-1]["number"]), "enter")
        await settle(pilot, session)
        assert screen.thread.conversation is not None
        assert screen.thread.conversation.number == others[-1]["number"]


# --- merged conversations --------------------------------------------------------------


async def test_merged_conversation_follows_the_survivor(tmp_path: Path) -> None:
    app, sb, session = build(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        other = next(c.number for c in app.inbox_screen.table.visible() if c.number != 10021)
        survivor = await go_to(pilot, other)
        raw = await go_to(pilot, 10021)
        await pilot.press("enter")
        await settle(pilot, session)
        sb.merge(raw["id"], survivor["id"])
        before = len(writes(sb))
        await pilot.press("E")
        app.screen.query_one(Input).value = "After the merge"
        await pilot.press("enter")
        await settle(pilot, session)
        await session.settle_background()
        await settle(pilot, session)
        screen = app.inbox_screen
        assert screen.thread.conversation is not None
        assert screen.thread.conversation.id == survivor["id"]
        # The merge is said (a notice and the log); whether the status line still shows it
        # or the rename's "done" that raced it depends on which landed last.
        said = f"#10021 was merged into #{other}."
        assert said in [m.text for m in screen.messages_log]
        landed = [w for w in writes(sb)[before:] if w[0] == "PATCH"]
        assert landed[-1] == (
            "PATCH",
            f"/v2/conversations/{survivor['id']}",
            {"op": "replace", "path": "/subject", "value": "After the merge"},
        )
        assert sum(1 for w in landed if w[1].endswith(str(survivor["id"]))) == 1
        assert raw["id"] not in screen.table.conversations


# --- read-only ---------------------------------------------------------------------------


async def test_read_only_refuses_the_agent_day_writes(tmp_path: Path) -> None:
    app, sb, session = build(tmp_path, read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        await go_to(pilot, 10021)
        before = len(sb.requests)
        for key in ("z", "Z", "f", "w", "E"):
            await pilot.press(key)
            await settle(pilot, session)
            assert app.screen is app.inbox_screen, key
        assert [r for r in sb.requests[before:] if r.method != "GET"] == []
        rows = {row[3]: row[2] for row in app.help_rows()}
        for name in ("snooze", "unsnooze", "custom_fields", "workflow", "edit_subject"):
            assert rows[name].endswith("(off: read-only)"), name
        assert not rows["attachments"].endswith("(off: read-only)")


async def test_undo_within_the_window_cancels_a_snooze(tmp_path: Path) -> None:
    app, sb, session = build(tmp_path, undo_delay=30)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        raw = await go_to(pilot, 10021)
        screen = app.inbox_screen
        await pilot.press("z", "enter")
        await until(pilot, lambda: screen.pending_undo is not None)
        assert "u to undo" in str(screen.query_one("#status-line").render())
        assert screen.table.conversations[raw["id"]].snooze is not None
        await pilot.press("u")
        await until(pilot, lambda: screen.table.conversations[raw["id"]].snooze is None)
        assert not writes(sb) and not conv(sb, 10021).get("snooze")


async def test_palette_and_help_list_the_agent_day_keys(tmp_path: Path) -> None:
    from hsinbox.tui.commands import ActionsProvider

    app, _sb, session = build(tmp_path, keymap={"snooze": "ctrl+z"})
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        provider = ActionsProvider(app.inbox_screen)
        commands = {
            action: (description, keys) for description, keys, action in provider._action_commands()
        }
        assert commands["snooze"] == ("Snooze", "^z")
        for action in ("unsnooze", "custom_fields", "workflow", "attachments", "edit_subject"):
            assert action in commands, action
        rows = {row[3]: row for row in app.help_rows()}
        assert rows["saved_reply"][:3] == ("Composer", "^t", "Saved reply")
        assert rows["attach"][:3] == ("Composer", "^o", "Attach file")
        assert rows["snooze"][1] == "^z"


async def test_close_pressed_twice_before_the_fields_are_read_closes_once(tmp_path: Path) -> None:
    app, sb, session = build(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        raw = await go_to(pilot, 10021)
        screen = app.inbox_screen
        before = len(writes(sb))
        # Twice in the same turn: the second lands while the mailbox's fields are being read.
        screen.action_close_next()
        screen.action_close_next()
        await settle(pilot, session)
        closes = [w for w in writes(sb)[before:] if w[1] == f"/v2/conversations/{raw['id']}"]
        assert len(closes) == 1 and conv(sb, 10021)["status"] == "closed"
        fields_reads = [r for r in sb.requests if r.path == f"/v2/mailboxes/{SUPPORT}/fields"]
        assert len(fields_reads) == 1
        assert screen.table.current_id != raw["id"]  # and the cursor went on
