"""The thread header's and thread's one-line views of attachments, custom fields and a snooze.

They live apart from their screens (``F``, ``f``, ``z``) so the first screen does not import
the forms and pickers it has not opened yet.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from hsinbox.helpscout.models import Attachment, Conversation, MailboxField
from hsinbox.inbox.attachments import TRUSTED_STATES, safe_filename
from hsinbox.inbox.text import human_size, safe_text


def attachment_line(att: Attachment) -> Text:
    """``📎 screenshot.png  image/png  1.2 KB``: the safe name, the type and the size."""
    line = Text("📎 ", end="")
    line.append(safe_text(safe_filename(att.filename)))
    if att.mime_type:
        line.append(f"  {safe_text(att.mime_type).plain}", "dim italic")
    line.append(f"  {human_size(att.size)}", "dim")
    if att.state not in TRUSTED_STATES:  # o refuses it; say why before it is asked
        line.append("  ⚠ not marked safe by Help Scout", "bold yellow")
    return line


def field_value_text(
    conv: Conversation, definitions: list[MailboxField] | None = None, width: int | None = None
) -> Text:
    """``Plan: Pro · Ticket date: 2026-11-20 · …`` (dropdowns by label), or empty.

    With ``width``, a field that would not fit on the line starts the next one: the line
    breaks between fields, never inside "Name: value" (unless one field alone is wider).
    """
    by_id = {d.id: d for d in definitions or []}
    out = Text(end="")
    line_used = 0
    for f in conv.custom_fields:
        if f.value in (None, ""):
            continue
        definition = by_id.get(f.id or 0)
        shown = f.text
        if definition is not None and definition.type == "dropdown":
            option = definition.option(f.value)
            shown = option.label if option else shown
        field = safe_text(f"{f.name or (definition.name if definition else f.id)}: ", "dim")
        field.append(safe_text(str(shown if shown not in (None, "") else f.value)))
        if out.plain:
            if width is not None and line_used + len(FIELD_GAP) + field.cell_len > width:
                out.append("\n")
                line_used = 0
            else:
                out.append(FIELD_GAP, "dim")
                line_used += len(FIELD_GAP)
        out.append_text(field)
        line_used += field.cell_len
    return out


FIELD_GAP = "  ·  "


def wake_time(until: datetime) -> str:
    """A wake-up time as the agent reads it: local time, to the minute."""
    return until.astimezone().strftime("%a %d %b %H:%M")


def snooze_line(conv: Conversation) -> Text | None:
    """The thread header's line for a snoozed conversation."""
    info = conv.snooze
    if info is None or info.snoozed_until is None:
        return None
    line = Text("💤 Snoozed until ", "magenta", end="")
    line.append(wake_time(info.snoozed_until), "bold magenta")
    if info.unsnooze_on_customer_reply:
        line.append("  (or when the customer replies)", "dim")
    return line
