"""A long message opens at once (its start shown, the rest folded behind X), is parsed once
however often it is opened, and a 20,000-character subject keeps the header to two lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static
from tui_helpers import NOW, make_app, settle, until

from hsinbox.inbox import text as text_module
from hsinbox.sandbox import Sandbox
from hsinbox.tui.inbox_screen import InboxScreen

PARA = "<p>Line of the customer's log with words and numbers 12345.</p>"


def long_conversation(sb: Sandbox) -> dict[str, Any]:
    mailbox = sb.state["mailboxes"][0]["id"]
    active = {
        c["id"]: c
        for c in sb.state["conversations"]
        if c["mailboxId"] == mailbox and c["status"] == "active" and c["state"] == "published"
    }
    thread = next(
        t
        for t in sb.state["threads"]
        if t["sandbox"]["conversationId"] in active and t["type"] == "customer"
    )
    target = active[thread["sandbox"]["conversationId"]]
    target["subject"] = "Subject " * 2500
    thread["body"] = "<div>" + PARA * 4000 + "<p>THE VERY LAST LINE</p></div>"  # ~250 KB
    return target


def pane_text(screen: InboxScreen, part: str) -> str:
    return str(screen.thread.query_one(f"#thread-{part}", Static).content)


async def test_a_long_message_is_folded_parsed_once_and_x_shows_it_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sb = Sandbox(now=NOW)
    target = long_conversation(sb)
    parsed: list[int] = []
    real_parse = text_module._parse_blocks

    def counting_parse(html: str) -> Any:
        parsed.append(len(html))
        return real_parse(html)

    monkeypatch.setattr(text_module, "_parse_blocks", counting_parse)
    text_module.BLOCKS_CACHE.clear()
    app, _sb, session = make_app(tmp_path, sandbox=sb)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        screen.table.go_to(target["id"])
        await pilot.press("enter")
        await until(pilot, lambda: "folded; X shows all of it" in pane_text(screen, "body"))
        body = pane_text(screen, "body")
        assert "THE VERY LAST LINE" not in body and len(body) < 30_000
        header = screen.thread.query_one("#thread-header", Static)
        title, *other_lines = pane_text(screen, "header").split("\n")
        assert title.startswith("#") and title.endswith("…") and len(title) < 400
        assert header.size.height <= 2 + len(other_lines)  # the subject wraps to two lines
        shown = [n for n in parsed if n > 1000]
        # The pane parsed its first FOLD_CHARS, the search index its first part: never all.
        assert text_module.FOLD_CHARS - 100 < min(shown) <= text_module.FOLD_CHARS
        assert max(shown) < 100_000

        await pilot.press("q")
        screen.table.go_to(next(i for i in screen.table.conversations if i != target["id"]))
        await pilot.pause()
        screen.table.go_to(target["id"])
        before = len([n for n in parsed if n > 1000])
        await pilot.press("enter")
        await until(pilot, lambda: "folded" in pane_text(screen, "body"))
        assert len([n for n in parsed if n > 1000]) == before  # opened again: not parsed again

        await pilot.press("X")
        await until(pilot, lambda: "THE VERY LAST LINE" in pane_text(screen, "body"))
        assert "folded" not in pane_text(screen, "body")


def test_the_parsed_body_cache_is_bounded_by_bytes() -> None:
    cache: text_module.BoundedCache[str, str] = text_module.BoundedCache(100)
    for n in range(10):
        cache.put(f"k{n}", "v", 30)
    assert cache.bytes <= 100 and len(cache) == 3
    assert cache.get("k9") == "v" and cache.get("k0") is None
    cache.put("huge", "v", 101)  # larger than the whole budget: not kept
    assert cache.get("huge") is None and cache.bytes <= 100
