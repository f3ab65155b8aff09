"""Snooze times the picker offers, and typed ones read back, in the agent's local time zone.

Help Scout takes ``snoozedUntil`` in UTC, in the future and before 2100; these helpers work
in local time (what the agent means) and hand out aware datetimes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

LATEST = datetime(2100, 1, 1).astimezone()


@dataclass(frozen=True)
class SnoozeChoice:
    label: str
    until: datetime

    @property
    def shown(self) -> str:
        return f"{self.label} ({self.until.strftime('%a %d %b %H:%M')})"


def _local_now(now: datetime | None, tz: tzinfo | None) -> datetime:
    moment = now or datetime.now().astimezone()
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.astimezone(tz) if tz is not None else moment.astimezone()


def choices(now: datetime | None = None, tz: tzinfo | None = None) -> list[SnoozeChoice]:
    """Later today (+3 h), tomorrow 09:00, next Monday 09:00, in one week."""
    local = _local_now(now, tz).replace(second=0, microsecond=0)
    nine = local.replace(hour=9, minute=0)
    tomorrow = nine + timedelta(days=1)
    days_to_monday = (7 - local.weekday()) % 7 or 7
    return [
        SnoozeChoice("Later today", local + timedelta(hours=3)),
        SnoozeChoice("Tomorrow", tomorrow),
        SnoozeChoice("Next Monday", nine + timedelta(days=days_to_monday)),
        SnoozeChoice("In one week", local + timedelta(days=7)),
    ]


class SnoozeTimeRefused(ValueError):
    """A typed time that cannot be a wake-up time; ``str()`` is one sentence."""


_TYPED = re.compile(r"^\s*(\d{4}-\d\d-\d\d)(?:[ T](\d{1,2}):(\d\d))?\s*$")


def parse_typed(text: str, now: datetime | None = None, tz: tzinfo | None = None) -> datetime:
    """``YYYY-MM-DD HH:MM`` (or a date alone: 09:00) in local time, checked to be ahead."""
    m = _TYPED.match(text or "")
    if m is None:
        raise SnoozeTimeRefused("Write the wake-up time as YYYY-MM-DD HH:MM.")
    local = _local_now(now, tz)
    try:
        day = datetime.fromisoformat(m.group(1))
        hour, minute = (int(m.group(2)), int(m.group(3))) if m.group(2) else (9, 0)
        when = day.replace(hour=hour, minute=minute, tzinfo=local.tzinfo)
    except ValueError:
        raise SnoozeTimeRefused("That is not a real date and time.") from None
    if when <= local:
        raise SnoozeTimeRefused("The wake-up time must be in the future.")
    if when.year >= 2100:
        raise SnoozeTimeRefused("The wake-up time must be before 2100.")
    return when
