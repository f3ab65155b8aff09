"""Custom field values checked the way Help Scout checks them, and the full set a PUT sends.

``PUT /v2/conversations/{id}/fields`` replaces the whole set, so every change is built from
the conversation's current fields with the edits laid over them.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from hsinbox.helpscout.models import Conversation, CustomField, MailboxField

_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


class FieldValueRefused(ValueError):
    """A value the field cannot take; ``str()`` is one sentence."""


def check_value(definition: MailboxField, raw: Any) -> tuple[str, str] | None:
    """``(value, text)`` to store for ``raw`` (None for an empty value: the field is cleared).

    Dropdowns take an option id (or its label), dates ``YYYY-MM-DD``, numbers digits.
    """
    name = definition.name or f"field {definition.id}"
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    text = str(raw).strip()
    kind = definition.type
    if kind == "dropdown":
        option = definition.option(text) or next(
            (o for o in definition.options if o.label.casefold() == text.casefold()), None
        )
        if option is None:
            choices = ", ".join(o.label for o in definition.options) or "none"
            raise FieldValueRefused(f"{name} must be one of: {choices}.")
        return str(option.id), option.label
    if kind == "date":
        try:
            if not re.fullmatch(r"\d{4}-\d\d-\d\d", text):
                raise ValueError
            date.fromisoformat(text)
        except ValueError:
            raise FieldValueRefused(f"{name} must be a date written YYYY-MM-DD.") from None
        return text, text
    if kind == "number":
        if not _NUMBER.match(text):
            raise FieldValueRefused(f"{name} must be a number.")
        return text, text
    if kind == "singleline" and len(text) > 255:
        raise FieldValueRefused(f"{name} can hold at most 255 characters.")
    value = str(raw) if kind == "multiline" else text
    return value, value


def full_set(
    conversation: Conversation,
    definitions: list[MailboxField],
    changes: dict[int, Any],
) -> tuple[CustomField, ...]:
    """Every field the conversation will have after ``changes`` (field id → raw value; an
    empty value clears it), in the mailbox's order. Raises FieldValueRefused."""
    by_id = {d.id: d for d in definitions}
    current: dict[int, CustomField] = {
        f.id: f
        for f in conversation.custom_fields
        if f.id is not None and f.value not in (None, "")
    }
    for fid, raw in changes.items():
        definition = by_id.get(int(fid))
        if definition is None:
            raise FieldValueRefused(f"Field {fid} is not one of this mailbox's fields.")
        checked = check_value(definition, raw)
        if checked is None:
            current.pop(definition.id, None)
        else:
            current[definition.id] = CustomField(
                id=definition.id, name=definition.name, value=checked[0], text=checked[1]
            )
    order = {d.id: (d.order if d.order is not None else 1 << 30, d.id) for d in definitions}
    return tuple(sorted(current.values(), key=lambda f: order.get(f.id or 0, (1 << 31, f.id or 0))))


def missing_required(
    conversation: Conversation, definitions: list[MailboxField]
) -> list[MailboxField]:
    """Required fields the conversation leaves empty (what closing asks about first)."""
    filled = {f.id for f in conversation.custom_fields if f.value not in (None, "")}
    return [d for d in definitions if d.required and d.id not in filled]
