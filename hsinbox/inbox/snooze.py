"""Snooze times the picker offers, in the agent's local time zone (typed ones are read by
``inbox/times.py``, the one parser, shared with send later).

Help Scout takes ``snoozedUntil`` in UTC, in the future and before 2100; these helpers work
in local time (what the agent means) and hand out aware datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from hsinbox.inbox.times import local_now


@dataclass(frozen=True)
class SnoozeChoice:
    label: str
    until: datetime

    @property
    def shown(self) -> str:
        return f"{self.label} ({self.until.strftime('%a %d %b %H:%M')})"


def choices(now: datetime | None = None, tz: tzinfo | None = None) -> list[SnoozeChoice]:
    """Later today (+3 h), tomorrow 09:00, next Monday 09:00, in one week."""
    local = local_now(now, tz).replace(second=0, microsecond=0)
    nine = local.replace(hour=9, minute=0)
    tomorrow = nine + timedelta(days=1)
    days_to_monday = (7 - local.weekday()) % 7 or 7
    return [
        SnoozeChoice("Later today", local + timedelta(hours=3)),
        SnoozeChoice("Tomorrow", tomorrow),
        SnoozeChoice("Next Monday", nine + timedelta(days=days_to_monday)),
        SnoozeChoice("In one week", local + timedelta(days=7)),
    ]
