"""The sandbox: state, auth, rate limits, faults and the routing core.

``Sandbox.handle(request)`` is the pure, synchronous core. It is mounted in-process by
``transport()`` (an ``httpx.MockTransport`` whose async handler applies latency with
``asyncio.sleep``) and over real HTTP by ``serve()`` (see ``server.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import math
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from hsinbox.sandbox.faults import Dropped, Fault, Faults
from hsinbox.sandbox.routes.control import control
from hsinbox.sandbox.routes.router import Api
from hsinbox.sandbox.seed import (
    STATE_VERSION,
    add_synthetic_conversations,
    build_state,
    empty_state,
)
from hsinbox.sandbox.util import (
    PLAIN_JSON,
    VND_ERROR,
    ApiError,
    error_body,
    iso,
    json_response,
    now_utc,
)

DEFAULT_APP_ID = "sandbox-app-id"
DEFAULT_APP_SECRET = "sandbox-app-secret"
DEFAULT_RATE_LIMIT = 400


@dataclass
class RecordedRequest:
    """One request as the sandbox received it, for tests to assert on."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    json: Any
    url: str = ""
    fault: str | None = field(default=None)

    def __repr__(self) -> str:  # headers may hold a token: keep them out of reprs
        return f"RecordedRequest({self.method} {self.path} fault={self.fault!r})"


NowSource = datetime | Callable[[], datetime] | None


