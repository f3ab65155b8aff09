"""Which list of conversations the screen shows."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

DEFAULT_SORT = ("modifiedAt", "desc")


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
