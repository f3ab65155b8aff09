"""Notices from a refresh: what changed that the agent would want to hear about.

A pure function over what the refresh already read (the conversations before, the ones the
``modifiedSince`` question returned): no request of its own. What the agent did themselves is
left out (``OwnChanges`` remembers the conversations their actions touched). Delivery (bell,
desktop notice, the messages log) is the screen's; quiet hours and per-kind choices are in
``[notify]`` (``config.NotifySettings``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Literal

from hsinbox.config import NotifySettings
from hsinbox.helpscout.models import Conversation
from hsinbox.inbox.actions import Action, Bulk
from hsinbox.inbox.agent_actions import RunWorkflow
from hsinbox.inbox.session import fingerprint
from hsinbox.inbox.text import clean

NoticeKind = Literal["reply", "assigned", "new", "watched"]
# One notice per conversation and refresh: the most specific kind wins.
PRIORITY: tuple[NoticeKind, ...] = ("reply", "assigned", "new", "watched")
OPEN = ("active", "pending")
SUBJECT_MAX = 60


@dataclass(frozen=True)
class Notice:
    """One line for the agent: ``text`` is already cleaned of escapes (safe for OSC)."""

    kind: NoticeKind
    conversation_id: int
    number: int | None
    text: str


def in_folder_kind(conv: Conversation, kind: str, me_id: int | None) -> bool:
    """Membership in Help Scout's standard folders, from the list row alone: Unassigned and
    Mine hold active and pending conversations, by their assignee (the row's ``folderId``
    names one folder only, so it cannot say both "Mine" and "Assigned")."""
    if conv.state not in (None, "published") or conv.status not in OPEN:
        return False
    if kind == "unassigned":
        return conv.assignee is None
    if kind == "mine":
        return conv.assignee is not None and me_id is not None and conv.assignee.id == me_id
    if kind == "assigned":
        return conv.assignee is not None
    return False


def in_watched_folder(
    conv: Conversation, kinds: Collection[str], folder_ids: Collection[int], me_id: int | None
) -> bool:
    """In one of the watched standard folders (by kind), or in a watched folder by its id."""
    if conv.folder_id is not None and conv.folder_id in folder_ids:
        return True
    return any(in_folder_kind(conv, kind, me_id) for kind in kinds)


def _assigned_to(conv: Conversation | None, me_id: int | None) -> bool:
    return conv is not None and conv.assignee is not None and conv.assignee.id == me_id


def _customer_replied(
    before: Conversation | None, after: Conversation, since: datetime | None
) -> bool:
    """The customer wrote since the last look: their waiting time moved, or the last
    thread is theirs where it was not. Never seen before (another folder's row): their
    message came after the refresh's ``modifiedSince``, and the conversation is older."""
    now = after.customer_waiting_since
    if now is None or now.latest_reply_from != "customer" or now.time is None:
        return False
    if before is None:
        created = after.created_at
        return since is not None and now.time >= since and created is not None and created < since
    then = before.customer_waiting_since
    if then is None or then.latest_reply_from != "customer":
        return True
    return then.time is None or now.time > then.time


def _label(conv: Conversation) -> str:
    subject = clean(conv.subject or "").replace("\n", " ").strip() or "(no subject)"
    if len(subject) > SUBJECT_MAX:
        subject = subject[: SUBJECT_MAX - 1] + "…"
    ref = f"#{conv.number}" if conv.number is not None else f"id {conv.id}"
    return f"{ref} {subject}"


def _customer_name(conv: Conversation) -> str:
    pc = conv.primary_customer
    if pc is None:
        return "The customer"
    name = clean(" ".join(x for x in (pc.first, pc.last) if x)).strip()
    return name or clean(pc.email or "").strip() or "The customer"


def _text(kind: NoticeKind, conv: Conversation, folder: str) -> str:
    label = _label(conv)
    if kind == "reply":
        return f"{_customer_name(conv)} replied: {label}"
    if kind == "assigned":
        return f"Assigned to you: {label}"
    if kind == "new":
        return f"New in {folder}: {label}"
    return f"Changed (watching): {label}"


def _folder_name(conv: Conversation, kinds: Collection[str], me_id: int | None) -> str:
    for kind in kinds:
        if in_folder_kind(conv, kind, me_id):
            return {"unassigned": "Unassigned", "mine": "Mine", "assigned": "Assigned"}[kind]
    return "a watched folder"


def notices(
    before: Mapping[int, Conversation],
    after: Iterable[Conversation],
    *,
    me_id: int | None,
    watched: Collection[int] = (),
    folder_kinds: Collection[str] = ("unassigned", "mine"),
    folder_ids: Collection[int] = (),
    own: Collection[int] = (),
    since: datetime | None = None,
    settings: NotifySettings | None = None,
) -> list[Notice]:
    """What a refresh's changes mean for the agent, one notice per conversation.

    ``before``: the copies known before the refresh (by id; absent = never seen);
    ``after``: what ``modifiedSince`` returned; ``own``: conversations the agent's own
    actions touched since the last refresh (left out); ``since``: the refresh's
    ``modifiedSince`` (a conversation never seen counts as new only if created after it).
    Kinds set to ``"none"`` in ``settings`` give nothing.
    """
    settings = settings or NotifySettings()
    wanted = {k for k in PRIORITY if settings.delivery(k) != "none"}
    out: list[Notice] = []
    for conv in after:
        if conv.id in own:
            continue
        old = before.get(conv.id)
        kinds: set[NoticeKind] = set()
        if _assigned_to(conv, me_id) and _customer_replied(old, conv, since):
            kinds.add("reply")
        if _assigned_to(conv, me_id) and old is not None and not _assigned_to(old, me_id):
            kinds.add("assigned")
        if in_watched_folder(conv, folder_kinds, folder_ids, me_id):
            if old is None:
                created = conv.created_at
                if since is None or (created is not None and created >= since):
                    kinds.add("new")
            elif not in_watched_folder(old, folder_kinds, folder_ids, me_id):
                kinds.add("new")
        if conv.id in watched and (old is None or fingerprint(old) != fingerprint(conv)):
            kinds.add("watched")
        if old is None and "new" in kinds and _assigned_to(conv, me_id):
            kinds.discard("new")
            kinds.add("assigned")
        chosen: NoticeKind | None = next((k for k in PRIORITY if k in kinds and k in wanted), None)
        if chosen is not None:
            folder = _folder_name(conv, folder_kinds, me_id)
            out.append(Notice(chosen, conv.id, conv.number, _text(chosen, conv, folder)))
    return out


def in_quiet_hours(settings: NotifySettings, now: time) -> bool:
    """Inside ``quiet_hours`` ("19:00-08:00" wraps midnight): no bell, no desktop notice."""
    window = settings.quiet_window()
    if window is None:
        return False
    start, end = window
    if start <= end:
        return start <= now < end
    return now >= start or now < end


def action_conversations(action: Action) -> set[int]:
    """The conversations an action changes (a bulk's and a workflow run's every one)."""
    if isinstance(action, Bulk):
        ids: set[int] = set()
        for part in action.actions:
            ids |= action_conversations(part)
        return ids
    if isinstance(action, RunWorkflow):
        return set(action.conversation_ids)
    return {action.conversation_id} if action.conversation_id is not None else set()


@dataclass
class OwnChanges:
    """The conversations the agent changed, so their own changes never notify them.

    An action counts from when it is applied (or confirmed) until a whole refresh has run
    after it: ``settle(now)`` at the end of each refresh forgets what was noted before the
    *previous* one ended, since the refresh that just ended started after it and saw it. A
    pending action counts while it waits.
    """

    _noted: dict[int, float] = field(default_factory=dict)
    _last_settle: float | None = None

    def note(self, action: Action, at: float, created: int | None = None) -> None:
        """``created``: the id Help Scout gave a conversation the agent created."""
        for cid in action_conversations(action):
            self._noted[cid] = at
        if created is not None:
            self._noted[created] = at

    def ids(self, pending: Iterable[Action]) -> set[int]:
        ids = set(self._noted)
        for action in pending:
            ids |= action_conversations(action)
        return ids

    def settle(self, now: float) -> None:
        last = self._last_settle
        if last is not None:
            self._noted = {cid: at for cid, at in self._noted.items() if at >= last}
        self._last_settle = now
