"""Conversations: rendering, get, create, PATCH (one op), delete, tags and snooze.

A conversation PATCH is a single JSON Patch object, unlike a customer PATCH.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from hsinbox.sandbox.refs import customer_ref, user_ref
from hsinbox.sandbox.routes.checks import (
    EMAIL_RE,
    email_list,
    is_int,
    known_id,
    non_empty_text,
    one_of,
    require,
    single_patch,
    status_value,
    tag_names,
)
from hsinbox.sandbox.routes.customers import find_or_create_customer
from hsinbox.sandbox.routes.mailboxes import folder_id_of
from hsinbox.sandbox.routes.merges import redirect
from hsinbox.sandbox.routes.request import Req, Route
from hsinbox.sandbox.routes.responses import created
from hsinbox.sandbox.routes.scheduled import scheduled_event
from hsinbox.sandbox.routes.tags import conversation_tags
from hsinbox.sandbox.routes.threads import (
    MAX_THREADS,
    add_lineitem,
    new_thread,
    newest_first,
    refresh_after_threads,
    render_thread,
    set_status,
)
from hsinbox.sandbox.routes.users import first_name
from hsinbox.sandbox.util import (
    ApiError,
    FieldProblem,
    bad_request,
    empty_response,
    friendly,
    iso,
    json_response,
    parse_iso,
    parse_strict_date,
)

if TYPE_CHECKING:
    from hsinbox.sandbox.routes.router import Api

THREAD_TYPES = ("chat", "customer", "note", "phone", "reply")


def render_conversation(
    api: Api, req: Req, conv: dict[str, Any], *, embed_threads: bool = False
) -> dict[str, Any]:
    cws = conv["customerWaitingSince"]
    out: dict[str, Any] = {
        "id": conv["id"],
        "number": conv["number"],
        "threads": api.thread_count(conv["id"]),
        "type": conv["type"],
        "folderId": folder_id_of(api, conv),
        "status": conv["status"],
        "state": conv["state"],
        "subject": conv["subject"],
        "preview": conv["preview"],
        "mailboxId": conv["mailboxId"],
    }
    if conv.get("assignee"):
        out["assignee"] = conv["assignee"]
    out["createdBy"] = conv["createdBy"]
    out["createdAt"] = conv["createdAt"]
    for key in ("closedBy", "closedByUser", "closedAt"):
        if conv.get(key) is not None:
            out[key] = conv[key]
    out["userUpdatedAt"] = conv["userUpdatedAt"]
    out["customerWaitingSince"] = {
        "time": cws["time"],
        "friendly": friendly(parse_iso(cws["time"]), api.sb.now),
        "latestReplyFrom": cws["latestReplyFrom"],
    }
    out["source"] = conv["source"]
    out["tags"] = conv["tags"]
    out["cc"] = conv["cc"]
    out["bcc"] = conv["bcc"]
    out["primaryCustomer"] = conv["primaryCustomer"]
    # A snooze whose time has passed has woken the conversation (the sandbox's clock decides).
    if conv.get("snooze") and conv["snooze"]["snoozedUntil"] > api.now:
        out["snooze"] = conv["snooze"]
        out["nextEvent"] = {
            "time": conv["snooze"]["snoozedUntil"],
            "eventType": "snooze",
            "userId": conv["snooze"]["snoozedBy"],
            "cancelOnCustomerReply": conv["snooze"]["unsnoozeOnCustomerReply"],
        }
    send_later = scheduled_event(api, conv)  # the earlier of a snooze and a scheduled reply
    if send_later is not None and (
        "nextEvent" not in out or send_later["time"] < out["nextEvent"]["time"]
    ):
        out["nextEvent"] = send_later
    out["customFields"] = conv["customFields"]
    if embed_threads:
        out["_embedded"] = {
            "threads": [render_thread(req, conv, t) for t in newest_first(api, conv)]
        }
    base = f"{req.origin}/v2"
    links: dict[str, Any] = {
        "mailbox": {"href": f"{base}/mailboxes/{conv['mailboxId']}"},
        "primaryCustomer": {"href": f"{base}/customers/{conv['primaryCustomer']['id']}"},
        "self": {"href": f"{base}/conversations/{conv['id']}"},
        "threads": {"href": f"{base}/conversations/{conv['id']}/threads"},
        "web": {"href": f"{req.origin}/conversation/{conv['id']}/{conv['number']}/"},
    }
    created_by = conv["createdBy"]
    if created_by.get("type") == "user":
        links["createdByUser"] = {"href": f"{base}/users/{created_by['id']}"}
    else:
        links["createdByCustomer"] = {"href": f"{base}/customers/{created_by['id']}"}
    if conv.get("assignee"):
        links["assignee"] = {"href": f"{base}/users/{conv['assignee']['id']}"}
    if conv.get("closedBy"):
        links["closedBy"] = {"href": f"{base}/users/{conv['closedBy']}"}
    out["_links"] = dict(sorted(links.items()))
    return out


def get_conversation(api: Api, req: Req) -> httpx.Response:
    moved = redirect(api, req)
    if moved is not None:
        return moved
    conv = api.read_conversation(req)
    embed = "threads" in req.query.get("embed", "").split(",")
    return json_response(200, render_conversation(api, req, conv, embed_threads=embed))


def _custom_fields(
    api: Api, mailbox_id: Any, spec: Any, problems: list[FieldProblem]
) -> list[dict[str, Any]]:
    """The ``fields`` of a new conversation as stored, checked against its mailbox."""
    out: list[dict[str, Any]] = []
    if not is_int(mailbox_id) or not isinstance(spec, list):
        return out
    known = {f["id"]: f for f in api.sb.state["fields"] if f["sandbox"]["mailboxId"] == mailbox_id}
    for i, item in enumerate(spec):
        fid = item.get("id") if isinstance(item, dict) else None
        if fid not in known:
            problems.append(
                FieldProblem(f"fields[{i}].id", "Invalid identifier", fid, "InvalidIdentifier")
            )
            continue
        f = known[fid]
        value = str(item.get("value"))
        label = next((o["label"] for o in f["options"] if str(o["id"]) == value), None)
        out.append({"id": fid, "name": f["name"], "value": value, "text": label})
    return out


ThreadSpec = tuple[str, str, Any, bool, int | None]


def _thread_specs(api: Api, threads: list[Any], problems: list[FieldProblem]) -> list[ThreadSpec]:
    """Each new thread as (type, text, customer spec, draft, user)."""
    specs: list[ThreadSpec] = []
    for i, t in enumerate(threads):
        if not isinstance(t, dict):
            problems.append(FieldProblem(f"threads[{i}]", "must be an object", t, "Invalid"))
            continue
        kind = t.get("type")
        if kind not in THREAD_TYPES:
            problems.append(
                FieldProblem(f"threads[{i}].type", one_of(THREAD_TYPES), kind, "EnumValue")
            )
        text = t.get("text")
        non_empty_text(text, f"threads[{i}].text", problems)
        user = None
        if t.get("user") is not None:
            user = known_id(t["user"], api.users, f"threads[{i}].user", problems)
        specs.append((str(kind), str(text), t.get("customer"), bool(t.get("draft")), user))
    return specs


def _check_customer_spec(api: Api, spec: Any, problems: list[FieldProblem]) -> None:
    if not isinstance(spec, dict):
        problems.append(FieldProblem("customer", "may not be null", spec, "NotNull"))
    elif spec.get("id") is not None:
        known_id(spec["id"], api.customers, "customer.id", problems)
    elif not isinstance(spec.get("email"), str) or not EMAIL_RE.match(spec["email"]):
        message = (
            "Not well-formed email" if spec.get("email") else "customer id or email is required"
        )
        problems.append(FieldProblem("customer.email", message, spec.get("email"), "Email"))


def _check_outbound(
    type_: Any, imported: bool, threads: list[Any], problems: list[FieldProblem]
) -> None:
    """A ``reply`` thread is an email from a user to a customer: it names its customer
    (whom it is sent to), and a published one needs an ``email`` conversation."""
    for i, t in enumerate(threads):
        if not isinstance(t, dict) or t.get("type") != "reply":
            continue
        spec = t.get("customer")
        if not isinstance(spec, dict) or (spec.get("id") is None and not spec.get("email")):
            problems.append(
                FieldProblem(
                    f"threads[{i}].customer",
                    "A reply thread needs the customer it is sent to (id or email)",
                    spec,
                    "NotNull",
                )
            )
        if not t.get("draft") and not imported and type_ != "email":
            problems.append(
                FieldProblem(
                    "type",
                    "A conversation that starts with a published reply must be an email",
                    type_,
                    "Invalid",
                )
            )


def create_conversation(api: Api, req: Req) -> httpx.Response:
    body = req.json_object()
    problems: list[FieldProblem] = []
    subject = body.get("subject")
    non_empty_text(subject, "subject", problems)
    type_ = body.get("type")
    if type_ not in ("email", "chat", "phone"):
        problems.append(
            FieldProblem("type", one_of(("chat", "email", "phone")), type_, "EnumValue")
        )
    mailbox_id = body.get("mailboxId")
    known_id(mailbox_id, api.mailboxes, "mailboxId", problems)
    status = body.get("status")
    if status not in ("active", "pending", "closed"):
        problems.append(
            FieldProblem("status", one_of(("active", "closed", "pending")), status, "EnumValue")
        )
    # The docs: leaving ``assignTo`` out lets the inbox's default decide (its auto-assign may
    # assign it; ``sandboxAutoAssign`` maps a mailbox id to the user it picks), while
    # ``"assignTo": null`` keeps the conversation unassigned.
    assignee = None
    if body.get("assignTo") is not None:
        assignee = known_id(body["assignTo"], api.users, "assignTo", problems)
    elif "assignTo" not in body:
        auto = api.sb.state.get("sandboxAutoAssign", {}).get(str(mailbox_id))
        assignee = auto if auto in api.users else None
    tags = body.get("tags") or []
    if not tag_names(tags):
        problems.append(FieldProblem("tags", "must be an array of tag names", tags, "Invalid"))
        tags = []
    for key in ("autoReply", "imported"):
        if key in body and not isinstance(body[key], bool):
            problems.append(FieldProblem(key, "must be a boolean", body[key], "Invalid"))
    created_at = None
    if body.get("createdAt") is not None:
        try:
            created_at = iso(parse_strict_date(body["createdAt"], "createdAt"))
        except ApiError as exc:
            problems.extend(exc.errors)
    cc = email_list(body.get("cc"), "cc", problems)
    bcc = email_list(body.get("bcc"), "bcc", problems)
    custom_fields = _custom_fields(api, mailbox_id, body.get("fields") or [], problems)
    threads = body.get("threads")
    if not isinstance(threads, list) or not threads:
        problems.append(FieldProblem("threads", "may not be empty", threads, "NotEmpty"))
        threads = []
    if len(threads) > MAX_THREADS:
        raise ApiError(412, f"A conversation cannot have more than {MAX_THREADS} threads")
    thread_specs = _thread_specs(api, threads, problems)
    cust_spec = body.get("customer")
    _check_customer_spec(api, cust_spec, problems)
    adder = None
    if body.get("user") is not None:
        adder = known_id(body["user"], api.users, "user", problems)
    _check_outbound(type_, bool(body.get("imported")), threads, problems)
    require(problems)
    customer = find_or_create_customer(api, cust_spec, "customer", problems)
    if customer is None:
        raise bad_request(*problems)
    number = api.next_id("number")
    cid = api.next_id("conversation", 37)
    now = created_at or api.now
    draft = any(kind == "reply" and is_draft for kind, _, _, is_draft, _ in thread_specs)
    cref = customer_ref(customer)
    conv: dict[str, Any] = {
        "id": cid,
        "number": number,
        "type": type_,
        "status": "active",  # set_status below fills in closedBy/closedAt
        "state": "draft" if draft else "published",
        "subject": subject,
        "preview": "",
        "mailboxId": mailbox_id,
        "createdBy": {"id": customer["id"], "type": "customer", "email": cref["email"]},
        "createdAt": now,
        "userUpdatedAt": now,
        "customerWaitingSince": {"time": now, "latestReplyFrom": "customer"},
        "source": {"type": "api", "via": "customer"},
        "tags": conversation_tags(api, tags),
        "cc": cc,
        "bcc": bcc,
        "primaryCustomer": cref,
        "customFields": custom_fields,
        "sandbox": {"modifiedAt": api.now, "needsAttention": False},
    }
    if assignee is not None:
        conv["assignee"] = user_ref(api.users[assignee])
    api.sb.state["conversations"].append(conv)
    api.convs[cid] = conv
    api.threads[cid] = []
    first_user = None
    for kind, text, thread_cust, is_draft, user in thread_specs:
        author_user = None
        thread_customer = customer
        if kind in ("reply", "note", "phone"):
            author_user = user or adder or req.user_id
        if isinstance(thread_cust, dict) and thread_cust.get("id") in api.customers:
            thread_customer = api.customers[thread_cust["id"]]
        new_thread(
            api,
            conv,
            "message" if kind == "reply" else kind,
            text,
            user=author_user,
            customer=thread_customer,
            state="draft" if is_draft else "published",
            created_at=now,
        )
        if first_user is None:
            first_user = author_user if author_user is not None else 0
    if first_user:
        conv["createdBy"] = user_ref(api.users[first_user])
        conv["source"]["via"] = "user"
    set_status(api, conv, str(status), req.user_id)
    refresh_after_threads(api, conv)
    api.touch(conv)
    return created(f"{req.origin}/v2/conversations/{cid}", cid)


def _checked_id(value: Any, known: dict[int, Any]) -> int:
    problems: list[FieldProblem] = []
    found = known_id(value, known, "value", problems)
    require(problems)
    assert found is not None
    return found


def patch_conversation(api: Api, req: Req) -> httpx.Response:
    conv = api.conversation(req)
    op, path, value = single_patch(req)
    user = req.user_id
    problems: list[FieldProblem] = []
    allowed = {
        "/status": ("replace",),
        "/assignTo": ("remove", "replace"),
        "/mailboxId": ("move", "replace"),
        "/subject": ("replace",),
        "/primaryCustomer.id": ("replace",),
        "/draft": ("replace",),
    }
    if path not in allowed:
        raise bad_request(FieldProblem("path", f"Unsupported path: {path}", path, "EnumValue"))
    if op not in allowed[path]:
        raise bad_request(
            FieldProblem(
                "op", f"Operation '{op}' is not supported for path '{path}'", op, "EnumValue"
            )
        )
    if path == "/status":
        status = status_value(value, "value", problems)
        require(problems)
        assert status is not None
        if status != conv["status"]:
            set_status(api, conv, status, user)
            add_lineitem(
                api,
                conv,
                user,
                f"Marked as {status.capitalize()} by {first_name(api, user)}",
                status,
            )
    elif path == "/assignTo" and op == "remove":
        if conv.get("assignee"):
            conv.pop("assignee")
            add_lineitem(api, conv, user, f"Unassigned by {first_name(api, user)}")
    elif path == "/assignTo":
        uid = _checked_id(value, api.users)
        conv["assignee"] = user_ref(api.users[uid])
        add_lineitem(
            api, conv, user, f"Assigned to {first_name(api, uid)} by {first_name(api, user)}"
        )
    elif path == "/mailboxId":
        mailbox_id = _checked_id(value, api.mailboxes)
        if mailbox_id != conv["mailboxId"]:
            old = api.mailboxes[conv["mailboxId"]]["name"]
            conv["mailboxId"] = mailbox_id
            conv["customFields"] = []
            new = api.mailboxes[mailbox_id]["name"]
            add_lineitem(api, conv, user, f"Moved from {old} to {new} by {first_name(api, user)}")
    elif path == "/subject":
        subject = non_empty_text(value, "value", problems)
        require(problems)
        conv["subject"] = subject
    elif path == "/primaryCustomer.id":
        conv["primaryCustomer"] = customer_ref(api.customers[_checked_id(value, api.customers)])
    else:
        _publish_draft(api, conv, value)
    if path in ("/status", "/assignTo", "/mailboxId", "/subject"):
        conv["userUpdatedAt"] = api.now
    api.touch(conv)
    return empty_response(204)


def _publish_draft(api: Api, conv: dict[str, Any], value: Any) -> None:
    """``/draft`` false publishes a draft conversation and its draft threads."""
    if value is not False:
        raise bad_request(
            FieldProblem("value", "Only false (publish the draft) is supported", value, "EnumValue")
        )
    if conv["state"] != "draft":
        raise bad_request(FieldProblem("draft", "Conversation is not a draft", value, "Invalid"))
    conv["state"] = "published"
    for t in api.threads.get(conv["id"], []):
        if t["state"] == "draft":
            t["state"] = "published"
    conv["userUpdatedAt"] = api.now
    refresh_after_threads(api, conv)


def delete_conversation(api: Api, req: Req) -> httpx.Response:
    conv = api.conversation(req)
    cid = conv["id"]
    state = api.sb.state
    state["conversations"] = [c for c in state["conversations"] if c["id"] != cid]
    state["threads"] = [t for t in state["threads"] if t["sandbox"]["conversationId"] != cid]
    del api.convs[cid]
    api.threads.pop(cid, None)
    api.sb.mark_dirty()
    return empty_response(204)


def put_tags(api: Api, req: Req) -> httpx.Response:
    conv = api.conversation(req)
    body = req.json()
    tags = body.get("tags") if isinstance(body, dict) else None
    if not tag_names(tags):
        raise bad_request(FieldProblem("tags", "must be an array of tag names", tags, "Invalid"))
    conv["tags"] = conversation_tags(api, tags)
    api.touch(conv)
    return empty_response(204)


def put_snooze(api: Api, req: Req) -> httpx.Response:
    conv = api.conversation(req)
    body = req.json_object()
    if body.get("snoozedUntil") is None:
        raise bad_request(FieldProblem("snoozedUntil", "may not be null", None, "NotNull"))
    until = parse_strict_date(body["snoozedUntil"], "snoozedUntil")
    if until <= api.sb.now:
        raise bad_request(
            FieldProblem("snoozedUntil", "must be in the future", body["snoozedUntil"], "Future")
        )
    if until.year >= 2100:
        raise bad_request(
            FieldProblem(
                "snoozedUntil", "must be before 2100-01-01", body["snoozedUntil"], "Invalid"
            )
        )
    unsnooze = body.get("unsnoozeOnCustomerReply", False)
    if not isinstance(unsnooze, bool):
        raise bad_request(
            FieldProblem("unsnoozeOnCustomerReply", "must be a boolean", unsnooze, "Invalid")
        )
    conv["snooze"] = {
        "snoozedBy": req.user_id,
        "snoozedUntil": iso(until),
        "unsnoozeOnCustomerReply": unsnooze,
    }
    api.touch(conv)
    return empty_response(204)


def delete_snooze(api: Api, req: Req) -> httpx.Response:
    conv = api.conversation(req)
    conv.pop("snooze", None)
    api.touch(conv)
    return empty_response(204)


ROUTES = [
    Route("POST", r"/v2/conversations", create_conversation),
    Route("GET", r"/v2/conversations/(?P<id>\d+)", get_conversation),
    Route("PATCH", r"/v2/conversations/(?P<id>\d+)", patch_conversation),
    Route("DELETE", r"/v2/conversations/(?P<id>\d+)", delete_conversation),
    Route("PUT", r"/v2/conversations/(?P<id>\d+)/tags", put_tags),
    Route("PUT", r"/v2/conversations/(?P<id>\d+)/snooze", put_snooze),
    Route("DELETE", r"/v2/conversations/(?P<id>\d+)/snooze", delete_snooze),
]
