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
    # (pydantic before 2.11 does not count an extra set this way among the fields set)
    assert {"id", "first", "email"} <= a.model_fields_set <= {"id", "first", "email", "nickname"}
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


# --- canary: HSModel shares pydantic's per-instance bookkeeping ---------------------------
# models.py hands equal ``__pydantic_fields_set__`` sets (and one empty extras dict) to many
# instances: 3.3 KB per conversation instead of 8.2 KB (10,000 seeded conversations,
# tracemalloc); the benchmark's peak RSS is 154 MB with it, 201 MB without (budget < 200 MB).
# That only holds while pydantic never mutates those in place outside ``__setattr__``.
# pyproject allows pydantic 2.7 to 2.x: these tests gate every version (they pass on 2.7.4
# and 2.14.4); run them on a new pydantic before trusting it.


def test_canary_pydantic_still_has_the_internals_hsmodel_shares() -> None:
    import pydantic

    conv = Conversation.model_validate(payload(1))
    assert isinstance(conv.__dict__, dict)
    assert isinstance(object.__getattribute__(conv, "__pydantic_fields_set__"), set)
    assert object.__getattribute__(conv, "__pydantic_extra__") == {"futureField": {"kept": True}}
    assert conv.model_fields_set is conv.__pydantic_fields_set__, (
        f"pydantic {pydantic.VERSION}: model_fields_set no longer reads __pydantic_fields_set__;"
        " re-check HSModel.model_post_init before using this pydantic"
    )


def test_canary_no_public_path_mutates_a_shared_set() -> None:
    import copy
    import pickle

    from hsinbox.helpscout import models

    people = [PersonRef.model_validate({"id": n, "first": "Ada"}) for n in range(3)]
    conv = Conversation.model_validate(payload(1))
    other = Conversation.model_validate(payload(2))
    people[0].email = "a@example.com"
    people[1].nickname = "extra"
    del people[1].nickname
    conv.model_copy(update={"status": "closed", "note": "x"})
    copy.deepcopy(conv).subject = "changed"
    copy.copy(other).status = "pending"
    pickle.loads(pickle.dumps(conv)).number = 5
    PersonRef.model_construct(id=9).email = "b@example.com"
    conv.model_dump()
    for frozen, shared in models._FIELD_SETS.items():
        assert shared == set(frozen), f"a shared field set was changed in place: {shared}"
    assert models._NO_EXTRAS == {}, "the shared empty extras dict was written to"
    assert people[2].model_fields_set == {"id", "first"} and people[2].model_extra == {}
    assert other.model_fields_set == conv.model_fields_set
