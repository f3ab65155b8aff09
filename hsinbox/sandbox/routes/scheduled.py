"""Scheduled replies ("send later") and a customer thread's original source.

``PUT /v2/conversations/{cid}/threads/{tid}/schedule`` schedules a draft reply (204);
``PATCH …/schedule`` ``{op: replace, path: /state, value: published}`` sends it now; ``DELETE
…/schedule`` takes the schedule off and leaves the draft. The thread carries ``scheduled``
and the conversation a ``nextEvent`` of type ``scheduled`` while it waits. A reply whose time
has passed (the sandbox's clock decides) is sent when the conversation is next read.

Unverified and chosen here: a scheduled thread keeps ``state: draft``; publishing an already
published thread (a retried PATCH) answers 204; DELETE on a draft with no schedule answers 204.
"""

from __future__ import annotations

from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

import httpx

from hsinbox.sandbox.routes.checks import require, single_patch
from hsinbox.sandbox.routes.request import Req, Route
from hsinbox.sandbox.routes.threads import refresh_after_threads, set_status
from hsinbox.sandbox.util import (
    ApiError,
    FieldProblem,
    bad_request,
    empty_response,
    html_to_text,
    json_response,
    parse_iso,
    parse_strict_date,
)

if TYPE_CHECKING:
    from hsinbox.sandbox.routes.router import Api


def _thread(api: Api, conv: dict[str, Any], tid: int) -> dict[str, Any]:
    for t in api.threads_of(conv["id"]):
        if t["id"] == tid:
            return t
    raise ApiError(404, "Thread not found")


def publish(api: Api, conv: dict[str, Any], thread: dict[str, Any], user: int) -> None:
    """Send a draft or scheduled reply: what sending a reply does."""
    thread.pop("scheduled", None)
    thread["state"] = "published"
    thread["createdAt"] = api.now
    set_status(api, conv, "active", thread["createdBy"].get("id") or user)
    conv["userUpdatedAt"] = api.now
    refresh_after_threads(api, conv)
    api.touch(conv)


def settle_due(api: Api, conv: dict[str, Any]) -> None:
    """Send the scheduled replies whose time has come (stored conversations only)."""
    for t in api.threads.get(conv["id"], []):
        scheduled = t.get("scheduled")
        if scheduled and scheduled["scheduledFor"] <= api.now:
            publish(api, conv, t, scheduled["scheduledBy"])


def scheduled_event(api: Api, conv: dict[str, Any]) -> dict[str, Any] | None:
    """The conversation's next scheduled send as a ``nextEvent``, or None."""
    settle_due(api, conv)
    waiting = [t["scheduled"] for t in api.threads.get(conv["id"], []) if t.get("scheduled")]
    if not waiting:
        return None
    first = min(waiting, key=lambda s: s["scheduledFor"])
    return {
        "time": first["scheduledFor"],
        "eventType": "scheduled",
        "userId": first["scheduledBy"],
        "cancelOnCustomerReply": first["unscheduleOnCustomerReply"],
    }


def cancel_on_customer_reply(api: Api, conv: dict[str, Any]) -> None:
    """A customer's new message takes off the schedules that asked for it (drafts stay)."""
    for t in api.threads.get(conv["id"], []):
        scheduled = t.get("scheduled")
        if scheduled and scheduled["unscheduleOnCustomerReply"]:
            t.pop("scheduled")


def _reply_thread(api: Api, req: Req) -> tuple[dict[str, Any], dict[str, Any]]:
    conv = api.conversation(req)
    thread = _thread(api, conv, req.params["tid"])
    if thread["type"] != "message":
        raise bad_request(
            FieldProblem(
                "threadId", "Only reply threads can be scheduled", thread["id"], "Invalid", "PATH"
            )
        )
    return conv, thread


