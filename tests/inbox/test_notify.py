"""The pure notice rules (inbox/notify.py) and the local marks (inbox/awareness.py)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from hsinbox.config import NotifySettings, Settings
from hsinbox.helpscout.models import Conversation, Thread
from hsinbox.inbox.actions import Bulk, SetStatus
from hsinbox.inbox.awareness import LocalMarks, WatchListFull, bad_rating, colleague_drafts
from hsinbox.inbox.notify import OwnChanges, in_quiet_hours, notices

ME = 7
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def conv(cid: int = 1, **kw: Any) -> Conversation:
    data: dict[str, Any] = {
        "id": cid,
        "number": 100 + cid,
        "status": "active",
        "state": "published",
        "subject": "Lamp",
        "createdAt": T0.isoformat(),
        "userUpdatedAt": T0.isoformat(),
        "primaryCustomer": {"id": 5, "first": "Ada", "last": "Lee", "type": "customer"},
        "customerWaitingSince": {"time": T0.isoformat(), "latestReplyFrom": "customer"},
    }
    data.update(kw)
    return Conversation.model_validate(data)


def mine(**kw: Any) -> dict[str, Any]:
    return {"assignee": {"id": ME, "type": "user", "first": "Me"}, **kw}


def test_a_new_unassigned_conversation_is_one_notice() -> None:
    found = notices(
        {}, [conv(1, createdAt=(T0 + timedelta(minutes=1)).isoformat())], me_id=ME, since=T0
    )
    assert [(n.kind, n.number, n.text) for n in found] == [
        ("new", 101, "New in Unassigned: #101 Lamp")
    ]


def test_an_old_conversation_never_seen_is_not_new() -> None:
    old = conv(1, createdAt=(T0 - timedelta(days=3)).isoformat())
    assert notices({}, [old], me_id=ME, since=T0) == []


def test_moved_into_unassigned_is_new_there() -> None:
    before = conv(1, assignee={"id": 9, "type": "user"})
    assert [n.kind for n in notices({1: before}, [conv(1)], me_id=ME)] == ["new"]


def test_a_customer_reply_on_mine_wins_over_the_rest() -> None:
    before = conv(
        1, **mine(customerWaitingSince={"time": T0.isoformat(), "latestReplyFrom": "user"})
    )
    after = conv(
        1,
        **mine(
            customerWaitingSince={
                "time": (T0 + timedelta(hours=1)).isoformat(),
                "latestReplyFrom": "customer",
            }
        ),
    )
    found = notices({1: before}, [after], me_id=ME, watched={1})
    assert [(n.kind, n.text) for n in found] == [("reply", "Ada Lee replied: #101 Lamp")]


def test_assigned_to_me_by_someone_else() -> None:
    before = conv(1, assignee={"id": 9, "type": "user"})
    found = notices({1: before}, [conv(1, **mine())], me_id=ME, folder_kinds=())
    assert [n.kind for n in found] == ["assigned"]


def test_own_changes_and_kinds_set_to_none_give_nothing() -> None:
    before = conv(1, assignee={"id": 9, "type": "user"})
    assert notices({1: before}, [conv(1, **mine())], me_id=ME, own={1}) == []
    quiet = NotifySettings(assigned="none", new="none")
    assert notices({1: before}, [conv(1, **mine())], me_id=ME, settings=quiet) == []


def test_a_watched_conversation_notifies_on_any_change() -> None:
    before = conv(1, status="closed")
    after = conv(1, status="closed", tags=[{"id": 1, "tag": "vip"}])
    assert [n.kind for n in notices({1: before}, [after], me_id=ME, watched={1})] == ["watched"]
    assert notices({1: before}, [after], me_id=ME) == []


def test_a_subject_cannot_inject_escapes() -> None:
    hostile = conv(1, subject="a\x1b]52;c;ZXZpbA==\x07b\nc")
    text = notices({}, [hostile], me_id=ME)[0].text
    assert "\x1b" not in text and "\x07" not in text and "\n" not in text


def test_own_changes_last_one_whole_refresh() -> None:
    own = OwnChanges()
    action = Bulk((SetStatus(conversation_id=1, status="closed", number=1, previous="active"),))
    own.settle(0.0)  # a refresh ended
    own.note(action, 1.0)
    assert own.ids([]) == {1}
    own.settle(2.0)  # a refresh that may have started before it ended
    assert own.ids([]) == {1}
    own.settle(3.0)  # the next one started after it: it saw the change
    assert own.ids([]) == set()


@pytest.mark.parametrize(
    ("window", "now", "quiet"),
    [
        ("19:00-08:00", time(23, 0), True),
        ("19:00-08:00", time(12, 0), False),
        ("", time(3, 0), False),
        ("12:00-13:00", time(12, 30), True),
    ],
)
def test_quiet_hours(window: str, now: time, quiet: bool) -> None:
    assert in_quiet_hours(NotifySettings(quiet_hours=window), now) is quiet


def test_a_bad_quiet_hours_value_is_refused_in_one_sentence() -> None:
    with pytest.raises(ValueError, match="HH:MM-HH:MM"):
        Settings(notify={"quiet_hours": "evenings"})  # type: ignore[arg-type]


def test_local_marks_round_trip_bounded(tmp_path: Path) -> None:
    marks = LocalMarks.for_account(tmp_path, 42)
    assert marks.toggle_watch([1, 2]) is True
    assert marks.toggle_watch([1, 2]) is False and marks.watched == set()
    marks.toggle_watch([3])
    seen = conv(3)
    marks.opened_now(seen)
    assert not marks.changed_since_opened(seen)
    later = conv(3, userUpdatedAt=(T0 + timedelta(minutes=5)).isoformat())
    assert marks.changed_since_opened(later)
    assert not marks.changed_since_opened(conv(4)), "never opened: not marked"
    again = LocalMarks.for_account(tmp_path, 42)
    assert again.watched == {3} and again.changed_since_opened(later)
    assert (tmp_path / "marks" / "42.json").stat().st_mode & 0o777 == 0o600
    with pytest.raises(WatchListFull):
        again.toggle_watch(list(range(10, 2000)))
    assert again.watched == {3}


def test_a_broken_marks_file_starts_empty(tmp_path: Path) -> None:
    path = tmp_path / "marks" / "1.json"
    path.parent.mkdir()
    path.write_text("{not json")
    assert LocalMarks(path).watched == set()


def thread(**kw: Any) -> Thread:
    return Thread.model_validate({"id": 1, "type": "message", "state": "published", **kw})


def test_colleague_drafts_and_bad_ratings_from_threads() -> None:
    mine_draft = thread(state="draft", createdBy={"id": ME, "type": "user", "first": "Me"})
    theirs = thread(state="draft", createdBy={"id": 9, "type": "user", "first": "Priya"})
    assert [d.author for d in colleague_drafts([mine_draft, theirs], ME)] == ["Priya"]
    assert bad_rating([thread(rating={"rating": "not_good"})])
    assert not bad_rating([thread(rating={"rating": "great"}), thread()])


# --- open by number, and the refresh's answer for notices ------------------------------


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("#10034", 10034),
        (" number:10034 ", 10034),
        ("NUMBER: 7", 7),
        ("10034", None),
        ("#abc", None),
        ("#1 #2", None),
    ],
)
def test_typed_number(text: str, number: int | None) -> None:
    from hsinbox.inbox.session import typed_number

    assert typed_number(text) == number


async def test_open_by_number_is_one_request_across_mailboxes(
    session_and_events: Any, sb: Any
) -> None:
    session, _ = session_and_events
    other = next(
        c
        for c in sb.state["conversations"]
        if c["mailboxId"] != session.mailboxes[0].id and c["state"] == "published"
    )
    before = len(sb.requests)
    found = await session.open_by_number(other["number"])
    assert found is not None and found.id == other["id"]
    sent = [r for r in sb.requests[before:] if not r.path.startswith("/v2/oauth2")]
    assert [(r.path, r.query) for r in sent] == [
        ("/v2/conversations", {"number": str(other["number"]), "status": "all", "page": "1"})
    ]
    assert session.store.get(other["id"]) is not None
    before = len(sb.requests)
    assert (await session.open_by_number(other["number"])) is not None
    assert len(sb.requests) == before, "known now: no request"
    assert await session.open_by_number(99_999_999) is None


async def test_refresh_reports_every_change_of_the_mailbox_and_the_copies_before(
    session_and_events: Any, sb: Any
) -> None:
    from hsinbox.inbox.view import View

    session, _ = session_and_events
    mailbox_id = session.mailboxes[0].id
    mine = next(f for f in session.folders[mailbox_id] if f.type == "mine")
    view = View(mailbox_id, mine.id)
    await session.load_view(view)
    await session.refresh_view(view)
    outside = next(
        c["id"]
        for c in sb.state["conversations"]
        if c["mailboxId"] == mailbox_id and c["status"] == "active" and not c.get("assignee")
    )
    await session.client.set_tags(outside, ["vip"])
    result = await session.refresh_view(view)
    assert outside in {c.id for c in result.touched}, "outside the view, still reported"
    assert result.since is not None
    assert all(c.id in session.store.conversations for c in result.previous.values())


def test_notify_settings_from_config_toml(tmp_path: Path) -> None:
    from hsinbox.config import load_settings

    path = tmp_path / "config.toml"
    path.write_text(
        '[notify]\nwatched = "log"\nquiet_hours = "19:00-08:00"\nfolders = ["Mine", "VIP"]\n'
    )
    settings, problems = load_settings(path)
    assert problems == []
    assert (
        settings.notify.delivery("watched") == "log" and settings.notify.delivery("new") == "both"
    )
    assert settings.notify.folders == ["mine", "vip"]
    path.write_text('theme = "nord"\n[notify]\nnew = "loud"\n')
    settings, problems = load_settings(path)
    assert [p.line for p in problems] == [3] and "notify.new" in str(problems[0])
    assert settings.theme == "nord" and settings.notify.new == "both"


def test_a_conversation_the_agent_created_is_their_own_change() -> None:
    from hsinbox.helpscout.models import NewConversation
    from hsinbox.inbox.actions import CreateConversation

    own = OwnChanges()
    own.note(CreateConversation(new=NewConversation.model_construct()), 1.0, created=55)
    assert own.ids([]) == {55}
    found = notices({}, [conv(55)], me_id=ME, own=own.ids([]))
    assert found == []


def test_a_customer_reply_on_mine_never_loaded_is_known_by_its_time() -> None:
    old_one = (T0 - timedelta(days=2)).isoformat()
    wrote = {"time": (T0 + timedelta(minutes=2)).isoformat(), "latestReplyFrom": "customer"}
    after = conv(1, createdAt=old_one, customerWaitingSince=wrote, **mine())
    assert [n.kind for n in notices({}, [after], me_id=ME, since=T0)] == ["reply"]
    earlier = {"time": (T0 - timedelta(hours=1)).isoformat(), "latestReplyFrom": "customer"}
    quiet = conv(1, createdAt=old_one, customerWaitingSince=earlier, **mine())
    assert notices({}, [quiet], me_id=ME, since=T0) == [], "an older message: not new"
