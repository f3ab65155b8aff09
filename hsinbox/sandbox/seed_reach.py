"""Seed data for the reach features: customer properties, organizations, screenshots.

Applied after the agent-day seed, with no random numbers, so every id and list the other
seeds made stays as it was. Images are generated here (a PNG and a baseline JPEG encoder for
blocks of one colour each) so the repository holds no binary files.
"""

from __future__ import annotations

import base64
import struct
import zlib
from collections.abc import Callable
from typing import Any

from hsinbox.sandbox.util import slugify

PROPERTY_DEFINITIONS: list[dict[str, Any]] = [
    {
        "type": "dropdown",
        "slug": "plan",
        "name": "Plan",
        "options": [
            {"id": 1, "label": "Free"},
            {"id": 2, "label": "Team"},
            {"id": 3, "label": "Business"},
            {"id": 4, "label": "Enterprise"},
        ],
    },
    {"type": "number", "slug": "mrr", "name": "MRR", "options": []},
    {"type": "date", "slug": "signup-date", "name": "Signup date", "options": []},
    {"type": "url", "slug": "admin-url", "name": "Admin link", "options": []},
    {"type": "text", "slug": "account-id", "name": "Account ID", "options": []},
]

ORG_DETAILS = {
    "Cobalt Coffee Roasters": ("Portland, OR", "Pays yearly; ask for Dana on billing."),
    "Northwind Outfitters": ("Leeds, UK", "Twelve stores; the POS team files most tickets."),
    "Pinecrest Dental": ("Austin, TX", None),
    "Lumen Analytics": ("Berlin, DE", "On the beta channel for exports."),
    "Harbor & Vine": ("Napa, CA", None),
    "Quill Legal": ("Toronto, CA", "Data residency: Canada."),
    "Tidewater Schools": ("Norfolk, VA", "Purchase orders only; no card."),
    "Fable Games": ("Montreal, CA", None),
}


