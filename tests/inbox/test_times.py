"""The one typed-time parser (snooze and send later), with a fixed now and time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from hsinbox.inbox.times import TimeRefused, parse_when, read_back, short

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
# Tuesday 8 December 2026, 15:20 in Paris (14:20 UTC).
NOW = datetime(2026, 12, 8, 14, 20, tzinfo=UTC)


def local(text: str, tz: ZoneInfo = PARIS, now: datetime = NOW) -> str:
    return parse_when(text, now, tz).strftime("%a %Y-%m-%d %H:%M")


@pytest.mark.parametrize(
    ("typed", "wanted"),
    [
        ("tomorrow", "Wed 2026-12-09 09:00"),
        ("Tomorrow 14:00", "Wed 2026-12-09 14:00"),
        ("tomorrow at 2pm", "Wed 2026-12-09 14:00"),
        ("tmrw 9", "Wed 2026-12-09 09:00"),
        ("today 17", "Tue 2026-12-08 17:00"),
        ("mon", "Mon 2026-12-14 09:00"),
        ("monday 9", "Mon 2026-12-14 09:00"),
        ("tue", "Tue 2026-12-15 09:00"),  # a weekday is never today
        ("next fri 2:30pm", "Fri 2026-12-11 14:30"),
        ("thurs 12am", "Thu 2026-12-10 00:00"),
        ("3h", "Tue 2026-12-08 18:20"),
        ("2d", "Thu 2026-12-10 15:20"),
        ("90m", "Tue 2026-12-08 16:50"),
        ("in 90 minutes", "Tue 2026-12-08 16:50"),
        ("in 2 hours", "Tue 2026-12-08 17:20"),
        ("1 week", "Tue 2026-12-15 15:20"),
        ("14:30", "Wed 2026-12-09 14:30"),  # passed today: tomorrow
        ("16:05", "Tue 2026-12-08 16:05"),
        ("9", "Wed 2026-12-09 09:00"),
        ("2026-12-24", "Thu 2026-12-24 09:00"),
        ("2026-12-24 18:45", "Thu 2026-12-24 18:45"),
        ("2026-12-24T07:05", "Thu 2026-12-24 07:05"),
        ("  2027-01-02   10:00 ", "Sat 2027-01-02 10:00"),
    ],
)
def test_typed_times(typed: str, wanted: str) -> None:
    assert local(typed) == wanted


def test_result_is_aware_in_the_zone_and_exact() -> None:
    when = parse_when("tomorrow 9", NOW, PARIS)
    assert when.tzinfo is not None
    assert when.astimezone(UTC) == datetime(2026, 12, 9, 8, 0, tzinfo=UTC)
    assert parse_when("3h", NOW, PARIS).astimezone(UTC) == datetime(2026, 12, 8, 17, 20, tzinfo=UTC)


def test_a_date_across_a_dst_change_gets_that_days_offset() -> None:
    march = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)  # New York: EST (-5) now
    when = parse_when("2026-03-09 09:00", march, NEW_YORK)  # after the change: EDT (-4)
    assert when.astimezone(UTC) == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)
    monday = parse_when("mon 9", march, NEW_YORK)
    assert monday.astimezone(UTC) == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("", "Type a time like"),
        ("soonish", "Type a time like"),
        ("25:00", "Type a time like"),
        ("13pm", "Type a time like"),
        ("0h", "Type a time like"),
        ("funday 9", "Type a time like"),
        ("tomorrow 9:75", "Type a time like"),
        ("2026-02-30 09:00", "not a real date"),
        ("2026-12-08 09:00", "passed"),
        ("today 8", "passed"),
        ("2100-01-01", "before 2100"),
        ("9999 weeks", "before 2100"),
    ],
)
def test_refusals_are_one_sentence(typed: str, says: str) -> None:
    with pytest.raises(TimeRefused) as caught:
        parse_when(typed, NOW, PARIS)
    message = str(caught.value)
    assert says in message and message.endswith(".") and "\n" not in message


def test_read_back_and_short_forms() -> None:
    when = parse_when("tomorrow 9", NOW, PARIS)
    assert read_back(when, NOW, PARIS) == "Wed 9 Dec 09:00"
    assert (
        read_back(parse_when("2027-01-02 10:00", NOW, PARIS), NOW, PARIS) == "Sat 2 Jan 2027 10:00"
    )
    assert short(when, NOW, PARIS) == "Wed 09:00"
    assert short(parse_when("16:05", NOW, PARIS), NOW, PARIS) == "16:05"
    assert short(parse_when("2026-12-24", NOW, PARIS), NOW, PARIS) == "24 Dec"
