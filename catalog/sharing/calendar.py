"""The official calendar as data an administrator reviews and extends, and its warnings.

Each year's arrangement (国务院办公厅关于 YYYY 年部分节假日安排的通知) comes from the packages
(``calendar_sources``) or, for a year they do not have yet — or to correct one — from the
store: an administrator loads the notice's public holidays and make-up working days
(``mulu calendar load FILE``, ``PUT /api/admin/calendar/years/<year>``), audited. Nothing is
invented: a year nobody loaded and no package has is *missing*, and from November on a missing
next year is a warning on the health endpoint, in the log and in the admin API, as is any day
the sources disagree on this year or next.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from marshmallow import RAISE, Schema, fields, validate
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from catalog import audit, policy
from catalog.actors import Actor
from catalog.db import CalendarDay, CalendarYear
from catalog.errors import InvalidInput, Message, NotFound
from catalog.schemas import IsoDate, Text
from catalog.sharing import calendar_sources as sources
from catalog.sharing.inputs import load
from catalog.sharing.workdays import load_official, local_date
from catalog.store import Store

log = logging.getLogger("mulu.calendar")
WARN_FROM_MONTH = 11  # the State Council publishes next year's notice in November or December
MAX_HOLIDAY_SPAN = 15  # days in one holiday period; the longest so far is 9 (春节 2026)
FIRST_YEAR, LAST_YEAR = 2000, 2100


def require_admin(actor: Actor) -> None:
    """Only administrators change the calendar (official years and local days alike)."""
    policy.check(actor, "calendar.manage")


class HolidayInput(Schema):
    class Meta:
        unknown = RAISE

    start = IsoDate(required=True, metadata={"description": "first day off"})
    end = IsoDate(load_default=None, metadata={"description": "last day off (default: start)"})
    name = Text(required=True, validate=validate.Length(min=1, max=100),
                metadata={"description": "节日名称, e.g. 春节"})


class MakeupInput(Schema):
    class Meta:
        unknown = RAISE

    date = IsoDate(required=True, metadata={"description": "a Saturday or Sunday worked (调休上班)"})
    name = Text(load_default="", validate=validate.Length(max=100))


class ArrangementInput(Schema):
    """One year's notice: its public holidays (periods off) and make-up working days."""

    class Meta:
        unknown = RAISE

    year = fields.Integer(load_default=None, strict=True,
                          metadata={"description": "the notice's year (the path's, if given)"})
    notice = Text(required=True, validate=validate.Length(min=1, max=300),
                  metadata={"description": "the notice, e.g. 国务院办公厅关于2027年部分节假日安排的通知"})
    holidays = fields.List(fields.Nested(HolidayInput), required=True,
                           validate=validate.Length(min=1, max=40))
    workdays = fields.List(fields.Nested(MakeupInput), load_default=list,
                           validate=validate.Length(max=40))


class DayInput(Schema):
    """One day added to a year's official arrangement (the admin page's form)."""

    class Meta:
        unknown = RAISE

    day = IsoDate(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(("holiday", "workday")),
                         metadata={"description": "holiday (a day off) or workday (调休上班)"})
    name = Text(load_default="", validate=validate.Length(max=100))
    notice = Text(load_default="", validate=validate.Length(max=300),
                  metadata={"description": "the notice, for a year not loaded yet"})


class DayRemoval(Schema):
    class Meta:
        unknown = RAISE

    day = IsoDate(required=True)
    notice = Text(load_default="", validate=validate.Length(max=300))


HOLIDAY_NAME = "法定节假日"  # a holiday day nobody named
NO_HOLIDAY_LEFT = Message("一年的安排至少要有一个假日；要撤销整年的安排，请删除该年已载入的安排。",
                          "A year's arrangement keeps at least one holiday; to drop the whole "
                          "year, remove its loaded arrangement.")


FIRST_HOLIDAY = Message("该年尚无任何假日：请先添加一个假日，再添加调休上班日。",
                        "The year has no holiday yet: add a holiday before a make-up working day.")


@dataclass(frozen=True)
class CalendarWarning:
    code: str  # year_missing | next_year_missing | sources_disagree
    year: int
    message: Message

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "year": self.year, "message": self.message.as_dict()}


