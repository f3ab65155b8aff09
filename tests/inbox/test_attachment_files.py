"""Untrusted attachment names from the API, and saving that never overwrites."""

from __future__ import annotations

import errno
import logging
import os
from pathlib import Path

import pytest

from hsinbox.inbox import attachments
from hsinbox.inbox.attachments import (
    AttachmentRefused,
    file_plan,
    open_file,
    open_plan,
    safe_filename,
    save_bytes,
    saved_message,
)
from hsinbox.sandbox.seed_agent_day import PDF_BYTES, PNG_BYTES


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "____etc_passwd"),
        ("..\\..\\windows\\system32.dll", "____windows_system32.dll"),
        ("/absolute/path.txt", "_absolute_path.txt"),
        ("..", "attachment"),
        ("...", "attachment"),
        ("", "attachment"),
        (None, "attachment"),
        (".bashrc", "bashrc"),
        ("\x1b[31mred\x1b[0m.txt", "red.txt"),
        ("bell\x07.txt", "bell.txt"),
        ("new\nline.txt", "new line.txt"),
        ("rtl\u202egnp.exe", "rtlgnp.exe"),  # the real extension shows
        ("in\u200bvoice\ufeff.pdf", "invoice.pdf"),
        ("-rf.txt", "rf.txt"),
        ("CON", "_CON"),
        ("nul.txt", "_nul.txt"),
        ("a:b*c?.txt", "a_b_c_.txt"),
    ],
)
def test_safe_filename(name: str | None, expected: str) -> None:
    assert safe_filename(name) == expected


def test_long_names_keep_their_extension() -> None:
    name = safe_filename("x" * 500 + ".png")
    assert len(name) == 200 and name.endswith(".png")


def test_save_never_overwrites_and_stays_in_the_folder(tmp_path: Path) -> None:
    target = tmp_path / "dl"
    outside = tmp_path / "passwd"
    paths = [save_bytes(target, "../passwd", b"1"), save_bytes(target, "../passwd", b"2")]
    assert [p.name for p in paths] == ["__passwd", "__passwd (1)"]
    assert all(p.parent == target for p in paths)
    assert not outside.exists()
    (target / "notes.txt").write_text("mine")
    saved = save_bytes(target, "notes.txt", b"theirs")
    assert saved.name == "notes (1).txt"
    assert (target / "notes.txt").read_text() == "mine"


def test_a_symlink_in_the_way_is_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "dl"
    target.mkdir()
    victim = tmp_path / "victim"
    victim.write_text("keep")
    (target / "a.txt").symlink_to(victim)
    saved = save_bytes(target, "a.txt", b"new")
    assert saved.name == "a (1).txt" and victim.read_text() == "keep"


def test_saved_message(tmp_path: Path) -> None:
    path = tmp_path / "a.png"
    assert saved_message(path) == f"Saved to {path}."
    assert (
        saved_message(path, opened=False)
        == f"Saved to {path}; there is no desktop here to open it."
    )
    assert saved_message(path, opened=True).startswith("Saved and opened a.png")


@pytest.mark.parametrize(
    ("name", "data", "how"),
    [
        ("photo.png", PNG_BYTES, "viewer"),
        ("Scan.PDF", PDF_BYTES, "viewer"),
        ("log.txt", b"plain words\n", "pager"),
        ("table.csv", b"a,b\n1,2\n", "pager"),
        ("photo.png", b"not a png at all", "refused"),  # the name lies about the content
        ("report.pdf", b"MZ\x90\x00" + bytes(60), "refused"),
        ("readme.txt", b"\xef\xbb\xbf  #!/usr/bin/env python\n", "refused"),
        ("notes.md", b"# title\n[Desktop Entry]\nExec=x\n", "refused"),
        ("cat.jpg", b"\xcf\xfa\xed\xfe" + bytes(20), "refused"),  # Mach-O
        ("cv.pdf", b"PK\x03\x04 ... META-INF/MANIFEST.MF", "refused"),  # a .jar inside
        ("invoice.pdf.exe", PDF_BYTES, "refused"),
        ("run.bat", b"echo", "refused"),
        ("a.ps1", b"x", "refused"),
        ("a.HTA", b"x", "refused"),
        ("a.lnk", b"x", "refused"),
        ("a.jar", b"x", "refused"),
        ("a.py", b"x", "refused"),
        ("page.html", b"<p>", "refused"),  # not a known inert type
        ("drawing.svg", b"<svg/>", "refused"),
        ("archive.zip", b"PK\x03\x04", "refused"),
    ],
)
def test_only_inert_types_open(name: str, data: bytes, how: str) -> None:
    assert file_plan(name, data).how == how
    assert open_plan(name, "valid", data).how == how


def test_anything_help_scout_has_not_marked_valid_is_refused() -> None:
    assert open_plan("a.png", "valid", PNG_BYTES).how == "viewer"
    plan = open_plan("a.png", None, PNG_BYTES)
    assert plan.how == "refused" and "Help Scout has not marked it safe" in plan.reason
    for state in ("", "infected", "pending", "VALID "):
        plan = open_plan("a.png", state, PNG_BYTES)
        assert plan.how == "refused" and "not opened or saved" in plan.reason
        assert "flagged this file as possibly malicious" in plan.reason


def test_open_file_checks_the_file_again(tmp_path: Path) -> None:
    launcher = tmp_path / "photo.png"
    launcher.write_bytes(b"#!/bin/sh\nrm -rf ~\n")
    with pytest.raises(AttachmentRefused, match="whatever its name says"):
        open_file(launcher)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(AttachmentRefused):
        open_file(text)


def test_a_file_system_without_the_origin_mark_saves_anyway(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def refuse(*_args: object) -> None:
        raise OSError(95, "Operation not supported")

    monkeypatch.setattr(attachments.os, "setxattr", refuse)
    with caplog.at_level(logging.INFO, logger="hsinbox.inbox.attachments"):
        saved = save_bytes(tmp_path, "a.png", b"x", origin="https://api.example/v2/x/data")
    assert saved.read_bytes() == b"x"
    assert [r.getMessage() for r in caplog.records] == ["no origin mark on a.png: OSError"]


def test_the_origin_mark_is_written(tmp_path: Path) -> None:
    saved = save_bytes(tmp_path, "a.png", b"x", origin="https://api.example/v2/x/data")
    assert os.getxattr(saved, "user.xdg.origin.url") == b"https://api.example/v2/x/data"


def test_the_pager_shows_a_long_file_in_part_and_says_so() -> None:
    assert attachments.pager_text(b"short \xff text") == "short \ufffd text"
    long = attachments.pager_text(b"x" * (attachments.PAGER_CHARS + 10))
    assert long.startswith("x" * attachments.PAGER_CHARS)
    assert long.endswith("(the first 100,000 characters; enter saves the file)")


def test_a_full_disk_leaves_no_truncated_download(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = os.write
    calls: list[int] = []

    def half_then_full(fd: int, data: bytes) -> int:
        calls.append(fd)
        if len(calls) == 1:
            return real_write(fd, bytes(data[:3]))  # a short write, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("hsinbox.inbox.attachments.os.write", half_then_full)
    with pytest.raises(OSError, match="No space left"):
        save_bytes(tmp_path, "report.pdf", b"0123456789")
    assert list(tmp_path.iterdir()) == []
