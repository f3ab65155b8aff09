"""A block of synthetic conversations, each a pure function of its index (load tests).

A million conversations cannot be held as dicts (100,000 took 25 s and 1.5 GB), so a block
is stored as its parameters (``state["synthetic"]``): the templates copied from the seed, the
first id, number and thread id, the newest time, the spacing and the seed. Conversation ``n``
is template ``n % T`` with id ``firstId + 37 n``, number ``firstNumber + n``, subject
"<template's> (<number>)" and one time for created, modified and waiting since:
``newest - 60 s - n * step - jitter(n)`` with ``0 <= jitter(n) < step`` (``jitter(0) = 0``:
the newest row came a minute before the seed's newest), so times fall strictly with the
index. Whatever a route filters on that comes from the template (status, folder, mailbox,
tags, assignee, customer) is periodic in ``n``; times and numbers are monotone in ``n``.
Lists and counts are therefore arithmetic over residues and ranges of ``n``
(``BlockList``), and a dict exists only for the rows a route renders.

A conversation a route writes to is "taken": materialized into ``state["conversations"]``
(its index kept in ``taken``), after which it is an ordinary stored conversation.
"""

from __future__ import annotations

import copy
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from hsinbox.sandbox.util import iso, parse_iso

ID_STEP = 37  # ids of successive conversations, as the seed and the counters space them
SPAN_SECONDS = 90 * 24 * 3600  # a block's times spread over 90 days (at least 1 s apart)
TIME_KEYS = frozenset({"createdAt", "modifiedAt", "waitingSince", "score"})
# Sort keys that are the template's: constant over a residue class.
TEMPLATE_KEYS = frozenset({"status", "mailboxid", "customerEmail", "customerName"})
SORTABLE = TIME_KEYS | TEMPLATE_KEYS | {"number"}
# ``query=`` fields whose values are the template's (subject, number, id and times are not).
TEMPLATE_FIELDS = frozenset(
    {"body", "email", "tag", "customerids", "mailboxid", "status", "assigned", "attachment"}
)
_MASK = (1 << 64) - 1


