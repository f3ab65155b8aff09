"""The customer panel's list of the customer's other conversations, and ``H`` to open one."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from hsinbox.helpscout.models import Conversation
from hsinbox.inbox.text import safe_text
from hsinbox.tui.dialogs import Choice

SHOWN = 8


def _when(conv: Conversation) -> datetime | None:
    return conv.created_at or conv.modified_at


def _naive(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=None) if moment is not None else None


def history_line(conv: Conversation, *, compact: bool = False) -> Text:
    """``#10042  closed  2026-02-11  Refund for…`` (compact: the subject on its own line)."""
    line = Text(f"#{conv.number or conv.id}", "bold", end="")
    line.append(f"  {conv.status}", "italic dim")
    when = _when(conv)
    if when is not None:
        line.append(f"  {when.strftime('%Y-%m-%d')}", "dim")
    subject = safe_text(conv.subject or "(no subject)")
    subject.truncate(25 if compact else 50, overflow="ellipsis")
    line.append("\n  " if compact else "  ")
    line.append(subject)
    return line


def newest_first(convs: list[Conversation]) -> list[Conversation]:
    floor = datetime.min
    return sorted(
        convs,
        key=lambda c: (_naive(_when(c)) or floor, c.id),
        reverse=True,
    )


def render_history(convs: list[Conversation] | None, current_id: int | None) -> Text:
    """The panel's section under the customer card."""
    out = Text("\n\nOther conversations", "bold", end="")
    if convs is None:
        out.append("\nLoading…", "dim")
        return out
    others = [c for c in newest_first(convs) if c.id != current_id]
    if not others:
        out.append("\nnone", "dim")
        return out
    out.append("  H opens", "dim")
    for conv in others[:SHOWN]:
        out.append("\n")
        out.append(history_line(conv, compact=True))
    if len(others) > SHOWN:
        out.append(f"\n… and {len(others) - SHOWN} more (H)", "dim")
    return out


def history_choices(convs: list[Conversation], current_id: int | None) -> list[Choice]:
    return [
        Choice(str(c.id), history_line(c), f"{c.number} {c.status} {c.subject or ''}")
        for c in newest_first(convs)
        if c.id != current_id
    ]
