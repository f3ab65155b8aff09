"""Saved replies made ready to insert: variables filled in locally, HTML made Markdown-ish.

Help Scout's saved replies carry ``{%customer.firstName%}``-style placeholders (optionally
``{%customer.firstName,fallback=there%}``). Whether the API fills them is not documented, so
hsinbox fills the ones it knows from the conversation, the signed-in user and the mailbox,
and leaves any other placeholder exactly as written for the agent to see.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hsinbox.inbox.text import clean, html_to_blocks

if TYPE_CHECKING:
    from hsinbox.helpscout.models import Conversation, Customer, Mailbox, User

KNOWN = (
    "customer.firstName",
    "customer.lastName",
    "customer.fullName",
    "customer.email",
    "user.firstName",
    "user.lastName",
    "user.fullName",
    "mailbox.name",
    "mailbox.email",
    "conversation.number",
)

_VARIABLE = re.compile(r"\{%\s*([A-Za-z][\w.]*)\s*(?:,\s*fallback\s*=\s*([^%]*?))?\s*%\}")


def fill_variables(text: str, context: dict[str, str | None]) -> tuple[str, list[str]]:
    """``text`` with every known variable filled; returns it and the unknown names (in order,
    each once). A known variable without a value takes its fallback, else becomes empty."""
    unknown: list[str] = []

    def replace(m: re.Match[str]) -> str:
        name, fallback = m.group(1), m.group(2)
        if name not in KNOWN:
            if name not in unknown:
                unknown.append(name)
            return m.group(0)
        value = context.get(name)
        if value:
            return value
        return fallback.strip() if fallback is not None else ""

    return _VARIABLE.sub(replace, text), unknown


def _full(first: str | None, last: str | None) -> str | None:
    name = " ".join(p for p in (first, last) if p).strip()
    return name or None


def variable_context(
    conversation: Conversation | None,
    *,
    user: User | None = None,
    mailbox: Mailbox | None = None,
    customer: Customer | None = None,
) -> dict[str, str | None]:
    """The values the known variables take for this conversation (None when unknown)."""
    person = conversation.primary_customer if conversation is not None else None
    first = (customer.first_name if customer else None) or (person.first if person else None)
    last = (customer.last_name if customer else None) or (person.last if person else None)
    email = person.email if person else None
    if not email and customer is not None and customer.emails:
        email = customer.emails[0].value
    number = conversation.number if conversation is not None else None
    return {
        "customer.firstName": first,
        "customer.lastName": last,
        "customer.fullName": _full(first, last),
        "customer.email": email,
        "user.firstName": user.first_name if user else None,
        "user.lastName": user.last_name if user else None,
        "user.fullName": _full(user.first_name, user.last_name) if user else None,
        "mailbox.name": mailbox.name if mailbox else None,
        "mailbox.email": mailbox.email if mailbox else None,
        "conversation.number": str(number) if number is not None else None,
    }


def html_to_markdownish(html: str) -> str:
    """A saved reply's HTML as text for the composer: paragraphs, ``- `` list items, links as
    ``text <url>`` (the one HTML-to-text path, ``html_to_blocks``), control characters gone."""
    out: list[str] = []
    previous_kind = None
    for block in html_to_blocks(html):
        text = clean(block.text)
        if block.kind == "li":
            text = "- " + text.removeprefix("• ").lstrip()
        if block.quoted:
            text = "\n".join(f"> {line}" for line in text.split("\n"))
        if out:
            out.append("\n" if block.kind == "li" and previous_kind == "li" else "\n\n")
        out.append(text)
        previous_kind = block.kind
    return "".join(out)


@dataclass(frozen=True)
class Insertable:
    """A saved reply ready for the cursor, and the placeholders left as written."""

    text: str
    unknown: tuple[str, ...] = ()

    @property
    def notice(self) -> str | None:
        """The one line the composer shows when placeholders were left unfilled."""
        if not self.unknown:
            return None
        names = ", ".join(f"{{%{n}%}}" for n in self.unknown)
        word = "variable" if len(self.unknown) == 1 else "variables"
        return f"Left as written: unknown {word} {names}."


def prepare(html: str, context: dict[str, str | None]) -> Insertable:
    """Make composer text, then fill the variables (after, so a value is never read as HTML)."""
    filled, unknown = fill_variables(html_to_markdownish(html), context)
    return Insertable(filled, tuple(unknown))
