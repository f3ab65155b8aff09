"""Every example payload under tests/fixtures/helpscout-api parses with the right model.

A fixture file without a mapping here fails the test: new examples must be looked at. A mapped
fixture that is missing fails too (they are vendored, so a fresh clone has every one).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from testdata import API_EXAMPLES

from hsinbox.helpscout.auth import token_from_payload
from hsinbox.helpscout.client import parse_page
from hsinbox.helpscout.errors import HelpScoutError, error_from_response
from hsinbox.helpscout.models import (
    Conversation,
    Customer,
    Folder,
    Mailbox,
    MailboxField,
    NewConversation,
    TagInfo,
    Thread,
    User,
)

FIXTURES = API_EXAMPLES


def page_of(key: str, model: type) -> Callable[[Any], None]:
    def check(data: Any) -> None:
        page = parse_page(data, key, model)
        assert page.items, f"no {key} parsed"
        assert all(isinstance(i, model) for i in page.items)
        assert page.info.number >= 1

    return check


def one(model: type) -> Callable[[Any], None]:
    def check(data: Any) -> None:
        model.model_validate(data)

    return check


def token(data: Any) -> None:
    tok = token_from_payload(data, "client_credentials")
    assert tok.access_token and tok.expires_at is not None


def api_error(status: int) -> Callable[[Any], None]:
    def check(data: Any) -> None:
        err = error_from_response(httpx.Response(status, json=data))
        assert isinstance(err, HelpScoutError)
        assert err.message
        assert "\n" not in str(err)

    return check


def conversation_patch(data: Any) -> None:
    assert isinstance(data, dict), "a conversation patch is ONE object"
    assert set(data) == {"op", "path", "value"}
    assert data["op"] in {"replace", "move", "remove", "add"}


def customer_patch(data: Any) -> None:
    assert isinstance(data, list), "a customer patch is an array"
    assert all({"op", "path"} <= set(op) for op in data)


def body_with(*keys: str) -> Callable[[Any], None]:
    def check(data: Any) -> None:
        assert isinstance(data, dict)
        assert set(keys) <= set(data), f"missing {set(keys) - set(data)}"

    return check


def new_conversation(data: Any) -> None:
    new = NewConversation.model_validate(data)
    assert new.threads and new.customer


def pagination_envelope(data: Any) -> None:
    page = parse_page(data, "conversations", Conversation, 2)
    assert page.items == []  # the fragment has no _embedded: an empty page
    assert page.info.total_pages >= 1


def mailbox_fields(data: Any) -> None:
    page_of("fields", MailboxField)(data)


MAPPING: dict[str, Callable[[Any], None]] = {
    "docs/customer-get.json": one(Customer),
    "docs/error-validation.json": api_error(400),
    "docs/folders-list.json": page_of("folders", Folder),
    "docs/mailbox-get.json": one(Mailbox),
    "docs/pagination-envelope.json": pagination_envelope,
    "docs/requests/conversation-create.json": new_conversation,
    "docs/requests/conversation-patch-subject.json": conversation_patch,
    "docs/requests/conversation-snooze-put.json": body_with("snoozedUntil"),
    "docs/requests/conversation-tags-put.json": body_with("tags"),
    "docs/requests/customer-patch-multiple.json": customer_patch,
    "docs/requests/customer-thread-create.json": body_with("customer", "text"),
    "docs/requests/note-create.json": body_with("text"),
    "docs/requests/reply-create.json": body_with("customer", "text"),
    "docs/requests/thread-patch-text.json": conversation_patch,
    "docs/tags-list.json": page_of("tags", TagInfo),
    "docs/thread-object.json": one(Thread),
    "docs/users-list.json": page_of("users", User),
    "docs/users-me.json": one(User),
    "keeratita-helpscoutv2/create_conversation_request.json": new_conversation,
    "keeratita-helpscoutv2/create_token_success_response.json": token,
    "keeratita-helpscoutv2/get_conversation_success_response.json": one(Conversation),
    "keeratita-helpscoutv2/get_fields_success_response.json": mailbox_fields,
    "keeratita-helpscoutv2/get_folders_success_response.json": page_of("folders", Folder),
    "keeratita-helpscoutv2/get_mailbox_success_response.json": one(Mailbox),
    "keeratita-helpscoutv2/list_conversation_success_response.json": page_of(
        "conversations", Conversation
    ),
    "keeratita-helpscoutv2/list_mailbox_success_response.json": page_of("mailboxes", Mailbox),
    "keeratita-helpscoutv2/patch_conversation_request.json": conversation_patch,
    "keeratita-helpscoutv2/refresh_token_success_response.json": token,
    "live/token-client-credentials.json": token,
    "sdk-php/conversation-with-embedded-threads.json": one(Conversation),
    "sdk-php/conversations-list-embed-threads.json": page_of("conversations", Conversation),
    "sdk-php/customer.json": one(Customer),
    "sdk-php/error-internal.json": api_error(500),
    "sdk-php/error-rate-limit.json": api_error(429),
    "sdk-php/error-validation.json": api_error(400),
    "sdk-php/mailbox-fields.json": mailbox_fields,
    "sdk-php/mailbox-folders.json": page_of("folders", Folder),
    "sdk-php/mailboxes-list.json": page_of("mailboxes", Mailbox),
    "sdk-php/tags-list.json": page_of("tags", TagInfo),
    "sdk-php/threads-list.json": page_of("threads", Thread),
    "sdk-php/user.json": one(User),
    "sdk-php/users-list.json": page_of("users", User),
}


def _all_json() -> list[str]:
    return sorted(p.relative_to(FIXTURES).as_posix() for p in FIXTURES.rglob("*.json"))


def test_every_fixture_has_a_mapping() -> None:
    assert FIXTURES.is_dir(), f"{FIXTURES} is missing"
    unmapped = sorted(set(_all_json()) - set(MAPPING))
    assert not unmapped, f"fixtures without a model mapping: {unmapped}"
    missing = sorted(set(MAPPING) - set(_all_json()))
    assert not missing, f"mapped fixtures that no longer exist: {missing}"


def test_every_fixture_has_its_source_noted() -> None:
    """The provenance note travels with the files: each one is named in SOURCES.md."""
    sources = (FIXTURES / "SOURCES.md").read_text(encoding="utf-8")
    unnoted = [name for name in MAPPING if Path(name).name not in sources]
    assert not unnoted, f"fixtures not in SOURCES.md: {unnoted}"


@pytest.mark.parametrize("name", sorted(MAPPING))
def test_fixture_parses(name: str) -> None:
    check = MAPPING.get(name)
    assert check is not None, f"{name} has no mapping"
    check(json.loads((FIXTURES / name).read_text(encoding="utf-8")))


def test_embedded_threads_and_people_are_read() -> None:
    data = json.loads((FIXTURES / "sdk-php/conversation-with-embedded-threads.json").read_text())
    conv = Conversation.model_validate(data)
    assert conv.embedded_threads
    assert conv.assignee is not None and conv.assignee.first == "Mr"
    customer = Customer.model_validate(
        json.loads((FIXTURES / "docs/customer-get.json").read_text())
    )
    assert customer.emails[0].value == "bear@acme.com"
