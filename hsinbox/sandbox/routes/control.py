"""The sandbox's own ``/_sandbox/*`` endpoints: state, the request log, reset, merge, faults.

Not Help Scout's: no token, no rate-limit cost, never recorded in ``sb.requests``.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import httpx

from hsinbox.sandbox.util import PLAIN_JSON, VND_ERROR, ApiError, error_body, json_response

if TYPE_CHECKING:
    from hsinbox.sandbox.core import Sandbox


def _faults(sb: Sandbox) -> httpx.Response:
    body = {"faults": [f.to_json() for f in sb.faults.pending], "latency": sb.faults.latency}
    return json_response(200, body, PLAIN_JSON)


def _requests(sb: Sandbox, request: httpx.Request) -> httpx.Response:
    """The request log from index ``since`` on: how a benchmark counts what a key cost."""
    try:
        since = max(int(request.url.params.get("since", "0")), 0)
    except ValueError:
        return json_response(400, {"message": "since must be a whole number"}, PLAIN_JSON)
    log = sb.requests[since:]
    body = {
        "count": len(sb.requests),
        "requests": [{"method": r.method, "path": r.path, "query": r.query} for r in log],
    }
    return json_response(200, body, PLAIN_JSON)


def control(sb: Sandbox, request: httpx.Request, body: bytes) -> httpx.Response:
    path = request.url.path
    method = request.method
    if path == "/_sandbox/state" and method == "GET":
        content = sb.state_dump().encode()
        return httpx.Response(200, headers={"Content-Type": PLAIN_JSON}, content=content)
    if path == "/_sandbox/requests" and method == "GET":
        return _requests(sb, request)
    if path == "/_sandbox/reset" and method == "POST":
        sb.reset()
        return httpx.Response(204)
    if path == "/_sandbox/faults" and method == "GET":
        return _faults(sb)
    if path == "/_sandbox/faults" and method == "POST":
        try:
            spec = json.loads(body or b"{}")
            if not isinstance(spec, dict):
                raise ValueError("not an object")
            sb.faults.configure(spec)
        except (ValueError, TypeError, re.error) as exc:
            return json_response(400, {"message": f"Bad fault: {exc}"}, PLAIN_JSON)
        return _faults(sb)
    if path == "/_sandbox/merge" and method == "POST":
        # {"from": oldId, "into": newId}: merge as an agent would in the web app.
        try:
            spec = json.loads(body or b"{}")
            sb.merge(int(spec["from"]), int(spec["into"]))
        except (ValueError, TypeError, KeyError) as exc:
            return json_response(400, {"message": f"Bad merge: {exc}"}, PLAIN_JSON)
        except ApiError as exc:
            return json_response(exc.status, error_body(exc.status, exc.message, []), VND_ERROR)
        return httpx.Response(204)
    return json_response(404, error_body(404, "Not found", []), VND_ERROR)
