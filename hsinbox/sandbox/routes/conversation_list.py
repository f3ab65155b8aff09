"""List Conversations: filters, the ``query=`` search, sorting and 25-a-page HAL pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx

from hsinbox.sandbox.routes.checks import (
    enum_param_problem,
    int_list_param,
    int_param,
    modified_since_param,
    query_param,
    require,
    sort_order_param,
)
from hsinbox.sandbox.routes.conversations import render_conversation
from hsinbox.sandbox.routes.mailboxes import in_folder
from hsinbox.sandbox.routes.request import Req, Route
from hsinbox.sandbox.util import (
    FieldProblem,
    bad_request,
    html_to_text,
    json_response,
    page_of,
    parse_page,
)

if TYPE_CHECKING:
    from hsinbox.sandbox.routes.router import Api

CONVERSATION_PAGE = 25
LIST_STATUS = {
    "active": {"active"},
    "pending": {"pending"},
    "closed": {"closed"},
    "spam": {"spam"},
    "open": {"active", "pending"},
    "all": {"active", "pending", "closed", "spam"},
}
QUERY_FIELDS = {
    "subject",
    "body",
    "email",
    "tag",
    "number",
    "id",
    "customerids",
    "mailboxid",
    "assigned",
    "status",
    "attachment",
}
EXACT_FIELDS = frozenset({"number", "id", "customerids", "mailboxid", "status"})
RANGE_FIELDS = frozenset({"createdat", "modifiedat"})


def _person_name(ref: dict[str, Any]) -> str:
    return " ".join(x for x in (ref.get("first"), ref.get("last")) if x)


SORT_KEYS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "createdAt": lambda c: c["createdAt"],
    "customerEmail": lambda c: (c["primaryCustomer"].get("email") or "").lower(),
    "customerName": lambda c: _person_name(c["primaryCustomer"]).lower(),
    "mailboxid": lambda c: c["mailboxId"],
    "modifiedAt": lambda c: c["sandbox"]["modifiedAt"],
    "number": lambda c: c["number"],
    "score": lambda c: c["createdAt"],
    "status": lambda c: c["status"],
    "subject": lambda c: (c["subject"] or "").lower(),
    "waitingSince": lambda c: c["customerWaitingSince"]["time"],
}


class SearchDoc:
    """A conversation as the search language sees it; fields are computed on demand."""

    def __init__(self, api: Api, conv: dict[str, Any]) -> None:
        self.api = api
        self.conv = conv

    def get(self, field: str, default: Any = ()) -> list[str]:
        conv = self.conv
        pc = conv["primaryCustomer"]
        threads = self.api.threads.get(conv["id"], [])
        if field == "subject":
            return [conv["subject"] or ""]
        if field == "body":
            return [html_to_text(t["body"]) for t in threads if t["body"]]
        if field == "email":
            emails = {pc.get("email") or ""}
            emails.update((t.get("customer") or {}).get("email") or "" for t in threads)
            return sorted(e for e in emails if e)
        if field == "tag":
            return [t["tag"] for t in conv["tags"]]
        if field == "number":
            return [str(conv["number"])]
        if field == "id":
            return [str(conv["id"])]
        if field == "customerids":
            return [str(pc["id"])]
        if field == "mailboxid":
            return [str(conv["mailboxId"])]
        if field == "status":
            return [conv["status"]]
        if field == "assigned":
            a = conv.get("assignee")
            if not a:
                return ["unassigned"]
            return [_person_name(a), a.get("email") or ""]
        if field == "attachment":
            has = any(t["_embedded"]["attachments"] for t in threads)
            return ["true" if has else "false"]
        if field == "createdat":
            return [conv["createdAt"]]
        if field == "modifiedat":
            return [conv["sandbox"]["modifiedAt"]]
        if field == "_text":
            return [
                conv["subject"] or "",
                conv["preview"] or "",
                _person_name(pc),
                pc.get("email") or "",
            ]
        return list(default)


LIST_MEMO_SIZE = 16


def list_conversations(api: Api, req: Req) -> httpx.Response:
    q = req.query
    problems: list[FieldProblem] = []
    status = q.get("status") or "active"
    if status not in LIST_STATUS:
        problems.append(enum_param_problem("status", sorted(LIST_STATUS), status))
    sort_field = q.get("sortField") or "createdAt"
    if sort_field not in SORT_KEYS:
        problems.append(enum_param_problem("sortField", SORT_KEYS, sort_field))
    sort_order = sort_order_param(q, problems)
    require(problems)
    since = modified_since_param(q)
    mailboxes = int_list_param(q, "mailbox")
    folder_id = int_param(q, "folder")
    folder = None
    if folder_id is not None:
        folder = api.folders.get(folder_id)
        if folder is None:
            raise bad_request(
                FieldProblem(
                    "folder", "Invalid identifier", q["folder"], "InvalidIdentifier", "QUERY"
                )
            )
    assigned_to = int_param(q, "assigned_to")
    number = int_param(q, "number")
    tags = [t.strip().lower() for t in q.get("tag", "").split(",") if t.strip()]
    predicate = query_param(q, QUERY_FIELDS, EXACT_FIELDS, RANGE_FIELDS)
    page = parse_page(q)
    wanted = LIST_STATUS[status]
    memo = None
    if api.sb.memo_lists:
        memo = (api.sb.generation, tuple(sorted((k, v) for k, v in q.items() if k != "page")))
    cached = api.list_memo.get(memo) if memo is not None else None
    result = [] if cached is None else cached
    for conv in api.convs.values() if cached is None else ():
        if conv["status"] not in wanted:
            continue
        if folder is not None:
            if not in_folder(conv, folder):
                continue
        elif conv["state"] != "published":
            continue
        if mailboxes and conv["mailboxId"] not in mailboxes:
            continue
        if tags and not any(t["tag"].lower() in tags for t in conv["tags"]):
            continue
        if assigned_to is not None and (conv.get("assignee") or {}).get("id") != assigned_to:
            continue
        if number is not None and conv["number"] != number:
            continue
        if since is not None and conv["sandbox"]["modifiedAt"] < since:
            continue
        if predicate is not None and not predicate(SearchDoc(api, conv)):  # type: ignore[arg-type]
            continue
        result.append(conv)
    if cached is None:
        key = SORT_KEYS[sort_field]
        result.sort(key=lambda c: (key(c), c["id"]), reverse=sort_order == "desc")
        if memo is not None:
            # A few queries at once (a view, its counts, a sort): a benchmark's warm-up run
            # then measures the app, not this fake's linear scan. Stale generations go.
            keep = {k: v for k, v in api.list_memo.items() if k[0] == api.sb.generation}
            while len(keep) >= LIST_MEMO_SIZE:
                keep.pop(next(iter(keep)))
            keep[memo] = result
            api.list_memo = keep
    embed = "threads" in q.get("embed", "").split(",")
    # Only the requested page is rendered; page_of needs the full length for its counts.
    chunk_start = (page - 1) * CONVERSATION_PAGE
    rendered: list[Any] = [None] * len(result)
    for i in range(chunk_start, min(len(result), chunk_start + CONVERSATION_PAGE)):
        rendered[i] = render_conversation(api, req, result[i], embed_threads=embed)
    body = page_of(
        rendered,
        page=page,
        size=CONVERSATION_PAGE,
        name="conversations",
        origin=req.origin,
        path=req.path,
        query=q,
    )
    return json_response(200, body)


ROUTES = [Route("GET", r"/v2/conversations", list_conversations)]
