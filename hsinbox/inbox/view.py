"""Which list of conversations the screen shows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hsinbox.helpscout.models import Folder, Mailbox


@dataclass(frozen=True)
class View:
    """A mailbox (active conversations), a folder of it, or a search inside it.

    A folder decides for itself what it holds (Closed, Spam, Mine…), so a folder view asks
    Help Scout for ``status=all`` and lets the folder filter; a mailbox view uses ``status``.
    """

    mailbox_id: int
    folder_id: int | None = None
    status: str = "active"
    query: str | None = None

    @property
    def api_status(self) -> str:
        return "all" if self.folder_id is not None else self.status

    @property
    def key(self) -> str:
        folder = "-" if self.folder_id is None else str(self.folder_id)
        return f"m{self.mailbox_id}/f{folder}/s{self.api_status}/q{self.query or ''}"

    def list_params(self) -> dict[str, Any]:
        """Keyword arguments for ``HelpScoutClient.list_all_conversations``."""
        params: dict[str, Any] = {
            "mailbox": self.mailbox_id,
            "status": self.api_status,
            "sort_field": "modifiedAt",
            "sort_order": "desc",
        }
        if self.folder_id is not None:
            params["folder"] = self.folder_id
        if self.query:
            params["query"] = self.query
        return params


def first_view(
    mailboxes: Sequence[Mailbox],
    state: Mapping[str, Any],
    *,
    default_mailbox: int | str | None = None,
    default_folder: str | None = None,
    folders: Mapping[int, Sequence[Folder]] | None = None,
) -> View | None:
    """The view the inbox opens first: the one saved in ``state`` (state.json), else the
    configured default mailbox (and folder), else the first mailbox; None with no mailboxes.

    ``folders`` None means they are not known yet (the start-up prefetch guesses from the
    mailboxes alone): a saved folder is then taken as it is, and a configured default folder,
    which needs the folders' names, makes it no guess at all (None).
    """
    if not mailboxes:
        return None
    mailbox_id = state.get("mailbox_id")
    if isinstance(mailbox_id, int) and any(m.id == mailbox_id for m in mailboxes):
        folder_id = state.get("folder_id")
        if folders is None:
            return View(mailbox_id, folder_id if isinstance(folder_id, int) else None)
        known = {f.id for f in folders.get(mailbox_id, [])}
        return View(mailbox_id, folder_id if folder_id in known else None)
    if default_folder and folders is None:
        return None
    chosen = mailboxes[0]
    for mailbox in mailboxes:
        if default_mailbox is not None and default_mailbox in (mailbox.id, mailbox.name):
            chosen = mailbox
    folder_id = None
    if default_folder and folders is not None:
        for folder in folders.get(chosen.id, []):
            if (folder.name or "").casefold() == default_folder.casefold():
                folder_id = folder.id
    return View(chosen.id, folder_id)
