"""What is loaded of one view: its rows, where paging resumes, its total, whether it is whole.

One object per view, held by the store, so the order, the paging cursor, completeness and the
refresh point have one owner. Help Scout pages by offset: when rows leave pages already read
(the agent's closes, a colleague's), the later pages shift up. So the next page is chosen by
the count of rows still in the view, the overlap is de-duplicated, and a page that adds nothing
new (and is not the last) asks the one after it. The view is complete only once its last page
was read.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hsinbox.inbox.view import View

PAGE_SIZE = 25  # Help Scout's list page; the server's ``page.size`` wins when it says


@dataclass
class LoadedView:
    view: View
    ids: list[int] = field(default_factory=list)
    total: int | None = None  # the server's count as of the last page read, kept up by merges
    page_size: int = PAGE_SIZE
    complete: bool = False  # the last page was read (and nothing since says otherwise)
    # Where ``modifiedSince`` resumes: the newest modification seen, and the fingerprints of
    # the conversations modified at exactly that time (Help Scout's filter is inclusive).
    newest: datetime | None = None
    probe: dict[int, str] = field(default_factory=dict)
    paged: bool = False  # a page was read this run (a cached view asks page 1 again)
    # Each row's status and mailbox as Help Scout last said: a row the agent changed since
    # may have left the view on the server (a close, a move), so paging does not count it.
    as_read: dict[int, tuple[str, int | None]] = field(default_factory=dict)
    generation: int = 0  # bumped when the view starts over (page 1 afresh, reload)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False, compare=False)

    @property
    def key(self) -> str:
        return self.view.key

    def next_page(self, still_in: int | None = None) -> int:
        """The page holding the first row not loaded yet, by the rows still in the view
        (``still_in``: those the server still has in it, when some may have left)."""
        count = len(self.ids) if still_in is None else still_in
        return count // max(self.page_size, 1) + 1

    def note_read(self, conversations: list[Any]) -> None:
        """Remember how the server showed these rows (see ``as_read``)."""
        for c in conversations:
            self.as_read[c.id] = (c.status, c.mailbox_id)

    def start_over(self, ids: list[int]) -> None:
        """The view is these rows (page 1, or every loaded page read again)."""
        self.ids = list(ids)
        self.as_read = {i: s for i, s in self.as_read.items() if i in set(ids)}
        self.generation += 1

    def append(self, ids: list[int]) -> list[int]:
        """Add the rows not loaded yet at the end; returns the ones added."""
        present = set(self.ids)
        added = [i for i in dict.fromkeys(ids) if i not in present]
        self.ids.extend(added)
        return added

    def remove(self, ident: int) -> int | None:
        """Take a row out; its former index, or None when it was not loaded."""
        try:
            at = self.ids.index(ident)
        except ValueError:
            return None
        del self.ids[at]
        if self.total:
            self.total -= 1  # until the next page read says the server's count
        return at

    def insert(self, ident: int, at: int) -> None:
        if ident not in self.ids:
            self.ids.insert(min(at, len(self.ids)), ident)
            if self.total is not None:
                self.total += 1
