"""``[[views]]`` from config.toml as views: a Help Scout query, paged like any folder."""

from __future__ import annotations

from collections.abc import Sequence

from hsinbox.config import SavedView
from hsinbox.helpscout.models import Mailbox
from hsinbox.inbox.view import SORT_PARAMS, View


class UnknownMailbox(ValueError):
    """A saved view names a mailbox the account does not have."""


def view_of(saved: SavedView, mailboxes: Sequence[Mailbox]) -> View:
    """The view a saved view stands for; raises UnknownMailbox (one sentence)."""
    mailbox_id: int | None = None
    if not saved.everywhere:
        wanted = str(saved.mailbox).strip()
        found = next(
            (
                m
                for m in mailboxes
                if str(m.id) == wanted or (m.name or "").casefold() == wanted.casefold()
            ),
            None,
        )
        if found is None:
            raise UnknownMailbox(
                f"The saved view “{saved.name}” names the mailbox “{wanted}”, which this "
                "account does not have."
            )
        mailbox_id = found.id
    sort_field, sort_order = SORT_PARAMS[saved.sort]
    # Every mailbox: Help Scout's search without ``mailbox`` (``View.mailbox_id`` None).
    return View(
        mailbox_id,  # type: ignore[arg-type]
        status=saved.status,
        query=saved.query,
        sort_field=sort_field,
        sort_order=sort_order,
    )
