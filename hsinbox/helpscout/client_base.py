"""What the client's mixins (agent_day, reach) may call on ``HelpScoutClient``, declared once.

For the type checker only, as the inbox screen's mixins have ``InboxScreenBase``: a rename in
the client is a pyright error in every mixin that calls it. At run time this class is empty,
so a missing provider is an ``AttributeError``, never a silent stub.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import httpx
    from pydantic import BaseModel

    from hsinbox.helpscout.models import Conversation, Page

    M = TypeVar("M", bound=BaseModel)


class ClientBase:
    """The base of the client's mixins."""

    if TYPE_CHECKING:

        async def _request(
            self,
            method: str,
            path: str,
            *,
            params: dict[str, Any] | None = None,
            json_body: Any = None,
            content_type: str = "application/json",
            follow_redirects: bool | None = None,
        ) -> httpx.Response: ...
        async def _conversation_write(
            self,
            method: str,
            path: str,
            body: Any = None,
            *,
            content_type: str = "application/json",
        ) -> httpx.Response: ...
        async def _get_json(self, path: str, params: dict[str, Any] | None = None) -> Any: ...
        async def _get_model(
            self, model: type[M], path: str, params: dict[str, Any] | None = None
        ) -> M: ...
        async def _get_page(
            self, model: type[M], key: str, path: str, params: dict[str, Any] | None, page: int
        ) -> Page[M]: ...
        async def _all_pages(
            self,
            model: type[M],
            key: str,
            path: str,
            params: dict[str, Any] | None = None,
            *,
            max_pages: int | None = None,
            concurrency: int = 4,
        ) -> list[M]: ...
        async def list_conversations(
            self, *, page: int = 1, **filters: Any
        ) -> Page[Conversation]: ...