@dataclass
class CalendarStatus:
    today: date
    years: list[dict[str, Any]]
    warnings: list[CalendarWarning] = field(default_factory=list)
    disagreements: list[sources.Disagreement] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.warnings

    def as_dict(self) -> dict[str, Any]:
        return {"today": self.today.isoformat(), "ok": self.ok, "years": self.years,
                "warnings": [w.as_dict() for w in self.warnings],
                "disagreements": [d.as_dict() for d in self.disagreements],
                "packages": {s: sources.package_version(s) for s in sources.PACKAGES}}


def status(session: Session, today: date) -> CalendarStatus:
    """Which source covers which year, the warnings due ``today``, and every disagreement."""
    loaded = load_official(session)
    notices = dict(session.execute(select(CalendarYear.year, CalendarYear.notice)).all())
    covered = {year: [s for s in sources.PACKAGES if year in sources.package_years(s)]
               for year in range(today.year - 1, today.year + 2)}
    for year in loaded:
        covered.setdefault(year, [s for s in sources.PACKAGES
                                  if year in sources.package_years(s)])
    years = [{"year": year, "sources": ([sources.LOADED] if year in loaded else []) + packages,
              "notice": notices.get(year)} for year, packages in sorted(covered.items())]
    all_years = set(loaded).union(*(sources.package_years(s) for s in sources.PACKAGES))
    found = sources.disagreements(all_years, loaded)
    result = CalendarStatus(today, years, disagreements=found)
    by_year = {entry["year"]: entry["sources"] for entry in years}
    if not by_year[today.year]:
        result.warnings.append(CalendarWarning("year_missing", today.year, Message(
            f"{today.year} 年的法定节假日安排尚未载入，答复期限按周一至周五计算；请载入国务院办公厅通知。",
            f"No official holidays for {today.year}: deadlines count Monday–Friday; load the "
            "State Council's notice.")))
    nxt = today.year + 1
    if today.month >= WARN_FROM_MONTH and not by_year[nxt]:
        result.warnings.append(CalendarWarning("next_year_missing", nxt, Message(
            f"{nxt} 年的法定节假日和调休安排尚未载入，跨年的答复期限将按周一至周五计算；"
            f"国务院办公厅通知发布后请用 `mulu calendar load` 载入。",
            f"The official holidays and make-up working days of {nxt} are missing: deadlines "
            f"that reach into {nxt} count Monday–Friday. Load the State Council's notice with "
            "`mulu calendar load` once it is published.")))
    for year in (today.year, nxt):
        days = [d.day.isoformat() for d in found if d.day.year == year]
        if days:
            result.warnings.append(CalendarWarning("sources_disagree", year, Message(
                f"{year} 年的日历来源不一致（{'、'.join(days)}），请核对国务院办公厅通知。",
                f"The calendar sources disagree on {len(days)} days of {year} "
                f"({', '.join(days)}); check them against the State Council's notice.")))
    return result


def log_warnings(result: CalendarStatus) -> None:
    for warning in result.warnings:
        log.warning("calendar: %s", warning.message.en)