class Sandbox:
    """A faithful local Help Scout Mailbox API v2 with a seeded sample help desk."""

    def __init__(
        self,
        seed: bool = True,
        state_path: Path | str | None = None,
        now: NowSource = None,
        *,
        rate_limit_per_minute: int | None = None,
        app_id: str = DEFAULT_APP_ID,
        app_secret: str = DEFAULT_APP_SECRET,
        clock: Callable[[], float] = time.monotonic,
        extra_conversations: int = 0,
        memo_lists: bool = False,
    ) -> None:
        self._lock = threading.RLock()
        # Load tests only: reuse a filtered, sorted conversation list across the pages of one
        # query until the next change made through the API. Code that edits ``state``
        # directly must leave this off (the default).
        self.memo_lists = memo_lists
        self.generation = 0
        self._now: NowSource = now
        self._seed = seed
        self.state_path = Path(state_path) if state_path is not None else None
        self.app_id = app_id
        self.app_secret = app_secret
        self.rate_limit_per_minute = rate_limit_per_minute
        self._clock = clock
        self._window_start = clock()
        self._window_used = 0
        self.requests: list[RecordedRequest] = []
        self.faults = Faults(self._expire_tokens)
        self._dirty = False
        self.state: dict[str, Any] = {}
        loaded = self._load()
        if not loaded:
            self.state = self._fresh_state()
            if extra_conversations:
                add_synthetic_conversations(self.state, extra_conversations, lazy=True)
            self._save()
        self.api = Api(self)

    def __repr__(self) -> str:
        count = len(self.state.get("conversations", []))
        return f"Sandbox(state_path={self.state_path!s}, conversations={count})"

    # --- time ---------------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        """The sandbox's "now" (UTC, whole seconds): injected, or the wall clock."""
        source = self._now
        if source is None:
            return now_utc()
        value = source() if callable(source) else source
        return value.astimezone(UTC).replace(microsecond=0)

    @now.setter
    def now(self, value: NowSource) -> None:
        self._now = value

    # --- state --------------------------------------------------------------------------

    @property
    def me_id(self) -> int:
        return int(self.state["meId"])

    def _fresh_state(self) -> dict[str, Any]:
        return build_state(self.now) if self._seed else empty_state(self.now)

    def reset(self) -> None:
        """Reseed the help desk: every change is forgotten, sign-ins are kept.

        Issued tokens survive so a running demo or client carries on without signing in
        again; ``sb.requests`` is kept too (tests slice it by position).
        """
        with self._lock:
            auth = self.state.get("auth")
            self.state = self._fresh_state()
            if auth is not None:
                self.state["auth"] = auth
            self.api.reindex()
            self._save()

    def _load(self) -> bool:
        if self.state_path is None or not self.state_path.exists():
            return False
        try:
            data = json.loads(self.state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
            return False
        self.state = data
        return True

    def _save(self) -> None:
        self._dirty = False
        if self.state_path is None:
            return
        from hsinbox.paths import write_private

        write_private(self.state_path, json.dumps(self.state, ensure_ascii=False))

    def mark_dirty(self, *, data: bool = True) -> None:
        """State to save; ``data=False`` for sign-in bookkeeping (tokens, codes), which
        changes no list, so the load tests' list memo stays valid across sign-ins."""
        self._dirty = True
        if data:
            self.generation += 1

    # --- tokens -------------------------------------------------------------------------

    def _expire_tokens(self) -> None:
        with self._lock:
            self.state["auth"]["access"].clear()
            self._save()

    def issue_token(self, user_id: int, *, refresh: bool, grant: str) -> dict[str, Any]:
        """Mint an access token (and a refresh token for the code/refresh grants)."""
        access = f"sbx-at-{uuid.uuid4().hex}"
        expires_in = 172800
        self.state["auth"]["access"][access] = {
            "userId": user_id,
            "expiresAt": iso(self.now + timedelta(seconds=expires_in)),
            "grant": grant,
        }
        body: dict[str, Any] = {
            "token_type": "bearer",
            "access_token": access,
            "expires_in": expires_in,
        }
        if refresh:
            token = f"sbx-rt-{uuid.uuid4().hex}"
            self.state["auth"]["refresh"][token] = {"userId": user_id}
            body["refresh_token"] = token
        self.mark_dirty(data=False)
        return body

    def user_for_token(self, token: str) -> int | None:
        entry = self.state["auth"]["access"].get(token)
        if entry is None:
            return None
        if entry["expiresAt"] <= iso(self.now):
            return None
        return int(entry["userId"])

    # --- rate limits --------------------------------------------------------------------

    def _rate(self, cost: int) -> tuple[bool, dict[str, str]]:
        limit = self.rate_limit_per_minute or DEFAULT_RATE_LIMIT
        now = self._clock()
        if now - self._window_start >= 60:
            self._window_start = now
            self._window_used = 0
        retry_after = max(1, math.ceil(60 - (now - self._window_start)))
        allowed = True
        if cost:
            if self.rate_limit_per_minute is not None and self._window_used + cost > limit:
                allowed = False
            else:
                self._window_used += cost
        headers = {
            "X-RateLimit-Limit-Minute": str(limit),
            "X-RateLimit-Remaining-Minute": str(max(0, limit - self._window_used)),
        }
        if not allowed:
            headers["X-RateLimit-Retry-After"] = str(retry_after)
        return allowed, headers

    # --- the core -----------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request (recorded, rate-limited, routed). Pure and synchronous."""
        body = request.read()
        self._record(request, body, None)
        return self._respond(request, body)

    def _record(self, request: httpx.Request, body: bytes, fault: str | None) -> None:
        if request.url.path.startswith("/_sandbox/"):
            return
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None
        with self._lock:
            self.requests.append(
                RecordedRequest(
                    method=request.method,
                    path=request.url.path,
                    query=dict(request.url.params),
                    headers=dict(request.headers),
                    body=body,
                    json=parsed,
                    url=str(request.url),
                    fault=fault,
                )
            )

    def _respond(self, request: httpx.Request, body: bytes) -> httpx.Response:
        path = request.url.path
        if path.startswith("/_sandbox/"):
            response = control(self, request, body)
            with self._lock:
                response.headers.update(self._rate(0)[1])
            return response
        counted = path.startswith("/v2/") and path != "/v2/oauth2/token"
        cost = (1 if request.method in ("GET", "HEAD") else 2) if counted else 0
        with self._lock:
            allowed, rate_headers = self._rate(cost)
            if not allowed:
                response = json_response(
                    429, {"message": "API rate limit exceeded"}, PLAIN_JSON, rate_headers
                )
                return response
            try:
                response = self.api.route(request, body)
            except ApiError as exc:
                response = json_response(
                    exc.status,
                    error_body(exc.status, exc.message, exc.errors),
                    VND_ERROR,
                    exc.headers,
                )
            except Exception:
                response = json_response(
                    500, {"logRef": str(uuid.uuid4()), "message": "Internal error"}, VND_ERROR
                )
            if self._dirty:
                self._save()
        response.headers.update(rate_headers)
        return response

    def _fault_response(self, fault: Fault) -> httpx.Response:
        with self._lock:
            _, rate_headers = self._rate(0)
        is_json = isinstance(fault.body, dict | list)
        ctype = PLAIN_JSON if fault.status == 429 else VND_ERROR
        headers = {**rate_headers, "Content-Type": ctype, **fault.headers}
        content = json.dumps(fault.body).encode() if is_json else str(fault.body).encode()
        return httpx.Response(fault.status, headers=headers, content=content)

    def _begin(self, request: httpx.Request, body: bytes) -> Fault | None:
        """Record the request and take the fault (if any) that applies to it."""
        path = request.url.path
        fault = None if path.startswith("/_sandbox/") else self.faults.take(request.method, path)
        label = None
        if fault is not None:
            if fault.kind == "status":
                label = f"status:{fault.status}"
            else:
                label = "drop-after-apply" if fault.after_apply else "drop"
        self._record(request, body, label)
        return fault

    def process(self, request: httpx.Request, body: bytes) -> httpx.Response:
        """The HTTP server's path: faults and latency with blocking sleeps.

        Raises ``Dropped`` when the connection must close without an answer.
        """
        if self.faults.latency > 0:
            time.sleep(self.faults.latency)
        fault = self._begin(request, body)
        if fault is None:
            return self._respond(request, body)
        if fault.kind == "status":
            return self._fault_response(fault)
        if fault.after_apply:
            self._respond(request, body)
        raise Dropped(fault.after_apply)

    def transport(self) -> httpx.MockTransport:
        """An in-process transport: latency is an ``asyncio.sleep``, drops raise httpx errors.

        With a state file the work runs in a thread so saving never stalls the event loop.
        """

        async def handler(request: httpx.Request) -> httpx.Response:
            body = await request.aread()
            if self.faults.latency > 0:
                await asyncio.sleep(self.faults.latency)
            fault = self._begin(request, body)
            if fault is not None and fault.kind == "status":
                return self._fault_response(fault)
            if fault is not None and not fault.after_apply:
                raise httpx.ConnectError("Connection refused (sandbox drop)", request=request)
            if self.state_path is not None:
                response = await asyncio.to_thread(self._respond, request, body)
            else:
                response = self._respond(request, body)
            if fault is not None:
                raise httpx.ReadError(
                    "Connection closed before an answer (sandbox drop)", request=request
                )
            return response

        return httpx.MockTransport(handler)

    @contextlib.contextmanager
    def serve(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
        """Serve over real HTTP in a daemon thread; yields the base URL."""
        from hsinbox.sandbox.server import serve

        with serve(self, host, port) as base_url:
            yield base_url

    # --- convenience for tests ----------------------------------------------------------

    def conversation(self, conversation_id: int) -> dict[str, Any]:
        """The stored conversation (raw, with its ``sandbox`` bookkeeping); KeyError if gone.

        A synthetic block's row is stored first, so a test may change it.
        """
        with self._lock:
            conv = self.api.conv(conversation_id)
        if conv is None:
            raise KeyError(conversation_id)
        return conv

    def threads_of(self, conversation_id: int) -> list[dict[str, Any]]:
        """Stored threads of a conversation (a synthetic row's too), oldest first."""
        return list(self.api.threads_of(conversation_id))

    def customer(self, customer_id: int) -> dict[str, Any]:
        return self.api.customers[customer_id]

    def merge(self, old_id: int, into_id: int) -> None:
        """Merge one conversation into another, as an agent would in Help Scout's web app."""
        from hsinbox.sandbox.routes.merges import merge

        with self._lock:
            merge(self.api, old_id, into_id)

    def state_dump(self) -> str:
        """The state as JSON, as ``/_sandbox/state`` shows it: tokens and codes left out."""
        with self._lock:
            dump = {k: v for k, v in self.state.items() if k != "auth"}
            return json.dumps(dump, ensure_ascii=False)

    def snapshot(self) -> dict[str, Any]:
        """A deep copy of the state, safe to compare later."""
        with self._lock:
            return copy.deepcopy(self.state)
