"""Seed data for what colleagues do: ratings on replies and a colleague's unsent draft.

Applied last (after the agent-day seed), using no random numbers and adding only new
threads and keys, so every id the other seeds chose stays as it was.

Help Scout's thread ``rating`` is ``{customerId, rating, comments}`` with ``rating`` one of
``great``, ``okay``, ``not_good`` (the ratings endpoint also lists ``unknown``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hsinbox.sandbox.refs import user_ref
from hsinbox.sandbox.util import iso, parse_iso

SUPPORT = 8401
RATINGS = (
    ("great", "Quick and friendly, thank you!"),
    ("not_good", "Two weeks and it still does not sync."),
)
DRAFT_TEXT = "<p>Hi, I am looking into this now and will get back to you today.</p>"


def add_awareness(state: dict[str, Any], now: datetime) -> None:
    """Ratings on two closed Support replies, and a colleague's draft on an active one
    (its last reply rated badly)."""
    notes = state.setdefault("sandboxNotes", {})
    notes["ratedConversations"] = _rate_replies(state)
    notes["colleagueDraft"] = _colleague_draft(state, now)


def _published_replies(state: dict[str, Any], conv: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        t
        for t in state["threads"]
        if t["sandbox"]["conversationId"] == conv["id"]
        and t["type"] == "message"
        and t["state"] == "published"
        and t["createdBy"].get("type") == "user"
    ]


def _rate_replies(state: dict[str, Any]) -> list[int]:
    """The newest reply of the two oldest closed Support conversations gets a rating."""
    closed = sorted(
        (
            c
            for c in state["conversations"]
            if c["mailboxId"] == SUPPORT and c["status"] == "closed" and c["state"] == "published"
        ),
        key=lambda c: (c["createdAt"], c["id"]),
    )
    rated: list[int] = []
    for conv in closed:
        replies = _published_replies(state, conv)
        if not replies:
            continue
        reply = max(replies, key=lambda t: (t["createdAt"], t["id"]))
        rating, comments = RATINGS[len(rated)]
        reply["rating"] = {
            "customerId": conv["primaryCustomer"]["id"],
            "rating": rating,
            "comments": comments,
        }
        if "openedAt" not in reply:
            reply["openedAt"] = iso(parse_iso(reply["createdAt"]) + timedelta(minutes=40))
        rated.append(conv["id"])
        if len(rated) == len(RATINGS):
            break
    return rated


def _colleague_draft(state: dict[str, Any], now: datetime) -> int:
    """A draft reply by a colleague (not the signed-in agent) on the oldest active Support
    conversation assigned to that colleague, whose last reply the customer rated badly:
    what "someone is replying" looks like."""
    me = state["meId"]
    convs = sorted(
        (
            c
            for c in state["conversations"]
            if c["mailboxId"] == SUPPORT
            and c["status"] == "active"
            and c["state"] == "published"
            and c.get("assignee")
            and c["assignee"]["id"] != me
            and c["primaryCustomer"].get("email")
        ),
        key=lambda c: (c["createdAt"], c["id"]),
    )
    conv = convs[0]
    user = next(u for u in state["users"] if u["id"] == conv["assignee"]["id"])
    replies = _published_replies(state, conv)
    if replies:  # the customer was unhappy with the last answer; the colleague is on it
        reply = max(replies, key=lambda t: (t["createdAt"], t["id"]))
        reply["rating"] = {
            "customerId": conv["primaryCustomer"]["id"],
            "rating": "not_good",
            "comments": "I still cannot add anyone.",
        }
    counters = state["counters"]
    tid = counters["thread"]
    counters["thread"] += 1
    first = next(t for t in state["threads"] if t["sandbox"]["conversationId"] == conv["id"])
    customer = dict(first["customer"])
    state["threads"].append(
        {
            "id": tid,
            "type": "message",
            "status": "nochange",
            "state": "draft",
            "action": {"type": "default", "text": None, "associatedEntities": {}},
            "body": DRAFT_TEXT,
            "source": {"type": "email", "via": "user"},
            "customer": customer,
            "createdBy": user_ref(user),
            "assignedTo": conv.get("assignee"),
            "savedReplyId": 0,
            "to": [customer["email"]] if customer.get("email") else [],
            "cc": [],
            "bcc": [],
            "createdAt": iso(now - timedelta(minutes=3)),
            "_embedded": {"attachments": []},
            "sandbox": {"conversationId": conv["id"]},
        }
    )
    return int(conv["id"])
