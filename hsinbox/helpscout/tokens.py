"""Where the sign-in is kept: the OS keyring, else an owner-only file.

The app secret is stored beside the token because refreshing needs it. One JSON document
holds both, so a token and the credentials that refresh it never get out of step; it also
holds the signed-in user's id (what keeps each account's local data apart) and when it was
saved, so of two copies (keyring and file) the newer always wins.

A keyring that fails once is asked again (``KEYRING_WAITS``); only when it keeps failing is
the document written to the file, the keyring's older copy removed where it can be, and the
file moved back into the keyring as soon as it answers again: there is never a second,
different token generation left behind.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from hsinbox import paths
from hsinbox.helpscout.auth import AppCredentials
from hsinbox.helpscout.models import Token

log = logging.getLogger(__name__)

SERVICE = "hsinbox"
ACCOUNT = "session"
FILE_NAME = "session.json"
KEYRING_LOCATION = "system keyring"
KEYRING_WAITS = (0.05, 0.25)
"""Seconds between attempts of one keyring call: a locked or busy Secret Service often
answers the second time."""


@runtime_checkable
class TokenStore(Protocol):
    """What the client needs from a store. ``location`` says where, never what."""

    @property
    def location(self) -> str: ...

    def load(self) -> Token | None: ...

    def save(self, token: Token, credentials: AppCredentials | None = None) -> None: ...

    def load_credentials(self) -> AppCredentials | None: ...

    def load_user_id(self) -> int | None: ...

    def sign_in(
        self, token: Token, credentials: AppCredentials | None, user_id: int | None
    ) -> None: ...

    def clear(self) -> None: ...


def _encode(token: Token, credentials: AppCredentials | None, user_id: int | None = None) -> str:
    doc: dict[str, Any] = {"token": token.model_dump(mode="json"), "saved_at": time.time()}
    if credentials is not None:
        doc["app_id"] = credentials.app_id
        doc["app_secret"] = credentials.app_secret
    if user_id is not None:
        doc["user_id"] = user_id
    return json.dumps(doc)


def _fields(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        doc = json.loads(text)
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}


def _generation(text: str | None) -> tuple[float, float]:
    """Which of two saved copies is newer: when saved, else (older documents) the token's
    expiry, which a refresh moves forward."""
    doc = _fields(text)
    saved = doc.get("saved_at")
    expires = 0.0
    token = doc.get("token")
    if isinstance(token, dict) and isinstance(token.get("expires_at"), str):
        try:
            expires = datetime.fromisoformat(token["expires_at"]).timestamp()
        except ValueError:
            expires = 0.0
    return (float(saved) if isinstance(saved, int | float) else 0.0, expires)


def _decode(text: str | None) -> tuple[Token | None, AppCredentials | None]:
    if not text:
        return None, None
    try:
        doc = json.loads(text)
        token = Token.model_validate(doc["token"]) if doc.get("token") else None
    except (ValueError, KeyError, TypeError, AttributeError):
        log.warning("The saved Help Scout sign-in could not be read; sign in again.")
        return None, None
    app_id, secret = doc.get("app_id"), doc.get("app_secret")
    creds = AppCredentials(app_id, secret) if isinstance(app_id, str) and secret else None
    return token, creds


class _DocumentStore:
    """Shared logic over a backend that reads and writes one text document."""

    def _read(self) -> str | None:
        raise NotImplementedError

    def _write(self, text: str) -> None:
        raise NotImplementedError

    def _delete(self) -> None:
        raise NotImplementedError

    def load(self) -> Token | None:
        return _decode(self._read())[0]

    def load_credentials(self) -> AppCredentials | None:
        return _decode(self._read())[1]

    def load_user_id(self) -> int | None:
        """The signed-in user's id, recorded at sign-in (None for older sign-ins)."""
        user_id = _fields(self._read()).get("user_id")
        return user_id if isinstance(user_id, int) and not isinstance(user_id, bool) else None

    def save(self, token: Token, credentials: AppCredentials | None = None) -> None:
        """Save a renewed token; the credentials (when none are given) and the user id saved
        earlier are kept."""
        text = self._read()
        if credentials is None:
            credentials = _decode(text)[1]
        user_id = _fields(text).get("user_id")
        self._write(_encode(token, credentials, user_id if isinstance(user_id, int) else None))

    def sign_in(
        self, token: Token, credentials: AppCredentials | None, user_id: int | None
    ) -> None:
        """A new sign-in replaces everything saved before (a ready token keeps no app)."""
        self._write(_encode(token, credentials, user_id))

    def clear(self) -> None:
        self._delete()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(location={self.location!r})"

    @property
    def location(self) -> str:
        raise NotImplementedError


class MemoryTokenStore(_DocumentStore):
    """For tests and for sessions that must not persist anything."""

    def __init__(
        self, token: Token | None = None, credentials: AppCredentials | None = None
    ) -> None:
        self._text: str | None = _encode(token, credentials) if token else None
        self.saves = 0

    @property
    def location(self) -> str:
        return "memory"

    def _read(self) -> str | None:
        return self._text

    def _write(self, text: str) -> None:
        self.saves += 1
        self._text = text

    def _delete(self) -> None:
        self._text = None