class CalendarService:
    """Review and load the official calendar; ``clock`` is the sharing service's (frozen in
    tests)."""

    def __init__(self, store: Store, clock: Callable[[], datetime]):
        self.store = store
        self.clock = clock

    def today(self) -> date:
        return local_date(self.clock())

    def status(self) -> CalendarStatus:
        with self.store.reading() as session:
            return status(session, self.today())

    def year(self, year: int) -> dict[str, Any]:
        """The official days of ``year`` that differ from Monday–Friday, and who says so."""
        _check_year(year)
        with self.store.reading() as session:
            row = session.get(CalendarYear, year)
            if row is not None:
                days = [{"day": d.day.isoformat(), "workday": d.workday, "name": d.name}
                        for d in session.scalars(select(CalendarDay).where(
                            CalendarDay.year == year).order_by(CalendarDay.day))]
                return {"year": year, "source": sources.LOADED, "notice": row.notice,
                        "loaded_by": row.loaded_by, "loaded_at": row.loaded_at.isoformat(),
                        "days": days}
        for source in sources.PACKAGES:
            if year in sources.package_years(source):
                return {"year": year, "source": source, "notice": None,
                        "days": [{"day": day.isoformat(), "workday": on,
                                  "name": "" if on else sources.package_day_name(day)}
                                 for day, on in sorted(sources.package_year(source,
                                                                             year).items())]}
        return {"year": year, "source": None, "notice": None, "days": []}

    def load_year(self, actor: Actor, year: int | None, data: Any) -> dict[str, Any]:
        """Load (or replace) ``year``'s arrangement; returns the year with the days the other
        sources disagree on."""
        require_admin(actor)
        values = load(ArrangementInput, data)
        year = _one_year(year, values["year"])
        return self._store_year(actor, year, values, "calendar.load")

    def add_day(self, actor: Actor, data: Any) -> dict[str, Any]:
        """Add (or change) one holiday or make-up working day of a year's official
        arrangement. A year not loaded yet starts from what the packages say of it (the
        notice is then required): the administrator extends the official data, audited."""
        require_admin(actor)
        values = load(DayInput, data)
        day = date.fromisoformat(values["day"])
        arrangement = self._arrangement(day.year, values["notice"], drop=day)
        name = values["name"].strip()
        if values["kind"] == "holiday":
            arrangement["holidays"].append({"start": day.isoformat(), "end": None,
                                            "name": name or HOLIDAY_NAME})
            added = f"holidays.{len(arrangement['holidays']) - 1}"
        else:
            arrangement["workdays"].append({"date": day.isoformat(), "name": name})
            added = f"workdays.{len(arrangement['workdays']) - 1}"
        if not arrangement["holidays"]:
            raise InvalidInput({"day": [FIRST_HOLIDAY]})
        try:
            return self._store_year(actor, day.year, load(ArrangementInput, arrangement),
                                    "calendar.add_day", day=day.isoformat(),
                                    kind=values["kind"])
        except InvalidInput as exc:  # the day's own problems are the form's "day"
            raise InvalidInput({("day" if key == added else key): found
                                for key, found in exc.errors.items()}) from None

    def remove_day(self, actor: Actor, data: Any) -> dict[str, Any]:
        """Take one day out of its year's official arrangement (audited); a year not loaded
        yet starts from the packages, as in ``add_day``."""
        require_admin(actor)
        values = load(DayRemoval, data)
        day = date.fromisoformat(values["day"])
        arrangement = self._arrangement(day.year, values["notice"], drop=day, must_hold=True)
        if not arrangement["holidays"]:
            raise InvalidInput({"day": [NO_HOLIDAY_LEFT]})
        return self._store_year(actor, day.year, load(ArrangementInput, arrangement),
                                "calendar.remove_day", day=day.isoformat())

    def _arrangement(self, year: int, notice: str, *, drop: date,
                     must_hold: bool = False) -> dict[str, Any]:
        """The year's official days as a notice's arrangement, without ``drop``."""
        view = self.year(year)
        if view["source"] is None and must_hold:
            raise NotFound(Message(f"{year} 年没有任何来源的节假日安排。",
                                   f"No source has an arrangement of {year}."))
        if view["source"] != sources.LOADED and not notice.strip():
            raise InvalidInput({"notice": [Message(
                f"{year} 年尚未载入：请填写国务院办公厅通知的名称。",
                f"{year} is not loaded yet: name the State Council's notice.")]})
        days = [d for d in view["days"] if d["day"] != drop.isoformat()]
        if must_hold and len(days) == len(view["days"]):
            raise InvalidInput({"day": [Message(f"{drop.isoformat()} 不在 {year} 年的安排中。",
                                                f"{drop.isoformat()} is not in {year}'s "
                                                "arrangement.")]})
        return {"year": year, "notice": notice.strip() or view["notice"],
                "holidays": [{"start": d["day"], "end": None, "name": d["name"] or HOLIDAY_NAME}
                             for d in days if not d["workday"]],
                "workdays": [{"date": d["day"], "name": d["name"]} for d in days if d["workday"]]}

    def _store_year(self, actor: Actor, year: int, values: dict[str, Any], action: str,
                    **detail: Any) -> dict[str, Any]:
        """Write ``year``'s checked arrangement in place of what was loaded, audited."""
        days = _days(year, values["holidays"], values["workdays"])
        with self.store.transaction() as session:
            session.execute(delete(CalendarDay).where(CalendarDay.year == year))
            row = session.get(CalendarYear, year)
            if row is None:
                row = CalendarYear(year=year)
                session.add(row)
            row.notice, row.loaded_by, row.loaded_at = values["notice"], actor.username, \
                self.clock()
            session.flush()
            session.add_all(CalendarDay(day=day, year=year, workday=on, name=name)
                            for day, (on, name) in sorted(days.items()))
            audit.record(session, actor, action, "calendar", str(year), **detail,
                         notice=values["notice"],
                         holidays=sorted(d.isoformat() for d, (on, _) in days.items() if not on),
                         workdays=sorted(d.isoformat() for d, (on, _) in days.items() if on))
        view = self.year(year)
        with self.store.reading() as session:
            view["disagreements"] = [d.as_dict() for d in sources.disagreements(
                [year], load_official(session))]
        log.info("calendar: %s loaded %s (%s)", actor.username, year, values["notice"])
        return view

    def remove_year(self, actor: Actor, year: int) -> None:
        """Drop a loaded arrangement: the packages decide that year again (if they cover it)."""
        require_admin(actor)
        _check_year(year)
        with self.store.transaction() as session:
            row = session.get(CalendarYear, year)
            if row is None:
                raise NotFound(Message(f"未载入 {year} 年的节假日安排。",
                                       f"No arrangement of {year} is loaded."))
            session.execute(delete(CalendarDay).where(CalendarDay.year == year))
            session.delete(row)
            audit.record(session, actor, "calendar.remove", "calendar", str(year),
                         notice=row.notice)


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput({"year": [Message(f"年份应在 {FIRST_YEAR} 至 {LAST_YEAR} 之间。",
                                             f"The year must be {FIRST_YEAR}–{LAST_YEAR}.")]})


