"""Where the sign-in is kept: the OS keyring, else an owner-only file.

The app secret is stored beside the token because refreshing needs it. One JSON document
holds both, so a token and the credentials that refresh it never get out of step.
"""

from __future__ import annotations

import json
import logging
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


@runtime_checkable
class TokenStore(Protocol):
    """What the client needs from a store. ``location`` says where, never what."""

    @property
    def location(self) -> str: ...

    def load(self) -> Token | None: ...

    def save(self, token: Token, credentials: AppCredentials | None = None) -> None: ...

    def load_credentials(self) -> AppCredentials | None: ...

    def clear(self) -> None: ...


def _encode(token: Token, credentials: AppCredentials | None) -> str:
    doc: dict[str, Any] = {"token": token.model_dump(mode="json")}
    if credentials is not None:
        doc["app_id"] = credentials.app_id
        doc["app_secret"] = credentials.app_secret
    return json.dumps(doc)


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

    def save(self, token: Token, credentials: AppCredentials | None = None) -> None:
        """Save the token; credentials saved earlier are kept when none are given."""
        if credentials is None:
            credentials = self.load_credentials()
        self._write(_encode(token, credentials))

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
    """The OS keyring; falls back to ``FileTokenStore`` where no keyring works.

    A headless SSH box often has no Secret Service: then the file is used, ``warning`` says
    so, and the warning is logged once per store rather than on every call.
    """

    def __init__(self, service: str = SERVICE, fallback: FileTokenStore | None = None) -> None:
        self.service = service
        self._fallback = fallback
        self._using_file = not _keyring_usable()
        self.warning: str | None = None
        self._warned = False
        if self._using_file:
            self._fall_back("no keyring backend is available")

    @property
    def fallback(self) -> FileTokenStore:
        if self._fallback is None:
            self._fallback = FileTokenStore()
        return self._fallback

    def _fall_back(self, why: str) -> None:
        self._using_file = True
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
        return self.fallback.location if self._using_file else KEYRING_LOCATION

    def _read(self) -> str | None:
        if not self._using_file:
            try:
                return _keyring().get_password(self.service, ACCOUNT)
            except Exception as exc:  # any keyring failure means: use the file
                self._fall_back(type(exc).__name__)
        return self.fallback._read()

    def _write(self, text: str) -> None:
        if not self._using_file:
            try:
                _keyring().set_password(self.service, ACCOUNT, text)
                return
            except Exception as exc:  # any keyring failure means: use the file
                self._fall_back(type(exc).__name__)
        self._warn_once()
        self.fallback._write(text)

    def _delete(self) -> None:
        if not self._using_file:
            try:
                _keyring().delete_password(self.service, ACCOUNT)
            except _keyring().errors.PasswordDeleteError:
                pass
            except Exception as exc:  # any keyring failure means: use the file
                self._fall_back(type(exc).__name__)
        # A file left from a time without a keyring must not outlive a sign-out.
        self.fallback._delete()


def default_token_store() -> KeyringTokenStore:
    return KeyringTokenStore()
