"""Threads: stored records, what they change on their conversation, and the thread endpoints.

Replies, notes and customer threads are POSTed under a conversation; a thread can be
edited (text, hidden) but never deleted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from hsinbox.sandbox.refs import customer_ref, user_ref
from hsinbox.sandbox.routes.attachments import parse_new_attachments, store_attachments
from hsinbox.sandbox.routes.checks import (
    email_list,
    known_id,
    non_empty_text,
    require,
    single_patch,
    status_value,
)
from hsinbox.sandbox.routes.customers import find_or_create_customer
from hsinbox.sandbox.routes.request import Req, Route
from hsinbox.sandbox.routes.responses import created, page_response
from hsinbox.sandbox.util import (
    ApiError,
    FieldProblem,
    bad_request,
    empty_response,
    html_to_preview,
)

if TYPE_CHECKING:
    from hsinbox.sandbox.routes.router import Api

MAX_THREADS = 100


def new_thread(
    api: Api,
    conv: dict[str, Any],
    type_: str,
    body: str | None,
    *,
    user: int | None,
    customer: dict[str, Any],
    status: str = "nochange",
    state: str = "published",
    action: str | None = None,
    cc: list[str] | None = None,
    bcc: list[str] | None = None,
    created_at: str | None = None,
) -> dict[str, Any]:
    """Store a thread; ``user`` None means the customer wrote it."""
    tid = api.next_id("thread")
    cref = customer_ref(customer)
    author = user_ref(api.users[user]) if user is not None else cref
    thread: dict[str, Any] = {
        "id": tid,
        "type": type_,
        "status": status,
        "state": state,
        "action": {
            "type": "default" if action is None else "manual",
            "text": action,
            "associatedEntities": {},
        },
        "body": body,
        "source": {"type": "api", "via": "user" if user is not None else "customer"},
        "customer": {k: v for k, v in cref.items() if k != "type"},
        "createdBy": author,
        "assignedTo": conv.get("assignee"),
        "savedReplyId": 0,
        "to": [cref["email"]] if type_ == "message" and cref["email"] else [],
        "cc": list(cc or []),
        "bcc": list(bcc or []),
        "createdAt": created_at or api.now,
        "_embedded": {"attachments": []},
        "sandbox": {"conversationId": conv["id"]},
    }
    api.sb.state["threads"].append(thread)
    api.threads.setdefault(conv["id"], []).append(thread)
    api.sb.mark_dirty()
    return thread


def add_lineitem(
    api: Api, conv: dict[str, Any], user: int, text: str, status: str = "nochange"
) -> None:
    """A line item ("Assigned to Priya by Maya") records a change in the thread list."""
    cust = api.customers.get(conv["primaryCustomer"]["id"])
    if cust is None:
        return
    new_thread(api, conv, "lineitem", None, user=user, customer=cust, status=status, action=text)


def set_status(api: Api, conv: dict[str, Any], status: str, user: int) -> None:
    """Change the status; closing records who closed it and when, reopening forgets that."""
    if conv["status"] == status:
        return
    conv["status"] = status
    if status == "closed":
        u = api.users[user]
        conv["closedBy"] = user
        conv["closedByUser"] = {**user_ref(u), "photoUrl": u.get("photoUrl")}
        conv["closedAt"] = api.now
    else:
        for key in ("closedBy", "closedByUser", "closedAt"):
            conv.pop(key, None)


def refresh_after_threads(api: Api, conv: dict[str, Any]) -> None:
    """Preview and waiting time from the newest published customer/agent thread."""
    visible = [
        t
        for t in api.threads.get(conv["id"], [])
        if t["type"] not in ("lineitem", "note") and t["state"] == "published"
    ]
    if not visible:
        return
    latest = max(visible, key=lambda t: (t["createdAt"], t["id"]))
    conv["preview"] = html_to_preview(latest["body"])
    from_user = latest["createdBy"].get("type") == "user"
    conv["customerWaitingSince"]["latestReplyFrom"] = "user" if from_user else "customer"
    if not from_user:
        conv["customerWaitingSince"]["time"] = latest["createdAt"]


def newest_first(api: Api, conv: dict[str, Any]) -> list[dict[str, Any]]:
    return sorted(api.threads_of(conv["id"]), key=lambda t: (t["createdAt"], t["id"]), reverse=True)


def render_thread(req: Req, conv: dict[str, Any], t: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in t.items() if k != "sandbox"}
    links: dict[str, Any] = {}
    author = t.get("createdBy") or {}
    if author.get("type") == "user":
        links["createdByUser"] = {"href": f"{req.origin}/v2/users/{author['id']}"}
    elif author.get("id") is not None:
        links["createdByCustomer"] = {"href": f"{req.origin}/v2/customers/{author['id']}"}
    if t.get("customer") and t["customer"].get("id") is not None:
        links["customer"] = {"href": f"{req.origin}/v2/customers/{t['customer']['id']}"}
    if t.get("assignedTo") and t["assignedTo"].get("id") is not None:
        links["assignedTo"] = {"href": f"{req.origin}/v2/users/{t['assignedTo']['id']}"}
    attachments = []
    for att in t.get("_embedded", {}).get("attachments", []):
        base = f"{req.origin}/v2/conversations/{conv['id']}/attachments/{att['id']}"
        attachments.append(
            {
                **att,
                "_links": {
                    "data": {"href": f"{base}/data"},
                    "self": {"href": base},
                    "web": {"href": f"{req.origin}/attachments/{att['id']}"},
                },
            }
        )
    out["_embedded"] = {"attachments": attachments}
    out["_links"] = links
    return out


def _check_capacity(api: Api, conv: dict[str, Any]) -> None:
    if len(api.threads.get(conv["id"], [])) >= MAX_THREADS - 1:
        raise ApiError(412, "Conversation has reached the maximum number of threads")


def _thread_created(req: Req, conv: dict[str, Any], thread: dict[str, Any]) -> httpx.Response:
    location = f"{req.origin}/v2/conversations/{conv['id']}/threads/{thread['id']}"
    return created(location, thread["id"])


def _acting_user(api: Api, req: Req, body: dict[str, Any], problems: list[FieldProblem]) -> int:
    """The body's ``user`` (who the thread is from), else the token's user."""
    if body.get("user") is None:
        return req.user_id
    return known_id(body["user"], api.users, "user", problems) or req.user_id


def reply(api: Api, req: Req) -> httpx.Response:
    conv = api.conversation(req)
    body = req.json_object()
    problems: list[FieldProblem] = []
    text = non_empty_text(body.get("text"), "text", problems)
    spec = body.get("customer")
    customer = None
    if not isinstance(spec, dict) or spec.get("id") is None:
        problems.append(FieldProblem("customer", "may not be null", spec, "NotNull"))
    elif known_id(spec["id"], api.customers, "customer.id", problems) is not None:
        customer = api.customers[spec["id"]]
    draft = body.get("draft", False)
    if not isinstance(draft, bool):
        problems.append(FieldProblem("draft", "must be a boolean", draft, "Invalid"))
    status = None
    if body.get("status") is not None:
        status = status_value(body["status"], "status", problems)
    user = _acting_user(api, req, body, problems)
    assignee = None
    if body.get("assignTo") is not None:
        assignee = known_id(body["assignTo"], api.users, "assignTo", problems)
    cc = email_list(body.get("cc"), "cc", problems)
    bcc = email_list(body.get("bcc"), "bcc", problems)
    uploads = parse_new_attachments(body.get("attachments"), problems)
    require(problems)
    assert text is not None and customer is not None
    _check_capacity(api, conv)
    new_status = status or "active"
    thread = new_thread(
        api,
        conv,
        "message",
        text,
        user=user,
        customer=customer,
        status="nochange" if draft or new_status == conv["status"] else new_status,
        state="draft" if draft else "published",
        cc=cc,
        bcc=bcc,
    )
    store_attachments(api, thread, uploads)
    if not draft:
        set_status(api, conv, new_status, user)
        if assignee is not None:
            conv["assignee"] = user_ref(api.users[assignee])
        conv["userUpdatedAt"] = api.now
        refresh_after_threads(api, conv)
    api.touch(conv)
    return _thread_created(req, conv, thread)


def note(api: Api, req: Req) -> httpx.Response:
    conv = api.conversation(req)
    body = req.json_object()
    problems: list[FieldProblem] = []
    text = non_empty_text(body.get("text"), "text", problems)
    status = None
    if body.get("status") is not None:
        status = status_value(body["status"], "status", problems)
    user = _acting_user(api, req, body, problems)
    uploads = parse_new_attachments(body.get("attachments"), problems)
    require(problems)
    _check_capacity(api, conv)
    cust = api.customers.get(conv["primaryCustomer"]["id"])
    if cust is None:
        raise ApiError(400, "Conversation has no customer")
    thread = new_thread(
        api,
        conv,
        "note",
        text,
        user=user,
        customer=cust,
        status=status if status and status != conv["status"] else "nochange",
    )
    store_attachments(api, thread, uploads)
    if status:
        set_status(api, conv, status, user)
    conv["userUpdatedAt"] = api.now
    api.touch(conv)
    return _thread_created(req, conv, thread)


def customer_thread(api: Api, req: Req) -> httpx.Response:
    conv = api.conversation(req)
    body = req.json_object()
    problems: list[FieldProblem] = []
    text = non_empty_text(body.get("text"), "text", problems)
    cc = email_list(body.get("cc"), "cc", problems)
    bcc = email_list(body.get("bcc"), "bcc", problems)
    imported = body.get("imported", False)
    if "customer" not in body or body["customer"] is None:
        problems.append(FieldProblem("customer", "may not be null", None, "NotNull"))
    require(problems)
    customer = find_or_create_customer(api, body["customer"], "customer", problems)
    if problems or customer is None:
        raise bad_request(*problems)
    _check_capacity(api, conv)
    reopen = not imported and conv["status"] != "active"
    thread = new_thread(
        api,
        conv,
        "customer",
        text,
        user=None,
        customer=customer,
        status="active" if reopen else "nochange",
        cc=cc,
        bcc=bcc,
    )
    if not imported:
        set_status(api, conv, "active", req.user_id)
        snooze = conv.get("snooze")
        if snooze and snooze.get("unsnoozeOnCustomerReply"):
            conv.pop("snooze", None)
        from hsinbox.sandbox.routes.scheduled import cancel_on_customer_reply

        cancel_on_customer_reply(api, conv)
    refresh_after_threads(api, conv)
    api.touch(conv)
    return _thread_created(req, conv, thread)


def list_threads(api: Api, req: Req) -> httpx.Response:
    conv = api.read_conversation(req)
    from hsinbox.sandbox.routes.scheduled import settle_due

    settle_due(api, conv)
    items = [render_thread(req, conv, t) for t in newest_first(api, conv)]
    return page_response(req, items, "threads")


def _thread(api: Api, req: Req, conv: dict[str, Any]) -> dict[str, Any]:
    for t in api.threads.get(conv["id"], []):
        if t["id"] == req.params["tid"]:
            return t
    raise ApiError(404, "Thread not found")


def patch_thread(api: Api, req: Req) -> httpx.Response:
    conv = api.conversation(req)
    thread = _thread(api, req, conv)
    op, path, value = single_patch(req)
    # Exactly the docs' thread PATCH: ``replace`` of ``/text`` or ``/hidden``. A draft reply
    # is not published through it (``/draft`` is documented for a draft conversation only).
    if op != "replace" or path not in ("/text", "/hidden"):
        raise bad_request(
            FieldProblem("path", f"Unsupported operation {op} {path}", path, "EnumValue")
        )
    if path == "/text":
        problems: list[FieldProblem] = []
        text = non_empty_text(value, "value", problems)
        require(problems)
        thread["body"] = text
        refresh_after_threads(api, conv)
    else:
        if not isinstance(value, bool):
            raise bad_request(FieldProblem("value", "must be a boolean", value, "Invalid"))
        if thread["state"] == "draft":
            # Un-hiding is not a way to publish a draft.
            raise bad_request(
                FieldProblem("path", "A draft thread cannot be hidden or shown", path, "Invalid")
            )
        thread["state"] = "hidden" if value else "published"
    api.touch(conv)
    return empty_response(204)


def delete_thread(api: Api, req: Req) -> httpx.Response:
    conv = api.conversation(req)
    _thread(api, req, conv)
    raise bad_request(
        FieldProblem("threadId", "Threads cannot be deleted", req.params["tid"], "Invalid", "PATH"),
        message="Threads cannot be deleted",
    )


ROUTES = [
    Route("POST", r"/v2/conversations/(?P<id>\d+)/reply", reply),
    Route("POST", r"/v2/conversations/(?P<id>\d+)/notes", note),
    Route("POST", r"/v2/conversations/(?P<id>\d+)/customer", customer_thread),
    Route("GET", r"/v2/conversations/(?P<id>\d+)/threads", list_threads),
    Route("PATCH", r"/v2/conversations/(?P<id>\d+)/threads/(?P<tid>\d+)", patch_thread),
    Route("DELETE", r"/v2/conversations/(?P<id>\d+)/threads/(?P<tid>\d+)", delete_thread),
]
