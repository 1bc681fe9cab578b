"""India time: a day there runs 18:30 to 18:30 UTC, and every module asks market.core.clock for it."""

from datetime import UTC, date, datetime

from market.core import clock


def test_a_moment_after_1830_utc_is_the_next_day_and_month_in_india():
    late = datetime(2026, 3, 31, 18, 45, tzinfo=UTC)
    assert clock.day_of(late) == date(2026, 4, 1)
    assert clock.month_of(late) == date(2026, 4, 1)
    assert clock.month_of(datetime(2026, 3, 31, 18, 15, tzinfo=UTC)) == date(2026, 3, 1)


def test_noon_and_month_start_are_utc_moments_of_indian_days():
    assert clock.noon(date(2026, 5, 17)) == datetime(2026, 5, 17, 6, 30, tzinfo=UTC)
    assert clock.month_start(date(2026, 5, 17)) == datetime(2026, 4, 30, 18, 30, tzinfo=UTC)
    assert clock.month_of_day(date(2026, 5, 17)) == date(2026, 5, 1)