def _one_year(path_year: int | None, body_year: int | None) -> int:
    if path_year is not None and body_year is not None and path_year != body_year:
        raise InvalidInput({"year": [Message("请求体中的年份与路径不一致。",
                                             "The body's year is not the path's.")]})
    year = path_year if path_year is not None else body_year
    if year is None:
        raise InvalidInput({"year": [Message("缺少年份。", "The year is missing.")]})
    _check_year(year)
    return year


def _days(year: int, holidays: list[dict[str, Any]],
          workdays: list[dict[str, Any]]) -> dict[date, tuple[bool, str]]:
    """Every day off of the holiday periods and every make-up working day, checked."""
    errors: dict[str, list[Message]] = {}
    days: dict[date, tuple[bool, str]] = {}

    def wrong(name: str, zh: str, en: str) -> None:
        errors.setdefault(name, []).append(Message(zh, en))

    for n, period in enumerate(holidays):
        start = date.fromisoformat(period["start"])
        end = date.fromisoformat(period["end"] or period["start"])
        where = f"holidays.{n}"
        if start.year != year or end.year != year:
            wrong(where, f"日期应在 {year} 年内。", f"The days must be in {year}.")
        elif not 0 <= (end - start).days < MAX_HOLIDAY_SPAN:
            wrong(where, f"假期应为 1 至 {MAX_HOLIDAY_SPAN} 天，且结束日不早于开始日。",
                  f"A holiday period is 1–{MAX_HOLIDAY_SPAN} days, ending on or after its start.")
        else:
            for offset in range((end - start).days + 1):
                days[start + timedelta(days=offset)] = (False, period["name"])
    for n, makeup in enumerate(workdays):
        day = date.fromisoformat(makeup["date"])
        where = f"workdays.{n}"
        if day.year != year:
            wrong(where, f"日期应在 {year} 年内。", f"The day must be in {year}.")
        elif day.weekday() < 5:
            wrong(where, f"{day.isoformat()} 不是周末：调休上班日应为周六或周日。",
                  f"{day.isoformat()} is a weekday: a make-up working day is a Saturday or Sunday.")
        elif day in days:
            wrong(where, f"{day.isoformat()} 同时被列为假日和上班日。",
                  f"{day.isoformat()} is listed as both a holiday and a working day.")
        else:
            days[day] = (True, makeup["name"] or "调休上班")
    if errors:
        raise InvalidInput(errors)
    return days
