"""Deadlines counted in Chinese working days: public holidays off, adjusted
working weekends (调休) on, from `chinese-calendar` (maintained each year from
the State Council's notice), never a hand-written list.

A duration in working time is walked day by day in China's time zone: a
working day counts all its 24 hours, any other day none. So 3 working days
from Wednesday 10:00 before the National Day holiday end on the first
working days after it, and a Saturday made a working day counts like a
Monday. For a year the library has no data for yet (the notice comes each
November), Monday to Friday are working days and the fallback is logged."""

from __future__ import annotations

import functools
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import structlog

log = structlog.get_logger("hub.watch.calendar")
CHINA = ZoneInfo("Asia/Shanghai")
_DAY = timedelta(days=1)


@functools.lru_cache(maxsize=4096)
def is_workday(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        _warn_once(day.year)
        return day.weekday() < 5


@functools.lru_cache(maxsize=64)
def _warn_once(year: int) -> None:
    log.warning("calendar.no_data", year=year, fallback="Monday to Friday")


def add_working(start: datetime, duration: timedelta) -> datetime:
    """``start`` plus ``duration`` of working time (aware datetimes)."""
    t = start.astimezone(CHINA)
    left = duration
    while left > timedelta(0):
        midnight = datetime.combine(t.date() + _DAY, time(0), tzinfo=CHINA)
        if is_workday(t.date()):
            step = min(left, midnight - t)
            t += step
            left -= step
        else:
            t = midnight
    return t.astimezone(start.tzinfo)
