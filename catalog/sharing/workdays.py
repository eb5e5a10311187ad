"""Chinese working days: public holidays off, make-up working days (调休) on.

The official calendar (法定节假日 and 调休 as announced by the State Council each year) is, per
year: the arrangement an administrator loaded into the store (``calendar_days``, ``mulu calendar
load``), else the maintained packages (``catalog.sharing.calendar_sources``). A deployment adds
its own days (a provincial holiday, an extra working Saturday) in ``workday_overrides``, which
win over both. A year no source covers counts Monday–Friday, and is never silent about it: the
log says so, and ``catalog.sharing.calendar`` warns administrators (health endpoint, admin API,
``mulu calendar status``) from November on when next year's days are missing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.db import CalendarDay, CalendarYear, WorkdayOverride
from catalog.sharing.calendar_sources import PACKAGES, package_workday, package_years

log = logging.getLogger("mulu.sharing")
_WARNED: set[int] = set()
CHINA = timezone(timedelta(hours=8), "CST")  # China Standard Time, no daylight saving
MAX_SPAN = 3650  # working days; beyond this an addition is surely a mistake


def local_date(moment: datetime) -> date:
    """The calendar date in China at ``moment`` (naive datetimes are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(CHINA).date()


def official_workday(day: date, loaded: Mapping[int, Mapping[date, bool]] | None = None) -> bool:
    """The State Council calendar: the loaded arrangement of ``day``'s year, else the packages;
    Monday–Friday (logged) for a year nobody has the arrangement of."""
    if loaded is not None and day.year in loaded:
        return loaded[day.year].get(day, day.weekday() < 5)
    answer = package_workday(day)
    if answer is not None:
        return answer
    if day.year not in _WARNED:
        _WARNED.add(day.year)
        log.warning("no official holidays for %s (not loaded, not in %s): counting Monday–Friday "
                    "until an administrator loads the State Council's notice with "
                    "`mulu calendar load` (or PUT /api/admin/calendar/years/%s)",
                    day.year, " or ".join(PACKAGES), day.year)
    return day.weekday() < 5


def covered_years() -> range:
    """The years the installed calendar packages know the holidays of."""
    years = set().union(*(package_years(source) for source in PACKAGES))
    return range(min(years), max(years) + 1)


@dataclass(frozen=True)
class WorkCalendar:
    """The deployment's calendar: the official one plus its own ``overrides``."""

    overrides: Mapping[date, bool] = field(default_factory=dict)
    loaded: Mapping[int, Mapping[date, bool]] = field(default_factory=dict)  # year -> its days

    def is_workday(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        return official_workday(day, self.loaded)

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
    return WorkCalendar({day: workday for day, workday in rows}, load_official(session))


def load_official(session: Session) -> dict[int, dict[date, bool]]:
    """The arrangements loaded into the store: year -> the days that differ from Mon–Fri."""
    loaded: dict[int, dict[date, bool]] = {
        year: {} for year in session.scalars(select(CalendarYear.year))}
    for day, workday in session.execute(select(CalendarDay.day, CalendarDay.workday)):
        loaded.setdefault(day.year, {})[day] = workday
    return loaded
