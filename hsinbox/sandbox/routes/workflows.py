"""Workflows: the paginated list (``mailboxId``, ``type`` filters) and running a manual one.

A run takes at most 50 conversation ids, all in the workflow's mailbox; a whole run is
checked before anything changes, so a 400 leaves every conversation as it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from hsinbox.sandbox.refs import user_ref
from hsinbox.sandbox.routes.checks import (
    enum_param_problem,
    found,
    int_param,
    is_int,
    require,
)
from hsinbox.sandbox.routes.request import Req, Route
from hsinbox.sandbox.routes.responses import page_response
from hsinbox.sandbox.routes.tags import conversation_tags
from hsinbox.sandbox.routes.threads import add_lineitem, set_status
from hsinbox.sandbox.util import FieldProblem, bad_request, empty_response

if TYPE_CHECKING:
    from hsinbox.sandbox.routes.router import Api

MAX_RUN = 50
TYPES = ("manual", "automatic")


def _render(wf: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in wf.items() if k != "sandbox"}


def list_workflows(api: Api, req: Req) -> httpx.Response:
    mailbox_id = int_param(req.query, "mailboxId")
    kind = req.query.get("type")
    if kind is not None and kind not in TYPES:
        raise bad_request(enum_param_problem("type", TYPES, kind))
    items = [
        _render(w)
        for w in api.sb.state.get("workflows", [])
        if (mailbox_id is None or w["mailboxId"] == mailbox_id)
        and (kind is None or w["type"] == kind)
    ]
    items.sort(key=lambda w: (w["mailboxId"], w["order"], w["id"]))
    return page_response(req, items, "workflows")


def _workflow(api: Api, wid: int) -> dict[str, Any]:
    table = {w["id"]: w for w in api.sb.state.get("workflows", [])}
    return found(table, wid, "Workflow")


def run_workflow(api: Api, req: Req) -> httpx.Response:
    wf = _workflow(api, req.params["id"])
    body = req.json_object()
    if wf["type"] != "manual":
        raise bad_request(
            FieldProblem("id", "Only manual workflows can be run", wf["id"], "Invalid", "PATH")
        )
    ids = body.get("conversationIds")
    if not isinstance(ids, list) or not ids:
        raise bad_request(FieldProblem("conversationIds", "may not be empty", ids, "NotEmpty"))
    if len(ids) > MAX_RUN:
        raise bad_request(
            FieldProblem(
                "conversationIds", f"size must be between 1 and {MAX_RUN}", len(ids), "Size"
            )
        )
    problems: list[FieldProblem] = []
    convs = []
    for i, cid in enumerate(ids):
        conv = api.conv(cid) if is_int(cid) else None
        if conv is None:
            problems.append(
                FieldProblem(
                    f"conversationIds[{i}]", "Invalid identifier", cid, "InvalidIdentifier"
                )
            )
        elif conv["mailboxId"] != wf["mailboxId"]:
            problems.append(
                FieldProblem(
                    f"conversationIds[{i}]",
                    "Conversation is not in the workflow's mailbox",
                    cid,
                    "InvalidIdentifier",
                )
            )
        else:
            convs.append(conv)
    require(problems)
    for conv in {c["id"]: c for c in convs}.values():
        _apply(api, wf, conv, req.user_id)
    return empty_response(204)


def _apply(api: Api, wf: dict[str, Any], conv: dict[str, Any], user: int) -> None:
    effect = wf["sandbox"]["effect"]
    if "tag" in effect:
        names = [t["tag"] for t in conv["tags"]]
        if effect["tag"] not in names:
            conv["tags"] = conversation_tags(api, [*names, effect["tag"]])
    if "assign" in effect and effect["assign"] in api.users:
        conv["assignee"] = user_ref(api.users[effect["assign"]])
    if "status" in effect:
        set_status(api, conv, effect["status"], user)
    add_lineitem(api, conv, user, f"Workflow {wf['name']} ran", effect.get("status", "nochange"))
    conv["userUpdatedAt"] = api.now
    api.touch(conv)


ROUTES = [
    Route("GET", r"/v2/workflows", list_workflows),
    Route("POST", r"/v2/workflows/(?P<id>\d+)/run", run_workflow),
]
