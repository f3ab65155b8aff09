# ruff: noqa: RUF001  (hostile subjects on purpose)
"""The virtual conversation list on its own: cursor, columns, paging rows and messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from rich.cells import cell_len
from textual.app import App, ComposeResult

from hsinbox.helpscout.models import Conversation
from hsinbox.inbox.text import safe_text
from hsinbox.tui.conversation_list import (
    NEAR_END,
    ConversationTable,
    choose_layout,
    fit,
)

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
HOSTILE = "請求書の件 — 返金をお願いします 🙏🏽 👨‍👩‍👧‍👦 🇯🇵"


def make(i: int, **extra: Any) -> Conversation:
    data: dict[str, Any] = {
        "id": 1000 + i,
        "number": 5000 + i,
        "status": "active",
        "subject": f"Subject {i}",
        "mailboxId": 1,
        "primaryCustomer": {"id": 7, "first": "Ada", "last": f"Customer{i}"},
        "assignee": {"id": 3, "first": "Maya", "last": "Lindqvist"},
        "userUpdatedAt": (NOW - timedelta(minutes=i)).isoformat(),
        "customerWaitingSince": {"time": (NOW - timedelta(minutes=10 * i)).isoformat()},
        "tags": [{"id": 1, "tag": "billing"}],
    }
    data.update(extra)
    return Conversation.model_validate(data)


class ListApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[Any] = []

    def compose(self) -> ComposeResult:
        yield ConversationTable(id="list", now=lambda: NOW, warn=60, alert=24 * 60)

    @property
    def table(self) -> ConversationTable:
        return self.query_one(ConversationTable)

    def on_conversation_table_highlighted(self, event: ConversationTable.Highlighted) -> None:
        self.messages.append(("highlighted", event.conversation_id))

    def on_conversation_table_selected(self, event: ConversationTable.Selected) -> None:
        self.messages.append(("selected", event.conversation_id))

    def on_conversation_table_near_end(self, event: ConversationTable.NearEnd) -> None:
        self.messages.append(("near_end", event.loaded))


def screen_text(app: App[Any]) -> list[str]:
    table = app.query_one(ConversationTable)
    return [table.render_line(y).text for y in range(table.size.height)]


async def test_keys_move_the_highlight_and_post_messages() -> None:
    app = ListApp()
    async with app.run_test(size=(100, 12)) as pilot:
        table = app.table
        table.set_conversations(make(i) for i in range(50))
        table.focus()
        await pilot.pause()
        ids = [c.id for c in table.visible()]
        assert table.current_id == ids[0]
        await pilot.press("j", "j", "k")
        assert table.current_id == ids[1]
        await pilot.press("G")
        assert table.current_id == ids[-1]
        await pilot.press("g")
        assert table.current_id == ids[0]
        await pilot.press("end")
        assert table.current_id == ids[-1]
        await pilot.press("home", "pagedown")
        page = table.scrollable_content_region.height - 1
        assert table.cursor_row == page
        await pilot.press("pageup")
        assert table.cursor_row == 0
        await pilot.press("enter")
        await pilot.pause()
        assert ("selected", ids[0]) in app.messages
        assert ("highlighted", ids[1]) in app.messages
        # The highlighted row is on screen after a jump to the bottom.
        await pilot.press("G")
        await pilot.pause()
        assert any(str(table.current.number) in line for line in screen_text(app))


async def test_a_click_highlights_and_a_second_click_opens() -> None:
    app = ListApp()
    async with app.run_test(size=(100, 12)) as pilot:
        table = app.table
        table.set_conversations(make(i) for i in range(50))
        await pilot.pause()
        ids = [c.id for c in table.visible()]
        await pilot.click(ConversationTable, offset=(10, 3))  # line 3: the third row
        assert table.current_id == ids[2]
        assert not [m for m in app.messages if m[0] == "selected"]
        await pilot.click(ConversationTable, offset=(10, 3))
        await pilot.pause()
        assert ("selected", ids[2]) in app.messages
        await pilot.click(ConversationTable, offset=(10, 0))  # the header: nothing moves
        assert table.current_id == ids[2]


async def test_header_shows_titles_and_the_sort_indicator() -> None:
    app = ListApp()
    async with app.run_test(size=(160, 10)) as pilot:
        app.table.set_conversations(make(i) for i in range(3))
        await pilot.pause()
        header = app.table.render_line(0).text
        for title in ("#", "Customer", "Subject", "Waiting", "Status", "Assignee", "Tags"):
            assert title in header
        assert "Updated▾" in header
        app.table.sort_by("waiting")
        assert "Waiting▾" in app.table.render_line(0).text
        assert "Updated▾" not in app.table.render_line(0).text


def test_layout_keeps_number_waiting_status_assignee_at_every_width() -> None:
    for width in range(30, 200):
        layout = choose_layout(width, 5)
        assert {"number", "waiting", "status", "assignee"} <= set(layout.widths)
        if width >= 40:
            line = 1 + sum(layout.widths.values()) + layout.gap * (len(layout.widths) - 1)
            assert line <= width
    wide, narrow = choose_layout(160, 5), choose_layout(70, 5)
    assert "tags" in wide.widths and "updated" in wide.widths and not wide.short
    assert "tags" not in narrow.widths and "customer" in narrow.widths
    assert choose_layout(100, 5).widths["subject"] < choose_layout(160, 5).widths["subject"]


def test_fit_cuts_by_cells_and_pads_exactly() -> None:
    for text in ("請求書の件 — 返金", "abc", HOSTILE, "订单 #4521 还没到 🎁 — \u200fمرحبا"):
        for width in range(1, 30):
            fitted = fit(safe_text(text, one_line=True), width)
            assert cell_len(fitted.plain) == width
    assert fit(safe_text("a long subject here"), 8).plain == "a long …"


def test_unsteady_graphemes_are_drawn_as_their_parts() -> None:
    out = safe_text(HOSTILE, "bold", one_line=True).plain
    assert "\u200d" not in out and "\U0001f3fd" not in out
    assert "👨👩👧👦" in out and "🙏" in out and "🇯🇵" in out
    styled = safe_text("❤️ x", "bold", one_line=True)
    assert styled.plain == "❤ x" and styled.style == "bold"


async def test_invisible_characters_never_reach_a_row() -> None:
    invisible = "\u200b\u200c\u200d\ufeff\u2060\u00ad\u200e\u200f\u202a\u202e\u2066\u2069"
    app = ListApp()
    async with app.run_test(size=(120, 10)) as pilot:
        subject = f"Re{invisible}fund\u2028please"
        app.table.set_conversations(
            [make(1, subject=subject, tags=[{"id": 1, "tag": f"vi{invisible}p"}])]
        )
        await pilot.pause()
        row = app.table.render_line(1).text
        assert "Refund please" in row and "vip" in row
        assert not set(invisible + "\u2028\n") & set(row)


async def test_a_hostile_subject_does_not_push_the_later_columns() -> None:
    app = ListApp()
    for size in ((80, 10), (100, 10), (160, 10)):
        async with app.run_test(size=size) as pilot:
            rows = [make(1), make(2, subject=HOSTILE), make(3, subject="\u202eevil RTL override")]
            app.table.set_conversations(rows)
            await pilot.pause()
            width = app.table.scrollable_content_region.width
            lines = [app.table.render_line(y) for y in range(1, 4)]
            assert all(line.cell_length == width for line in lines)
            texts = [line.text for line in lines]
            # The status column starts at the same cell on every row.
            starts = {cell_len(t[: t.index("active")]) for t in texts}
            assert len(starts) == 1, texts
        app = ListApp()


async def test_paging_rows_total_and_near_end() -> None:
    app = ListApp()
    async with app.run_test(size=(100, 12)) as pilot:
        table = app.table
        table.total = 4650
        table.set_conversations(make(i) for i in range(20))
        table.focus()
        await pilot.pause()
        assert not [m for m in app.messages if m[0] == "near_end"]
        for _ in range(20 - NEAR_END - 1):
            await pilot.press("j")
        await pilot.pause()
        assert not [m for m in app.messages if m[0] == "near_end"]
        await pilot.press("j")
        await pilot.pause()
        assert [m for m in app.messages if m[0] == "near_end"] == [("near_end", 20)]
        await pilot.press("j")  # once per length loaded, not on every key
        await pilot.pause()
        assert len([m for m in app.messages if m[0] == "near_end"]) == 1

        table.loading_more = True
        await pilot.press("G")
        await pilot.pause()
        assert "loading…" in "\n".join(screen_text(app))
        here = table.current_id
        table.append_conversations(make(i) for i in range(100, 130))  # older: sorted below
        assert table.current_id == here and table.row_count == 50
        assert "loading…" not in "\n".join(screen_text(app))

        await pilot.press("G")
        await pilot.pause()
        assert [m for m in app.messages if m[0] == "near_end"][-1] == ("near_end", 50)
        table.load_error = "Help Scout is unreachable"
        await pilot.pause()
        assert any(
            "Could not load more: Help Scout is unreachable; move to retry" in line
            for line in screen_text(app)
        )
        await pilot.press("j")  # moving on asks again
        await pilot.pause()
        assert table.load_error is None
        assert [m for m in app.messages if m[0] == "near_end"][-1] == ("near_end", 50)
        assert len([m for m in app.messages if m[0] == "near_end"]) == 3

        table.total = 30  # everything is loaded: no more asking
        table.set_conversations(make(i) for i in range(30))
        await pilot.press("G")
        await pilot.pause()
        assert len([m for m in app.messages if m[0] == "near_end"]) == 3


async def test_paint_does_not_grow_with_rows() -> None:
    """Only the lines on screen are drawn; nothing per row is kept but the conversations."""
    app = ListApp()
    async with app.run_test(size=(100, 12)) as pilot:
        table = app.table
        table.set_conversations(make(i) for i in range(20_000))
        drawn: list[int] = []
        render_line = table.render_line

        def spy(y: int) -> Any:
            drawn.append(y)
            return render_line(y)

        table.render_line = spy  # type: ignore[method-assign]
        table.focus()
        await pilot.pause()
        drawn.clear()
        await pilot.press("j")
        await pilot.pause()
        assert 0 < len(drawn) <= table.size.height
        per_row = {
            name
            for name, value in vars(table).items()
            if isinstance(value, list | dict | set | tuple) and len(value) >= 20_000
        }
        assert per_row == {"conversations", "_rows", "_index"}  # the rows once, no Text
