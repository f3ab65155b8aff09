from __future__ import annotations

import stat
from pathlib import Path

import pytest

from hsinbox.inbox.drafts import Draft, DraftStore, draft_key


def test_save_load_delete_private(tmp_path: Path) -> None:
    ticks = iter([100.0, 200.0, 300.0])
    store = DraftStore(tmp_path, clock=lambda: next(ticks))
    store.save(Draft(1234, "reply", text="Hi there", cc=["a@example.com"], status="closed"))
    store.save(Draft(None, "new", text="Subject body", fields={"subject": "Hello", "mailbox": 1}))
    store.save(Draft(1234, "note", text="psst"))
    loaded = store.load(1234, "reply")
    assert loaded == Draft(1234, "reply", "Hi there", ["a@example.com"], [], "closed", {}, 100.0)
    path = tmp_path / "drafts" / "1234-reply.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [d.key for d in store.list()] == ["1234:note", "new:new", "1234:reply"]
    assert store.load_key("new:new").fields == {"subject": "Hello", "mailbox": 1}  # type: ignore[union-attr]
    assert store.delete(1234, "reply") is True
    assert store.load(1234, "reply") is None
    assert store.delete(1234, "reply") is False


def test_unreadable_draft_is_skipped(tmp_path: Path) -> None:
    store = DraftStore(tmp_path)
    store.save(Draft(1, "reply", text="ok"))
    (tmp_path / "drafts" / "2-reply.json").write_text("{not json")
    assert [d.conversation_id for d in store.list()] == [1]


def test_keys() -> None:
    assert draft_key(12, "reply") == "12:reply"
    assert draft_key(None, "new") == "new:new"
    with pytest.raises(ValueError):
        draft_key(12, "../../etc")
