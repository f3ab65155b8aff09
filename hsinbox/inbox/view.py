"""Which list of conversations the screen shows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from hsinbox.helpscout.models import Folder, Mailbox

DEFAULT_SORT = ("modifiedAt", "desc")
# The list's sorts (state.json's ``sort``) as Help Scout's ``sortField``/``sortOrder``: the
# server's order and the list's local order agree, so pages append in place.
SORT_PARAMS: dict[str, tuple[str, str]] = {
    "updated": DEFAULT_SORT,
    "waiting": ("waitingSince", "asc"),
    "number": ("number", "desc"),
    "customer": ("customerName", "asc"),
    "status": ("status", "asc"),
}


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
    # Help Scout's order for the list (``sortField``/``sortOrder``): a view not fully loaded
    # is sorted by the server, so "longest waiting first" holds over the whole folder.
    sort_field: str = "modifiedAt"
    sort_order: str = "desc"

    @property
    def api_status(self) -> str:
        return "all" if self.folder_id is not None else self.status

    @property
    def key(self) -> str:
        folder = "-" if self.folder_id is None else str(self.folder_id)
        key = f"m{self.mailbox_id}/f{folder}/s{self.api_status}/q{self.query or ''}"
        if (self.sort_field, self.sort_order) != DEFAULT_SORT:
            key += f"/o{self.sort_field}:{self.sort_order}"
        return key

    def sorted_by(self, sort_field: str, sort_order: str) -> View:
        """The same view in another server order (a different list, cached apart)."""
        return replace(self, sort_field=sort_field, sort_order=sort_order)

    def list_params(self) -> dict[str, Any]:
        """Keyword arguments for ``HelpScoutClient.conversation_pages`` (and the other lists)."""
        params: dict[str, Any] = {
            "mailbox": self.mailbox_id,
            "status": self.api_status,
            "sort_field": self.sort_field,
            "sort_order": self.sort_order,
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
    """``_first_view`` in the order saved in ``state`` (``sort``), asked of Help Scout, so
    the start-up prefetch and the screen ask the same question."""
    view = _first_view(
        mailboxes,
        state,
        default_mailbox=default_mailbox,
        default_folder=default_folder,
        folders=folders,
    )
    order = SORT_PARAMS.get(str(state.get("sort")), DEFAULT_SORT)
    return view.sorted_by(*order) if view is not None and order != DEFAULT_SORT else view


def _first_view(
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
