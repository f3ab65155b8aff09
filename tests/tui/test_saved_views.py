"""Issue 17: saved views (``[[views]]``) in the sidebar with their counts, opened like a folder,
and "Save this search as a view" writing config.toml without touching the rest of it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from testdata import new_sandbox_client
from tui_helpers import SUPPORT, make_app, settle

from hsinbox.config import load_settings
from hsinbox.tui.inbox_screen import InboxScreen
from hsinbox.tui.widgets import Sidebar

VIP = {"name": "VIP waiting", "query": "tag:vip", "mailbox": "Support", "status": "active"}


def screen_of(app: Any) -> InboxScreen:
    screen = app.inbox_screen
    assert screen is not None
    return screen


def sidebar_lines(screen: InboxScreen) -> list[str]:
    sidebar = screen.query_one(Sidebar)
    return [str(sidebar.get_option_at_index(i).prompt) for i in range(sidebar.option_count)]


async def test_a_saved_view_lists_its_conversations_and_counts_what_help_scout_counts(
    tmp_path: Path,
) -> None:
    app, sb, session = make_app(tmp_path, views=[VIP])
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        # Its count cost one list request (page 1, kept for when it opens).
        asked = [r for r in sb.requests if r.path == "/v2/conversations" and r.query.get("query")]
        assert len(asked) == 1 and asked[0].query["query"] == "tag:vip"
        other = new_sandbox_client(sb)
        expected = await other.list_all_conversations(
            mailbox=SUPPORT, status="active", query="tag:vip"
        )
        await other.aclose()
        assert expected
        lines = sidebar_lines(screen)
        assert "Views" in lines
        assert f"  VIP waiting {len(expected)}" in lines
        sidebar = screen.query_one(Sidebar)
        sidebar.focus()
        sidebar.highlighted = sidebar.get_option_index("saved:0")
        await pilot.press("enter")
        await settle(pilot, session)
        assert {c.id for c in screen.table.visible()} == {c.id for c in expected}
        assert "View: VIP waiting" in str(screen.query_one("#status-line").render())


async def test_save_this_search_as_a_view_round_trips_through_config_toml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    original = (
        '# my settings\ntheme = "textual-dark"  # keep this comment\n\n[keymap]\nreply = "r"\n'
    )
    config.write_text(original, encoding="utf-8")
    monkeypatch.setenv("HSINBOX_CONFIG", str(config))
    app, _sb, session = make_app(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, session)
        screen = screen_of(app)
        await pilot.press("/")
        await pilot.press(*"damaged", "enter")
        await settle(pilot, session)
        found = {c.id for c in screen.table.visible()}
        await screen.run_action("save_search_view")
        await settle(pilot, session)
        text = config.read_text(encoding="utf-8")
        assert text.startswith(original)  # every line and comment kept
        settings, problems = load_settings(config)
        assert problems == []
        assert settings.keymap == {"reply": "r"}
        [saved] = settings.views
        assert saved.name == "damaged" and saved.mailbox == "Support" and saved.query
        # Counted at once: the search's page 1 is the view's page 1 (the same question).
        total = session.view_total(screen.search_results)
        assert total and f"  damaged {total}" in sidebar_lines(screen)
        # It opens as a view of its own, listing what the search found.
        await pilot.press("escape", "escape")
        screen.open_saved_view(0)
        await settle(pilot, session)
        assert {c.id for c in screen.table.visible()} <= found | set(screen.table.conversations)
        assert {c.number for c in screen.table.visible()} >= {10042}
