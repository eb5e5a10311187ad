"""The maintained sources of the official calendar (国务院办公厅 节假日安排), and their cross-check.

Two packages carry the State Council's arrangements: ``chinesecalendar`` (the primary one) and
``holidays`` (its ``China`` class, checked against the same notices). Each covers the years
whose notice it has transcribed; beyond those a year is *not covered* — never guessed: the
administrator loads the year's notice into the store (``mulu calendar load``, see
``catalog.sharing.calendar``). Where two sources cover a year they are compared day by day and
every day they disagree on is reported, never settled silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import chinese_calendar

PRIMARY = "chinesecalendar"
SECONDARY = "holidays"
LOADED = "loaded"  # the administrator's data in the store
PACKAGES = (PRIMARY, SECONDARY)
HOLIDAYS_CHECKED_SINCE = 2001  # holidays' China: "only checked with the official notice from 2001"


@cache
def package_years(source: str) -> frozenset[int]:
    """The years ``source`` has the official arrangement of."""
    if source == PRIMARY:
        return frozenset(day.year for day in chinese_calendar.holidays)
    from holidays.countries.china import ChinaStaticHolidays

    # a year's 调休 days are the notice's own data; years after the last one are estimates
    last = max(ChinaStaticHolidays.special_public_holidays)
    return frozenset(range(HOLIDAYS_CHECKED_SINCE, last + 1))


def package_version(source: str) -> str:
    if source == PRIMARY:
        return str(getattr(chinese_calendar, "__version__", "?"))
    import holidays

    return str(holidays.__version__)


@cache
def package_year(source: str, year: int) -> Mapping[date, bool]:
    """The days of ``year`` that ``source`` makes differ from Monday–Friday (a weekday off is
    False, a make-up working day on a weekend True); empty when it does not cover the year."""
    if year not in package_years(source):
        return {}
    days = _days_of(year)
    if source == PRIMARY:
        return {day: on for day in days
                if (on := bool(chinese_calendar.is_workday(day))) != _weekday(day)}
    import holidays

    china = holidays.China(years=year)
    weekend_work = set(china.weekend_workdays)
    return {day: on for day in days
            if (on := day not in china and (_weekday(day) or day in weekend_work))
            != _weekday(day)}


def package_day_name(day: date) -> str:
    """The Chinese name of the holiday ``day`` belongs to, as the primary package knows it
    ("" for a make-up working day or a day it does not name)."""
    if day.year not in package_years(PRIMARY):
        return ""
    _, name = chinese_calendar.get_holiday_detail(day)
    found = next((h for h in chinese_calendar.Holiday if h.value == name), None)
    return str(found.chinese) if found is not None else ""


def package_workday(day: date) -> bool | None:
    """The first package covering ``day``'s year decides; None when none does."""
    for source in PACKAGES:
        if day.year in package_years(source):
            return package_year(source, day.year).get(day, _weekday(day))
    return None


@dataclass(frozen=True)
class Disagreement:
    """A day two sources of the official calendar answer differently."""

    day: date
    workday: Mapping[str, bool]  # source -> is it a working day

    def as_dict(self) -> dict[str, object]:
        return {"day": self.day.isoformat(), "workday": dict(self.workday)}


def disagreements(years: Iterable[int],
                  loaded: Mapping[int, Mapping[date, bool]]) -> list[Disagreement]:
    """Every day of ``years`` on which the sources covering it (the packages and the loaded
    arrangement) do not all agree."""
    found: list[Disagreement] = []
    for year in sorted(set(years)):
        views: dict[str, Mapping[date, bool]] = {
            source: package_year(source, year) for source in PACKAGES
            if year in package_years(source)}
        if year in loaded:
            views[LOADED] = loaded[year]
        if len(views) < 2:
            continue
        for day in sorted(set().union(*views.values())):
            answers = {source: days.get(day, _weekday(day)) for source, days in views.items()}
            if len(set(answers.values())) > 1:
                found.append(Disagreement(day, answers))
    return found


def _weekday(day: date) -> bool:
    return day.weekday() < 5


def _days_of(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=n) for n in range((date(year + 1, 1, 1) - first).days)]
