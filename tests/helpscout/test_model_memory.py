"""The models' memory savings must not change what a model holds or how it copies."""

from __future__ import annotations

from typing import Any

from hsinbox.helpscout.models import Conversation, PersonRef


def payload(ident: int) -> dict[str, Any]:
    return {
        "id": ident,
        "number": ident + 1,
        "status": "active",
        "subject": "Hello",
        "primaryCustomer": {"id": 7, "first": "Ada", "email": "ada@example.com"},
        "tags": [{"id": 1, "tag": "vip"}],
        "futureField": {"kept": True},
        "_links": {"self": {"href": f"https://api.helpscout.net/v2/conversations/{ident}"}},
        "_embedded": {"threads": [{"id": 99, "type": "customer", "body": "hi"}]},
    }


def test_hal_links_are_dropped_unknown_fields_kept_threads_lifted() -> None:
    conv = Conversation.model_validate(payload(1))
    assert conv.model_extra == {"futureField": {"kept": True}}
    assert [t.id for t in conv.embedded_threads] == [99]
    dumped = conv.model_dump(by_alias=True)
    assert "_links" not in dumped and "_embedded" not in dumped


def test_equal_shapes_share_their_field_set() -> None:
    a = Conversation.model_validate(payload(1))
    b = Conversation.model_validate(payload(2))
    assert a.__pydantic_fields_set__ is b.__pydantic_fields_set__
    assert a.primary_customer is not None and b.primary_customer is not None
    assert a.primary_customer.__pydantic_fields_set__ is b.primary_customer.__pydantic_fields_set__


def test_assignment_does_not_leak_into_other_instances() -> None:
    a = PersonRef.model_validate({"id": 1, "first": "Ada"})
    b = PersonRef.model_validate({"id": 2, "first": "Bo"})
    a.email = "ada@example.com"
    a.nickname = "A"  # an unknown attribute lands in the extras
    assert a.model_fields_set == {"id", "first", "email", "nickname"}
    assert b.model_fields_set == {"id", "first"}
    assert a.model_extra == {"nickname": "A"}
    assert b.model_extra == {}
    c = PersonRef.model_validate({"id": 3, "first": "Cy"})
    assert c.model_fields_set == {"id", "first"} and c.model_extra == {}


def test_model_copy_with_update_leaves_the_original_alone() -> None:
    a = Conversation.model_validate(payload(1))
    b = Conversation.model_validate(payload(2))
    changed = a.model_copy(update={"status": "closed", "note": "x"})
    assert changed.status == "closed" and changed.model_extra == {
        "futureField": {"kept": True},
        "note": "x",
    }
    assert "status" in changed.model_fields_set
    assert a.status == "active" and a.model_extra == {"futureField": {"kept": True}}
    assert b.model_fields_set == a.model_fields_set
    assert "note" not in (b.model_extra or {})
    plain = Conversation.model_validate({k: v for k, v in payload(3).items() if k != "_embedded"})
    assert Conversation.model_validate(plain.model_dump(by_alias=True)) == plain
