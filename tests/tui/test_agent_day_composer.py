"""Pilot tests for the composer's saved replies (ctrl+t) and files (ctrl+o), and for saving
the open conversation's attachments (F), hostile file names included."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, OptionList, Static
from tui_helpers import SUPPORT, conv, make_app, settle, until, writes

from hsinbox.inbox.attachments import MAX_ATTACHMENT_BYTES
from hsinbox.tui import agent_day
from hsinbox.tui.attachments_screen import AttachmentsScreen, AttachPathScreen
from hsinbox.tui.compose import ComposerScreen
from hsinbox.tui.dialogs import PickerScreen


async def go_to(pilot: Any, number: int) -> None:
    screen = pilot.app.inbox_screen
    target = next(c for c in screen.table.conversations.values() if c.number == number)
    screen.table.go_to(target.id)
    await pilot.pause()


def reads(sb: Any, part: str) -> list[str]:
    return [r.path for r in sb.requests if r.method == "GET" and part in r.path]


async def test_saved_reply_picker_filters_inserts_at_cursor_and_names_unknowns(
    tmp_path: Path,
) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        await go_to(pilot, 10021)
        await pilot.press("r")
        assert isinstance(app.screen, ComposerScreen)
        composer = app.screen
        await pilot.press(*"AB", "left")
        await pilot.press("ctrl+t")
        await until(pilot, lambda: isinstance(app.screen, PickerScreen))
        options = app.screen.query_one(OptionList)
        assert options.option_count == 4
        await pilot.press(*"just reply")  # matches the preview of Sign-off only
        await until(pilot, lambda: options.option_count == 1)
        assert options.get_option_at_index(0).prompt.plain.startswith("Sign-off")
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is composer and "Sign-off" not in composer.body)
        await until(pilot, lambda: "{%company.name%}" in composer.body)
        body = composer.body
        me = session.me
        mailbox = next(m for m in session.mailboxes if m.id == SUPPORT)
        assert body.startswith("A") and body.endswith("B")
        assert mailbox.email in body and f"{me.first_name} from {{%company.name%}}" in body
        notice = str(composer.query_one("#composer-notice", Static).render())
        assert notice == "Left as written: unknown variable {%company.name%}."
        assert len(reads(sb, "/saved-replies")) == 2  # the list and the one reply
        # Again and escape: the list is cached, nothing is inserted.
        await pilot.press("ctrl+t")
        await until(pilot, lambda: isinstance(app.screen, PickerScreen))
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is composer)
        assert composer.body == body and len(reads(sb, "/saved-replies")) == 2
        before = len(writes(sb))
        await pilot.press("ctrl+s")
        await settle(pilot, session)
        sent = writes(sb)[before:]
        assert len(sent) == 1 and sent[0][1].endswith("/reply")
        assert mailbox.email in sent[0][2]["text"]


async def test_composer_attachments_refused_listed_kept_and_sent_inline(tmp_path: Path) -> None:
    files = tmp_path / "files"
    files.mkdir()
    log = files / "app.log"
    log.write_bytes(b"line one\nline two\n")
    big = files / "huge.bin"
    with big.open("wb") as handle:
        handle.truncate(MAX_ATTACHMENT_BYTES + 1)
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        await go_to(pilot, 10021)
        cid = conv(sb, 10021)["id"]
        await pilot.press("n", *"See the log.")
        composer = app.screen
        listing = composer.query_one("#composer-attachments", OptionList)

        async def attach(path: str) -> None:
            await pilot.press("ctrl+o")
            await until(pilot, lambda: isinstance(app.screen, AttachPathScreen))
            app.screen.query_one(Input).value = path
            await pilot.press("enter")
            await until(pilot, lambda: app.screen is composer)

        await attach(str(files / "missing.txt"))
        await attach(str(big))
        assert listing.option_count == 0 and not listing.display
        notes = [n.message for n in app._notifications]
        assert "missing.txt was not attached: there is no such file." in notes
        assert any(m.startswith("huge.bin was not attached: it is 10") for m in notes)
        # Completion: tab takes the file system's suggestion.
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, AttachPathScreen))
        field = app.screen.query_one(Input)
        field.value = str(files / "ap")
        await until(pilot, lambda: field._suggestion == str(log))
        await pilot.press("tab", "enter")
        await until(pilot, lambda: app.screen is composer)
        assert listing.option_count == 1
        assert listing.get_option_at_index(0).prompt.plain == "📎 app.log  18 B"
        await settle(pilot, session)
        draft = session.drafts.load(cid, "note")
        assert draft is not None and draft.fields["attachments"] == [str(log)]
        # Leaving keeps the files with the draft; reopening shows them again.
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is app.inbox_screen)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, ComposerScreen))
        composer = app.screen
        listing = composer.query_one("#composer-attachments", OptionList)
        assert composer.body == "See the log." and listing.option_count == 1
        # Removable from the list; added again.
        listing.focus()
        await pilot.press("delete")
        assert listing.option_count == 0
        await attach(str(log))
        # Gone before sending: one sentence, nothing sent, the list kept.
        log.rename(files / "moved.log")
        before = len(writes(sb))
        await pilot.press("ctrl+s")
        await settle(pilot, session)
        assert app.screen is composer and writes(sb)[before:] == []
        assert listing.option_count == 1
        (files / "moved.log").rename(log)
        await pilot.press("ctrl+s")
        await settle(pilot, session)
        sent = writes(sb)[before:]
        assert [(m, p) for m, p, _b in sent] == [("POST", f"/v2/conversations/{cid}/notes")]
        assert sent[0][2]["attachments"] == [
            {
                "fileName": "app.log",
                "mimeType": "text/plain",
                "data": base64.b64encode(b"line one\nline two\n").decode(),
            }
        ]
        assert session.drafts.load(cid, "note") is None


async def test_attachments_saved_safely_never_overwriting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(agent_day, "open_file", lambda path: False)
    downloads = tmp_path / "dl"
    app, sb, session = make_app(tmp_path, download_dir=str(downloads))
    target = sb.state["sandboxNotes"]["attachmentConversation"]
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        screen = app.inbox_screen
        screen.open_conversation(await session.load_conversation(target))
        await settle(pilot, session)
        body = str(screen.query_one("#thread-body", Static).render())
        assert "📎 screenshot.png  image/png" in body and "sync.log  text/plain" in body
        assert "\x1b" not in body and "../" not in body

        async def save(index: int) -> None:
            await pilot.press("F")
            await until(pilot, lambda: isinstance(app.screen, AttachmentsScreen))
            assert app.screen.query_one(OptionList).option_count == 3
            for _ in range(index):
                await pilot.press("down")
            await pilot.press("enter")
            await settle(pilot, session)

        await save(2)  # ../../.bashrc\x1b[31m
        saved = sorted(p.name for p in downloads.iterdir())
        assert len(saved) == 1
        name = saved[0]
        assert "/" not in name and ".." not in name and "\x1b" not in name
        assert not name.startswith(".")
        assert (downloads / name).read_bytes() == b"echo pwned\n"
        assert not (tmp_path / ".bashrc").exists() and not (tmp_path.parent / ".bashrc").exists()
        await save(0)
        await save(0)
        assert sorted(p.name for p in downloads.iterdir()) == sorted(
            [name, "screenshot.png", "screenshot (1).png"]
        )
        assert (downloads / "screenshot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        messages = [n.message for n in app._notifications]
        assert f"Saved to {downloads / 'screenshot (1).png'}." in messages
        datas = [r for r in sb.requests if r.path.endswith("/data")]
        # The screenshot's bytes came once, for its preview (highlighted when F opens); both
        # saves reuse them. The hostile file's came for its save.
        assert len(datas) == 2
        assert os.stat(downloads / "screenshot.png").st_mode & 0o777 == 0o600