def put_schedule(api: Api, req: Req) -> httpx.Response:
    conv, thread = _reply_thread(api, req)
    body = req.json_object()
    problems: list[FieldProblem] = []
    raw = body.get("scheduledFor")
    when = None
    if raw is None:
        problems.append(FieldProblem("scheduledFor", "may not be null", None, "NotNull"))
    else:
        when = parse_strict_date(raw, "scheduledFor")
        if when <= api.sb.now:
            problems.append(FieldProblem("scheduledFor", "must be in the future", raw, "Future"))
        elif when.year >= 2100:
            problems.append(
                FieldProblem("scheduledFor", "must be before 2100-01-01", raw, "Invalid")
            )
    flags = {}
    for name in ("unscheduleOnCustomerReply", "sendAsCreator"):
        value = body.get(name, False)
        if not isinstance(value, bool):
            problems.append(FieldProblem(name, "must be a boolean", value, "Invalid"))
        flags[name] = value is True
    require(problems)
    assert when is not None
    if thread["state"] != "draft":
        raise bad_request(
            FieldProblem(
                "threadId", "Only a draft can be scheduled", thread["id"], "Invalid", "PATH"
            )
        )
    thread["scheduled"] = {
        "scheduledBy": req.user_id,
        "createdAt": api.now,
        "scheduledFor": raw,
        "unscheduleOnCustomerReply": flags["unscheduleOnCustomerReply"],
    }
    api.touch(conv)
    return empty_response(204)


def patch_schedule(api: Api, req: Req) -> httpx.Response:
    conv, thread = _reply_thread(api, req)
    op, path, value = single_patch(req)
    if op != "replace" or path != "/state" or value != "published":
        raise bad_request(
            FieldProblem("path", f"Unsupported operation {op} {path}", path, "EnumValue")
        )
    if thread["state"] == "published":
        return empty_response(204)  # sent already (a retry): nothing to do
    if not thread.get("scheduled"):
        raise bad_request(
            FieldProblem("threadId", "Thread is not scheduled", thread["id"], "Invalid", "PATH")
        )
    publish(api, conv, thread, req.user_id)
    return empty_response(204)


def delete_schedule(api: Api, req: Req) -> httpx.Response:
    conv, thread = _reply_thread(api, req)
    if thread["state"] != "draft":
        raise bad_request(
            FieldProblem("threadId", "Thread is not scheduled", thread["id"], "Invalid", "PATH")
        )
    if thread.pop("scheduled", None) is not None:
        api.touch(conv)
    return empty_response(204)


def original_message(api: Api, conv: dict[str, Any], thread: dict[str, Any]) -> str:
    """A plausible RFC 822 message for a customer's email thread."""
    author = thread["createdBy"]
    name = " ".join(p for p in (author.get("first"), author.get("last")) if p) or "Customer"
    mailbox = api.mailboxes.get(conv["mailboxId"], {})
    sent = format_datetime(parse_iso(thread["createdAt"]))
    text = html_to_text(thread.get("body"))
    body = "\r\n".join(text.splitlines())
    return (
        f'From: "{name}" <{author.get("email") or "unknown@example.invalid"}>\r\n'
        f"To: {mailbox.get('email', 'support@example.invalid')}\r\n"
        f"Subject: {conv['subject']}\r\n"
        f"Date: {sent}\r\n"
        f"Message-ID: <thread-{thread['id']}@mail.sandbox.example>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: text/plain; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: 8bit\r\n"
        "\r\n"
        f"{body}\r\n"
    )


def get_original_source(api: Api, req: Req) -> httpx.Response:
    conv = api.read_conversation(req)
    thread = _thread(api, conv, req.params["tid"])
    if thread["type"] != "customer":
        raise ApiError(404, "Original source not found")
    message = original_message(api, conv, thread)
    accept = req.headers.get("accept", "")
    if "message/rfc822" in accept:
        return httpx.Response(
            200, headers={"Content-Type": "message/rfc822"}, content=message.encode("utf-8")
        )
    return json_response(200, {"original": message})


_SCHEDULE = r"/v2/conversations/(?P<id>\d+)/threads/(?P<tid>\d+)/schedule"

ROUTES = [
    Route("PUT", _SCHEDULE, put_schedule),
    Route("PATCH", _SCHEDULE, patch_schedule),
    Route("DELETE", _SCHEDULE, delete_schedule),
    Route(
        "GET",
        r"/v2/conversations/(?P<id>\d+)/threads/(?P<tid>\d+)/original-source",
        get_original_source,
    ),
]
