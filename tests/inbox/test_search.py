"""Instant local search (FTS5 prefixes, no request) and the server's search, merged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hsinbox.helpscout.models import Conversation
from hsinbox.inbox.cache import Cache, fts_query, strip_html
from hsinbox.inbox.session import server_query, uses_query_syntax
from hsinbox.inbox.view import View


def api_requests(sb: Any, since: int = 0) -> list[Any]:
    return [r for r in sb.requests[since:] if not r.path.startswith("/v2/oauth2")]


def conv(ident: int, subject: str, **extra: Any) -> Conversation:
    return Conversation.model_validate({"id": ident, "subject": subject, **extra})


def test_fts_query_is_prefixes_of_words_only() -> None:
    assert fts_query('Refu "x" OR y*') == '"refu"* "x"* "or"* "y"*'
    assert fts_query("anna@example.co") == '"anna"* "example"* "co"*'
    assert fts_query('  "  ') is None


def test_strip_html_keeps_words_and_drops_markup() -> None:
    body = '<p>Hi <b>there</b></p><script>alert("x")</script>&amp; \x1b[31mred</p>'
    assert strip_html(body) == "Hi there & red"


def test_server_query_escapes_quotes_and_backslashes() -> None:
    # An odd quote is part of the phrase (balanced quotes are Help Scout's own syntax).
    query = server_query('say "hi \\ bye')
    assert 'subject:"say \\"hi \\\\ bye"' in query
    assert query.startswith("(") and query.endswith(")") and " OR " in query


@pytest.mark.parametrize(
    "typed",
    [
        "tag:vip",
        "status:closed",
        'assigned:"Unassigned"',
        "refund AND invoice",
        "refund OR invoice",
        "(refund OR invoice) AND NOT tag:spam",
        '"late delivery"',
        "createdAt:[2026-01-01T00:00:00Z TO *]",
    ],
)
def test_server_query_passes_help_scout_syntax_through(typed: str) -> None:
    assert uses_query_syntax(typed)
    assert server_query(typed) == f"({typed})"


@pytest.mark.parametrize(
    "typed", ["refund", "rock or roll", 'a 6" pipe', "order id 1234", "Re: invoice", "ANDROID"]
)
def test_server_query_searches_a_phrase_otherwise(typed: str) -> None:
    assert not uses_query_syntax(typed)
    assert server_query(typed).startswith('(subject:"')


def test_cache_search_fields(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c.sqlite3")
    cache.bind("https://api.example", 1)
    cache.put_conversations(
        [
            conv(
                1,
                "Refund for order 4521",
                mailboxId=10,
                primaryCustomer={"id": 5, "first": "Zoë", "last": "Müller", "email": "zm@ex.org"},
                tags=[{"tag": "billing"}],
                userUpdatedAt="2026-01-02T00:00:00Z",
            ),
            conv(2, "Shipping to Canada", mailboxId=11, userUpdatedAt="2026-01-03T00:00:00Z"),
        ]
    )
    assert cache.search("refu") == [1]
    assert cache.search("zoe mull") == [1], "diacritics fold, every word a prefix"
    assert cache.search("zm@ex") == [1]
    assert cache.search("billing") == [1]
    assert cache.search("canada") == [2]
    assert cache.search("refund canada") == []
    assert cache.search("order", mailbox_id=11) == []
    cache.put_threads(2, [])
    from hsinbox.helpscout.models import Thread

    cache.put_threads(2, [Thread(id=9, body="<p>Tracking number <b>XK42</b></p>")])
    assert cache.search("xk4") == [2]
    cache.put_conversations([conv(2, "Shipping to Canada (updated)", mailboxId=11)])
    assert cache.search("xk42") == [2], "thread text survives a conversation update"
    cache.forget(2)
    assert cache.search("canada") == []


async def test_search_local_sends_nothing(session_and_events: Any, sb: Any) -> None:
    session, _ = session_and_events
    view = View(session.mailboxes[0].id)
    loaded = await session.load_view(view)
    target = next(c for c in loaded if c.subject and len(c.subject.split()[0]) > 3)
    before = len(sb.requests)
    word = target.subject.split()[0]
    hits = session.search_local(word[:3])
    assert target.id in {c.id for c in hits}
    assert all(isinstance(c, Conversation) for c in hits)
    assert api_requests(sb, before) == []
    assert session.search_local("") == []
    assert session.search_local("zzqqxx-no-such-thing") == []


async def test_thread_text_is_searchable_once_read(session_and_events: Any) -> None:
    session, _ = session_and_events
    view = View(session.mailboxes[0].id)
    target = (await session.load_view(view))[0]
    await session.client.add_note(target.id, "<p>Serial xylophone-7781 confirmed</p>")
    assert session.search_local("xylophone") == []
    await session.load_threads(target.id)
    assert [c.id for c in session.search_local("xyloph 7781")] == [target.id]


async def test_server_search_finds_what_only_it_has(session_and_events: Any, sb: Any) -> None:
    session, _ = session_and_events
    mailbox_id = session.mailboxes[0].id
    await session.load_view(View(mailbox_id))  # active only: closed ones are not cached
    closed = next(
        c
        for c in sb.state["conversations"]
        if c["mailboxId"] == mailbox_id and c["status"] == "closed" and c["state"] == "published"
    )
    subject = closed["subject"]
    assert closed["id"] not in {c.id for c in session.search_local(subject)}
    before = len(sb.requests)
    found = await session.search_server(subject, mailbox_id=mailbox_id)
    sent = api_requests(sb, before)
    assert len(sent) >= 1 and all(r.path == "/v2/conversations" for r in sent)
    assert sent[0].query["query"] == server_query(subject)
    assert sent[0].query["status"] == "all"
    assert closed["id"] in {c.id for c in found}
    assert len({c.id for c in found}) == len(found), "no duplicates"
    # What the server found is now local too.
    assert closed["id"] in {c.id for c in session.search_local(subject)}


async def test_search_without_a_cache_filters_memory(make_session: Any) -> None:
    session, _ = await make_session(cache=False)
    view = View(session.mailboxes[0].id)
    loaded = await session.load_view(view)
    target = next(c for c in loaded if c.primary_customer and c.primary_customer.email)
    email = target.primary_customer.email
    hits = session.search_local(email.split("@")[0][:4])
    assert target.id in {c.id for c in hits}


def test_phrase_search_wants_adjacent_words(tmp_path: Path) -> None:
    assert fts_query("dark mo", phrase=True) == '"dark mo" *'
    cache = Cache(tmp_path / "c.sqlite3")
    cache.bind("https://api.example", 1)
    cache.put_conversations([conv(1, "Dark mode is broken"), conv(2, "Mode of payment: dark")])
    assert sorted(cache.search("dark mo")) == [1, 2]
    assert cache.search("dark mo", phrase=True) == [1]
