"""The official calendar extended one day at a time (issue 14: data an administrator reviews
and extends): the service on both stores, the API and the CLI. Every change rewrites the
year's arrangement through the one checked write path and is audited.

The 2027 days are a *test* arrangement, not the State Council's notice."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from catalog.cli import main
from catalog.db import AuditEntry
from catalog.errors import Forbidden, InvalidInput, NotFound
from catalog.services import Services
from catalog.store import Store
from tests.api.conftest import ApiWorld, body_of
from tests.factories import build_world

NOTICE = "测试用安排（非国务院办公厅通知）"


def _actions(services: Services) -> list[tuple[str, str]]:
    with services.store.reading() as session:
        return [(e.action, json.loads(e.detail).get("day", "")) for e in session.scalars(
            select(AuditEntry).where(AuditEntry.action.like("calendar.%"))
            .order_by(AuditEntry.id))]


def test_days_are_added_changed_and_removed(store: Store) -> None:
    services = Services.build(store)
    w = build_world(services)
    calendar = services.calendar
    with pytest.raises(Forbidden):
        calendar.add_day(w.reviewer, {"day": "2027-01-01", "kind": "holiday", "notice": NOTICE})
    with pytest.raises(InvalidInput) as needs_notice:
        calendar.add_day(w.admin, {"day": "2027-01-01", "kind": "holiday"})
    assert set(needs_notice.value.errors) == {"notice"}
    with pytest.raises(InvalidInput) as first:
        calendar.add_day(w.admin, {"day": "2027-01-09", "kind": "workday", "notice": NOTICE})
    assert set(first.value.errors) == {"day"}  # a holiday comes first
    assert calendar.year(2027)["source"] is None  # nothing half-written

    calendar.add_day(w.admin, {"day": "2027-01-01", "kind": "holiday", "name": "元旦",
                               "notice": NOTICE})
    calendar.add_day(w.admin, {"day": "2027-01-09", "kind": "workday"})
    view = calendar.year(2027)
    assert (view["source"], view["notice"]) == ("loaded", NOTICE)
    assert [(d["day"], d["workday"], d["name"]) for d in view["days"]] == [
        ("2027-01-01", False, "元旦"), ("2027-01-09", True, "调休上班")]
    assert services.sharing.add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 4)
    # the same day again takes the new kind and name; a weekday cannot be worked on top
    calendar.add_day(w.admin, {"day": "2027-01-09", "kind": "holiday", "name": "测试"})
    assert [d["workday"] for d in calendar.year(2027)["days"]] == [False, False]
    with pytest.raises(InvalidInput) as weekday:
        calendar.add_day(w.admin, {"day": "2027-01-06", "kind": "workday"})
    assert set(weekday.value.errors) == {"day"}
    for wrong in ({"day": "2027-02-30", "kind": "holiday"}, {"day": "2027-01-02"},
                  {"day": "2027-01-02", "kind": "off"}, {"day": "1999-01-01", "kind": "holiday"},
                  {"day": "2027-01-02", "kind": "holiday", "extra": 1}):
        with pytest.raises(InvalidInput):
            calendar.add_day(w.admin, wrong)

    calendar.remove_day(w.admin, {"day": "2027-01-09"})
    with pytest.raises(InvalidInput) as absent:
        calendar.remove_day(w.admin, {"day": "2027-01-09"})
    assert set(absent.value.errors) == {"day"}
    with pytest.raises(InvalidInput) as last:
        calendar.remove_day(w.admin, {"day": "2027-01-01"})
    assert set(last.value.errors) == {"day"}
    with pytest.raises(NotFound):
        calendar.remove_day(w.admin, {"day": "2099-01-01", "notice": NOTICE})
    assert _actions(services) == [("calendar.add_day", "2027-01-01"),
                                  ("calendar.add_day", "2027-01-09"),
                                  ("calendar.add_day", "2027-01-09"),
                                  ("calendar.remove_day", "2027-01-09")]


def test_a_package_year_is_extended_from_the_packages_days(store: Store) -> None:
    services = Services.build(store)
    w = build_world(services)
    before = services.calendar.year(2026)
    assert before["source"] == "chinesecalendar"
    assert {d["day"]: d["name"] for d in before["days"]}["2026-10-01"] == "国庆节"
    services.calendar.remove_day(w.admin, {"day": "2026-10-10", "notice": NOTICE})
    after = services.calendar.year(2026)
    assert after["source"] == "loaded"
    assert after["days"] == [{**d, "name": d["name"] or ("调休上班" if d["workday"] else "")}
                             for d in before["days"] if d["day"] != "2026-10-10"]
    found = [d.day.isoformat() for d in services.calendar.status().disagreements
             if d.day.year == 2026]
    assert found == ["2026-10-10"]  # the packages still work it: reported, not settled


def test_the_api_adds_and_removes_a_day(api_world: ApiWorld) -> None:
    admin = api_world.client("admin")
    added = admin.post("/api/admin/calendar/days", json={
        "day": "2027-01-01", "kind": "holiday", "name": "元旦", "notice": NOTICE})
    assert added.status_code == 200, added.get_data(as_text=True)
    assert body_of(added)["days"] == [{"day": "2027-01-01", "workday": False, "name": "元旦"}]
    bad = admin.post("/api/admin/calendar/days", json={"day": "2027-01-06", "kind": "workday"})
    assert bad.status_code == 422 and "day" in body_of(bad)["errors"]
    assert admin.post("/api/admin/calendar/days/remove",
                      json={"day": "2027-01-01"}).status_code == 422  # the last holiday
    assert api_world.client("reviewer").post("/api/admin/calendar/days", json={
        "day": "2027-01-02", "kind": "holiday", "notice": NOTICE}).status_code == 403


def test_cli_adds_and_removes_a_day(tmp_path: Path) -> None:
    runner = CliRunner()
    data = ["--data-dir", str(tmp_path / "data")]
    added = runner.invoke(main, ["calendar", "add-day", "2027-01-01", "--name", "元旦",
                                 "--notice", NOTICE, *data])
    assert added.exit_code == 0, added.output
    assert runner.invoke(main, ["calendar", "add-day", "2027-01-09", "--workday",
                                *data]).exit_code == 0
    shown = runner.invoke(main, ["calendar", "show", "2027", *data]).output
    assert "2027-01-09  working day" in shown
    weekday = runner.invoke(main, ["calendar", "add-day", "2027-01-06", "--workday", *data])
    assert weekday.exit_code == 2 and "Traceback" not in weekday.output
    removed = runner.invoke(main, ["calendar", "remove-day", "2027-01-09", *data])
    assert removed.exit_code == 0 and "removed" in removed.output
