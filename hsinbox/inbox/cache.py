"""The local cache: what hsinbox last saw, in one SQLite file, for instant start and search.

The cache is a copy, never the truth: every failure (a corrupt file, a full disk, a file
from an older hsinbox) is logged and the cache rebuilds itself or steps aside, and the app
carries on from the network. Rows are keyed by account (API base URL + user id) so two
accounts sharing a machine never see each other's conversations.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from hsinbox import paths
from hsinbox.helpscout.models import Conversation, Thread
from hsinbox.inbox.text import clean, html_to_plain

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
CACHE_FILE = "cache.sqlite3"
# Thread text indexed per conversation: enough to find a message, bounded so a 300 KB log
# pasted by a customer does not bloat the index.
MAX_INDEXED_CHARS = 20_000

_SPACE = re.compile(r"\s+")
# A view key's query part when it is not empty (``View.key``: ``…/q<query>[/o…]``).
_SEARCH_VIEW = re.compile(r"^m[^/]*/f[^/]*/s[^/]*/q(?P<q>.*?)(?:/o\w+:(?:asc|desc))?$")
_WORD = re.compile(r"\w+", re.UNICODE)

_SCHEMA = """
CREATE TABLE schema (version INTEGER NOT NULL);
CREATE TABLE accounts (base_url TEXT PRIMARY KEY, user_id INTEGER NOT NULL);
CREATE TABLE meta (
    account TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (account, key)
);
CREATE TABLE conversations (
    rid INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    id INTEGER NOT NULL,
    mailbox_id INTEGER,
    modified TEXT,
    json TEXT NOT NULL,
    UNIQUE (account, id)
);
CREATE TABLE views (
    account TEXT NOT NULL, key TEXT NOT NULL,
    ids TEXT NOT NULL, newest TEXT, probe TEXT NOT NULL,
    PRIMARY KEY (account, key)
);
CREATE TABLE threads (
    account TEXT NOT NULL, conversation_id INTEGER NOT NULL,
    json TEXT NOT NULL, text TEXT NOT NULL,
    PRIMARY KEY (account, conversation_id)
);
CREATE VIRTUAL TABLE fts USING fts5(
    subject, people, tags, body,
    tokenize = "unicode61 remove_diacritics 2",
    prefix = '1 2 3'
);
"""

P = ParamSpec("P")
R = TypeVar("R")
D = TypeVar("D")  # what a guarded method answers when the cache is off


def default_path() -> Path:
    return paths.cache_dir() / CACHE_FILE


def account_key(base_url: str, user_id: int) -> str:
    return f"{base_url.rstrip('/')}#{int(user_id)}"


def strip_html(body: str | None) -> str:
    """Plain words of an HTML body, for the index only (never shown)."""
    return _SPACE.sub(" ", html_to_plain(body)).strip()


def fts_query(text: str, *, phrase: bool = False) -> str | None:
    """Every word the user typed as a prefix term, all required; None when nothing to match.

    ``phrase`` asks for the words next to each other, the last one a prefix: what a filter
    typed letter by letter means.
    """
    words = _WORD.findall(text.lower())
    if not words:
        return None
    if phrase:
        return '"' + " ".join(words) + '" *'
    return " ".join(f'"{w}"*' for w in words)


@dataclass
class ViewState:
    """What the cache keeps of a view (``LoadedView``'s stored part): its order, and where
    incremental refresh resumes."""

    ids: list[int]
    newest: datetime | None = None
    probe: dict[int, str] = field(default_factory=dict)


# Waiting for another hsinbox's write lock: short, since the caller is the event loop.
BUSY_TIMEOUT_MS = 50

# SQLite's primary result codes that say "not now" or "not here", not "this file is broken":
# busy or locked (another hsinbox writes), full, read-only, I/O, cannot open. The call is
# skipped (the cache is a copy) and the cache stays on; anything else is corruption.
_TRANSIENT_CODES = {
    getattr(sqlite3, name)
    for name in (
        "SQLITE_BUSY",
        "SQLITE_LOCKED",
        "SQLITE_FULL",
        "SQLITE_READONLY",
        "SQLITE_IOERR",
        "SQLITE_CANTOPEN",
        "SQLITE_PROTOCOL",
    )
}


def _transient(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return (code & 0xFF) in _TRANSIENT_CODES
    text = str(exc).lower()  # SQLite before 3.11's error codes: its fixed messages
    return any(word in text for word in ("locked", "busy", "disk is full", "readonly", "disk i/o"))


def _guarded(default: Callable[[], D]) -> Callable[[Callable[P, R]], Callable[P, R | D]]:
    """A cache failure is logged and the caller gets ``default()``. Busy (a second hsinbox
    on the same data), full or read-only skips this call only; corruption (any other
    database error) switches the cache off for the session."""

    def wrap(method: Callable[P, R]) -> Callable[P, R | D]:
        @functools.wraps(method)
        def run(*args: P.args, **kwargs: P.kwargs) -> R | D:
            self = args[0]
            assert isinstance(self, Cache)
            if self._db is None or (self.account is None and method.__name__ not in _UNBOUND_OK):
                return default()
            try:
                with self._lock:
                    return method(*args, **kwargs)
            except sqlite3.Error as exc:
                if _transient(exc):
                    self._skipped(method.__name__, exc)
                    return default()
                log.warning("local cache disabled after an error: %s", type(exc).__name__)
                self._disable()
                return default()
            except (ValueError, TypeError) as exc:
                log.warning("local cache disabled after an error: %s", type(exc).__name__)
                self._disable()
                return default()

        return run

    return wrap


_UNBOUND_OK = {"last_user", "bind"}


class Cache:
    """One SQLite file (WAL, 0600) holding conversations, views, threads and a search index."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        self.account: str | None = None
        self._lock = threading.RLock()
        self._db: sqlite3.Connection | None = None
        # Calls skipped because the file was busy, full or read-only (the cache stayed on);
        # the first of each reason is logged, the rest counted.
        self.skipped: dict[str, int] = {}
        try:
            self._db = self._open()
        except sqlite3.Error as exc:
            if not _transient(exc):
                self._rebuild(exc)
            else:
                # Another hsinbox holds it, or the disk refuses: never delete its file.
                log.warning("local cache unavailable for now: %s", exc)
        except OSError as exc:
            log.warning("local cache unavailable: %s", exc.strerror)

    def _rebuild(self, exc: Exception) -> None:
        """A corrupt file or one from another version: start a new one."""
        log.warning("local cache discarded (%s); rebuilding", type(exc).__name__)
        self._discard()
        try:
            self._db = self._open()
        except (sqlite3.Error, OSError) as again:
            log.warning("local cache unavailable: %s", type(again).__name__)
            self._db = None

    # --- opening -----------------------------------------------------------------------

    @property
    def available(self) -> bool:
        return self._db is not None

    def _create_private(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            os.fchmod(fd, 0o600)
        finally:
            os.close(fd)

    def _open(self) -> sqlite3.Connection:
        self._create_private()
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        try:
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
            if not tables:
                db.executescript("BEGIN;" + _SCHEMA + "COMMIT;")
                db.execute("INSERT INTO schema(version) VALUES (?)", (SCHEMA_VERSION,))
                return db
            row = None
            if "schema" in tables:
                row = db.execute("SELECT version FROM schema").fetchone()
            if row is None or row[0] != SCHEMA_VERSION:
                raise sqlite3.DatabaseError("cache schema from another version")
            return db
        except BaseException:
            db.close()
            raise

    def _discard(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            try:
                Path(f"{self.path}{suffix}").unlink()
            except FileNotFoundError:
                pass
            except OSError as exc:
                log.warning("could not delete the old cache: %s", exc.strerror)

    def _skipped(self, name: str, exc: sqlite3.Error) -> None:
        reason = str(exc) or type(exc).__name__
        if reason not in self.skipped:
            log.warning("local cache skipped %s: %s (it stays on)", name, reason)
        self.skipped[reason] = self.skipped.get(reason, 0) + 1
        if self._db is not None and self._db.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self._db.rollback()

    def _disable(self) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
        self._db = None

    def close(self) -> None:
        with self._lock:
            self._disable()

    @property
    def db(self) -> sqlite3.Connection:
        assert self._db is not None
        return self._db

    # --- accounts and small values -----------------------------------------------------

    @_guarded(lambda: None)
    def last_user(self, base_url: str) -> int | None:
        """The user last signed in at this API, so the first paint needs no request."""
        row = self.db.execute(
            "SELECT user_id FROM accounts WHERE base_url = ?", (base_url.rstrip("/"),)
        ).fetchone()
        return int(row[0]) if row else None

    @_guarded(lambda: None)
    def bind(self, base_url: str, user_id: int) -> None:
        """Read and write this account's rows from now on.

        Binding (at start) also drops the account's saved search views: search terms,
        often customers' email addresses, are not kept from one run to the next.
        """
        self.account = account_key(base_url, user_id)
        self.db.execute(
            "INSERT INTO accounts(base_url, user_id) VALUES (?, ?) "
            "ON CONFLICT(base_url) DO UPDATE SET user_id = excluded.user_id",
            (base_url.rstrip("/"), int(user_id)),
        )
        self.prune_search_views()

    @_guarded(lambda: 0)
    def prune_search_views(self) -> int:
        """Delete this account's views that carry a search query; how many went."""
        keys = [
            key
            for (key,) in self.db.execute(
                "SELECT key FROM views WHERE account = ?", (self.account,)
            )
            if (found := _SEARCH_VIEW.match(key)) is not None and found.group("q")
        ]
        if keys:
            self.db.executemany(
                "DELETE FROM views WHERE account = ? AND key = ?", [(self.account, k) for k in keys]
            )
        return len(keys)

    @_guarded(lambda: None)
    def get_meta(self, key: str) -> Any:
        row = self.db.execute(
            "SELECT value FROM meta WHERE account = ? AND key = ?", (self.account, key)
        ).fetchone()
        return json.loads(row[0]) if row else None

    @_guarded(lambda: None)
    def put_meta(self, key: str, value: Any) -> None:
        self.db.execute(
            "INSERT INTO meta(account, key, value) VALUES (?, ?, ?) "
            "ON CONFLICT(account, key) DO UPDATE SET value = excluded.value",
            (self.account, key, json.dumps(value)),
        )

    # --- conversations -----------------------------------------------------------------

    def _index(self, rid: int, conversation: Conversation, body: str | None) -> None:
        customer = conversation.primary_customer
        people = " ".join(
            p for p in (customer.name if customer else "", customer.email if customer else "") if p
        )
        if body is None:
            body = conversation.preview or ""
        self.db.execute("DELETE FROM fts WHERE rowid = ?", (rid,))
        self.db.execute(
            "INSERT INTO fts(rowid, subject, people, tags, body) VALUES (?, ?, ?, ?, ?)",
            (
                rid,
                clean(conversation.subject),
                clean(people),
                " ".join(clean(t) for t in conversation.tag_names),
                clean(body),
            ),
        )

    def _upsert(self, conversation: Conversation) -> None:
        modified = conversation.modified_at
        row = self.db.execute(
            "INSERT INTO conversations(account, id, mailbox_id, modified, json) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT(account, id) DO UPDATE SET "
            "mailbox_id = excluded.mailbox_id, modified = excluded.modified, json = excluded.json "
            "RETURNING rid",
            (
                self.account,
                conversation.id,
                conversation.mailbox_id,
                modified.isoformat() if modified else None,
                conversation.model_dump_json(by_alias=True),
            ),
        ).fetchone()
        text = self.db.execute(
            "SELECT text FROM threads WHERE account = ? AND conversation_id = ?",
            (self.account, conversation.id),
        ).fetchone()
        self._index(int(row[0]), conversation, text[0] if text else None)

    @_guarded(lambda: None)
    def put_conversations(self, conversations: Iterable[Conversation]) -> None:
        with self.db:
            self.db.execute("BEGIN")
            for conversation in conversations:
                if conversation.id > 0:
                    self._upsert(conversation)

    @_guarded(dict)
    def get_conversations(self, ids: Sequence[int]) -> dict[int, Conversation]:
        found: dict[int, Conversation] = {}
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                f"SELECT id, json FROM conversations WHERE account = ? AND id IN ({marks})",
                (self.account, *chunk),
            )
            for ident, raw in rows:
                try:
                    found[int(ident)] = Conversation.model_validate_json(raw)
                except ValueError:
                    continue
        return found

    @_guarded(lambda: None)
    def forget(self, conversation_id: int) -> None:
        """A conversation that no longer exists leaves every table."""
        with self.db:
            self.db.execute("BEGIN")
            row = self.db.execute(
                "DELETE FROM conversations WHERE account = ? AND id = ? RETURNING rid",
                (self.account, conversation_id),
            ).fetchone()
            if row:
                self.db.execute("DELETE FROM fts WHERE rowid = ?", (row[0],))
            self.db.execute(
                "DELETE FROM threads WHERE account = ? AND conversation_id = ?",
                (self.account, conversation_id),
            )

    @_guarded(lambda: 0)
    def count(self) -> int:
        row = self.db.execute(
            "SELECT count(*) FROM conversations WHERE account = ?", (self.account,)
        ).fetchone()
        return int(row[0])

    # --- views -------------------------------------------------------------------------

    @_guarded(lambda: None)
    def put_view(self, key: str, state: ViewState) -> None:
        self.db.execute(
            "INSERT INTO views(account, key, ids, newest, probe) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(account, key) DO UPDATE SET ids = excluded.ids, "
            "newest = excluded.newest, probe = excluded.probe",
            (
                self.account,
                key,
                json.dumps(state.ids),
                state.newest.isoformat() if state.newest else None,
                json.dumps({str(k): v for k, v in state.probe.items()}),
            ),
        )

    @_guarded(lambda: None)
    def get_view(self, key: str) -> ViewState | None:
        row = self.db.execute(
            "SELECT ids, newest, probe FROM views WHERE account = ? AND key = ?",
            (self.account, key),
        ).fetchone()
        if row is None:
            return None
        ids = [int(i) for i in json.loads(row[0])]
        newest = datetime.fromisoformat(row[1]) if row[1] else None
        probe = {int(k): str(v) for k, v in json.loads(row[2]).items()}
        return ViewState(ids=ids, newest=newest, probe=probe)

    # --- threads -----------------------------------------------------------------------

    @_guarded(lambda: None)
    def put_threads(self, conversation_id: int, threads: Sequence[Thread]) -> None:
        """Store the threads and re-index the conversation with their text."""
        published = [t for t in threads if t.id > 0]
        # Each body's first part only: the index keeps MAX_INDEXED_CHARS, and parsing a
        # whole 5 MB message to keep its first 20,000 characters took seconds per visit.
        head = MAX_INDEXED_CHARS * 4
        text = " ".join(strip_html(t.body[:head]) for t in published if t.body)
        text = text[:MAX_INDEXED_CHARS]
        payload = json.dumps([t.model_dump(mode="json", by_alias=True) for t in published])
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute(
                "INSERT INTO threads(account, conversation_id, json, text) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(account, conversation_id) DO UPDATE SET json = excluded.json, "
                "text = excluded.text",
                (self.account, conversation_id, payload, text),
            )
            row = self.db.execute(
                "SELECT rid, json FROM conversations WHERE account = ? AND id = ?",
                (self.account, conversation_id),
            ).fetchone()
            if row is not None:
                conversation = Conversation.model_validate_json(row[1])
                self._index(int(row[0]), conversation, text)

    @_guarded(lambda: None)
    def get_threads(self, conversation_id: int) -> list[Thread] | None:
        row = self.db.execute(
            "SELECT json FROM threads WHERE account = ? AND conversation_id = ?",
            (self.account, conversation_id),
        ).fetchone()
        if row is None:
            return None
        return [Thread.model_validate(t) for t in json.loads(row[0])]

    # --- search ------------------------------------------------------------------------

    @_guarded(list)
    def search(
        self, text: str, *, mailbox_id: int | None = None, limit: int = 500, phrase: bool = False
    ) -> list[int]:
        """Ids of cached conversations matching every word typed (as prefixes), newest first."""
        query = fts_query(text, phrase=phrase)
        if query is None:
            return []
        sql = (
            "SELECT c.id FROM fts JOIN conversations c ON c.rid = fts.rowid "
            "WHERE fts MATCH ? AND c.account = ?"
        )
        params: list[Any] = [query, self.account]
        if mailbox_id is not None:
            sql += " AND c.mailbox_id = ?"
            params.append(mailbox_id)
        sql += " ORDER BY c.modified DESC, c.id DESC LIMIT ?"
        params.append(limit)
        return [int(r[0]) for r in self.db.execute(sql, params)]


__all__ = [
    "CACHE_FILE",
    "SCHEMA_VERSION",
    "Cache",
    "ViewState",
    "account_key",
    "default_path",
    "fts_query",
    "strip_html",
]
