"""Crash-proof drafts: one small owner-only file per (conversation, kind).

A draft outlives crashes, failed sends and dropped SSH sessions. Sending it marks it
``queued`` by the sending action's id (its revision): the composer then starts afresh, and a
draft saved after that is a new revision. Help Scout's confirmation deletes the draft only
while it is still that revision; a refusal or an undo makes it a draft again.
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hsinbox.paths import write_private

log = logging.getLogger(__name__)

KINDS = ("reply", "note", "new")


def draft_key(conversation_id: int | None, kind: str) -> str:
    """``"1234:reply"`` or ``"new:new"``: what an action carries to find its draft."""
    if kind not in KINDS:
        raise ValueError(f"unknown draft kind {kind!r}")
    return f"{'new' if conversation_id is None else int(conversation_id)}:{kind}"


@dataclass
class Draft:
    conversation_id: int | None
    kind: str
    text: str = ""
    cc: list[str] = field(default_factory=list)
    bcc: list[str] = field(default_factory=list)
    status: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    updated_at: float = 0.0
    queued: str | None = None  # the id of the action sending this text, once sent

    @property
    def key(self) -> str:
        return draft_key(self.conversation_id, self.kind)


def _parse_key(key: str) -> tuple[int | None, str]:
    match = re.fullmatch(r"(new|\d+):(reply|note|new)", key)
    if match is None:
        raise ValueError(f"not a draft key: {key!r}")
    owner, kind = match.groups()
    return (None if owner == "new" else int(owner)), kind


class DraftStore:
    def __init__(self, data_dir: Path, *, clock: Any = time.time) -> None:
        self.directory = Path(data_dir) / "drafts"
        self._clock = clock

    def _path(self, conversation_id: int | None, kind: str) -> Path:
        owner, kind = _parse_key(draft_key(conversation_id, kind))
        return self.directory / f"{'new' if owner is None else owner}-{kind}.json"

    def save(self, draft: Draft) -> Draft:
        """Raises ``OSError`` when the disk refuses (full, unwritable): the composer keeps
        the text and says so in one line."""
        draft.updated_at = self._clock()
        write_private(
            self._path(draft.conversation_id, draft.kind), json.dumps(asdict(draft), indent=1)
        )
        return draft

    def load(self, conversation_id: int | None, kind: str) -> Draft | None:
        return self._read(self._path(conversation_id, kind))

    def load_key(self, key: str) -> Draft | None:
        return self.load(*_parse_key(key))

    def mark_queued(self, key: str, action_id: str | None) -> bool:
        """This revision is being sent by ``action_id`` (None: it is a draft again)."""
        draft = self.load_key(key)
        if draft is None:
            return False
        draft.queued = action_id
        write_private(
            self._path(draft.conversation_id, draft.kind), json.dumps(asdict(draft), indent=1)
        )
        return True

    def settle(self, key: str, action_id: str, *, sent: bool) -> bool:
        """The action sending a draft ended: delete it if sent (else unmark it), but only
        while it is the revision that action sent; a newer draft is the agent's next text."""
        draft = self.load_key(key)
        if draft is None or draft.queued != action_id:
            return False
        if sent:
            return self.delete_key(key)
        return self.mark_queued(key, None)

    def delete(self, conversation_id: int | None, kind: str) -> bool:
        try:
            self._path(conversation_id, kind).unlink()
        except FileNotFoundError:
            return False
        except OSError as exc:
            log.warning("could not delete a draft: %s", exc.strerror)
            return False
        return True

    def delete_key(self, key: str) -> bool:
        return self.delete(*_parse_key(key))

    def list(self) -> list[Draft]:
        """Every readable draft not on its way already, newest first."""
        if not self.directory.is_dir():
            return []
        drafts = [
            d
            for p in self.directory.glob("*.json")
            if (d := self._read(p)) is not None and d.queued is None
        ]
        drafts.sort(key=lambda d: d.updated_at, reverse=True)
        return drafts

    def _read(self, path: Path) -> Draft | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            draft = Draft(
                conversation_id=data.get("conversation_id"),
                kind=str(data["kind"]),
                text=str(data.get("text") or ""),
                cc=[str(x) for x in data.get("cc") or []],
                bcc=[str(x) for x in data.get("bcc") or []],
                status=data.get("status"),
                fields=dict(data.get("fields") or {}),
                updated_at=float(data.get("updated_at") or 0.0),
                queued=str(data["queued"]) if data.get("queued") else None,
            )
            draft_key(draft.conversation_id, draft.kind)
        except FileNotFoundError:
            return None
        except OSError as exc:
            log.warning("could not read a draft: %s", exc.strerror)
            return None
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("ignoring unreadable draft %s", path.name)
            return None
        return draft
