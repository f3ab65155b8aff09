"""The one registry of keys: what every other list of keys is derived from."""

from __future__ import annotations

import re
from pathlib import Path

from hsinbox.tui import registry
from hsinbox.tui.app import HsInboxApp
from hsinbox.tui.inbox_screen import NEEDS_CONVERSATION, WRITE_ACTIONS, InboxScreen
from hsinbox.tui.widgets import ConversationTable, Sidebar, ThreadView

README = Path(__file__).resolve().parents[2] / "README.md"
# Keys Textual binds itself (the palette): in the table, not in the registry.
TEXTUAL_KEYS = {"ctrl+p"}
SHOWN = {
    "slash": "/",
    "question_mark": "?",
    "down": "↓",
    "up": "↑",
    "plus": "+",
    "underscore": "_",
}


def readme_key_table() -> tuple[set[str], set[str]]:
    """The keys (first column) and ``[keymap]`` names (last column) of README's ``## Keys``."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Keys", 1)[1].split("\n## ", 1)[0]
    keys: set[str] = set()
    ids: set[str] = set()
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        keys |= set(re.findall(r"`([^`]+)`", cells[0]))
        ids |= set(re.findall(r"`([^`]+)`", cells[-1]))
    return keys, ids


def test_readme_key_table_matches_the_registry() -> None:
    keys, ids = readme_key_table()
    main = [s for s in registry.ACTIONS if s.context in registry.INBOX_CONTEXTS]
    registry_ids = {s.id for s in main if s.id}
    registry_keys = {SHOWN.get(k, k) for s in main if s.keys for k in s.keys.split(",")}
    assert ids == registry_ids
    assert keys - TEXTUAL_KEYS == registry_keys


def test_bindings_come_from_the_registry() -> None:
    for cls, context in (
        (InboxScreen, "inbox"),
        (ConversationTable, "list"),
        (ThreadView, "thread"),
        (Sidebar, "sidebar"),
        (HsInboxApp, "app"),
    ):
        ids = [b.id for b in cls.BINDINGS if not isinstance(b, tuple | str)]
        assert ids == [s.id for s in registry.specs(context) if s.keys]


def test_gating_sets_are_derived() -> None:
    assert {"reply", "note", "status", "delete", "take_next", "new_conversation"} <= WRITE_ACTIONS
    assert "undo" not in WRITE_ACTIONS and "filter" not in WRITE_ACTIONS
    assert {"open", "copy_url", "reply"} <= NEEDS_CONVERSATION
    assert not {"take_next", "new_conversation", "help"} & NEEDS_CONVERSATION


def test_every_id_names_one_action_per_context() -> None:
    seen: set[tuple[str, str]] = set()
    for spec in registry.ACTIONS:
        if spec.id is None:
            continue
        assert (spec.context, spec.id) not in seen, spec
        seen.add((spec.context, spec.id))
    assert registry.known_binding_ids() == {i for _c, i in seen}
