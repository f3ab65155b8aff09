"""How a scheduled reply shows: the list's waiting cell ("⏱ Mon 09:00"), the thread header's
line and the scheduled draft's badge in the thread (kept apart from the keys in
``send_later.py`` so the list and the thread pane import no screen)."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from hsinbox.helpscout.models import Conversation, Thread
from hsinbox.inbox.scheduled import scheduled_event
from hsinbox.inbox.times import read_back, short

CLOCK = "⏱"


def scheduled_cell(conv: Conversation, now: datetime) -> Text | None:
    """The list's waiting cell of a conversation with a reply waiting to go out."""
    event = scheduled_event(conv)
    if event is None or event.time is None or event.time <= now:
        return None
    return Text(f"{CLOCK} {short(event.time, now)}", "italic cyan")


def scheduled_line(conv: Conversation) -> Text | None:
    """The thread header's line for a scheduled reply."""
    event = scheduled_event(conv)
    if event is None or event.time is None:
        return None
    line = Text(f"{CLOCK} Reply scheduled for ", "cyan", end="")
    line.append(read_back(event.time), "bold cyan")
    if event.cancel_on_customer_reply:
        line.append("  (cancelled if the customer replies)", "dim")
    line.append("  S send now · U unschedule · L edit", "dim")
    return line


def thread_badge(thread: Thread) -> Text | None:
    """A scheduled draft's badge in the thread: when it goes out."""
    scheduled = thread.scheduled
    if scheduled is None or scheduled.scheduled_for is None or not thread.is_draft:
        return None
    return Text(f"  {CLOCK} {read_back(scheduled.scheduled_for)}", "bold cyan")
