"""Fault injection: canned error answers, dropped connections, latency, expired tokens.

Rules are matched in the order they were added; each fires ``times`` times and is then gone.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


class Dropped(Exception):
    """A ``drop`` fault fired: the connection closes without an answer; ``applied`` says
    whether the change happened. Here, not in core.py, so server.py needs nothing of core."""

    def __init__(self, applied: bool) -> None:
        super().__init__("connection dropped")
        self.applied = applied


@dataclass
class Fault:
    """One armed fault. ``kind`` is "status" (answer with ``status``) or "drop"."""

    kind: str
    times: int
    method: str | None = None
    path: str | None = None
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    after_apply: bool = False

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path is None or re.search(self.path, path) is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "times": self.times,
            "method": self.method,
            "path": self.path,
            "status": self.status if self.kind == "status" else None,
            "after_apply": self.after_apply if self.kind == "drop" else None,
        }


_DEFAULT_MESSAGES = {
    429: "API rate limit exceeded",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class Faults:
    """What goes wrong next. Thread-safe: the HTTP server reads it from many threads."""

    def __init__(self, expire_tokens: Callable[[], None]) -> None:
        self._lock = threading.Lock()
        self._rules: list[Fault] = []
        self._expire = expire_tokens
        self.latency: float = 0.0

    def add(
        self,
        status: int = 429,
        times: int = 1,
        method: str | None = None,
        path: str | None = None,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
    ) -> Fault:
        """Answer the next ``times`` matching requests with ``status`` (nothing is applied).

        ``path`` is a regular expression searched in the request path. A 429 carries
        ``X-RateLimit-Retry-After: 1`` and ``Retry-After: 1`` unless ``headers`` says otherwise.
        """
        if path is not None:
            re.compile(path)
        final_headers: dict[str, str] = {}
        if status == 429:
            final_headers = {"X-RateLimit-Retry-After": "1", "Retry-After": "1"}
        final_headers.update(headers or {})
        if body is None:
            body = {"message": _DEFAULT_MESSAGES.get(status, "Error")}
        rule = Fault("status", times, method, path, status, final_headers, body)
        with self._lock:
            self._rules.append(rule)
        return rule

    def drop(
        self,
        times: int = 1,
        method: str | None = None,
        path: str | None = None,
        after_apply: bool = False,
    ) -> Fault:
        """Drop the connection: before the change (nothing applied) or after it was applied."""
        if path is not None:
            re.compile(path)
        rule = Fault("drop", times, method, path, after_apply=after_apply)
        with self._lock:
            self._rules.append(rule)
        return rule

    def expire_tokens(self) -> None:
        """Every access token issued so far answers 401; refresh tokens keep working."""
        self._expire()

    def clear(self) -> None:
        """Forget every armed fault and set latency back to 0."""
        with self._lock:
            self._rules.clear()
            self.latency = 0.0

    @property
    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._rules)

    def take(self, method: str, path: str) -> Fault | None:
        """The first rule matching this request, counted down by one use."""
        with self._lock:
            for rule in self._rules:
                if rule.matches(method, path):
                    rule.times -= 1
                    if rule.times <= 0:
                        self._rules.remove(rule)
                    return rule
        return None

    def configure(self, spec: Mapping[str, Any]) -> None:
        """Apply a ``POST /_sandbox/faults`` body (the same fields as the Python API).

        ``{"status": 503, "times": 2, "method": "GET", "path": "^/v2/conversations"}`` adds a
        fault; ``{"drop": true, "after_apply": true}`` a drop; ``{"latency": 0.5}``,
        ``{"expire_tokens": true}`` and ``{"clear": true}`` do what they say.
        """
        if spec.get("clear"):
            self.clear()
        if "latency" in spec:
            self.latency = float(spec["latency"])
        if spec.get("expire_tokens"):
            self.expire_tokens()
        common = {
            "times": int(spec.get("times", 1)),
            "method": spec.get("method"),
            "path": spec.get("path"),
        }
        if spec.get("drop"):
            self.drop(after_apply=bool(spec.get("after_apply", False)), **common)
        elif "status" in spec:
            self.add(
                status=int(spec["status"]),
                headers=spec.get("headers"),
                body=spec.get("body"),
                **common,
            )
