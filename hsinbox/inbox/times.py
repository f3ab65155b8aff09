"""Typed times an agent actually types, read in their local time zone: the one parser of
the snooze and send-later fields.

``tomorrow``, ``tomorrow 14:00``, ``today 17``, ``mon``, ``monday 9``, ``next fri 2pm``,
``3h``, ``2d``, ``90m``, ``in 90 minutes``, ``14:30`` (today, else tomorrow), ``2026-12-09``,
``2026-12-09 09:00``. A day without a time means 09:00; a weekday is always a day after today
(``today …`` names today). Help Scout wants the result in the future and before 2100, so
those are checked here, with one sentence for the agent when the text is not a time.

Local time: a wall-clock time is made aware in ``tz`` (a ZoneInfo, so a date across a DST
change gets that day's offset), or in the system's local zone when ``tz`` is None.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, tzinfo

DEFAULT_HOUR = 9
LATEST_YEAR = 2100

HINT = "Type a time like tomorrow 9, mon 14:00, 3h, in 90 minutes or 2026-12-09 09:00."

_WEEKDAYS = {
    "mon": 0,
    "monday": 0,
    "tue": 1,
    "tues": 1,
    "tuesday": 1,
    "wed": 2,
    "weds": 2,
    "wednesday": 2,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "thursday": 3,
    "fri": 4,
    "friday": 4,
    "sat": 5,
    "saturday": 5,
    "sun": 6,
    "sunday": 6,
}
_UNITS = {
    "m": "minutes",
    "min": "minutes",
    "mins": "minutes",
    "minute": "minutes",
    "minutes": "minutes",
    "h": "hours",
    "hr": "hours",
    "hrs": "hours",
    "hour": "hours",
    "hours": "hours",
    "d": "days",
    "day": "days",
    "days": "days",
    "w": "weeks",
    "wk": "weeks",
    "week": "weeks",
    "weeks": "weeks",
}

_RELATIVE = re.compile(r"^(?:in\s+)?(\d{1,4})\s*([a-z]+)$")
_CLOCK = re.compile(r"^(?:at\s+)?(\d{1,2})(?:[:.h](\d\d))?\s*(am|pm)?$")
_ISO = re.compile(r"^(\d{4}-\d\d-\d\d)(?:[ t]+(?:at\s+)?(.+))?$")
_DAY = re.compile(r"^(today|tomorrow|tmrw|tmr|(?:next\s+)?[a-z]+)(?:\s+(.+))?$")


class TimeRefused(ValueError):
    """Typed text that is not a usable time; ``str()`` is one sentence for the agent."""


def local_now(now: datetime | None = None, tz: tzinfo | None = None) -> datetime:
    """``now`` (default: the clock) in ``tz``, else in the system's local zone."""
    moment = now or datetime.now().astimezone()
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.astimezone(tz) if tz is not None else moment.astimezone()


def at_local(day: date, clock: time, tz: tzinfo | None) -> datetime:
    """The wall-clock ``day clock`` as an aware datetime (that day's offset)."""
    naive = datetime.combine(day, clock)
    return naive.replace(tzinfo=tz) if tz is not None else naive.astimezone()


def _clock(text: str) -> time | None:
    m = _CLOCK.match(text.strip())
    if m is None:
        return None
    hour, minute, half = int(m.group(1)), int(m.group(2) or 0), m.group(3)
    if half is not None:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def parse_when(text: str, now: datetime | None = None, tz: tzinfo | None = None) -> datetime:
    """The moment ``text`` names, aware, in the future and before 2100; else TimeRefused."""
    raw = " ".join((text or "").lower().split())
    if not raw:
        raise TimeRefused(HINT)
    local = local_now(now, tz)
    when = _parse(raw, local, tz)
    if when is None:
        raise TimeRefused(HINT)
    if when <= local:
        raise TimeRefused("That time has passed; pick one in the future.")
    if when.year >= LATEST_YEAR:
        raise TimeRefused("Pick a time before 2100.")
    return when


def _parse(raw: str, local: datetime, tz: tzinfo | None) -> datetime | None:
    rel = _RELATIVE.match(raw)
    if rel is not None and rel.group(2) in _UNITS:
        amount = int(rel.group(1))
        if amount == 0:
            return None
        try:
            return local + timedelta(**{_UNITS[rel.group(2)]: amount})
        except OverflowError:
            return None
    iso = _ISO.match(raw)
    if iso is not None:
        try:
            day = date.fromisoformat(iso.group(1))
        except ValueError:
            raise TimeRefused("That is not a real date.") from None
        clock = time(DEFAULT_HOUR) if iso.group(2) is None else _clock(iso.group(2))
        return None if clock is None else at_local(day, clock, tz)
    clock = _clock(raw)
    if clock is not None:
        today = at_local(local.date(), clock, tz)
        return today if today > local else at_local(local.date() + timedelta(days=1), clock, tz)
    named = _DAY.match(raw)
    if named is None:
        return None
    word, rest = named.group(1), named.group(2)
    clock = time(DEFAULT_HOUR) if rest is None else _clock(rest)
    if clock is None:
        return None
    if word == "today":
        day = local.date()
    elif word in ("tomorrow", "tmrw", "tmr"):
        day = local.date() + timedelta(days=1)
    else:
        name = word.removeprefix("next ").strip()
        if name not in _WEEKDAYS:
            return None
        ahead = (_WEEKDAYS[name] - local.weekday()) % 7 or 7
        day = local.date() + timedelta(days=ahead)
    return at_local(day, clock, tz)


def read_back(when: datetime, now: datetime | None = None, tz: tzinfo | None = None) -> str:
    """``Tue 9 Dec 09:00`` in local time (the year added when it is not this year's)."""
    local_when = when.astimezone(tz) if tz is not None else when.astimezone()
    this_year = local_now(now, tz).year
    shown = f"{local_when:%a} {local_when.day} {local_when:%b}"
    if local_when.year != this_year:
        shown += f" {local_when.year}"
    return f"{shown} {local_when:%H:%M}"


def short(when: datetime, now: datetime | None = None, tz: tzinfo | None = None) -> str:
    """A list cell's form: ``14:00`` today, ``Mon 09:00`` within a week, else ``9 Dec``."""
    local_when = when.astimezone(tz) if tz is not None else when.astimezone()
    local = local_now(now, tz)
    days = (local_when.date() - local.date()).days
    if days == 0:
        return f"{local_when:%H:%M}"
    if 0 < days < 7:
        return f"{local_when:%a %H:%M}"
    return f"{local_when.day} {local_when:%b}"
