"""Which list of conversations the screen shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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
