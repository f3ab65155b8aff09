"""Actions as data: journal round-trips, sentences, optimistic apply and exact revert."""

from __future__ import annotations

import json

import pytest

from hsinbox.helpscout.models import (
    Conversation,
    ConversationTag,
    Customer,
    NewConversation,
    NewThread,
    PersonRef,
    User,
)
from hsinbox.inbox.actions import (
    Assign,
    Bulk,
    CreateConversation,
    Delete,
    Move,
    Note,
    Reply,
    SetStatus,
    SetTags,
    UnknownAction,
    UpdateCustomer,
    action_from_json,
    normalise_text,
)
from hsinbox.inbox.store import Store
from hsinbox.inbox.view import View


def conv(cid: int = 7, **kw: object) -> Conversation:
    data: dict[str, object] = {
        "id": cid,
        "number": 1000 + cid,
        "status": "active",
        "mailboxId": 1,
        "assignee": {"id": 5, "first": "Old", "last": "Owner", "type": "user"},
        "tags": [{"id": 3, "tag": "vip", "color": "#ff0000"}],
        "primaryCustomer": {"id": 90, "first": "Cus", "email": "c@example.com"},
    }
    data.update(kw)
    return Conversation.model_validate(data)


def all_actions() -> list[object]:
    c = conv()
    new = NewConversation(
        subject="Hello",
        mailbox_id=1,
        customer={"email": "x@example.com"},
        threads=[NewThread(type="customer", text="Hi")],
    )
    customer = Customer(id=90, first_name="Cus", last_name="Tomer")
    return [
        Reply.of(c, "<p>Thanks</p>", cc=("a@example.com",), status="pending", draft_key="7:reply"),
        Note(7, "<p>internal</p>", status="closed"),
        SetStatus.of(c, "closed"),
        Assign.of(c, User(id=9, first_name="New", last_name="Agent")),
        Assign.of(c, None),
        Move.of(c, 2, "Billing"),
        SetTags.of(c, ["vip", "refund"]),
        Delete.of(c),
        CreateConversation(new),
        UpdateCustomer.of(customer, first_name="Cassie"),
        Bulk((SetStatus.of(c, "closed"), SetStatus.of(conv(8), "closed"))),
    ]


@pytest.mark.parametrize("action", all_actions(), ids=lambda a: type(a).__name__)
def test_json_round_trip_is_exact(action: object) -> None:
    text = json.dumps(action.to_json())  # type: ignore[attr-defined]
    again = action_from_json(json.loads(text))
    assert again == action
    assert type(again) is type(action)


def test_unknown_type_is_refused() -> None:
    with pytest.raises(UnknownAction):
        action_from_json({"type": "LaunchRockets"})


def test_sentences() -> None:
    c = conv()
    assert SetStatus.of(c, "closed").describe() == "Close #1007"
    assert SetStatus.of(c, "spam").describe() == "Mark as spam #1007"
    assert Assign.of(c, User(id=9, first_name="Ann", last_name="Lee")).describe() == (
        "Assign #1007 to Ann Lee"
    )
    assert Assign.of(c, None).describe() == "Unassign #1007"
    assert Move.of(c, 2, "Billing").describe() == "Move #1007 to Billing"
    assert SetTags.of(c, []).describe() == "Remove all tags from #1007"
    assert Reply.of(c, "x").describe() == "Reply to #1007"
    bulk = Bulk(tuple(SetStatus.of(conv(i), "closed") for i in range(1, 9)))
    assert bulk.describe() == "Close 8 conversations"
    failed = [(bulk.actions[4], "Help Scout could not find it.")]
    assert bulk.summary(7, failed) == (
        "Closed 7 of 8 conversations; #1005 failed: Help Scout could not find it."
    )


def test_delay_eligibility() -> None:
    c = conv()
    assert SetStatus.of(c, "closed").delay_eligible
    assert SetStatus.of(c, "spam").delay_eligible
    assert not SetStatus.of(c, "pending").delay_eligible
    assert Move.of(c, 2).delay_eligible and Delete.of(c).delay_eligible
    assert Bulk(()).delay_eligible
    assert not Assign.of(c, None).delay_eligible and not Reply.of(c, "x").delay_eligible


