"""Response shapes several resources share: HAL pages and "created" answers."""

from __future__ import annotations

from typing import Any

import httpx

from hsinbox.sandbox.routes.request import Req
from hsinbox.sandbox.util import empty_response, json_response, page_of, parse_page

PAGE = 50
"""Page size of every list but conversations."""


def page_response(req: Req, items: list[Any], name: str, size: int = PAGE) -> httpx.Response:
    """The page the request's ``page`` parameter asks for, as a HAL response."""
    return json_response(
        200,
        page_of(
            items,
            page=parse_page(req.query),
            size=size,
            name=name,
            origin=req.origin,
            path=req.path,
            query=req.query,
        ),
    )


def created(location: str, resource_id: int) -> httpx.Response:
    """201 with no body: Help Scout names the new resource in headers only."""
    return empty_response(201, {"Resource-ID": str(resource_id), "Location": location})
