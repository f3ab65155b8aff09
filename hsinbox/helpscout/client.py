"""The async Help Scout Mailbox API v2 client.

Rules that keep a user's work safe:
- a write (POST, PATCH, PUT, DELETE) is never re-sent blindly: if the connection broke after
  it may have left, the caller gets ``OutcomeUnknown`` instead of a possible duplicate;
- a 429 is the gateway refusing the request, so it is safe to retry for writes too;
- a token is refreshed shortly before it expires and once on a 401.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import json
import logging
import os
import ssl
import threading
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ValidationError

from hsinbox.helpscout.agent_day import AgentDayMixin
from hsinbox.helpscout.auth import (
    READY_TOKEN_GRANT,
    READY_TOKEN_REFUSED,
    USER_AGENT,
    AppCredentials,
    api_base_from_env,
    client_credentials_grant,
    ready_token,
    refresh_token_grant,
    validate_base_url,
)
from hsinbox.helpscout.errors import (
    AuthError,
    HelpScoutError,
    InvalidResponse,
    NetworkError,
    NotSignedIn,
    OutcomeUnknown,
    RateLimited,
    ServerError,
    SignInUnavailable,
    UnexpectedAnswer,
    ValidationFailed,
    error_from_response,
)
from hsinbox.helpscout.models import (
    Conversation,
    Customer,
    CustomerEntryChange,
    Folder,
    Mailbox,
    NewAttachment,
    NewConversation,
    Page,
    PageInfo,
    TagInfo,
    Thread,
    Token,
    User,
    unique_items,
)
from hsinbox.helpscout.reach import ReachMixin
from hsinbox.helpscout.tokens import TokenStore, default_token_store

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

REFRESH_MARGIN = timedelta(minutes=5)
DEFAULT_RATE_LIMIT_WAIT = 60.0
GET_TRIES = 3
JSON_PATCH = "application/json-patch+json"

#: Redirects a read follows (a merged conversation's 301 is one); a loop stops here.
MAX_REDIRECTS = 5

# Raised before any byte of the request left this machine.
_NOT_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
    httpx.ProxyError,
    httpx.InvalidURL,
)


def _transport_reason(exc: Exception, host: str) -> str:
    """What went wrong on the way, in our words (no httpx class names on the screen)."""
    if isinstance(exc, httpx.TimeoutException):
        return f"{host} did not answer in time"
    if isinstance(exc, httpx.ConnectError | httpx.ProxyError):
        return f"could not connect to {host}"
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return f"the address of {host} is not one hsinbox can use"
    if isinstance(exc, httpx.LocalProtocolError):
        return "hsinbox could not put the request together"
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return f"the connection to {host} broke"
    if isinstance(exc, httpx.DecodingError):
        return f"the answer from {host} could not be decoded"
    return f"the connection to {host} failed"


def format_datetime(value: datetime) -> str:
    """Help Scout's only accepted form: ``YYYY-MM-DDTHH:MM:SSZ`` in UTC, no fraction."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def merge_tags(current: Iterable[str], add: Iterable[str]) -> list[str]:
    """Current tags plus new ones; case-insensitive de-dup, first spelling and order kept."""
    out: list[str] = []
    seen: set[str] = set()
    for tag in [*current, *add]:
        name = tag.strip()
        key = name.casefold()
        if name and key not in seen:
            seen.add(key)
            out.append(name)
    return out


def without_tags(current: Iterable[str], remove: Iterable[str]) -> list[str]:
    gone = {t.strip().casefold() for t in remove}
    return [t for t in merge_tags(current, ()) if t.casefold() not in gone]


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()

_CUSTOMER_SCALARS = {
    "first_name": "firstName",
    "last_name": "lastName",
    "organization": "organization",
    "job_title": "jobTitle",
    "location": "location",
    "background": "background",
}


def customer_patch(
    before: Customer,
    *,
    first_name: str | None = UNSET,
    last_name: str | None = UNSET,
    organization: str | None = UNSET,
    job_title: str | None = UNSET,
    location: str | None = UNSET,
    background: str | None = UNSET,
) -> list[dict[str, Any]]:
    """JSON Patch operations (``replace``/``remove``) turning ``before``'s plain fields into the
    given values; unchanged → no op. Emails and phones are never part of it: they go one
    entry at a time through ``customer_entry_changes`` (Help Scout's SDK does the same)."""
    wanted = {
        "first_name": first_name,
        "last_name": last_name,
        "organization": organization,
        "job_title": job_title,
        "location": location,
        "background": background,
    }
    ops: list[dict[str, Any]] = []
    for attr, value in wanted.items():
        if value is UNSET:
            continue
        old = getattr(before, attr) or None
        new = value or None
        if old == new:
            continue
        path = "/" + _CUSTOMER_SCALARS[attr]
        if new is None:
            ops.append({"op": "remove", "path": path})
        else:
            ops.append({"op": "replace", "path": path, "value": new})
    return ops