class FileTokenStore(_DocumentStore):
    """A JSON file readable by its owner only (0600)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or paths.config_dir() / FILE_NAME

    @property
    def location(self) -> str:
        return str(self.path)

    def _read(self) -> str | None:
        try:
            return self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def _write(self, text: str) -> None:
        paths.write_private(self.path, text)

    def _delete(self) -> None:
        self.path.unlink(missing_ok=True)


def _keyring() -> Any:
    """``keyring``, imported on first use: with app credentials in the environment (and in
    demo mode) no store is read, and its import is a tenth of a second of start-up."""
    import keyring
    import keyring.backends.fail
    import keyring.backends.null
    import keyring.errors

    return keyring


def _keyring_usable() -> bool:
    keyring = _keyring()
    backend = keyring.get_keyring()
    return not isinstance(backend, keyring.backends.fail.Keyring | keyring.backends.null.Keyring)


class KeyringTokenStore(_DocumentStore):
    """The OS keyring; the owner-only ``FileTokenStore`` where no keyring works, or while
    the keyring keeps failing (then the newer copy wins and the other is removed).

    A headless SSH box often has no Secret Service: then the file is used, ``warning`` says
    so, and the warning is logged once per store rather than on every call.
    """

    def __init__(
        self,
        service: str = SERVICE,
        fallback: FileTokenStore | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.service = service
        self._fallback = fallback
        self._sleep = sleep
        self._no_keyring = not _keyring_usable()
        self._in_file = self._no_keyring
        self._known: str | None = None  # the newest document seen: a failed read keeps it
        self.warning: str | None = None
        self._warned = False
        if self._no_keyring:
            self._fall_back("no keyring backend is available")

    @property
    def fallback(self) -> FileTokenStore:
        if self._fallback is None:
            self._fallback = FileTokenStore()
        return self._fallback

    def _fall_back(self, why: str) -> None:
        if self.warning is None:
            self.warning = (
                f"The system keyring is not available ({why}); the Help Scout sign-in is "
                f"kept in {self.fallback.location}, readable only by you."
            )

    def take_warning(self) -> str | None:
        """The fallback warning for a caller that shows it itself; it is then not logged."""
        self._warned = True
        return self.warning

    def _warn_once(self) -> None:
        """Logged when something is first written to the file, not on every read."""
        if self.warning and not self._warned:
            self._warned = True
            log.warning(self.warning)

    @property
    def location(self) -> str:
        return self.fallback.location if self._in_file else KEYRING_LOCATION

    def _keyring_call(self, name: str, *args: str) -> tuple[bool, Any]:
        """One keyring call, asked again after a short wait when it fails; (worked, answer)."""
        keyring = _keyring()
        failure = "error"
        for wait in (*KEYRING_WAITS, None):
            try:
                return True, getattr(keyring, name)(self.service, ACCOUNT, *args)
            except keyring.errors.PasswordDeleteError:
                return True, None  # nothing to delete
            except Exception as exc:  # any keyring failure: try again, then the file
                failure = type(exc).__name__
                log.info("keyring %s failed (%s)", name, failure)
            if wait is not None:
                self._sleep(wait)
        self._fall_back(failure)
        return False, None

    def _read(self) -> str | None:
        text = self._read_copies()
        self._known = text
        return text

    def _read_copies(self) -> str | None:
        in_file = self.fallback._read()
        if self._no_keyring:
            return in_file
        worked, in_keyring = self._keyring_call("get_password")
        if not worked:
            # Not signed out: what was read before (the credentials a refresh needs) stays.
            self._in_file = in_file is not None
            if in_file is None or _generation(self._known) > _generation(in_file):
                return self._known
            return in_file
        if in_file is None:
            self._in_file = False
            return in_keyring
        if in_keyring is None or _generation(in_file) > _generation(in_keyring):
            # Written while the keyring failed: back into the keyring, one copy again.
            self._in_file = not self._keyring_call("set_password", in_file)[0]
            if not self._in_file:
                self.fallback._delete()
            return in_file
        self.fallback._delete()  # an older generation: never left beside the newer one
        self._in_file = False
        return in_keyring

    def _write(self, text: str) -> None:
        self._known = text
        if not self._no_keyring and self._keyring_call("set_password", text)[0]:
            self.fallback._delete()
            self._in_file = False
            return
        self._warn_once()
        self.fallback._write(text)
        self._in_file = True
        if not self._no_keyring:
            # The keyring's copy is older now; if it cannot be removed either, the file's
            # newer copy wins on the next read and replaces it.
            self._keyring_call("delete_password")

    def _delete(self) -> None:
        self._known = None
        if not self._no_keyring:
            self._keyring_call("delete_password")
        # A file left from a time without a keyring must not outlive a sign-out.
        self.fallback._delete()
        self._in_file = self._no_keyring


def default_token_store() -> KeyringTokenStore:
    return KeyringTokenStore()
