"""``F``: enter saves only; ``o`` opens an image or PDF in the desktop's viewer, shows text
inside hsinbox and refuses programs, scripts, launchers and what Help Scout flags.

The desktop's opener is a recording ``xdg-open`` placed first on PATH: whatever it is asked
to open lands in a file, so a test sees exactly what would have been launched.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from textual.widgets import OptionList, Static
from tui_helpers import make_app, settle, until

from hsinbox.tui.attachments_screen import AttachmentsScreen, TextPagerScreen


@pytest.fixture
def opener(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A recording xdg-open first on PATH, a display, no SSH: the app would open things."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "opened.txt"
    stub = bin_dir / "xdg-open"
    stub.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" >> "{record}"\n')
    stub.chmod(stub.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.delenv("SSH_CONNECTION", raising=False)
    monkeypatch.delenv("SSH_TTY", raising=False)
    return record


def opened(record: Path) -> list[str]:
    return record.read_text().splitlines() if record.exists() else []


async def test_open_refuses_what_runs_and_opens_a_png(tmp_path: Path, opener: Path) -> None:
    downloads = tmp_path / "dl"
    app, sb, session = make_app(tmp_path, download_dir=str(downloads))
    target = sb.state["sandboxNotes"]["hostileAttachmentConversation"]
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        screen = app.inbox_screen
        screen.open_conversation(await session.load_conversation(target))
        await settle(pilot, session)
        names = [a.filename for _t, a in session.conversation_attachments(target)]
        body = str(screen.query_one("#thread-body", Static).render())
        flagged = [line for line in body.splitlines() if "not marked safe" in line]
        assert len(flagged) == 1 and "statement.pdf" in flagged[0]

        async def press_on(name: str, key: str) -> None:
            await pilot.press("F")
            await until(pilot, lambda: isinstance(app.screen, AttachmentsScreen))
            assert app.screen.query_one(OptionList).option_count == len(names)
            for _ in range(names.index(name)):
                await pilot.press("down")
            await pilot.press(key)
            await settle(pilot, session)

        def last_message() -> str:
            messages = [n.message for n in app._notifications]
            return messages[-1] if messages else ""

        refusals = {
            "invoice.desktop": ".desktop files are programs, scripts or launchers",
            "fix-it.sh": ".sh files are programs, scripts or launchers",
            "holiday.png": "its content is a program (ELF), whatever its name says",
            "notes.txt": "its content is a script (it starts with #!), whatever its name says",
        }
        for name, why in refusals.items():
            before = len(sb.requests)
            await press_on(name, "o")
            assert last_message() == f"{name} is not opened: {why}; enter saves it."
            assert not isinstance(app.screen, TextPagerScreen)
            data_reads = [r for r in sb.requests[before:] if r.path.endswith("/data")]
            # By name or state: nothing is downloaded; by content: read, never saved.
            assert len(data_reads) == (1 if name in ("holiday.png", "notes.txt") else 0)
        # Flagged by Help Scout: neither opened nor saved, nothing downloaded.
        for key in ("o", "enter"):
            before = len(sb.requests)
            await press_on("statement.pdf", key)
            assert last_message() == (
                "statement.pdf is not opened or saved: Help Scout flagged this file as "
                "possibly malicious (state 'infected')."
            )
            assert [r for r in sb.requests[before:] if r.path.endswith("/data")] == []
        assert opened(opener) == []
        assert not downloads.exists() or list(downloads.iterdir()) == []

        await press_on("orders.csv", "o")  # text: shown here, never handed to the opener
        assert isinstance(app.screen, TextPagerScreen)
        shown = str(app.screen.query_one("#pager-text", Static).render())
        assert "order,amount" in shown and "4521,19.00" in shown
        await pilot.press("escape")
        await settle(pilot, session)
        assert opened(opener) == []

        await press_on("photo.png", "o")
        await until(pilot, lambda: len(opened(opener)) == 1)
        assert opened(opener) == [str(downloads / "photo.png")]
        assert (downloads / "photo.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert last_message() == f"Saved and opened photo.png ({downloads})."

        # enter only saves, even a launcher; the opener is not asked.
        await press_on("invoice.desktop", "enter")
        assert (downloads / "invoice.desktop").read_bytes().startswith(b"[Desktop Entry]")
        assert last_message() == f"Saved to {downloads / 'invoice.desktop'}."
        origin = os.getxattr(downloads / "invoice.desktop", "user.xdg.origin.url").decode()
        assert origin.endswith("/data") and f"/v2/conversations/{target}/attachments/" in origin
        assert opened(opener) == [str(downloads / "photo.png")]