def loaded_store() -> tuple[Store, View]:
    store = Store()
    view = View(1)
    store.set_view(view, [conv(6), conv(7), conv(8)])
    return store, view


def test_apply_replaces_objects_and_revert_restores() -> None:
    store, _view = loaded_store()
    before = store.get(7)
    assert before is not None
    action = SetStatus.of(before, "closed")
    action.apply(store)
    after = store.get(7)
    assert after is not None and after.status == "closed"
    assert before.status == "active"  # the old object was not mutated
    action.revert(store)
    reverted = store.get(7)
    assert reverted is not None and reverted.status == "active"


def test_assign_builds_person_from_user_and_reverts() -> None:
    store, _ = loaded_store()
    action = Assign.of(conv(), User(id=9, first_name="Ann", last_name="Lee", email="a@x.io"))
    action.apply(store)
    assignee = store.get(7).assignee  # type: ignore[union-attr]
    assert assignee == PersonRef(id=9, type="user", first="Ann", last="Lee", email="a@x.io")
    action.revert(store)
    assert store.get(7).assignee.id == 5  # type: ignore[union-attr]
    unassign = Assign.of(conv(), None)
    unassign.apply(store)
    assert store.get(7).assignee is None  # type: ignore[union-attr]


def test_move_and_delete_leave_the_view_and_come_back_in_place() -> None:
    store, view = loaded_store()
    move = Move.of(conv(), 2)
    move.apply(store)
    assert store.view_ids(view) == [6, 8]
    assert store.get(7).mailbox_id == 2  # type: ignore[union-attr]
    move.revert(store)
    assert store.view_ids(view) == [6, 7, 8]
    assert store.get(7).mailbox_id == 1  # type: ignore[union-attr]
    delete = Delete.of(conv(6))
    delete.apply(store)
    assert store.view_ids(view) == [7, 8]
    delete.revert(store)
    assert store.view_ids(view) == [6, 7, 8]
    delete.apply(store)
    delete.confirm(store, None)
    assert store.get(6) is None and store.view_ids(view) == [7, 8]


def test_tags_keep_known_colours_and_revert() -> None:
    store, _ = loaded_store()
    action = SetTags.of(conv(), ["vip", "refund", "vip"])
    assert action.tags == ("vip", "refund")
    action.apply(store)
    tags = store.get(7).tags  # type: ignore[union-attr]
    assert tags == [
        ConversationTag(id=3, tag="vip", color="#ff0000"),
        ConversationTag(tag="refund"),
    ]
    action.revert(store)
    assert store.get(7).tag_names == ["vip"]  # type: ignore[union-attr]


def test_reply_shows_a_pending_thread_and_status_until_confirmed() -> None:
    store, _ = loaded_store()
    store.set_threads(7, [])
    reply = Reply.of(conv(), "<p>On it</p>", status="pending")
    reply.apply(store)
    pending = store.thread_list(7)
    assert len(pending) == 1 and pending[0].id < 0 and pending[0].state == "pending"
    assert store.get(7).status == "pending"  # type: ignore[union-attr]
    reply.confirm(store, 555)
    assert [(t.id, t.state) for t in store.thread_list(7)] == [(555, "published")]
    assert store.pending_threads == {}
    note = Note(7, "<p>n</p>")
    note.apply(store)
    note.revert(store)
    assert [t.id for t in store.thread_list(7)] == [555]


def test_update_customer_applies_scalars() -> None:
    store = Store()
    store.set_customer(Customer(id=90, first_name="Cus", last_name="Tomer"))
    action = UpdateCustomer.of(store.customers[90], first_name="Cassie")
    assert action.ops == ({"op": "replace", "path": "/firstName", "value": "Cassie"},)
    action.apply(store)
    assert store.customers[90].first_name == "Cassie"
    action.revert(store)
    assert store.customers[90].first_name == "Cus"


def test_normalise_text() -> None:
    assert normalise_text("<p>Hello&nbsp;<b>World</b></p>\n") == "hello world"
    assert normalise_text(None) == ""
