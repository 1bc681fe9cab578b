"""India time: the one place where a moment becomes a day or a month in India.

Haat stores moments in UTC; a member's day, her month's savings, an invoice's date and the dashboards' months
are Indian ones. India keeps no daylight saving time, so a day there runs 18:30 to 18:30 UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

INDIA = ZoneInfo("Asia/Kolkata")


def today() -> date:
    """Today's date in India."""
    return datetime.now(INDIA).date()


def day_of(moment: datetime) -> date:
    """The calendar date in India at that moment."""
    return moment.astimezone(INDIA).date()


def month_of(moment: datetime | None = None) -> date:
    """The first day of the Indian month of a moment (now unless given)."""
    return day_of(moment or datetime.now(UTC)).replace(day=1)


def month_of_day(day: date) -> date:
    """The first day of a date's month."""
    return day.replace(day=1)


def noon(day: date) -> datetime:
    """A moment (UTC) for something that happened on `day` in India: noon there, safely inside the day."""
    return datetime.combine(day, time(12), INDIA).astimezone(UTC)


def month_start(day: date) -> datetime:
    """The moment (UTC) the Indian month of `day` begins: midnight of its first day in India."""
    return noon(day.replace(day=1)) - timedelta(hours=12)
