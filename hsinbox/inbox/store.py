"""The local state the screen shows, and where optimistic changes land.

Models are never mutated: a change replaces the object with ``model_copy(update=...)`` so a
widget holding the old object never sees it change under it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from hsinbox.helpscout.models import Attachment, Conversation, Customer, PersonRef, Thread
from hsinbox.inbox.loaded_view import LoadedView
from hsinbox.inbox.view import View

_MISSING = object()


class _Conversations(dict[int, Conversation]):
    """Conversations by id that count their changes, so a screen repaints only the rows
    that changed since it last looked (``Store.changed_since``)."""

    def __init__(self) -> None:
        super().__init__()
        self.version = 0
        self.changed: dict[int, int] = {}  # id → the version it last changed at
        self.forgotten = 0  # ``changed`` no longer knows what changed up to this version

    def __setitem__(self, key: int, value: Conversation) -> None:
        if self.get(key) is not value:
            self.version += 1
            self.changed[key] = self.version
        super().__setitem__(key, value)

    def __delitem__(self, key: int) -> None:
        super().__delitem__(key)
        self.version += 1
        self.changed[key] = self.version

    def pop(self, key: int, *default: Any) -> Any:  # type: ignore[override]
        if key in self:
            self.version += 1
            self.changed[key] = self.version
        return super().pop(key, *default)

    def clear(self) -> None:
        super().clear()
        self.version += 1
        self.changed.clear()
        self.changed[-1] = self.version  # everything changed

    def update(self, other: Any = (), /, **_: Any) -> None:  # type: ignore[override]
        for key, value in dict(other).items():
            self[key] = value


class Store:
    """Conversations by id, ordered ids per view, threads and customers."""

    def __init__(self) -> None:
        self.conversations: _Conversations = _Conversations()
        self.views: dict[str, LoadedView] = {}  # what is loaded of each view, by its key
        self.merged: dict[int, int] = {}  # old id → the survivor of a merge followed here
        self.threads: dict[int, list[Thread]] = {}
        self.pending_threads: dict[int, list[Thread]] = {}
        self.customers: dict[int, Customer] = {}
        self.me: PersonRef | None = None
        self._stash: dict[str, Any] = {}
        self._temp_ids = itertools.count(1)

    # --- conversations and views ------------------------------------------------------

    @property
    def version(self) -> int:
        """Bumped by every change of a conversation copy."""
        return self.conversations.version

    def changed_since(self, version: int) -> set[int] | None:
        """Ids whose copy changed after ``version``; None when too much did (repaint all)."""
        tracked = self.conversations
        if tracked.version == version:
            return set()
        if version < tracked.forgotten:
            return None
        changed = {i for i, v in tracked.changed.items() if v > version}
        if -1 in changed or len(changed) > 256:
            return None
        if len(tracked.changed) > 4096:  # bounded: older entries only matter to old lookers
            tracked.forgotten = tracked.version - 2048
            cut = tracked.forgotten
            tracked.changed = {i: v for i, v in tracked.changed.items() if v > cut}
        return changed

    def get(self, conversation_id: int) -> Conversation | None:
        return self.conversations.get(conversation_id)

    def put(self, conversation: Conversation) -> None:
        self.conversations[conversation.id] = conversation

    def loaded(self, view: View) -> LoadedView:
        """The view's one owner of what is loaded (made empty on first use)."""
        loaded = self.views.get(view.key)
        if loaded is None:
            loaded = self.views[view.key] = LoadedView(view)
        return loaded

    def set_view(self, view: View, conversations: list[Conversation]) -> None:
        for conversation in conversations:
            self.conversations[conversation.id] = conversation
        self.loaded(view).start_over([c.id for c in conversations])

    def put_many(self, conversations: list[Conversation]) -> None:
        """Fresher copies from the server (a refresh, a sync, a search); views are untouched."""
        for conversation in conversations:
            self.conversations[conversation.id] = conversation

    def merge_view(
        self,
        view: View,
        conversations: list[Conversation],
        *,
        arrived: list[int],
        left: list[int],
    ) -> None:
        """Apply a refresh without reordering what the agent is looking at.

        Rows that arrived go on top in the server's order, rows that left are dropped, and
        every other row keeps its place even when its content changed.
        """
        for conversation in conversations:
            self.conversations[conversation.id] = conversation
        loaded = self.loaded(view)
        gone = set(left)
        current = [i for i in loaded.ids if i not in gone]
        present = set(current)
        loaded.ids = [i for i in dict.fromkeys(arrived) if i not in present] + current

    def view_ids(self, view: View) -> list[int]:
        loaded = self.views.get(view.key)
        return list(loaded.ids) if loaded is not None else []

    def view_conversations(self, view: View) -> list[Conversation]:
        loaded = self.views.get(view.key)
        ids = loaded.ids if loaded is not None else []
        return [self.conversations[i] for i in ids if i in self.conversations]

    def update(self, conversation_id: int, **changes: Any) -> Conversation | None:
        """Replace a conversation with a copy carrying ``changes``; None if not loaded."""
        current = self.conversations.get(conversation_id)
        if current is None:
            return None
        updated = current.model_copy(update=changes)
        self.conversations[conversation_id] = updated
        return updated

    def remove_from_views(self, conversation_id: int, token: str) -> None:
        """Take a conversation out of every list, remembering where it was under ``token``."""
        positions: dict[str, int] = {}
        for key, loaded in self.views.items():
            at = loaded.remove(conversation_id)
            if at is not None:
                positions[key] = at
        self._stash.setdefault(f"views:{token}", positions)

    def restore_to_views(self, conversation_id: int, token: str) -> None:
        positions: dict[str, int] = self._stash.pop(f"views:{token}", {})
        for key, index in positions.items():
            loaded = self.views.get(key)
            if loaded is not None:
                loaded.insert(conversation_id, index)

    def forget(self, conversation_id: int) -> None:
        """Drop a conversation that no longer exists (deleted) from every local table."""
        self.conversations.pop(conversation_id, None)
        self.threads.pop(conversation_id, None)
        self.pending_threads.pop(conversation_id, None)
        for loaded in self.views.values():
            loaded.remove(conversation_id)

    # --- memory: what no view needs any more --------------------------------------------

    def evict_beyond(
        self,
        keep_ids: Iterable[int] = (),
        *,
        max_threads: int = 100,
        max_customers: int = 200,
    ) -> int:
        """Drop what no loaded view shows so a long session stays flat: conversations no
        view lists (a finished sync's pages, old search results) unless in ``keep_ids``
        (the open one, rows on screen, unsent changes); thread lists beyond the
        ``max_threads`` read most recently; customers beyond ``max_customers``. The disk
        cache still has them: reopening one is a cache read, not a request. Returns how
        many conversations left."""
        keep = set(keep_ids)
        listed: set[int] = set(keep)
        for loaded in self.views.values():
            listed.update(loaded.ids)
        listed.update(self.pending_threads)
        gone = [i for i in self.conversations if i not in listed]
        for ident in gone:
            del self.conversations[ident]
            self.threads.pop(ident, None)
        # Oldest read first; the kept ones never count against the limit.
        extra = len(self.threads) - max_threads
        for ident in list(self.threads):
            if extra <= 0:
                break
            if ident not in keep:
                del self.threads[ident]
                extra -= 1
        while len(self.customers) > max_customers:
            del self.customers[next(iter(self.customers))]
        return len(gone)

    # --- stash: what an optimistic change replaced, keyed by action id ----------------

    def stash(self, token: str, value: Any) -> None:
        """Remember a value for ``revert``; the first value stashed for a token wins."""
        self._stash.setdefault(token, value)

    def unstash(self, token: str, default: Any = None) -> Any:
        value = self._stash.pop(token, _MISSING)
        return default if value is _MISSING else value

    def drop_stash(self, prefix_token: str) -> None:
        """Forget everything an action stashed once it is confirmed."""
        for key in [k for k in self._stash if k == prefix_token or k.endswith(f":{prefix_token}")]:
            del self._stash[key]

    # --- threads ---------------------------------------------------------------------

    def set_threads(self, conversation_id: int, threads: list[Thread]) -> None:
        self.threads.pop(conversation_id, None)  # re-inserted: the dict's order is recency
        self.threads[conversation_id] = list(threads)

    def thread_list(self, conversation_id: int) -> list[Thread]:
        """Loaded threads oldest first, then the ones still being sent."""
        return list(self.threads.get(conversation_id, [])) + list(
            self.pending_threads.get(conversation_id, [])
        )

    def add_pending_thread(self, conversation_id: int, kind: str, body: str) -> Thread:
        """Show a reply or note while it is on its way; it gets a negative id."""
        thread = Thread(
            id=-next(self._temp_ids),
            type=kind,
            state="pending",
            body=body,
            created_by=self.me,
            created_at=datetime.now(UTC),
        )
        self.pending_threads.setdefault(conversation_id, []).append(thread)
        return thread

    def set_pending_attachments(
        self, conversation_id: int, thread_id: int, attachments: list[Attachment]
    ) -> None:
        """Show the files a pending reply or note carries (name, type, size)."""
        pending = self.pending_threads.get(conversation_id, [])
        for i, thread in enumerate(pending):
            if thread.id == thread_id:
                pending[i] = thread.model_copy(update={"attachments": list(attachments)})
                return

    def move_conversation(self, old_id: int, new_id: int, survivor: Conversation | None) -> None:
        """Follow a merge: ``old_id``'s rows, threads still being sent and list places go to
        ``new_id`` (``survivor`` when known, else a copy of the old one under the new id)."""
        old = self.conversations.pop(old_id, None)
        self.merged[old_id] = new_id
        if survivor is not None:
            self.conversations[new_id] = survivor
        elif new_id not in self.conversations and old is not None:
            self.conversations[new_id] = old.model_copy(update={"id": new_id})
        self.threads.pop(old_id, None)
        self.threads.pop(new_id, None)  # the survivor's threads now include the old ones
        moved = self.pending_threads.pop(old_id, [])
        if moved:
            self.pending_threads.setdefault(new_id, []).extend(moved)
        for loaded in self.views.values():
            ids = loaded.ids
            if old_id in ids:
                at = ids.index(old_id)
                if new_id in ids:
                    ids.remove(old_id)
                else:
                    ids[at] = new_id

    def remove_pending_thread(self, conversation_id: int, thread_id: int) -> Thread | None:
        pending = self.pending_threads.get(conversation_id, [])
        for thread in pending:
            if thread.id == thread_id:
                pending.remove(thread)
                if not pending:
                    self.pending_threads.pop(conversation_id, None)
                return thread
        return None

    def confirm_pending_thread(
        self, conversation_id: int, temp_id: int, real_id: int | None, *, state: str = "published"
    ) -> None:
        """Move a sent thread into the loaded list under its real id (no re-read needed);
        a draft reply stays a draft (shown as one, resumed by ``r``)."""
        thread = self.remove_pending_thread(conversation_id, temp_id)
        if thread is None or conversation_id not in self.threads:
            return
        confirmed = thread.model_copy(update={"id": real_id or thread.id, "state": state})
        if all(t.id != confirmed.id for t in self.threads[conversation_id]):
            self.threads[conversation_id] = [*self.threads[conversation_id], confirmed]

    # --- customers -------------------------------------------------------------------

    def set_customer(self, customer: Customer) -> None:
        self.customers.pop(customer.id, None)  # re-inserted: the dict's order is recency
        self.customers[customer.id] = customer

    def update_customer(self, customer_id: int, **changes: Any) -> Customer | None:
        current = self.customers.get(customer_id)
        if current is None:
            return None
        updated = current.model_copy(update=changes)
        self.customers[customer_id] = updated
        return updated