def customer_entry_changes(
    before: Customer,
    *,
    emails: Sequence[str] | None = None,
    phones: Sequence[str] | None = None,
) -> list[CustomerEntryChange]:
    """The entry requests turning ``before``'s emails (phones) into the given list.

    Compared without case; order is not kept (entries have no order to set). A value that
    went and one that came are paired into one ``update`` (the entry keeps its id and
    type); what is left over is a ``delete`` or an ``add`` (type ``work``). Deletes go first,
    so an address moved between entries is never briefly on two. ``None``: leave it as is.
    """
    out: list[CustomerEntryChange] = []
    for kind, values in (("emails", emails), ("phones", phones)):
        if values is None:
            continue
        existing = list(before.emails if kind == "emails" else before.phones)
        want: list[str] = []
        for raw in values:
            value = raw.strip()
            if value and value.casefold() not in {w.casefold() for w in want}:
                want.append(value)
        have = {e.value.casefold() for e in existing}
        keep = {w.casefold() for w in want}
        gone = [e for e in existing if e.value.casefold() not in keep and e.id is not None]
        new = [w for w in want if w.casefold() not in have]
        paired = min(len(gone), len(new))
        for entry in gone[paired:]:
            out.append(
                CustomerEntryChange(
                    kind=kind, op="delete", value=entry.value, entry_id=entry.id, type=entry.type
                )
            )
        for entry, value in zip(gone[:paired], new[:paired], strict=True):
            out.append(
                CustomerEntryChange(
                    kind=kind,
                    op="update",
                    value=value,
                    type=entry.type or "work",
                    entry_id=entry.id,
                    old_value=entry.value,
                )
            )
        for value in new[paired:]:
            out.append(CustomerEntryChange(kind=kind, op="add", value=value, type="work"))
    return out


def _new_id(response: httpx.Response) -> int:
    """A 201 has no body: the id is in ``Resource-ID``, else the end of ``Location``."""
    raw = response.headers.get("Resource-ID")
    if not raw:
        location = response.headers.get("Location", "")
        raw = location.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0] if location else ""
    try:
        return int(raw.strip())
    except ValueError:
        raise InvalidResponse(
            "the created item's id was missing from the answer", status=response.status_code
        ) from None


