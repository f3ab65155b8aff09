"""Each account's local data apart: drafts, the outbox journal and the cache live in a folder
named after the account, so a second account never starts on the first one's data.

The name must be known before the network answers (an offline start sends the journal as
soon as Help Scout is back), so it comes from the sign-in itself:

- a saved sign-in: the user id recorded by ``hsinbox auth login`` (``api.helpscout.net-123``);
- app credentials from the environment: the app id, hashed (``…-app-1a2b3c4d5e6f``);
- a ready token from the environment (``HSINBOX_TOKEN``): one folder per API (``…-token``),
  since a token says nothing about its user until Help Scout is asked;
- a saved sign-in from before user ids were recorded: the data folder itself, as then
  (``legacy``); the next ``auth login`` moves that data into the account's own folder.

Reading what a folder holds (``AccountData.summary``) never takes the journal's lock and
never changes a file, so ``hsinbox auth logout`` may run beside an open hsinbox.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from hsinbox import paths

if TYPE_CHECKING:
    from hsinbox.helpscout.client import HelpScoutClient

log = logging.getLogger(__name__)

ACCOUNTS = "accounts"
JOURNAL_GLOB = "outbox*.jsonl"
DRAFTS = "drafts"


def _host(base_url: str) -> str:
    return re.sub(r"[^\w.-]", "_", urlsplit(base_url).netloc or "api") or "api"


def user_key(base_url: str, user_id: int) -> str:
    return f"{_host(base_url)}-{int(user_id)}"


def app_key(base_url: str, app_id: str) -> str:
    digest = hashlib.sha256(app_id.encode("utf-8")).hexdigest()[:12]
    return f"{_host(base_url)}-app-{digest}"


def token_key(base_url: str) -> str:
    return f"{_host(base_url)}-token"


@dataclass(frozen=True)
class AccountData:
    """Where one account's local data lives. ``key`` None: the shared folder of old."""

    key: str | None
    data_dir: Path
    cache_file: Path | None
    """None: the cache's default (shared) file, keyed inside by account."""

    @classmethod
    def of(cls, key: str | None) -> AccountData:
        if key is None:
            return cls(None, paths.data_dir(), None)
        return cls(
            key,
            paths.data_dir() / ACCOUNTS / key,
            paths.cache_dir() / ACCOUNTS / f"{key}.sqlite3",
        )

    @property
    def cache_path(self) -> Path:
        if self.cache_file is not None:
            return self.cache_file
        from hsinbox.inbox.cache import default_path

        return default_path()

    def unsent(self) -> int:
        """Changes submitted and never confirmed, failed or cancelled (read-only count)."""
        pending: set[str] = set()
        for path in sorted(self.data_dir.glob(JOURNAL_GLOB)):
            try:
                lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                continue
            for line in lines:
                try:
                    record = json.loads(line)
                    op, action_id = record["op"], str(record["id"])
                except (ValueError, KeyError, TypeError):
                    continue  # a torn line: the journal skips it too
                if op == "submit":
                    pending.add(action_id)
                elif op in ("done", "cancel", "failed"):
                    pending.discard(action_id)
        return len(pending)

    def drafts(self) -> int:
        folder = self.data_dir / DRAFTS
        return len(list(folder.glob("*.json"))) if folder.is_dir() else 0

    def has_cache(self) -> bool:
        return self.cache_path.exists()

    def summary(self) -> str | None:
        """What stays on this machine, as a phrase ("2 unsent changes, 1 draft and the
        cache"), or None when nothing does."""
        return _phrase(self.unsent(), self.drafts(), self.has_cache())

    def purge(self) -> None:
        """Remove drafts, journal and cache. The caller checked ``unsent()`` first."""
        if self.key is not None:
            shutil.rmtree(self.data_dir, ignore_errors=True)
        else:  # the shared folder of old: only what belongs to an account
            for path in self.data_dir.glob("outbox*"):
                path.unlink(missing_ok=True)
            shutil.rmtree(self.data_dir / DRAFTS, ignore_errors=True)
        cache = self.cache_path
        for path in (cache, Path(f"{cache}-wal"), Path(f"{cache}-shm")):
            path.unlink(missing_ok=True)

    def in_use(self) -> bool:
        """True while an hsinbox holds this folder's journal (its lock is taken)."""
        lock = self.data_dir / "outbox.lock"
        if sys.platform == "win32" or not lock.exists():
            return False
        import fcntl

        fd = os.open(lock, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        finally:
            os.close(fd)
        return False


def every_account() -> list[AccountData]:
    """The shared folder of old and every account's folder on this machine."""
    keys: set[str] = set()
    data_root, cache_root = paths.data_dir() / ACCOUNTS, paths.cache_dir() / ACCOUNTS
    if data_root.is_dir():
        keys |= {p.name for p in data_root.iterdir() if p.is_dir()}
    if cache_root.is_dir():
        keys |= {p.stem for p in cache_root.glob("*.sqlite3")}
    return [AccountData.of(None), *(AccountData.of(k) for k in sorted(keys))]


def for_client(client: HelpScoutClient) -> AccountData:
    """The data folder of whoever ``client`` signs in as (see the module's docstring)."""
    if client.token_store is not None:
        user_id = client.token_store.load_user_id()
        return AccountData.of(None if user_id is None else user_key(client.base_url, user_id))
    if client.credentials is not None:
        return AccountData.of(app_key(client.base_url, client.credentials.app_id))
    return AccountData.of(token_key(client.base_url))


def _phrase(unsent: int, drafts: int, cache: bool = False) -> str | None:
    parts = []
    if unsent:
        parts.append(f"{unsent} unsent change{'s' if unsent != 1 else ''}")
    if drafts:
        parts.append(f"{drafts} draft{'s' if drafts != 1 else ''}")
    if cache:
        parts.append("the cache")
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def adopt_legacy(target: AccountData) -> str | None:
    """Move the shared folder's drafts and journal into ``target`` (the account that signs in
    again after them); a phrase saying what moved, or None. Never while an hsinbox runs on
    them, never over data ``target`` already has."""
    legacy = AccountData.of(None)
    what = _phrase(legacy.unsent(), legacy.drafts())
    if target.key is None or what is None or legacy.in_use():
        return None
    if target.unsent() or target.drafts():
        return None
    target.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    for path in legacy.data_dir.glob("outbox*"):
        os.replace(path, target.data_dir / path.name)
    if (legacy.data_dir / DRAFTS).is_dir():
        os.replace(legacy.data_dir / DRAFTS, target.data_dir / DRAFTS)
    return what
