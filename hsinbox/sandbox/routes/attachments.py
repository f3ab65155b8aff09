"""Attachments: downloading one's bytes (base64) and the inline uploads of replies and notes.

Help Scout does not state a size limit in the stored docs; the sandbox refuses an
attachment over ``MAX_ATTACHMENT_BYTES`` (10 MB decoded) with a 400, and data that is not
strict base64 with a 400 too.
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Any

import httpx

from hsinbox.sandbox.routes.checks import non_empty_text
from hsinbox.sandbox.routes.request import Req, Route
from hsinbox.sandbox.util import ApiError, FieldProblem, json_response

if TYPE_CHECKING:
    from hsinbox.sandbox.routes.router import Api

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024

NewAttachment = tuple[str, str, bytes]


def parse_new_attachments(value: Any, problems: list[FieldProblem]) -> list[NewAttachment]:
    """A reply/note body's ``attachments``: ``[{fileName, mimeType, data}]``, data base64."""
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append(FieldProblem("attachments", "must be an array", value, "Invalid"))
        return []
    out: list[NewAttachment] = []
    for i, item in enumerate(value):
        path = f"attachments[{i}]"
        if not isinstance(item, dict):
            problems.append(FieldProblem(path, "must be an object", item, "Invalid"))
            continue
        name = non_empty_text(item.get("fileName"), f"{path}.fileName", problems)
        mime = non_empty_text(item.get("mimeType"), f"{path}.mimeType", problems)
        data = item.get("data")
        blob = None
        if not isinstance(data, str) or not data:
            problems.append(FieldProblem(f"{path}.data", "may not be empty", None, "NotEmpty"))
        else:
            try:
                blob = base64.b64decode(data, validate=True)
            except (binascii.Error, ValueError):
                problems.append(
                    FieldProblem(f"{path}.data", "must be base64 encoded", None, "Invalid")
                )
        if blob is not None and len(blob) > MAX_ATTACHMENT_BYTES:
            problems.append(
                FieldProblem(
                    f"{path}.data",
                    f"Attachment is larger than {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB",
                    len(blob),
                    "Size",
                )
            )
            blob = None
        if name is not None and mime is not None and blob is not None:
            out.append((name, mime, blob))
    return out


def store_attachments(api: Api, thread: dict[str, Any], new: list[NewAttachment]) -> None:
    """Keep the uploads as real attachments of ``thread`` (metadata plus bytes)."""
    data = api.sb.state.setdefault("attachmentData", {})
    counters = api.sb.state["counters"]
    counters.setdefault("attachment", 5_200_001)
    for name, mime, blob in new:
        aid = api.next_id("attachment")
        att: dict[str, Any] = {
            "id": aid,
            "filename": name,
            "mimeType": mime,
            "size": len(blob),
            "state": "valid",
        }
        thread["_embedded"]["attachments"].append(att)
        data[str(aid)] = base64.b64encode(blob).decode("ascii")


def _synthetic(att: dict[str, Any]) -> bytes:
    """Bytes for a seeded attachment that only has metadata: its declared size, a header."""
    head = {
        "application/pdf": b"%PDF-1.4\n",
        "image/jpeg": b"\xff\xd8\xff\xe0",
        "image/png": b"\x89PNG\r\n\x1a\n",
    }.get(att.get("mimeType", ""), b"")
    size = int(att.get("size") or 0)
    return (head + b"." * max(0, size - len(head)))[: max(size, len(head))]


def get_attachment_data(api: Api, req: Req) -> httpx.Response:
    conv = api.read_conversation(req)
    aid = req.params["aid"]
    for t in api.threads_of(conv["id"]):
        for att in t["_embedded"]["attachments"]:
            if att["id"] == aid:
                if att.get("state", "valid") != "valid":
                    # Help Scout: "In case of detecting malicious content, the uploaded
                    # attachment won't be accessible" (the status is the sandbox's choice).
                    raise ApiError(403, "Attachment is not accessible")
                stored = api.sb.state.get("attachmentData", {}).get(str(aid))
                if stored is None:
                    stored = base64.b64encode(_synthetic(att)).decode("ascii")
                return json_response(200, {"data": stored})
    raise ApiError(404, "Attachment not found")


ROUTES = [
    Route(
        "GET",
        r"/v2/conversations/(?P<id>\d+)/attachments/(?P<aid>\d+)/data",
        get_attachment_data,
    ),
]
