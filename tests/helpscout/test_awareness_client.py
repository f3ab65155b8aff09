"""The client reads what colleagues do: ratings, opens, other users' drafts, and a search
across every mailbox with its total."""

from __future__ import annotations

from typing import Any

import pytest
from testdata import NOW, SUPPORT

from hsinbox.helpscout import HelpScoutClient
from hsinbox.helpscout.models import Rating, Thread
from hsinbox.sandbox import Sandbox


@pytest.fixture
def sb() -> Sandbox:
    return Sandbox(now=NOW)


@pytest.fixture
def client(sb: Sandbox, sandbox_client: Any) -> HelpScoutClient:
    return sandbox_client(sb)


async def test_rating_and_opened_at_are_read(sb: Sandbox, client: HelpScoutClient) -> None:
    good, bad = sb.state["sandboxNotes"]["ratedConversations"]
    rated = [t for t in await client.list_threads(good) if t.rating is not None]
    assert [(t.rating.rating, t.rating.comments, t.rating.is_bad) for t in rated if t.rating] == [
        ("great", "Quick and friendly, thank you!", False)
    ]
    assert rated[0].opened_at is not None and rated[0].created_at is not None
    assert rated[0].opened_at > rated[0].created_at
    worse = [t.rating for t in await client.list_threads(bad) if t.rating is not None]
    assert [r.is_bad for r in worse] == [True]


async def test_a_colleagues_draft_is_a_draft_thread_by_another_user(
    sb: Sandbox, client: HelpScoutClient
) -> None:
    cid = sb.state["sandboxNotes"]["colleagueDraft"]
    drafts = [t for t in await client.list_threads(cid) if t.is_draft]
    assert len(drafts) == 1 and drafts[0].created_by is not None
    assert drafts[0].created_by.id != sb.me_id and drafts[0].created_by.type == "user"


async def test_a_search_without_a_mailbox_returns_several_mailboxes_and_the_total(
    sb: Sandbox, client: HelpScoutClient
) -> None:
    page = await client.list_conversations(query="status:active", status="all")
    assert len({c.mailbox_id for c in page.items}) > 1
    assert page.info.total_elements == sum(
        1
        for c in sb.state["conversations"]
        if c["status"] == "active" and c["state"] == "published"
    )
    request = sb.requests[-1]
    assert "mailbox" not in request.query and request.query["query"] == "status:active"
    scoped = await client.list_conversations(mailbox=SUPPORT, query="status:active", status="all")
    assert {c.mailbox_id for c in scoped.items} == {SUPPORT}


@pytest.mark.parametrize(
    ("raw", "bad"),
    [("great", False), ("okay", False), ("not_good", True), ("Bad", True), ("not-good", True)],
)
def test_a_bad_rating_is_known_by_any_of_its_spellings(raw: str, bad: bool) -> None:
    assert Rating(rating=raw).is_bad is bad


def test_the_documented_thread_object_carries_a_rating(api_example: Any) -> None:
    thread = Thread.model_validate(api_example("docs/thread-object.json"))
    assert thread.rating == Rating(customer_id=1234, rating="great", comments="Great job!")
    assert thread.opened_at is not None