def _seconds(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def _int_header(response: httpx.Response, name: str) -> int | None:
    raw = response.headers.get(name)
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def _csv(value: int | str | Iterable[int | str] | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, int | str):
        return str(value)
    return ",".join(str(v) for v in value)


_tls: concurrent.futures.Future[ssl.SSLContext] | None = None
_tls_lock = threading.Lock()


def prepare_tls() -> None:
    """Start building the TLS context in a thread, so it overlaps with start-up work.

    Loading the CA certificates takes ~0.1 s, mostly in OpenSSL without the GIL; the first
    client made afterwards picks the context up instead of building its own.
    """
    global _tls
    with _tls_lock:
        if _tls is None:
            _tls = concurrent.futures.Future()
            threading.Thread(target=_build_tls, args=(_tls,), daemon=True).start()


def _build_tls(future: concurrent.futures.Future[ssl.SSLContext]) -> None:
    try:
        future.set_result(httpx.create_ssl_context())
    except BaseException as exc:  # handed to the client, which raises it where httpx would
        future.set_exception(exc)


def _prepared_tls() -> ssl.SSLContext | bool:
    """The context prepare_tls() built (used once), else True: httpx builds its own."""
    global _tls
    with _tls_lock:
        future, _tls = _tls, None
    return future.result() if future is not None else True


class HelpScoutClient(AgentDayMixin, ReachMixin):
    """Talks to one Help Scout account. Use ``async with`` or ``await aclose()``."""

    def __init__(
        self,
        base_url: str | None = None,
        *,
        credentials: AppCredentials | None = None,
        token_store: TokenStore | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        max_attempts_429: int | bool = 3,
        retry: bool = True,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        timeout: float = 30.0,
        token: Token | None = None,
        clock: Callable[[], datetime] | None = None,
        on_rate_limit: Callable[[float], Any] | None = None,
    ) -> None:
        self.base_url = validate_base_url(base_url) if base_url else api_base_from_env()
        self.credentials = credentials
        self.token_store = token_store
        # Attempts in all, the first included: 3 means two waits then give up; 0/1/False = none.
        self.max_attempts_429 = max(int(max_attempts_429), 1) if retry else 1
        self.retry = retry
        self.on_rate_limit = on_rate_limit
        self.rate_limit_remaining: int | None = None
        self.rate_limit_limit: int | None = None
        # Merges learned from a 301 (old id -> survivor); on_merged(old, new) hears each once.
        self.merged: dict[int, int] = {}
        self.on_merged: Callable[[int, int], Any] | None = None
        self._sleep = sleep
        self._host = urlsplit(self.base_url).netloc
        self._clock = clock or (lambda: datetime.now(UTC))
        self._token = token
        self._token_loaded = token is not None
        self._token_lock = asyncio.Lock()
        # The token a 401 refused while renewing it failed: the next request renews first.
        self._refused: Token | None = None
        self._http = httpx.AsyncClient(
            transport=transport,
            verify=_prepared_tls(),
            timeout=timeout,
            max_redirects=MAX_REDIRECTS,
            headers={"User-Agent": USER_AGENT, "Accept": "application/hal+json, application/json"},
        )

    def __repr__(self) -> str:
        return f"HelpScoutClient(base_url={self.base_url!r})"

    # --- lifecycle -----------------------------------------------------------------

    @classmethod
    def from_env(cls, token_store: TokenStore | None = None, **kwargs: Any) -> HelpScoutClient:
        """A ready access token from the environment (``HSINBOX_TOKEN``), else the app's
        id and secret from it (both: nothing stored), else the saved sign-in."""
        ready = os.environ.get("HSINBOX_TOKEN", "").strip()
        if ready:
            try:
                token = ready_token(ready)
            except ValueError:
                raise AuthError("HSINBOX_TOKEN is not an access token") from None
            return cls(token=token, **kwargs)
        app_id = os.environ.get("HSINBOX_APP_ID", "").strip()
        app_secret = os.environ.get("HSINBOX_APP_SECRET", "").strip()
        if app_id and app_secret:
            return cls(credentials=AppCredentials(app_id, app_secret), **kwargs)
        store = token_store if token_store is not None else default_token_store()
        token = store.load()
        if token is None:
            raise NotSignedIn()
        return cls(credentials=store.load_credentials(), token_store=store, token=token, **kwargs)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> HelpScoutClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # --- tokens --------------------------------------------------------------------

    @property
    def token(self) -> Token | None:
        return self._token

    def _needs_refresh(self, token: Token) -> bool:
        if token.expires_at is None:
            return False
        expires = token.expires_at
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=UTC)
        return expires - self._clock() <= REFRESH_MARGIN

    async def _renew(self, current: Token | None) -> Token:
        """A new token: refresh grant when there is a refresh token, else mint one."""
        if self.credentials is None:
            if current is None:
                raise NotSignedIn()
            raise AuthError("the session expired; run `hsinbox auth login` again")
        now = self._clock()
        if current is not None and current.refresh_token:
            token = await refresh_token_grant(
                self.credentials,
                current.refresh_token,
                base_url=self.base_url,
                http=self._http,
                now=now,
            )
        else:
            token = await client_credentials_grant(
                self.credentials, base_url=self.base_url, http=self._http, now=now
            )
        if self.token_store is not None:
            # Refresh tokens rotate: the old one is dead once a new one is issued. A keyring
            # call can take seconds (a D-Bus prompt): in a thread, never on the event loop.
            await asyncio.to_thread(self.token_store.save, token, self.credentials)
        self._token = token
        return token

    def reload_token(self) -> bool:
        """Pick up a sign-in saved since (``hsinbox auth login`` in another terminal).

        Returns whether the token in memory changed.
        """
        if self.token_store is None:
            return False
        saved = self.token_store.load()
        if saved is None or saved == self._token:
            return False
        self._token = saved
        self._token_loaded = True
        if self.credentials is None:
            self.credentials = self.token_store.load_credentials()
        return True

    async def _access_token(self, *, stale: Token | None = None) -> Token:
        """The token to send; ``stale`` is one the server just refused with a 401."""
        async with self._token_lock:
            if not self._token_loaded:
                self._token_loaded = True
                if self._token is None and self.token_store is not None:
                    self._token = await asyncio.to_thread(self.token_store.load)
            token = self._token
            if stale is not None:
                if token is not None and token.access_token != stale.access_token:
                    return token  # another request already renewed it
                return await self._renew(token)
            if token is None or self._needs_refresh(token):
                if token is not None and self.credentials is None:
                    return token  # cannot refresh: try it, a 401 will say so
                return await self._renew(token)
            return token

    async def _signed_in(self, *, stale: Token | None = None) -> Token:
        """``_access_token``, with a failure of the sign-in itself kept apart from a failure
        of the request: a 5xx from the token endpoint is not the write's server error."""
        if stale is None and self._refused is not None and self._refused == self._token:
            stale = self._refused  # answered 401 and not renewed yet: renew before sending
        try:
            token = await self._access_token(stale=stale)
        except (NetworkError, ServerError, InvalidResponse) as exc:
            self._refused = stale
            if isinstance(exc, SignInUnavailable):
                raise
            raise SignInUnavailable.from_error(exc) from None
        self._refused = None
        return token

    async def ensure_signed_in(self) -> None:
        """Have a usable token (renewed when due) before a write is marked as attempted;
        raises ``AuthError`` when it is refused, ``SignInUnavailable`` (a ``NetworkError``)
        when Help Scout's sign-in is down, ``RateLimited`` when it says to wait."""
        await self._signed_in()

    # --- the request loop ----------------------------------------------------------

    async def _notify_rate_limit(self, seconds: float) -> None:
        if self.on_rate_limit is None:
            return
        result = self.on_rate_limit(seconds)
        if inspect.isawaitable(result):
            await result

    def _record_rate_headers(self, response: httpx.Response) -> None:
        remaining = _int_header(response, "X-RateLimit-Remaining-Minute")
        limit = _int_header(response, "X-RateLimit-Limit-Minute")
        if remaining is not None:
            self.rate_limit_remaining = remaining
        if limit is not None:
            self.rate_limit_limit = limit

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        content_type: str = "application/json",
        follow_redirects: bool | None = None,
    ) -> httpx.Response:
        is_write = method != "GET"
        follow = (not is_write) if follow_redirects is None else follow_redirects
        url = self.base_url + path
        query = {k: v for k, v in (params or {}).items() if v is not None}
        content = None if json_body is None else json.dumps(json_body).encode("utf-8")
        rate_retries = 0
        get_tries = 0
        reauthed = False
        while True:
            token = await self._signed_in()
            headers = {"Authorization": f"Bearer {token.access_token}"}
            if content is not None:
                headers["Content-Type"] = content_type
            try:
                response = await self._http.request(
                    method,
                    url,
                    params=query or None,
                    content=content,
                    headers=headers,
                    follow_redirects=follow,
                )
            except httpx.TooManyRedirects:
                # Only reads follow redirects; a loop is the server's answer, not the network's.
                raise InvalidResponse(
                    f"Help Scout redirected the request more than {MAX_REDIRECTS} times"
                ) from None
            except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as exc:
                log.debug("transport error %s on %s %s", type(exc).__name__, method, path)
                reason = _transport_reason(exc, self._host)
                if is_write:
                    if isinstance(exc, _NOT_SENT):
                        raise NetworkError(f"the change was not sent ({reason})") from None
                    raise OutcomeUnknown(reason) from None
                if isinstance(exc, httpx.DecodingError):
                    raise InvalidResponse(reason) from None
                get_tries += 1
                if self.retry and get_tries < GET_TRIES:
                    await self._sleep(0.5 * 2 ** (get_tries - 1))
                    continue
                raise NetworkError(reason) from None
            self._record_rate_headers(response)
            status = response.status_code
            if status == 401 and token.grant == READY_TOKEN_GRANT:
                raise AuthError(READY_TOKEN_REFUSED, status=401)  # nothing can renew it
            if status == 401 and not reauthed and self.credentials is not None:
                reauthed = True
                await self._signed_in(stale=token)
                continue
            if status == 429:
                wait = (
                    _seconds(response.headers.get("X-RateLimit-Retry-After"))
                    or _seconds(response.headers.get("Retry-After"))
                    or DEFAULT_RATE_LIMIT_WAIT
                )
                if rate_retries + 1 >= self.max_attempts_429:
                    error = error_from_response(response)
                    raise RateLimited(
                        error.message, status=429, log_ref=error.log_ref, retry_after=wait
                    )
                rate_retries += 1
                await self._notify_rate_limit(wait)
                await self._sleep(wait)
                continue
            if status >= 500 and not is_write:
                get_tries += 1
                if self.retry and get_tries < GET_TRIES:
                    await self._sleep(0.5 * 2 ** (get_tries - 1))
                    continue
            if status >= 400:
                raise error_from_response(response)
            if 200 <= status < 300:
                return response
            if not is_write and not follow and status in (301, 302, 307, 308):
                return response  # a read that asked to see the redirect itself
            raise _unexpected_status(method, status, response.headers.get("Location"))

    async def _get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        response = await self._request("GET", path, params=params)
        try:
            return json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            raise InvalidResponse("the answer was not JSON", status=response.status_code) from None

    async def _get_model(
        self, model: type[M], path: str, params: dict[str, Any] | None = None
    ) -> M:
        data = await self._get_json(path, params)
        return _validate(model, data)

    async def _get_page(
        self, model: type[M], key: str, path: str, params: dict[str, Any] | None, page: int
    ) -> Page[M]:
        data = await self._get_json(path, {**(params or {}), "page": page})
        return parse_page(data, key, model, page)

    async def _pages(
        self,
        model: type[M],
        key: str,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        first_page: int = 1,
        max_pages: int | None = None,
        concurrency: int = 4,
        ahead: int = 0,
        paced: bool = False,
        before_request: Callable[[], Awaitable[Any]] | None = None,
    ) -> AsyncGenerator[Page[M], None]:
        """Pages in order from ``first_page``: that one, then the rest up to the last (or
        ``max_pages`` in all), at most ``concurrency`` in flight and ``2 * concurrency``
        asked ahead of the reader.

        The one paging loop. ``ahead`` more pages go out with the first, before its total
        is known (one request wasted when the list is shorter, one round saved when it is
        not; a failed guess is asked again). Stop iterating and nothing more is asked: "just
        page N" is ``max_pages=1``, "pages until a condition" is a ``break``. ``paced``: when
        the per-minute budget runs low the pages after the first go one at a time, spaced to
        the budget, so the agent's own actions (which share it) still get through.
        ``before_request`` is awaited before every page is asked (a caller's rate budget,
        e.g. background work's share); the client itself knows nothing of who asks.
        """
        gate = asyncio.Semaphore(max(concurrency, 1))
        slow = asyncio.Lock()

        async def get(number: int) -> Page[M]:
            if before_request is not None:
                await before_request()
            return await self._get_page(model, key, path, params, number)

        async def fetch(number: int) -> Page[M]:
            async with gate:
                if paced and self._budget_low(concurrency):
                    async with slow:
                        await self._sleep(60.0 / max(self.rate_limit_limit or 400, 1))
                        return await get(number)
                return await get(number)

        async def guess(number: int) -> Page[M] | None:
            try:
                return await get(number)
            except HelpScoutError:
                return None

        loop = asyncio.get_running_loop()
        first_task = loop.create_task(get(first_page))
        guesses = {
            n: loop.create_task(guess(n)) for n in range(first_page + 1, first_page + 1 + ahead)
        }
        tasks: dict[int, asyncio.Task[Page[M]]] = {}
        try:
            first = await first_task
            last = max(first.info.total_pages, first_page)
            if max_pages is not None:
                last = min(last, first_page + max(max_pages, 1) - 1)
            for number in list(guesses):
                if number > last:
                    _discard(guesses.pop(number))
            yield first
            # A window of tasks ahead of the reader, not one task per page up front: a
            # 20,000-page sync holds a few pages and tasks, never all of them.
            window = 2 * max(concurrency, 1)
            upcoming = iter(range(first_page + 1, last + 1))

            def top_up() -> None:
                while len(tasks) < window:
                    number = next(upcoming, None)
                    if number is None:
                        return
                    if number not in guesses:
                        tasks[number] = loop.create_task(fetch(number))

            for number in range(first_page + 1, last + 1):
                top_up()
                if number in guesses:
                    page = await guesses.pop(number) or await fetch(number)
                else:
                    page = await tasks.pop(number)
                top_up()
                yield page
        finally:
            for task in [first_task, *guesses.values(), *tasks.values()]:
                _discard(task)

    def _budget_low(self, concurrency: int) -> bool:
        remaining = self.rate_limit_remaining
        limit = self.rate_limit_limit or 400
        return remaining is not None and remaining < max(2 * concurrency, limit // 10)

    async def _all_pages(
        self,
        model: type[M],
        key: str,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        max_pages: int | None = None,
        concurrency: int = 4,
    ) -> list[M]:
        """Every page's items in page order, each id once (see ``unique_items``)."""
        pages = [
            page
            async for page in self._pages(
                model, key, path, params, max_pages=max_pages, concurrency=concurrency
            )
        ]
        return unique_items(pages)

    async def _write(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        content_type: str = "application/json",
    ) -> httpx.Response:
        return await self._conversation_write(method, path, body, content_type=content_type)

    # --- reads ---------------------------------------------------------------------

    async def get_me(self) -> User:
        return await self._get_model(User, "/v2/users/me")

    async def list_mailboxes(self) -> list[Mailbox]:
        return await self._all_pages(Mailbox, "mailboxes", "/v2/mailboxes")

    async def get_mailbox(self, mailbox_id: int) -> Mailbox:
        return await self._get_model(Mailbox, f"/v2/mailboxes/{int(mailbox_id)}")

    async def list_folders(self, mailbox_id: int) -> list[Folder]:
        return await self._all_pages(Folder, "folders", f"/v2/mailboxes/{int(mailbox_id)}/folders")

    async def list_users(self, mailbox_id: int | None = None) -> list[User]:
        params = {"mailbox": mailbox_id} if mailbox_id is not None else None
        return await self._all_pages(User, "users", "/v2/users", params)

    async def list_tags(self) -> list[TagInfo]:
        return await self._all_pages(TagInfo, "tags", "/v2/tags")

    @staticmethod
    def _conversation_params(
        *,
        mailbox: int | Iterable[int] | None = None,
        folder: int | None = None,
        status: str | None = "active",
        tag: str | Iterable[str] | None = None,
        assigned_to: int | None = None,
        query: str | None = None,
        modified_since: datetime | None = None,
        sort_field: str | None = None,
        sort_order: str | None = None,
        number: int | None = None,
        embed: str | None = None,
    ) -> dict[str, Any]:
        return {
            "mailbox": _csv(mailbox),
            "folder": folder,
            "status": status,
            "tag": _csv(tag),
            "assigned_to": assigned_to,
            "query": query,
            "modifiedSince": format_datetime(modified_since) if modified_since else None,
            "sortField": sort_field,
            "sortOrder": sort_order,
            "number": number,
            "embed": embed,
        }

    async def list_conversations(self, *, page: int = 1, **filters: Any) -> Page[Conversation]:
        params = self._conversation_params(**filters)
        return await self._get_page(
            Conversation, "conversations", "/v2/conversations", params, page
        )

    async def list_all_conversations(
        self, *, max_pages: int | None = None, concurrency: int = 4, **filters: Any
    ) -> list[Conversation]:
        params = self._conversation_params(**filters)
        return await self._all_pages(
            Conversation,
            "conversations",
            "/v2/conversations",
            params,
            max_pages=max_pages,
            concurrency=concurrency,
        )

    def conversation_pages(
        self,
        *,
        first_page: int = 1,
        max_pages: int | None = None,
        concurrency: int = 4,
        ahead: int = 0,
        paced: bool = False,
        before_request: Callable[[], Awaitable[Any]] | None = None,
        **filters: Any,
    ) -> AsyncGenerator[Page[Conversation], None]:
        """The conversation list page by page, in order (see ``_pages`` for the options).

        Use ``async with contextlib.aclosing(...)`` when stopping early so the pages still in
        flight are cancelled at once; ``unique_items`` joins pages.
        """
        return self._pages(
            Conversation,
            "conversations",
            "/v2/conversations",
            self._conversation_params(**filters),
            first_page=first_page,
            max_pages=max_pages,
            concurrency=concurrency,
            ahead=ahead,
            paced=paced,
            before_request=before_request,
        )

    async def get_conversation(
        self, conversation_id: int, *, embed_threads: bool = False
    ) -> Conversation:
        """A merged-away id answers 301: the survivor is returned (its ``id`` differs) and the
        merge is recorded in ``merged`` / told to ``on_merged``."""
        params = {"embed": "threads"} if embed_threads else None
        return await self._get_conversation_following(conversation_id, params)

    async def list_threads(self, conversation_id: int) -> list[Thread]:
        """Every thread, oldest first (Help Scout pages them newest first)."""
        threads = await self._all_pages(
            Thread, "threads", f"/v2/conversations/{int(conversation_id)}/threads"
        )
        threads.reverse()
        return threads

    async def get_customer(self, customer_id: int) -> Customer:
        return await self._get_model(Customer, f"/v2/customers/{int(customer_id)}")

    # --- conversation writes -------------------------------------------------------

    async def create_conversation(self, new: NewConversation) -> int:
        response = await self._write("POST", "/v2/conversations", new.to_json())
        return _new_id(response)

    async def reply(
        self,
        conversation_id: int,
        text: str,
        *,
        customer_id: int,
        cc: Sequence[str] = (),
        bcc: Sequence[str] = (),
        status: str | None = None,
        draft: bool = False,
        user_id: int | None = None,
        attachments: Sequence[NewAttachment] = (),
    ) -> int:
        body: dict[str, Any] = {"customer": {"id": int(customer_id)}, "text": text}
        if attachments:
            body["attachments"] = [a.to_json() for a in attachments]
        if cc:
            body["cc"] = list(cc)
        if bcc:
            body["bcc"] = list(bcc)
        if status:
            body["status"] = status
        if draft:
            body["draft"] = True
        if user_id is not None:
            body["user"] = int(user_id)
        response = await self._write(
            "POST", f"/v2/conversations/{int(conversation_id)}/reply", body
        )
        return _new_id(response)

    async def reply_to(self, conversation: Conversation, text: str, **options: Any) -> int:
        """Reply using the conversation's primary customer, without fetching anything."""
        customer = conversation.primary_customer
        if customer is None or customer.id is None:
            raise ValueError(f"Conversation {conversation.id} has no primary customer to reply to.")
        return await self.reply(conversation.id, text, customer_id=customer.id, **options)

    async def add_note(
        self,
        conversation_id: int,
        text: str,
        *,
        status: str | None = None,
        attachments: Sequence[NewAttachment] = (),
    ) -> int:
        """Attachments go inline in the same request: a note with files is one request."""
        body: dict[str, Any] = {"text": text}
        if attachments:
            body["attachments"] = [a.to_json() for a in attachments]
        if status:
            body["status"] = status
        response = await self._write(
            "POST", f"/v2/conversations/{int(conversation_id)}/notes", body
        )
        return _new_id(response)

    async def _patch_conversation(self, conversation_id: int, operation: dict[str, Any]) -> None:
        """One JSON Patch object per request: Help Scout rejects arrays for conversations."""
        await self._write(
            "PATCH", f"/v2/conversations/{int(conversation_id)}", operation, content_type=JSON_PATCH
        )

    async def update_status(self, conversation_id: int, status: str) -> None:
        await self._patch_conversation(
            conversation_id, {"op": "replace", "path": "/status", "value": status}
        )

    async def assign(self, conversation_id: int, user_id: int) -> None:
        await self._patch_conversation(
            conversation_id, {"op": "replace", "path": "/assignTo", "value": int(user_id)}
        )

    async def unassign(self, conversation_id: int) -> None:
        await self._patch_conversation(conversation_id, {"op": "remove", "path": "/assignTo"})

    async def move(self, conversation_id: int, mailbox_id: int) -> None:
        """The docs say op ``move``; one client uses ``replace``: try the other once on 400."""
        try:
            await self._patch_conversation(
                conversation_id, {"op": "move", "path": "/mailboxId", "value": int(mailbox_id)}
            )
        except ValidationFailed as exc:
            if exc.status != 400:
                raise
            log.info("move op refused (400); retrying with replace")
            await self._patch_conversation(
                conversation_id, {"op": "replace", "path": "/mailboxId", "value": int(mailbox_id)}
            )

    async def update_thread_text(self, conversation_id: int, thread_id: int, text: str) -> None:
        """Replace a thread's HTML (documented: ``replace /text``), e.g. a draft reply's."""
        await self._write(
            "PATCH",
            f"/v2/conversations/{int(conversation_id)}/threads/{int(thread_id)}",
            {"op": "replace", "path": "/text", "value": text},
            content_type=JSON_PATCH,
        )

    async def update_subject(self, conversation_id: int, subject: str) -> None:
        await self._patch_conversation(
            conversation_id, {"op": "replace", "path": "/subject", "value": subject}
        )

    async def set_tags(self, conversation_id: int, tags: Sequence[str]) -> None:
        """PUT replaces the whole tag list."""
        await self._write(
            "PUT", f"/v2/conversations/{int(conversation_id)}/tags", {"tags": list(tags)}
        )

    async def add_tags(
        self, conversation_id: int, current: Sequence[str], add: Iterable[str]
    ) -> list[str]:
        """Merge with the list the caller holds (no GET) and PUT it; returns what was sent."""
        tags = merge_tags(current, add)
        await self.set_tags(conversation_id, tags)
        return tags

    async def remove_tags(
        self, conversation_id: int, current: Sequence[str], remove: Iterable[str]
    ) -> list[str]:
        tags = without_tags(current, remove)
        await self.set_tags(conversation_id, tags)
        return tags

    async def delete_conversation(self, conversation_id: int) -> None:
        await self._write("DELETE", f"/v2/conversations/{int(conversation_id)}")

    # --- customers -----------------------------------------------------------------

    async def create_customer(
        self,
        first_name: str | None = None,
        last_name: str | None = None,
        emails: Sequence[str] = (),
        phones: Sequence[str] = (),
        organization: str | None = None,
        job_title: str | None = None,
    ) -> int:
        body: dict[str, Any] = {}
        if first_name:
            body["firstName"] = first_name
        if last_name:
            body["lastName"] = last_name
        if organization:
            body["organization"] = organization
        if job_title:
            body["jobTitle"] = job_title
        if emails:
            body["emails"] = [{"type": "work", "value": e} for e in emails]
        if phones:
            body["phones"] = [{"type": "work", "value": p} for p in phones]
        response = await self._write("POST", "/v2/customers", body)
        return _new_id(response)

    async def update_customer(self, customer_id: int, ops: list[dict[str, Any]]) -> None:
        """Customers take a JSON Patch array (unlike conversations)."""
        if not ops:
            return
        await self._write(
            "PATCH", f"/v2/customers/{int(customer_id)}", list(ops), content_type=JSON_PATCH
        )

    async def change_customer_entry(
        self, customer_id: int, change: CustomerEntryChange
    ) -> int | None:
        """One email or phone entry request; an ``add`` returns the new entry's id."""
        if change.kind not in ("emails", "phones"):
            raise ValueError(f"not a customer entry kind: {change.kind!r}")
        base = f"/v2/customers/{int(customer_id)}/{change.kind}"
        body = {"type": change.type or "work", "value": change.value}
        if change.op == "add":
            return _new_id(await self._write("POST", base, body))
        if change.entry_id is None:
            raise ValueError("an entry update or delete needs the entry's id")
        if change.op == "update":
            await self._write("PUT", f"{base}/{int(change.entry_id)}", body)
        elif change.op == "delete":
            await self._write("DELETE", f"{base}/{int(change.entry_id)}")
        else:
            raise ValueError(f"not a customer entry operation: {change.op!r}")
        return None


def _unexpected_status(method: str, status: int, location: str | None) -> HelpScoutError:
    """Only a 2xx is a success. A write answered 3xx (or 1xx) was not done where it was
    aimed; Help Scout answers a merged conversation's old id with a 301 to reads, and a write
    there is never taken as applied (the write path asks ``survivor_of`` after its 404)."""
    if method == "GET":
        return InvalidResponse(f"an unexpected answer (HTTP {status})", status=status)
    return UnexpectedAnswer(
        f"it answered HTTP {status} instead of applying it",
        status=status,
        location=location,
    )


def _validate(model: type[M], data: Any) -> M:
    if not isinstance(data, dict):
        raise InvalidResponse(f"expected a {model.__name__} object", status=200)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidResponse(
            f"a {model.__name__} did not have the expected shape ({exc.error_count()} problems)",
            status=200,
        ) from None


def _discard(task: asyncio.Task[Any]) -> None:
    """Cancel a page no one will read; an answer it already had is dropped quietly."""
    if task.done():
        if not task.cancelled():
            task.exception()
    else:
        task.cancel()


def parse_page(data: Any, key: str, model: type[M], requested: int = 1) -> Page[M]:
    """A list envelope → ``Page``. No ``_embedded`` means an empty page; no ``page`` → one."""
    if not isinstance(data, dict):
        raise InvalidResponse("expected a page object", status=200)
    embedded = data.get("_embedded")
    raw: Any = []
    if isinstance(embedded, dict):
        raw = embedded.get(key, [])
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        raise InvalidResponse(f"_embedded.{key} was not a list", status=200)
    items = [_validate(model, item) for item in raw]
    page_data = data.get("page")
    if isinstance(page_data, dict):
        try:
            info = PageInfo.model_validate(page_data)
        except ValidationError:
            raise InvalidResponse("the page information was unreadable", status=200) from None
        if info.number < 1:
            info = info.model_copy(update={"number": requested})
    else:
        info = PageInfo(size=len(items), total_elements=len(items), total_pages=1, number=requested)
    return Page[model](items=items, info=info)  # type: ignore[valid-type]


__all__ = [
    "HelpScoutClient",
    "HelpScoutError",
    "customer_entry_changes",
    "customer_patch",
    "format_datetime",
    "merge_tags",
    "parse_page",
    "without_tags",
]
