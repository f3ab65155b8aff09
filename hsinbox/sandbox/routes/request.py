"""One parsed request as the endpoint handlers see it, and how a handler is mounted."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

import httpx

from hsinbox.sandbox.util import ApiError, FieldProblem, bad_request

if TYPE_CHECKING:
    from hsinbox.sandbox.routes.router import Api


class Req:
    """The request's method, path, query and body, plus what routing learned about it."""

    def __init__(self, request: httpx.Request, body: bytes) -> None:
        self.method = request.method
        self.path = request.url.path
        self.query: dict[str, str] = dict(request.url.params)
        self.headers = request.headers
        self.body = body
        self.origin = f"{request.url.scheme}://{request.url.netloc.decode('ascii')}"
        self.user_id: int = 0
        self.params: dict[str, int] = {}

    def json(self, *, patch: bool = False) -> Any:
        """The JSON body; 415 for a non-JSON content type, 400 when it does not parse."""
        ctype = self.headers.get("content-type", "").split(";")[0].strip().lower()
        allowed = (
            ("application/json", "application/json-patch+json") if patch else ("application/json",)
        )
        if ctype not in allowed and not (ctype.endswith("+json") and not patch):
            raise ApiError(
                415, f"Content type '{ctype or 'none'}' not supported; send application/json"
            )
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise bad_request(
                FieldProblem("body", "Could not read JSON: malformed body", anchor="Invalid"),
                message="Bad request",
            ) from None

    def json_object(self) -> dict[str, Any]:
        """The JSON body, which must be an object."""
        body = self.json()
        if not isinstance(body, dict):
            raise bad_request(FieldProblem("body", "must be a JSON object"))
        return body


Handler = Callable[["Api", Req], httpx.Response]


class Route(NamedTuple):
    """A method and a path pattern (anchored by the router) answered by ``handler``."""

    method: str
    pattern: str
    handler: Handler
    auth: bool = True
