"""Chinese working days: public holidays off, make-up working days (调休) on.

The official calendar comes from the maintained ``chinesecalendar`` package (法定节假日 and
调休 as announced by the State Council each year); a deployment adds its own days (a provincial
holiday, an extra working Saturday) in the ``workday_overrides`` table. Years the package does
not cover yet fall back to Monday–Friday, still with the deployment's own days.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone

import chinese_calendar
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.db import WorkdayOverride

log = logging.getLogger("mulu.sharing")
_WARNED: set[int] = set()
CHINA = timezone(timedelta(hours=8), "CST")  # China Standard Time, no daylight saving
MAX_SPAN = 3650  # working days; beyond this an addition is surely a mistake


def local_date(moment: datetime) -> date:
    """The calendar date in China at ``moment`` (naive datetimes are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(CHINA).date()


def official_workday(day: date) -> bool:
    """The State Council calendar; Monday–Friday for years it has not announced yet."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        if day.year not in _WARNED:
            _WARNED.add(day.year)
            log.warning("no official holidays for %s in chinesecalendar %s: counting Monday–"
                        "Friday (upgrade the package, or add the days with `mulu workdays set`)",
                        day.year, getattr(chinese_calendar, "__version__", "?"))
        return day.weekday() < 5


def covered_years() -> range:
    """The years the installed calendar package knows the holidays of."""
    years = {day.year for day in chinese_calendar.holidays}
    return range(min(years), max(years) + 1)


@dataclass(frozen=True)
class WorkCalendar:
    """The deployment's calendar: the official one plus its own ``overrides``."""

    overrides: Mapping[date, bool] = field(default_factory=dict)

    def is_workday(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        return official_workday(day)

    def add(self, start: date, days: int) -> date:
        """The date ``days`` working days after ``start`` (``start`` itself is not counted)."""
        if not 0 <= days <= MAX_SPAN:
            raise ValueError(f"working days must be between 0 and {MAX_SPAN}")
        current = start
        while days > 0:
            current += timedelta(days=1)
            if self.is_workday(current):
                days -= 1
        return current

    def days_left(self, today: date, deadline: date) -> int:
        """Working days after ``today`` up to and including ``deadline`` (0 on the last day);
        after the deadline, minus the working days since it (0 on a holiday right after it:
        test ``today > deadline`` for the breach itself)."""
        if today <= deadline:
            return self.count(today + timedelta(days=1), deadline)
        return -self.count(deadline + timedelta(days=1), today)

    def count(self, first: date, last: date) -> int:
        """Working days from ``first`` through ``last``, both included."""
        total, current = 0, first
        while current <= last:
            total += self.is_workday(current)
            current += timedelta(days=1)
        return total


def load_calendar(session: Session) -> WorkCalendar:
    rows = session.execute(select(WorkdayOverride.day, WorkdayOverride.workday)).all()
    return WorkCalendar({day: workday for day, workday in rows})
