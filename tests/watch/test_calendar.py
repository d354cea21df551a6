"""Working days from chinese-calendar: holidays skipped, adjusted Saturdays worked."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hub.watch.calendar import add_working, is_workday

CN = ZoneInfo("Asia/Shanghai")


def test_three_working_days_cross_national_day_onto_the_adjusted_saturday():
    # 2026: 1-7 October off, Saturday 10 October a working day (调休).
    start = datetime(2026, 9, 30, 10, tzinfo=CN)
    assert add_working(start, timedelta(days=3)) == datetime(2026, 10, 10, 10, tzinfo=CN)
    assert is_workday(datetime(2026, 10, 10).date())
    assert not is_workday(datetime(2026, 10, 3).date())


def test_a_plain_weekend_is_skipped_and_a_weekday_is_wall_clock():
    friday = datetime(2026, 11, 20, 16, tzinfo=CN)
    assert add_working(friday, timedelta(hours=10)) == datetime(2026, 11, 23, 2, tzinfo=CN)
    wednesday = datetime(2026, 12, 2, 10, tzinfo=CN)
    assert add_working(wednesday, timedelta(minutes=5)) == wednesday + timedelta(minutes=5)


def test_a_start_on_a_holiday_counts_from_the_next_working_day():
    assert add_working(datetime(2026, 10, 2, 9, tzinfo=CN), timedelta(hours=1)) == datetime(
        2026, 10, 8, 1, tzinfo=CN)


def test_a_year_without_data_falls_back_to_monday_to_friday():
    # chinese-calendar publishes a year once the State Council has.
    assert is_workday(datetime(2031, 3, 3).date())       # a Monday
    assert not is_workday(datetime(2031, 3, 1).date())   # a Saturday


def test_the_answer_keeps_the_callers_time_zone():
    from datetime import UTC
    start = datetime(2026, 12, 2, 2, tzinfo=UTC)
    assert add_working(start, timedelta(hours=1)).tzinfo == UTC
