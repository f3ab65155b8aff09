"""Untrusted attachment names from the API, and saving that never overwrites."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from hsinbox.inbox.attachments import safe_filename, save_bytes, saved_message


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
        ("\x1b[31mred\x1b[0m.txt", "_[31mred_[0m.txt"),
        ("bell\x07.txt", "bell_.txt"),
        ("new\nline.txt", "new_line.txt"),
        ("rtl\u202egnp.exe", "rtl_gnp.exe"),
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
    assert saved_message(path, opened=False) == f"Saved to {path}."
    assert saved_message(path, opened=True).startswith("Saved and opened a.png")


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
