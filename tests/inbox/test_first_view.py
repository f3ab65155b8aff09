"""The first view: one pure function for the screen and for the start-up prefetch's guess."""

from __future__ import annotations

from hsinbox.helpscout.models import Folder, Mailbox
from hsinbox.inbox.view import View, first_view

MAILBOXES = [Mailbox(id=1, name="Support"), Mailbox(id=2, name="Billing")]
FOLDERS = {1: [Folder(id=11, name="Mine")], 2: [Folder(id=21, name="Mine")]}


def test_no_mailboxes_no_view() -> None:
    assert first_view([], {}, folders=FOLDERS) is None


def test_saved_view_wins_and_its_folder_is_checked_when_folders_are_known() -> None:
    state = {"mailbox_id": 2, "folder_id": 21}
    assert first_view(MAILBOXES, state, default_mailbox=1, folders=FOLDERS) == View(2, 21)
    assert first_view(MAILBOXES, state) == View(2, 21)  # the guess takes it as saved
    gone = {"mailbox_id": 2, "folder_id": 99}
    assert first_view(MAILBOXES, gone, folders=FOLDERS) == View(2)
    assert first_view(MAILBOXES, {"mailbox_id": 7}, folders=FOLDERS) == View(1)


def test_default_mailbox_by_id_or_name_and_default_folder_by_name() -> None:
    assert first_view(MAILBOXES, {}, default_mailbox="Billing") == View(2)
    assert first_view(MAILBOXES, {}, default_mailbox=2, folders=FOLDERS) == View(2)
    chosen = first_view(
        MAILBOXES, {}, default_mailbox="Billing", default_folder="mine", folders=FOLDERS
    )
    assert chosen == View(2, 21)
    # Before the folders are known a default folder cannot be resolved: no guess.
    assert first_view(MAILBOXES, {}, default_folder="Mine") is None