def block_params(
    state: dict[str, Any], count: int, *, seed: int, mailbox_id: int | None
) -> dict[str, Any]:
    """The parameters of a block of ``count`` conversations copying ``state``'s seeded ones.

    Templates are the published active, pending and closed conversations (of ``mailbox_id``
    when given), newest first, so the block goes on back in time as the seed went: row 0
    copies the newest. They are copied with their first thread, so later writes to them
    change no block row.
    The counters move past the block's ids, numbers and thread ids.
    """
    templates = sorted(
        (
            c
            for c in state["conversations"]
            if c["state"] == "published"
            and c["status"] in ("active", "pending", "closed")
            and (mailbox_id is None or c["mailboxId"] == mailbox_id)
        ),
        key=lambda c: (c["createdAt"], c["id"]),
        reverse=True,
    )
    if not templates:
        raise ValueError("synthetic conversations need a seeded state to copy")
    first_thread: dict[int, dict[str, Any]] = {}
    for thread in state["threads"]:
        first_thread.setdefault(thread["sandbox"]["conversationId"], thread)
    counters = state["counters"]
    params = {
        "count": count,
        "seed": seed,
        "firstId": counters["conversation"],
        "firstNumber": counters["number"],
        "firstThread": counters["thread"],
        "newest": max(c["createdAt"] for c in state["conversations"]),
        "step": max(1, SPAN_SECONDS // count),
        "templates": copy.deepcopy(templates),
        "threads": [copy.deepcopy(first_thread.get(c["id"])) for c in templates],
        "taken": [],
    }
    counters["conversation"] += ID_STEP * count
    counters["number"] += count
    counters["thread"] += count
    return params


class SyntheticBlock:
    """The rows of ``state["synthetic"]``, materialized one at a time on demand."""

    def __init__(self, params: dict[str, Any]) -> None:
        self.params = params
        self.count: int = params["count"]
        self.seed: int = params["seed"]
        self.first_id: int = params["firstId"]
        self.first_number: int = params["firstNumber"]
        self.first_thread: int = params["firstThread"]
        self.step: int = params["step"]
        self.newest: datetime = parse_iso(params["newest"])
        self.templates: list[dict[str, Any]] = params["templates"]
        self.template_threads: list[dict[str, Any] | None] = params["threads"]
        self.period = len(self.templates)
        self.taken: list[int] = sorted(params["taken"])
        self._taken_set = set(self.taken)
        self._reps: list[dict[str, Any]] | None = None

    # --- one row ------------------------------------------------------------------------

    def id_of(self, n: int) -> int:
        return self.first_id + ID_STEP * n

    def index_of(self, conversation_id: int) -> int | None:
        """The index of a block conversation not yet taken, else None."""
        n, rest = divmod(conversation_id - self.first_id, ID_STEP)
        if rest or not 0 <= n < self.count or n in self._taken_set:
            return None
        return n

    def _jitter(self, n: int) -> int:
        """A seeded offset in ``[0, step)``; none for row 0, a minute before the newest."""
        if n == 0:
            return 0
        h = (n * 0x9E3779B97F4A7C15 + (self.seed + 1) * 0xBF58476D1CE4E5B9) & _MASK
        h ^= h >> 31
        h = (h * 0x94D049BB133111EB) & _MASK
        h ^= h >> 29
        return h % self.step

    def age(self, n: int) -> int:
        """Seconds from ``newest`` back to row ``n``'s time: strictly rising with ``n``."""
        return 60 + n * self.step + self._jitter(n)

    def time_of(self, n: int) -> str:
        """Created, modified and waiting since of row ``n``: strictly falling with ``n``."""
        return iso(self.newest - timedelta(seconds=self.age(n)))

    def age_of(self, time: str) -> int:
        """``age`` of a stored time (whole seconds, as every stored time is)."""
        return int((self.newest - parse_iso(time)).total_seconds())

    def conversation(self, n: int) -> dict[str, Any]:
        """Row ``n`` as the stored dict a seeded copy would be (a fresh one every call)."""
        template = self.templates[n % self.period]
        number = self.first_number + n
        at = self.time_of(n)
        conv = copy.deepcopy(template)
        conv.update(
            id=self.id_of(n),
            number=number,
            subject=f"{template['subject']} ({number})",
            createdAt=at,
            userUpdatedAt=at,
        )
        conv["customerWaitingSince"] = {"time": at, "latestReplyFrom": "customer"}
        conv["sandbox"] = {"modifiedAt": at, "needsAttention": False}
        if conv.get("closedAt"):
            conv["closedAt"] = at
        return conv

    def thread_count(self, n: int) -> int:
        return 0 if self.template_threads[n % self.period] is None else 1

    def threads(self, n: int) -> list[dict[str, Any]]:
        """Row ``n``'s threads: a copy of its template's first, if it had one."""
        source = self.template_threads[n % self.period]
        if source is None:
            return []
        thread = copy.deepcopy(source)
        thread["id"] = self.first_thread + n
        thread["createdAt"] = self.time_of(n)
        thread["sandbox"] = {"conversationId": self.id_of(n)}
        return [thread]

    def take(self, n: int) -> None:
        """Row ``n`` is now stored as a real conversation; the block no longer answers it."""
        if n in self._taken_set:
            return
        self._taken_set.add(n)
        self.taken.insert(bisect_left(self.taken, n), n)
        self.params["taken"] = list(self.taken)

    def live(self) -> Iterator[int]:
        """Every index not taken (the slow paths' scan)."""
        return (n for n in range(self.count) if n not in self._taken_set)

    def customer_changed(self, ref: dict[str, Any]) -> None:
        """A customer's name or email changed: rows carry the new ref, as stored copies do."""
        for template in self.templates:
            if template["primaryCustomer"]["id"] == ref["id"]:
                template["primaryCustomer"] = dict(ref)
        self._reps = None

    # --- residue classes ----------------------------------------------------------------

    def representatives(self) -> list[dict[str, Any]]:
        """Rows ``0 .. T-1``: what any row of the same residue shares with them."""
        if self._reps is None:
            self._reps = [self.conversation(r) for r in range(min(self.period, self.count))]
        return self._reps

    def residues(self, keep: Callable[[dict[str, Any]], bool]) -> list[int]:
        """The residues whose rows pass ``keep``, a test of template fields only."""
        return [r for r, conv in enumerate(self.representatives()) if keep(conv)]

    def _upto(self, residues: Sequence[int], x: int) -> int:
        """Rows below ``x`` in ``residues``, taken or not."""
        q, rem = divmod(x, self.period)
        return q * len(residues) + bisect_left(residues, rem)

    def _taken_in(self, residues: Sequence[int], lo: int, hi: int) -> list[int]:
        wanted = set(residues)
        window = self.taken[bisect_left(self.taken, lo) : bisect_left(self.taken, hi)]
        return [t for t in window if t % self.period in wanted]

    def live_count(self, residues: Sequence[int], lo: int = 0, hi: int | None = None) -> int:
        """Rows not taken in ``[lo, hi)`` whose residue is in ``residues`` (sorted)."""
        hi = self.count if hi is None else hi
        if not residues or hi <= lo:
            return 0
        all_rows = self._upto(residues, hi) - self._upto(residues, lo)
        return all_rows - len(self._taken_in(residues, lo, hi))

    def live_nth(self, residues: Sequence[int], lo: int, hi: int, k: int) -> int:
        """The index of the ``k``-th (0-based) row counted by ``live_count(residues, lo, hi)``."""
        rank = self._upto(residues, lo) + k
        for t in self._taken_in(residues, lo, hi):
            if self._upto(residues, t) <= rank:
                rank += 1
            else:
                break
        q, i = divmod(rank, len(residues))
        return q * self.period + residues[i]

    def first_at_or_after(self, lo: int, hi: int, test: Callable[[int], bool]) -> int:
        """The first ``n`` in ``[lo, hi)`` where ``test`` holds (``test`` false then true)."""
        while lo < hi:
            mid = (lo + hi) // 2
            if test(mid):
                hi = mid
            else:
                lo = mid + 1
        return lo


class _Segment:
    """Rows of some residues in ``[lo, hi)`` that a list shows together, in index order
    (``forward``) or against it; ``key`` is their sort key when the template gives it."""

    def __init__(
        self,
        block: SyntheticBlock,
        residues: list[int],
        lo: int,
        hi: int,
        forward: bool,
        key: Callable[[int], Any],
    ) -> None:
        self.block = block
        self.residues = residues
        self.lo, self.hi = lo, hi
        self.forward = forward
        self.key = key
        self.length = block.live_count(residues, lo, hi)

    def at(self, k: int) -> int:
        if not self.forward:
            k = self.length - 1 - k
        return self.block.live_nth(self.residues, self.lo, self.hi, k)

    def before(self, precedes: Callable[[int], bool]) -> int:
        """How many of these rows come before a row for which ``precedes(n)`` says so;
        ``precedes`` holds on a prefix of the segment's order."""
        b = self.block
        if self.hi <= self.lo or not self.length:
            return 0
        first, last = (self.lo, self.hi - 1) if self.forward else (self.hi - 1, self.lo)
        if not precedes(first):
            return 0
        if precedes(last):
            return self.length
        if self.forward:
            m = b.first_at_or_after(self.lo, self.hi, lambda n: not precedes(n))
            return b.live_count(self.residues, self.lo, m)
        m = b.first_at_or_after(self.lo, self.hi, precedes)
        return b.live_count(self.residues, m, self.hi)


class BlockList:
    """A block's rows that pass a list's filters, in the list's order, never materialized.

    ``residues`` (sorted) are the template classes that pass; ``[lo, hi)`` the index range
    that ``number`` and ``modifiedSince`` leave. ``sort_field`` must be in ``SORTABLE``.
    """

    def __init__(
        self,
        block: SyntheticBlock,
        residues: list[int],
        lo: int,
        hi: int,
        *,
        sort_field: str,
        descending: bool,
        template_key: Callable[[dict[str, Any]], Any],
    ) -> None:
        self.block = block
        self.descending = descending
        self.segments: list[_Segment] = []
        # A stored row's sort key as the segments' keys compare: times as minus their age
        # (integers, in the same order as the ISO strings), else the key itself.
        self.convert: Callable[[Any], Any] = lambda key: key
        if sort_field in TIME_KEYS:
            self.convert = lambda key: -block.age_of(key)
            # Times fall as the index rises: newest first is index order.
            segment = _Segment(block, residues, lo, hi, descending, lambda n: -block.age(n))
            self.segments.append(segment)
        elif sort_field == "number":
            segment = _Segment(
                block, residues, lo, hi, not descending, lambda n: block.first_number + n
            )
            self.segments.append(segment)
        else:
            reps = block.representatives()
            groups: dict[Any, list[int]] = {}
            for r in residues:
                groups.setdefault(template_key(reps[r]), []).append(r)
            for value in sorted(groups, reverse=descending):
                # Ties on the key go by id, which rises with the index.
                self.segments.append(
                    _Segment(block, groups[value], lo, hi, not descending, lambda n, v=value: v)
                )
        self.length = sum(s.length for s in self.segments)

    def __len__(self) -> int:
        return self.length

    def at(self, k: int) -> int:
        """The index of the ``k``-th row of the list."""
        for segment in self.segments:
            if k < segment.length:
                return segment.at(k)
            k -= segment.length
        raise IndexError(k)

    def before(self, key: Any, ident: int) -> int:
        """How many rows come before a stored conversation whose sort tuple is (key, id)."""
        block = self.block
        key = self.convert(key)
        total = 0
        for segment in self.segments:
            if self.descending:

                def precedes(n: int, s: _Segment = segment) -> bool:
                    return (s.key(n), block.id_of(n)) > (key, ident)
            else:

                def precedes(n: int, s: _Segment = segment) -> bool:
                    return (s.key(n), block.id_of(n)) < (key, ident)

            total += segment.before(precedes)
        return total


def merged_window(
    stored: list[dict[str, Any]],
    rows: BlockList,
    start: int,
    end: int,
    key: Callable[[dict[str, Any]], Any],
) -> list[dict[str, Any] | int]:
    """Positions ``[start, end)`` of ``stored`` (sorted) merged with ``rows``: a stored
    conversation, or a block index to materialize. Only the stored rows around the window
    are placed (their positions rise with their order)."""
    placed: dict[int, int] = {}

    def position(i: int) -> int:
        if i not in placed:
            placed[i] = i + rows.before(key(stored[i]), stored[i]["id"])
        return placed[i]

    lo, hi = 0, len(stored)
    while lo < hi:  # the first stored row at or after ``start``
        mid = (lo + hi) // 2
        if position(mid) >= start:
            hi = mid
        else:
            lo = mid + 1
    i = lo
    out: list[dict[str, Any] | int] = []
    for p in range(start, min(end, len(stored) + len(rows))):
        if i < len(stored) and position(i) == p:
            out.append(stored[i])
            i += 1
        else:
            out.append(rows.at(p - i))
    return out
