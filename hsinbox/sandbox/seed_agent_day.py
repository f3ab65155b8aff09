"""Seed data for an agent's whole day: saved replies, custom fields, workflows, real
attachment bytes, a merged pair and a customer with several conversations.

Applied to the built state after the main seed, using no random numbers, so the seeded
help desk everything else depends on (lists, snapshots) stays as it was.
"""

from __future__ import annotations

import base64
import struct
import zlib
from datetime import date, timedelta
from typing import Any

SUPPORT = 8401

# A 4x4 red PNG, built rather than pasted so it is a valid file by construction.


def _png(width: int = 4, height: int = 4) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    raw = b"".join(b"\x00" + b"\xd0\x30\x30" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


PNG_BYTES = _png()
DESKTOP_BYTES = b"[Desktop Entry]\nType=Application\nName=Invoice\nExec=sh -c 'echo pwned'\n"
SCRIPT_BYTES = b"#!/bin/sh\necho pwned > /tmp/pwned\n"
ELF_BYTES = b"\x7fELF\x02\x01\x01\x00" + bytes(56)
PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
CSV_BYTES = b"order,amount\n4521,19.00\n4522,\xe2\x80\x8b7.50\n"
LOG_BYTES = (
    b"2026-11-25 09:58:12 INFO  app started v4.2.1\n"
    b"2026-11-25 09:59:40 WARN  sync: retrying upload (1/3)\n"
    b"2026-11-25 10:00:00 ERROR sync: upload failed: timeout after 30s\n"
)

SAVED_REPLIES = [
    (
        "Greeting",
        "<p>Hi {%customer.firstName,fallback=there%},</p><p>Thanks for reaching out to "
        "{%mailbox.name%}!</p>",
    ),
    (
        "Refund processed",
        "<p>Hi {%customer.firstName%},</p><p>Your refund for conversation "
        "#{%conversation.number%} is on its way; it takes 5-10 business days.</p>"
        "<p>Best,<br>{%user.fullName%}</p>",
    ),
    (
        "Need more details",
        "<p>Could you send us a screenshot and the steps that led to the problem?</p>"
        "<ul><li>Which device</li><li>Which version</li></ul>",
    ),
    (
        "Sign-off",
        "<p>If anything else comes up, just reply to this email or write to "
        "{%mailbox.email%}.</p><p>{%user.firstName%} from {%company.name%}</p>",
    ),
]

# (name, type, effect): an effect is what running the workflow visibly changes.
WORKFLOWS = [
    ("Escalate to tier 2", "manual", {"tag": "escalated"}),
    ("Hand over to Priya and wait", "manual", {"assign": "Priya", "status": "pending"}),
    ("Close stale pending", "automatic", {"status": "closed"}),
]

SUPPORT_FIELDS = [
    # (id, name, type, required, order)
    (611, "Ticket date", "date", False, 2),
    (612, "Order number", "number", False, 3),
    (613, "Product version", "singleline", False, 4),
]


def add_agent_day(state: dict[str, Any]) -> None:
    """Add the agent-day data to a built seed state (idempotent on a fresh build)."""
    _saved_replies(state)
    _fields(state)
    _workflows(state)
    _attachments(state)
    _merged_pair(state)
    _snoozed_and_filled(state)
    _hostile_attachments(state)


def _saved_replies(state: dict[str, Any]) -> None:
    replies = state.setdefault("savedReplies", [])
    rid = 31_001
    for mbox in state["mailboxes"]:
        for name, text in SAVED_REPLIES:
            replies.append({"id": rid, "name": name, "text": text, "mailboxId": mbox["id"]})
            rid += 1


def _fields(state: dict[str, Any]) -> None:
    for f in state["fields"]:
        if f["sandbox"]["mailboxId"] == SUPPORT and f["type"] == "dropdown":
            f["required"] = True
    for fid, name, type_, required, order in SUPPORT_FIELDS:
        state["fields"].append(
            {
                "id": fid,
                "name": name,
                "type": type_,
                "order": order,
                "required": required,
                "options": [],
                "sandbox": {"mailboxId": SUPPORT},
            }
        )


def _workflows(state: dict[str, Any]) -> None:
    workflows = state.setdefault("workflows", [])
    wid = 41_001
    users = {u["firstName"]: u["id"] for u in state["users"]}
    newest = max(c["createdAt"] for c in state["conversations"]) if state["conversations"] else ""
    for mbox in state["mailboxes"]:
        for order, (name, type_, effect) in enumerate(WORKFLOWS, 1):
            effect = dict(effect)
            if "assign" in effect:
                effect["assign"] = users.get(str(effect["assign"]), state["meId"])
            workflows.append(
                {
                    "id": wid,
                    "mailboxId": mbox["id"],
                    "type": type_,
                    "status": "active",
                    "order": order,
                    "name": name,
                    "createdAt": mbox["createdAt"],
                    "modifiedAt": newest or mbox["updatedAt"],
                    "sandbox": {"effect": effect},
                }
            )
            wid += 1


def _busiest_customer(state: dict[str, Any]) -> int:
    counts: dict[int, int] = {}
    for c in state["conversations"]:
        if c["state"] == "published" and c["primaryCustomer"].get("email"):
            cid = c["primaryCustomer"]["id"]
            counts[cid] = counts.get(cid, 0) + 1
    return max(counts, key=lambda k: (counts[k], -k))


def _attachments(state: dict[str, Any]) -> None:
    """Real bytes for a PNG and a log on the first customer thread of a closed conversation
    of the customer with the most conversations (out of sight of the first screen)."""
    data = state.setdefault("attachmentData", {})
    counters = state["counters"]
    counters.setdefault("attachment", 5_200_001)
    customer = _busiest_customer(state)
    state.setdefault("sandboxNotes", {})["historyCustomer"] = customer
    convs = [
        c
        for c in state["conversations"]
        if c["primaryCustomer"]["id"] == customer and c["state"] == "published"
    ]
    target = next((c for c in convs if c["status"] == "closed"), convs[0])
    thread = next(
        t
        for t in state["threads"]
        if t["sandbox"]["conversationId"] == target["id"] and t["type"] in ("customer", "chat")
    )
    for name, mime, blob, size in (
        ("screenshot.png", "image/png", PNG_BYTES, (4, 4)),
        ("sync.log", "text/plain", LOG_BYTES, None),
        # An untrusted name: a client must not write outside its download folder.
        ("../../.bashrc\x1b[31m", "text/plain", b"echo pwned\n", None),
    ):
        aid = counters["attachment"]
        counters["attachment"] += 1
        att: dict[str, Any] = {
            "id": aid,
            "filename": name,
            "mimeType": mime,
            "size": len(blob),
            "state": "valid",
        }
        if size:
            att["width"], att["height"] = size
        thread["_embedded"]["attachments"].append(att)
        data[str(aid)] = base64.b64encode(blob).decode("ascii")
    state["sandboxNotes"]["attachmentConversation"] = target["id"]


def _merged_pair(state: dict[str, Any]) -> None:
    """A conversation merged away: its id answers 301 to the survivor, its number is gone."""
    merged = state.setdefault("merged", {})
    survivor = next(
        c
        for c in state["conversations"]
        if c["mailboxId"] == SUPPORT and c["status"] == "pending" and c["state"] == "published"
    )
    old_id = survivor["id"] - 1
    merged[str(old_id)] = {"into": survivor["id"], "number": survivor["number"] - 5000}
    state["sandboxNotes"]["mergedPair"] = [old_id, survivor["id"]]


def _snoozed_and_filled(state: dict[str, Any]) -> None:
    """A snoozed Support conversation with every custom field filled (the thread header's
    example), and the attachment conversation with a date and a version."""
    pair = state["sandboxNotes"]["mergedPair"]
    newest = max(c["createdAt"] for c in state["conversations"])
    wake_day = date.fromisoformat(newest[:10]) + timedelta(days=2)
    wake = f"{wake_day.isoformat()}T09:00:00Z"
    snoozed = next(
        c
        for c in state["conversations"]
        if c["mailboxId"] == SUPPORT
        and c["status"] == "pending"
        and c["state"] == "published"
        and c["id"] not in pair
    )
    snoozed["snooze"] = {
        "snoozedBy": state["meId"],
        "snoozedUntil": wake,
        "unsnoozeOnCustomerReply": True,
    }
    fields = {f["id"]: f for f in state["fields"] if f["sandbox"]["mailboxId"] == SUPPORT}
    dropdown = next(f for f in fields.values() if f["type"] == "dropdown")
    option = dropdown["options"][2]
    snoozed["customFields"] = [
        {
            "id": dropdown["id"],
            "name": dropdown["name"],
            "value": str(option["id"]),
            "text": option["label"],
        },
        {"id": 611, "name": fields[611]["name"], "value": "2026-11-20", "text": "2026-11-20"},
        {"id": 612, "name": fields[612]["name"], "value": "4521", "text": "4521"},
        {"id": 613, "name": fields[613]["name"], "value": "v4.2.1", "text": "v4.2.1"},
    ]
    state["sandboxNotes"]["snoozedConversation"] = snoozed["id"]


def _hostile_attachments(state: dict[str, Any]) -> None:
    """What a hostile customer sends, on another conversation of the attachment customer: a
    desktop launcher, a shell script, an ELF program named like a photo, a PDF Help Scout
    flags, and a good PDF and CSV. Added last, so every earlier id stays as it was."""
    data = state["attachmentData"]
    counters = state["counters"]
    customer = state["sandboxNotes"]["historyCustomer"]
    taken = {state["sandboxNotes"]["attachmentConversation"]}
    target = next(
        c
        for c in state["conversations"]
        if c["primaryCustomer"]["id"] == customer
        and c["state"] == "published"
        and c["id"] not in taken
    )
    thread = next(
        t
        for t in state["threads"]
        if t["sandbox"]["conversationId"] == target["id"] and t["type"] in ("customer", "chat")
    )
    for name, mime, blob, flag in (
        ("invoice.desktop", "application/x-desktop", DESKTOP_BYTES, "valid"),
        ("fix-it.sh", "application/x-sh", SCRIPT_BYTES, "valid"),
        ("holiday.png", "image/png", ELF_BYTES, "valid"),
        ("notes.txt", "text/plain", SCRIPT_BYTES, "valid"),
        ("statement.pdf", "application/pdf", PDF_BYTES, "infected"),
        ("receipt.pdf", "application/pdf", PDF_BYTES, "valid"),
        ("orders.csv", "text/csv", CSV_BYTES, "valid"),
        ("photo.png", "image/png", PNG_BYTES, "valid"),
    ):
        aid = counters["attachment"]
        counters["attachment"] += 1
        att = {"id": aid, "filename": name, "mimeType": mime, "size": len(blob), "state": flag}
        thread["_embedded"]["attachments"].append(att)
        data[str(aid)] = base64.b64encode(blob).decode("ascii")
    state["sandboxNotes"]["hostileAttachmentConversation"] = target["id"]
