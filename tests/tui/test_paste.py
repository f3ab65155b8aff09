"""Pasting into the composer: a terminal without bracketed paste sends one key per character;
the composer gathers a burst into one insert. A bracketed paste is one event."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.widgets import TextArea
from tui_helpers import make_app, settle, until

from hsinbox.tui.compose import ComposerArea, ComposerScreen

LINE = "Order 4411 failed at checkout with error E-102, see the log below.   "


def burst_of_keys(app: Any, text: str) -> None:
    """What the driver posts for an unbracketed paste: a key per character, all at once."""
    for ch in text:
        if ch == "\n":
            app.post_message(events.Key("enter", "\r"))
        elif ch == " ":
            app.post_message(events.Key("space", " "))
        else:
            app.post_message(events.Key(ch, ch))


async def open_note(pilot: Any, session: Any) -> ComposerArea:
    await settle(pilot, session)
    await pilot.press("n")
    assert isinstance(pilot.app.screen, ComposerScreen)
    return pilot.app.screen.query_one("#composer-body", ComposerArea)


async def test_an_unbracketed_paste_is_gathered_into_few_inserts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    edits: list[int] = []
    real_replace = TextArea.replace

    def counting_replace(self: TextArea, insert: str, *args: Any, **kwargs: Any) -> Any:
        edits.append(len(insert))
        return real_replace(self, insert, *args, **kwargs)

    monkeypatch.setattr(TextArea, "replace", counting_replace)
    text = (LINE + "\n") * 300  # ~21 KB: one key each took over a minute to show
    app, _sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        area = await open_note(pilot, session)
        edits.clear()
        burst_of_keys(app, "Hi,\n" + text)
        await until(pilot, lambda: area.text == "Hi,\n" + text)
        assert len(edits) < 20, f"{len(edits)} inserts for one burst"
        # What follows the burst lands after it, in order: backspace removes its last key.
        await pilot.press("backspace", "!")
        await until(pilot, lambda: area.text.endswith(LINE + "\n" + LINE + "!"))
        assert app.screen.composed().body == area.text  # a reader sees every key


async def test_keys_typed_one_by_one_still_edit_in_place(tmp_path: Path) -> None:
    app, _sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        area = await open_note(pilot, session)
        await pilot.press(*"helo", "left", "l", "end", "enter", "x")
        await until(pilot, lambda: area.text == "hello\nx")


async def test_a_bracketed_paste_is_one_insert(tmp_path: Path) -> None:
    text = (LINE + "\n") * 11_000  # ~800 KB
    app, _sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        area = await open_note(pilot, session)
        app.post_message(events.Paste(text))
        await until(pilot, lambda: area.text == text)
        await settle(pilot, session)
        assert app.screen.composed().body == text
