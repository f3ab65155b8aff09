"""A scripted Help Scout stand-in for unit tests: exact requests recorded, answers queued."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

import httpx
from testdata import NOW

from hsinbox.helpscout import HelpScoutClient
from hsinbox.helpscout.auth import AppCredentials
from hsinbox.helpscout.models import Token

BASE = "https://api.test"

Answer = httpx.Response | Exception | Callable[[httpx.Request], Any]


def token(
    access: str = "tok-1",
    *,
    refresh: str | None = "ref-1",
    minutes: float = 600,
    grant: str = "authorization_code",
) -> Token:
    return Token(
        access_token=access,
        refresh_token=refresh,
        expires_at=NOW + timedelta(minutes=minutes),
        grant=grant,
    )


def hal(
    key: str, items: list[dict[str, Any]], *, number: int = 1, total_pages: int = 1, size: int = 50
) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "_embedded": {key: items},
            "page": {
                "size": size,
                "totalElements": len(items),
                "totalPages": total_pages,
                "number": number,
            },
        },
    )


def created(new_id: int, *, header: str = "Resource-ID") -> httpx.Response:
    value = str(new_id) if header == "Resource-ID" else f"{BASE}/v2/things/{new_id}"
    return httpx.Response(201, headers={header: value})


def token_answer(
    access: str, refresh: str | None = None, expires_in: int = 7200, token_type: str = "bearer"
) -> httpx.Response:
    body: dict[str, Any] = {
        "access_token": access,
        "token_type": token_type,
        "expires_in": expires_in,
    }
    if refresh:
        body["refresh_token"] = refresh
    return httpx.Response(200, json=body)


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: httpx.Headers
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


@dataclass
class MockApi:
    routes: dict[tuple[str, str], list[Answer]] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)

    def on(self, method: str, path: str, *answers: Answer) -> MockApi:
        self.routes.setdefault((method, path), []).extend(answers)
        return self

    def seen(self, method: str | None = None, path: str | None = None) -> list[Seen]:
        return [
            r
            for r in self.requests
            if (method is None or r.method == method) and (path is None or r.path == path)
        ]

    async def handler(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        self.requests.append(
            Seen(
                request.method,
                request.url.path,
                parse_qs(request.url.query.decode()),
                request.headers,
                body,
            )
        )
        queue = self.routes.get((request.method, request.url.path))
        if not queue:
            return httpx.Response(
                404, json={"message": f"no route {request.method} {request.url.path}"}
            )
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer) and not isinstance(answer, httpx.Response):
            answer = answer(request)
            if asyncio.iscoroutine(answer):
                answer = await answer
        assert isinstance(answer, httpx.Response)
        return answer

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)


class FakeSleep:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def make_client(api: MockApi, **kwargs: Any) -> HelpScoutClient:
    kwargs.setdefault("token", token())
    kwargs.setdefault("sleep", FakeSleep())
    kwargs.setdefault("clock", lambda: NOW)
    kwargs.setdefault("credentials", AppCredentials("app-id", "app-secret"))
    return HelpScoutClient(BASE, transport=api.transport(), **kwargs)
