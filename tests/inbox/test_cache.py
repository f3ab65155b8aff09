"""The SQLite cache: private file, rebuilt when broken, off when asked, paints with no request."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path
from typing import Any

from hsinbox import paths
from hsinbox.helpscout.models import Conversation
from hsinbox.inbox.actions import Delete
from hsinbox.inbox.cache import CACHE_FILE, Cache, ViewState
from hsinbox.inbox.view import View


def cache_file() -> Path:
    return paths.cache_dir() / CACHE_FILE


def api_requests(sb: Any, since: int = 0) -> list[Any]:
    return [r for r in sb.requests[since:] if not r.path.startswith("/v2/oauth2")]


def conv(ident: int, subject: str, **extra: Any) -> Conversation:
    return Conversation.model_validate({"id": ident, "subject": subject, **extra})


async def test_file_is_private_and_in_the_cache_dir(make_session: Any) -> None:
    session, _ = await make_session()
    await session.load_view(View(session.mailboxes[0].id))
    path = cache_file()
    assert path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    for suffix in ("-wal", "-shm"):
        side = Path(f"{path}{suffix}")
        if side.exists():
            assert stat.S_IMODE(side.stat().st_mode) & 0o077 == 0


async def test_cache_off_writes_nothing(make_session: Any) -> None:
    session, _ = await make_session(cache=False)
    view = View(session.mailboxes[0].id)
    await session.load_view(view)
    await session.load_threads(session.store.view_ids(view)[0])
    await session.close()
    assert session.cache is None
    assert not any(paths.cache_dir().iterdir())
    assert session.cached_view(view) is None


async def test_restart_paints_from_cache_without_a_request(make_session: Any, sb: Any) -> None:
    first, _ = await make_session()
    view = View(first.mailboxes[0].id)
    loaded = await first.load_view(view)
    await first.close()

    second, _ = await make_session(start=False)
    before = len(sb.requests)
    assert second.restore() is True
    assert second.me is not None and second.me.id == sb.me_id
    assert [m.id for m in second.mailboxes] == [m.id for m in first.mailboxes]
    assert second.folders == first.folders
    painted = second.cached_view(view)
    assert painted is not None
    assert [c.id for c in painted] == [c.id for c in loaded]
    assert painted[0] == loaded[0]
    assert api_requests(sb, before) == []


async def test_restore_without_cache_history_says_so(make_session: Any, sb: Any) -> None:
    session, _ = await make_session(start=False)
    assert session.restore() is False
    assert session.cached_view(View(1)) is None


async def test_corrupt_file_is_rebuilt(make_session: Any) -> None:
    path = cache_file()
    path.write_bytes(b"this is not a database" * 100)
    session, _ = await make_session()
    view = View(session.mailboxes[0].id)
    loaded = await session.load_view(view)
    assert session.cache is not None and session.cache.available
    assert session.cache.count() >= len(loaded)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    sqlite3.connect(path).execute("SELECT count(*) FROM conversations").fetchone()


def test_cache_from_another_version_is_discarded(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    db = sqlite3.connect(path)
    db.executescript("CREATE TABLE schema (version INTEGER); INSERT INTO schema VALUES (0);")
    db.execute("CREATE TABLE conversations (x)")
    db.commit()
    db.close()
    cache = Cache(path)
    cache.bind("https://api.example", 7)
    cache.put_conversations([conv(1, "hello")])
    assert list(cache.get_conversations([1])) == [1]


def test_a_failure_at_runtime_turns_the_cache_off(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c.sqlite3")
    cache.bind("https://api.example", 7)
    cache.db.execute("DROP TABLE conversations")
    cache.put_conversations([conv(1, "hello")])  # logged, not raised
    assert cache.available is False
    assert cache.get_conversations([1]) == {}
    assert cache.search("hello") == []


def test_accounts_never_mix(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    cache = Cache(path)
    cache.bind("https://api.example/", 1)
    cache.put_conversations([conv(10, "Refund please")])
    cache.put_view("m1", ViewState(ids=[10]))
    cache.put_meta("x", {"a": 1})
    assert cache.search("refund") == [10]

    cache.bind("https://api.example", 2)
    assert cache.get_conversations([10]) == {}
    assert cache.get_view("m1") is None
    assert cache.get_meta("x") is None
    assert cache.search("refund") == []

    cache.bind("https://other.example", 1)
    assert cache.search("refund") == []
    assert Cache(path).last_user("https://api.example") == 2


async def test_threads_come_back_from_disk_while_the_count_matches(
    make_session: Any, sb: Any
) -> None:
    first, _ = await make_session()
    view = View(first.mailboxes[0].id)
    conversation = (await first.load_view(view))[0]
    threads = await first.load_threads(conversation.id)
    await first.close()

    second, _ = await make_session(start=False)
    second.restore()
    second.cached_view(view)
    before = len(sb.requests)
    assert second.cached_threads(conversation.id) == threads
    assert api_requests(sb, before) == []

    third, _ = await make_session(start=False)
    third.restore()
    third.cached_view(view)
    stale = conversation.model_copy(update={"threads": (conversation.threads or 0) + 1})
    third.store.put(stale)
    assert third.cached_threads(conversation.id) is None


async def test_confirmed_delete_leaves_the_cache(make_session: Any) -> None:
    session, _ = await make_session()
    view = View(session.mailboxes[0].id)
    target = (await session.load_view(view))[0]
    assert session.cache is not None
    assert target.id in session.cache.get_conversations([target.id])
    session.submit(Delete(target.id, number=target.number))
    await session.drain()
    assert session.cache.get_conversations([target.id]) == {}


async def test_changes_made_in_the_session_are_saved_at_close(make_session: Any, sb: Any) -> None:
    from hsinbox.inbox.actions import SetStatus

    first, _ = await make_session()
    view = View(first.mailboxes[0].id)
    target = (await first.load_view(view))[0]
    first.submit(SetStatus(target.id, "pending", number=target.number))
    await first.drain()
    await first.close()

    second, _ = await make_session(start=False)
    second.restore()
    painted = second.cached_view(view)
    assert painted is not None
    by_id = {c.id: c for c in painted}
    assert by_id[target.id].status == "pending"


def test_a_second_hsinbox_holding_the_write_lock_skips_a_write_and_keeps_the_cache(
    tmp_path: Path,
) -> None:
    path = tmp_path / "c.sqlite3"
    mine = Cache(path)
    mine.bind("https://api.example", 7)
    mine.put_conversations([conv(1, "before the other window")])
    theirs = Cache(path)  # a second hsinbox on the same data folder
    theirs.bind("https://api.example", 7)
    theirs.db.execute("BEGIN IMMEDIATE")  # it is in the middle of a write
    # Waiting for its lock is short (the caller is the event loop), never two seconds.
    assert mine.db.execute("PRAGMA busy_timeout").fetchone()[0] <= 100
    mine.put_conversations([conv(2, "while it writes")])  # busy: this write is skipped
    assert mine.available
    assert list(mine.skipped.values()) == [1]
    assert list(mine.get_conversations([1, 2])) == [1]  # reads go on (WAL)
    assert mine.search("before") == [1]
    theirs.db.execute("COMMIT")
    mine.put_conversations([conv(2, "after it finished")])
    assert sorted(mine.get_conversations([1, 2])) == [1, 2]
    assert theirs.available
    mine.close()
    theirs.close()


def test_a_full_disk_skips_the_write_and_keeps_the_cache(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c.sqlite3")
    cache.bind("https://api.example", 7)
    cache.put_conversations([conv(1, "kept")])
    # SQLite answers SQLITE_FULL when a page cannot be added: cap the file where it is.
    pages = cache.db.execute("PRAGMA page_count").fetchone()[0]
    cache.db.execute(f"PRAGMA max_page_count = {pages}")
    cache.put_conversations([conv(n, "x" * 5000) for n in range(2, 200)])
    assert cache.available and any("full" in reason for reason in cache.skipped)
    assert list(cache.get_conversations([1])) == [1]
    cache.close()


def test_saved_search_views_do_not_outlive_the_session(tmp_path: Path) -> None:
    """Search terms are often customers' emails: the next start drops their views."""
    path = tmp_path / "c.sqlite3"
    cache = Cache(path)
    cache.bind("https://api.example", 7)
    folder = View(1, 2)
    searches = [View(1, status="all", query='"ann@client.example"'), View(1, query="/x")]
    for view in [folder, folder.sorted_by("waitingSince", "asc"), *searches]:
        cache.put_view(view.key, ViewState(ids=[1]))
    assert all(cache.get_view(v.key) is not None for v in searches)
    cache.close()

    again = Cache(path)
    again.bind("https://api.example", 7)  # the next start
    assert [again.get_view(v.key) for v in searches] == [None, None]
    assert again.get_view(folder.key) is not None
    assert again.get_view(folder.sorted_by("waitingSince", "asc").key) is not None
    again.close()
