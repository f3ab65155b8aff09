"""The id lookups every handler shares, the route table, and bearer-token checks."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import httpx

from hsinbox.sandbox.routes import (
    attachments,
    conversation_list,
    conversations,
    custom_fields,
    customers,
    mailboxes,
    oauth,
    organizations,
    saved_replies,
    scheduled,
    tags,
    threads,
    users,
    workflows,
)
from hsinbox.sandbox.routes.checks import found
from hsinbox.sandbox.routes.request import Req
from hsinbox.sandbox.synthetic import SyntheticBlock
from hsinbox.sandbox.util import ApiError, iso

if TYPE_CHECKING:
    from hsinbox.sandbox.core import Sandbox

RESOURCES = (
    oauth,
    users,
    mailboxes,
    tags,
    conversation_list,
    conversations,
    threads,
    customers,
    saved_replies,
    custom_fields,
    workflows,
    attachments,
    scheduled,
    organizations,
)


class Api:
    """Routes a request to the handler for its path; all state lives on the Sandbox.

    The dicts here are id lookups into ``sb.state``, rebuilt by ``reindex`` whenever the
    state is replaced. ``convs`` and ``threads`` hold the stored conversations only; a block
    of synthetic ones (``block``) answers through ``conv``, ``threads_of`` and the list routes.
    """

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self.convs: dict[int, dict[str, Any]] = {}
        self.threads: dict[int, list[dict[str, Any]]] = {}
        self.customers: dict[int, dict[str, Any]] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self.mailboxes: dict[int, dict[str, Any]] = {}
        self.folders: dict[int, dict[str, Any]] = {}
        self.list_memo: dict[Any, list[dict[str, Any]]] = {}
        self.block: SyntheticBlock | None = None
        self.reindex()
        self._routes = [
            (route.method, re.compile(f"^{route.pattern}/?$"), route.handler, route.auth)
            for module in RESOURCES
            for route in module.ROUTES
        ]

    def reindex(self) -> None:
        """Rebuild the id lookups after the state was replaced (load, reset)."""
        state = self.sb.state
        self.convs = {c["id"]: c for c in state["conversations"]}
        self.threads = {cid: [] for cid in self.convs}
        for t in state["threads"]:
            self.threads.setdefault(t["sandbox"]["conversationId"], []).append(t)
        self.customers = {c["id"]: c for c in state["customers"]}
        self.users = {u["id"]: u for u in state["users"]}
        self.mailboxes = {m["id"]: m for m in state["mailboxes"]}
        self.folders = {f["id"]: f for f in state["folders"]}
        self.list_memo = {}
        synthetic = state.get("synthetic")
        self.block = SyntheticBlock(synthetic) if synthetic else None

    def route(self, request: httpx.Request, body: bytes) -> httpx.Response:
        req = Req(request, body)
        matched_path = False
        for method, pattern, handler, auth in self._routes:
            m = pattern.match(req.path)
            if not m:
                continue
            matched_path = True
            if method != req.method:
                continue
            if auth:
                self._authenticate(req)
            req.params = {k: int(v) for k, v in m.groupdict().items()}
            return handler(self, req)
        if req.path.startswith("/v2/") and req.path != "/v2/oauth2/token":
            self._authenticate(req)
        if matched_path:
            raise ApiError(405, f"Request method '{req.method}' not supported")
        raise ApiError(404, "Not found")

    def _authenticate(self, req: Req) -> None:
        header = req.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        user = None
        if scheme.lower() == "bearer" and token.strip():
            user = self.sb.user_for_token(token.strip())
        if user is None:
            raise ApiError(
                401,
                "Invalid or expired access token",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        req.user_id = user

    # --- small state operations the resources share --------------------------------------

    @property
    def now(self) -> str:
        """The sandbox's now in Help Scout's date format."""
        return iso(self.sb.now)

    def next_id(self, counter: str, step: int = 1) -> int:
        counters = self.sb.state["counters"]
        value = int(counters[counter])
        counters[counter] = value + step
        return value

    def conv(self, conversation_id: int) -> dict[str, Any] | None:
        """The stored conversation, for a route that may change it: a block row is stored
        first (taken), so the change sticks. None when there is none."""
        conv = self.convs.get(conversation_id)
        if conv is not None or self.block is None:
            return conv
        n = self.block.index_of(conversation_id)
        if n is None:
            return None
        conv = self.block.conversation(n)
        threads = self.block.threads(n)
        self.block.take(n)
        self.sb.state["conversations"].append(conv)
        self.sb.state["threads"].extend(threads)
        self.convs[conversation_id] = conv
        self.threads[conversation_id] = list(threads)
        self.sb.mark_dirty()
        return conv

    def conversation(self, req: Req) -> dict[str, Any]:
        """The conversation the path names, to change (see ``conv``); 404 when there is none."""
        conv = self.conv(req.params["id"])
        if conv is None:
            raise ApiError(404, "Conversation not found")
        return conv

    def read_conversation(self, req: Req) -> dict[str, Any]:
        """The conversation the path names, to read: a block row is materialized, not stored."""
        cid = req.params["id"]
        if cid not in self.convs and self.block is not None:
            n = self.block.index_of(cid)
            if n is not None:
                return self.block.conversation(n)
        return found(self.convs, cid, "Conversation")

    def thread_count(self, conversation_id: int) -> int:
        threads = self.threads.get(conversation_id)
        if threads is not None or self.block is None:
            return len(threads or [])
        n = self.block.index_of(conversation_id)
        return 0 if n is None else self.block.thread_count(n)

    def threads_of(self, conversation_id: int) -> list[dict[str, Any]]:
        """A conversation's threads (stored, or a block row's), in stored order."""
        threads = self.threads.get(conversation_id)
        if threads is not None or self.block is None:
            return threads or []
        n = self.block.index_of(conversation_id)
        return [] if n is None else self.block.threads(n)

    def touch(self, conv: dict[str, Any]) -> None:
        """Record that the conversation changed (what ``modifiedSince`` compares)."""
        conv["sandbox"]["modifiedAt"] = self.now
        self.sb.mark_dirty()
