"""The attachments screen's preview pane (F): an image previews (one data request), a
flagged file never does, and without the images extra one line says how to get it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import OptionList, Static
from tui_helpers import make_app, settle, until

from hsinbox.tui.attachments_screen import AttachmentsScreen
from hsinbox.tui.image_preview import FLAGGED, INSTALL_HINT


def data_reads(sb: Any) -> list[str]:
    return [r.path for r in sb.requests if r.method == "GET" and r.path.endswith("/data")]


async def open_attachments(pilot: Any, sb: Any, session: Any) -> AttachmentsScreen:
    await settle(pilot, session)
    screen = pilot.app.inbox_screen
    cid = sb.state["sandboxNotes"]["imageConversation"]
    screen.open_conversation(await session.load_conversation(cid))
    await settle(pilot, session)
    await pilot.press("F")
    await until(pilot, lambda: isinstance(pilot.app.screen, AttachmentsScreen))
    return pilot.app.screen


def highlight(screen: AttachmentsScreen, name: str) -> None:
    index = next(i for i, (_t, a) in enumerate(screen.items) if a.filename == name)
    screen.query_one(OptionList).highlighted = index


def note(screen: AttachmentsScreen) -> str:
    return str(screen.query_one("#preview-note", Static).render())


async def test_an_image_previews_and_a_flagged_file_never_does(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        before = len(data_reads(sb))
        screen = await open_attachments(pilot, sb, session)
        assert screen.items[0][1].filename == "error-dialog.png"  # highlighted on open
        await until(pilot, lambda: bool(screen.query("#preview-image")))
        assert len(data_reads(sb)) == before + 1
        highlight(screen, "invoice.png")
        await until(pilot, lambda: bool(screen.query("#preview-note")) and FLAGGED in note(screen))
        highlight(screen, "desk-photo.jpg")
        await until(pilot, lambda: bool(screen.query("#preview-image")))
        assert len(data_reads(sb)) == before + 2  # the flagged file was never fetched
        highlight(screen, "error-dialog.png")  # seen already: kept, no second request
        await until(pilot, lambda: bool(screen.query("#preview-image")))
        assert len(data_reads(sb)) == before + 2


async def test_without_the_extra_one_line_says_how_to_get_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "textual_image.widget", None)  # import fails
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        before = len(data_reads(sb))
        screen = await open_attachments(pilot, sb, session)
        highlight(screen, "desk-photo.jpg")
        await until(pilot, lambda: bool(screen.query("#preview-note")) and note(screen))
        assert note(screen) == INSTALL_HINT
        assert len(data_reads(sb)) == before  # nothing fetched for a preview it cannot show


async def test_a_flagged_file_is_never_saved_or_opened(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path, download_dir=str(tmp_path / "downloads"))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_attachments(pilot, sb, session)
        await settle(pilot, session)
        before = len(data_reads(sb))
        highlight(screen, "invoice.png")
        await pilot.press("enter")
        await settle(pilot, session)
        assert len(data_reads(sb)) == before
        assert not (tmp_path / "downloads").exists() or not any((tmp_path / "downloads").iterdir())
        messages = [n.message for n in app._notifications]
        assert any("flagged this file as possibly malicious" in m for m in messages)


def test_a_terminal_that_breaks_textual_image_turns_previews_off_in_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from hsinbox.tui import image_preview

    def broken(name: str) -> Any:
        raise ZeroDivisionError("a terminal that reports no size")

    monkeypatch.setattr(image_preview, "_broken", None)
    monkeypatch.setattr(image_preview.importlib, "import_module", broken)
    image_preview.preload()  # at start: never raises
    assert image_preview.unavailable_reason() == (
        "Image previews are off: textual-image could not start (ZeroDivisionError)."
    )
    assert image_preview.image_widget(b"\x89PNG") is None
