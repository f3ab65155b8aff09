"""The footer: one widget, the screen's shown keys, clickable, and cheap to refresh."""

from __future__ import annotations

from pathlib import Path

from tui_helpers import make_app, settle, until

from hsinbox.tui.compose import ComposerScreen
from hsinbox.tui.key_footer import KeyFooter


def footer_x(footer: KeyFooter, label: str) -> int:
    """Where ``label`` (e.g. ``" n Note "``) starts on the footer's line."""
    plain = footer.render().plain
    assert label in plain, plain
    return plain.index(label) + 1


async def test_the_footer_lists_the_shown_keys_in_one_widget(tmp_path: Path) -> None:
    app, _sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        footer = app.screen.query_one(KeyFooter)
        described = [e.description for e in footer.entries()]
        assert described[:3] == ["Mark", "Reply", "Note"]
        assert described[-1] == "palette"
        assert not footer.children  # no widget per key: a bindings change is one repaint
        plain = footer.render().plain
        assert plain.startswith(" x Mark  r Reply  n Note ")
        assert plain.rstrip().endswith("^p palette") and len(plain) == footer.size.width


async def test_clicking_a_key_presses_it_and_a_disabled_one_only_rings(tmp_path: Path) -> None:
    app, _sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        footer = app.screen.query_one(KeyFooter)
        undo = next(e for e in footer.entries() if e.action.endswith("undo"))
        assert not undo.enabled  # nothing to undo yet
        bells: list[None] = []
        app.bell = lambda: bells.append(None)  # type: ignore[method-assign]
        await pilot.click(KeyFooter, offset=(footer_x(footer, f" {undo.display} Undo "), 0))
        assert bells and not isinstance(app.screen, ComposerScreen)
        await pilot.click(KeyFooter, offset=(footer_x(footer, " n Note "), 0))
        await until(pilot, lambda: isinstance(app.screen, ComposerScreen))


async def test_hovering_a_key_shows_its_tooltip(tmp_path: Path) -> None:
    app, _sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        footer = app.screen.query_one(KeyFooter)
        reply = next(e for e in footer.entries() if e.description == "Reply")
        await pilot.hover(KeyFooter, offset=(footer_x(footer, " r Reply "), 0))
        assert footer.tooltip == reply.tooltip and reply.tooltip