def png(width: int, height: int, pixel: Callable[[int, int], tuple[int, int, int]]) -> bytes:
    """An 8-bit RGB PNG whose colour at (x, y) is ``pixel(x, y)``."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    raw = b"".join(
        b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


# Baseline JPEG, greyscale, one colour per 8x8 block: only DC coefficients, so the encoder
# needs the standard DC table and an AC table holding end-of-block alone.
_DC_BITS = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
_DC_VALUES = list(range(12))
_QUANT = 8  # a uniform block of grey g has DC 8*(g-128); quantised by 8 it is g-128


def _huffman_codes(bits: list[int], values: list[int]) -> dict[int, tuple[int, int]]:
    codes: dict[int, tuple[int, int]] = {}
    code = 0
    k = 0
    for length in range(1, 17):
        for _ in range(bits[length - 1]):
            codes[values[k]] = (code, length)
            code += 1
            k += 1
        code <<= 1
    return codes


def jpeg(blocks: list[list[int]]) -> bytes:
    """A greyscale baseline JPEG of 8x8 blocks, ``blocks[row][col]`` a grey level 0-255."""
    rows, cols = len(blocks), len(blocks[0])
    dc = _huffman_codes(_DC_BITS, _DC_VALUES)
    bits: list[int] = []

    def put(code: int, length: int) -> None:
        bits.extend((code >> (length - 1 - i)) & 1 for i in range(length))

    previous = 0
    for row in blocks:
        for grey in row:
            value = grey - 128
            diff = value - previous
            previous = value
            category = abs(diff).bit_length()
            put(*dc[category])
            if category:
                put(diff if diff > 0 else diff + (1 << category) - 1, category)
            put(0, 1)  # end of block: the AC table's only code
    bits.extend([1] * (-len(bits) % 8))
    scan = bytearray()
    for i in range(0, len(bits), 8):
        byte = int("".join(map(str, bits[i : i + 8])), 2)
        scan.append(byte)
        if byte == 0xFF:
            scan.append(0)

    def segment(marker: int, payload: bytes) -> bytes:
        return struct.pack(">HH", marker, len(payload) + 2) + payload

    return (
        b"\xff\xd8"
        + segment(0xFFE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
        + segment(0xFFDB, b"\x00" + bytes([_QUANT] * 64))
        + segment(0xFFC0, struct.pack(">BHHB", 8, rows * 8, cols * 8, 1) + b"\x01\x11\x00")
        + segment(0xFFC4, b"\x00" + bytes(_DC_BITS) + bytes(_DC_VALUES))
        + segment(0xFFC4, b"\x10" + bytes([1] + [0] * 15) + b"\x00")
        + segment(0xFFDA, b"\x01\x01\x00\x00\x3f\x00")
        + bytes(scan)
        + b"\xff\xd9"
    )


def _screenshot_pixel(x: int, y: int) -> tuple[int, int, int]:
    """A window-like picture: a title bar, a blue panel and a red error badge."""
    if y < 4:
        return (60, 60, 70)
    if 20 <= x < 28 and 8 <= y < 14:
        return (210, 40, 40)
    if x < 10:
        return (40, 90, 200)
    return (235, 235, 240)


SCREENSHOT_PNG = png(32, 20, _screenshot_pixel)
PHOTO_JPEG = jpeg([[30, 90, 150, 210], [210, 150, 90, 30], [120, 255, 0, 120]])


def add_reach(state: dict[str, Any]) -> None:
    """Add the reach data to a built seed state."""
    notes = state.setdefault("sandboxNotes", {})
    state["customerProperties"] = PROPERTY_DEFINITIONS
    _organizations(state)
    _properties(state, notes)
    _images(state, notes)


def _organizations(state: dict[str, Any]) -> None:
    orgs: dict[str, dict[str, Any]] = {}
    for cust in state["customers"]:
        name = cust.get("organization")
        if not name or name not in ORG_DETAILS:
            continue
        org = orgs.get(name)
        if org is None:
            domain = slugify(name).replace("-", "") + ".example"
            location, note = ORG_DETAILS[name]
            org = {
                "id": 71_001 + len(orgs),
                "name": name,
                "website": f"https://{domain}",
                "description": f"{name}, a customer since {cust['createdAt'][:4]}.",
                "location": location,
                "note": note,
                "domains": [domain],
                "phones": [],
                "createdAt": cust["createdAt"],
                "updatedAt": cust["updatedAt"],
            }
            orgs[name] = org
        cust["organizationId"] = org["id"]
    state["organizations"] = list(orgs.values())


def _properties(state: dict[str, Any], notes: dict[str, Any]) -> None:
    """Values for the customers with an organization (the busiest one has every property)."""
    plans = PROPERTY_DEFINITIONS[0]["options"]
    busiest = notes.get("historyCustomer")
    for n, cust in enumerate(c for c in state["customers"] if c.get("organizationId")):
        plan = plans[n % len(plans)]
        values = [
            ("dropdown", "plan", "Plan", str(plan["id"]), plan["label"]),
            ("number", "mrr", "MRR", str(49 * (n % 7 + 1)), str(49 * (n % 7 + 1))),
            ("date", "signup-date", "Signup date", cust["createdAt"][:10], cust["createdAt"][:10]),
        ]
        if cust["id"] == busiest or n % 3 == 0:
            url = f"https://admin.sandbox.example/accounts/{cust['id']}"
            values.append(("url", "admin-url", "Admin link", url, url))
            values.append(("text", "account-id", "Account ID", f"AC-{cust['id'] % 100000}", ""))
        cust["_embedded"]["properties"] = [
            {
                "type": t,
                "slug": slug,
                "name": name,
                "value": value,
                "text": text or value,
                "source": {"type": "api"},
            }
            for t, slug, name, value, text in values
        ]
    if busiest is not None:
        notes["propertiesCustomer"] = busiest


def _images(state: dict[str, Any], notes: dict[str, Any]) -> None:
    """A screenshot PNG, a photo JPEG and a flagged file on the first customer thread of
    another conversation of the agent-day seed's history customer (out of sight of the first
    screen; the agent-day attachment conversation and the hostile one keep their files)."""
    customer = notes.get("historyCustomer")
    taken = {notes.get("attachmentConversation"), notes.get("hostileAttachmentConversation")}
    target = next(
        (
            c
            for c in state["conversations"]
            if c["primaryCustomer"]["id"] == customer
            and c["state"] == "published"
            and c["id"] not in taken
        ),
        None,
    )
    if target is None:
        return
    thread = next(
        (
            t
            for t in state["threads"]
            if t["sandbox"]["conversationId"] == target["id"] and t["type"] == "customer"
        ),
        None,
    )
    if thread is None:
        return
    notes["imageConversation"] = target["id"]
    data = state.setdefault("attachmentData", {})
    counters = state["counters"]
    flagged = b"MZ\x90\x00 not a real program\n"
    for name, mime, blob, status, size in (
        ("error-dialog.png", "image/png", SCREENSHOT_PNG, "valid", (32, 20)),
        ("desk-photo.jpg", "image/jpeg", PHOTO_JPEG, "valid", (32, 24)),
        ("invoice.png", "image/png", flagged, "malicious", None),
    ):
        aid = counters["attachment"]
        counters["attachment"] += 1
        att: dict[str, Any] = {
            "id": aid,
            "filename": name,
            "mimeType": mime,
            "size": len(blob),
            "state": status,
        }
        if size:
            att["width"], att["height"] = size
        thread["_embedded"]["attachments"].append(att)
        data[str(aid)] = base64.b64encode(blob).decode("ascii")
    notes["flaggedAttachment"] = counters["attachment"] - 1
