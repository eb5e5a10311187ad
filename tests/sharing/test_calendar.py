"""The official calendar must not go blind at a year the packages do not have (issue 14).

``chinesecalendar`` and ``holidays`` both end at 2026: from 2027-01-01 a deadline counted
Monday–Friday without a word. Now an administrator loads a year's notice into the store, the
two packages are cross-checked day by day, and from November a missing next year is a warning
(health endpoint, log, admin API, CLI).

The 2027 days below are a *test* arrangement, not the State Council's notice (which no package
has yet): only 元旦 on 1 January, fixed by 《全国年节及纪念日放假办法》, plus a made-up
make-up Saturday that the tests name as such.
"""

from __future__ import annotations

import json
import logging
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from catalog.actors import SYSTEM
from catalog.cli import main
from catalog.db import AuditEntry
from catalog.errors import Forbidden, InvalidInput, NotFound
from catalog.services import Services
from catalog.sharing.calendar_sources import disagreements
from catalog.store import Store
from tests.api.conftest import ApiWorld, body_of
from tests.factories import build_world, record
from tests.sharing.helpers import freeze, payload, publish

D = date.fromisoformat
TEST_2027 = {"notice": "测试用安排（非国务院办公厅通知） / a test arrangement",
             "holidays": [{"start": "2027-01-01", "name": "元旦"}],
             "workdays": [{"date": "2027-01-09", "name": "测试：调休上班"}]}


def _codes(services: Services) -> list[tuple[str, int]]:
    return [(w.code, w.year) for w in services.calendar.status().warnings]


def test_a_deadline_crossing_into_2027_counts_the_loaded_days(store: Store) -> None:
    services = Services.build(store)
    w = build_world(services)
    dataset = publish(services, w.steward, w.reviewer, record())
    freeze(services, D("2026-12-24"))  # Thursday; 10 working days reach into 2027
    services.calendar.load_year(w.admin, 2027, TEST_2027)
    request = services.sharing.file(w.staff, payload(dataset, period_end="2027-06-30"))
    # 12-25, 12-28 … 12-31 (5), not 2027-01-01 (元旦), 01-04 … 01-08: the 10th is 01-08
    # (counting Monday–Friday it was 01-07)
    assert request["deadline"] == "2027-01-08"
    assert services.sharing.add_workdays(D("2027-01-07"), 2) == D("2027-01-09")  # Saturday worked
    services.calendar.remove_year(w.admin, 2027)
    assert services.sharing.add_workdays(D("2026-12-31"), 1) == D("2027-01-01")
    with pytest.raises(NotFound):
        services.calendar.remove_year(w.admin, 2027)


def test_next_year_missing_warns_from_november(store: Store,
                                               caplog: pytest.LogCaptureFixture) -> None:
    services = Services.build(store)
    w = build_world(services)
    clock = freeze(services, D("2026-10-31"))
    assert _codes(services) == []
    clock.set(D("2026-11-01"))
    assert _codes(services) == [("next_year_missing", 2027)]
    with caplog.at_level(logging.WARNING, logger="mulu"):
        services.sharing.run_deadlines()
    assert any("2027" in r.getMessage() and "missing" in r.getMessage() for r in caplog.records)
    clock.set(D("2027-02-01"))  # the year itself, still not loaded
    assert _codes(services) == [("year_missing", 2027)]
    services.calendar.load_year(w.admin, 2027, TEST_2027)
    assert _codes(services) == []
    years = {y["year"]: y["sources"] for y in services.calendar.status().years}
    assert years[2027] == ["loaded"] and years[2026] == ["chinesecalendar", "holidays"]


def test_the_sources_disagreeing_is_reported(store: Store) -> None:
    services = Services.build(store)
    w = build_world(services)
    clock = freeze(services, D("2026-03-02"))
    # the packages themselves: 2005-12-31 (a Saturday) is off in chinesecalendar, worked in
    # holidays — reported, never settled silently
    found = {d.day: dict(d.workday) for d in services.calendar.status().disagreements}
    assert found[D("2005-12-31")] == {"chinesecalendar": False, "holidays": True}
    assert _codes(services) == []  # an old year is no warning
    # a loaded 2026 that forgets the 国庆 make-up Saturday 10-10 and the day off 10-07
    loaded = services.calendar.load_year(w.admin, 2026, {
        "notice": "测试：漏了国庆调休的 2026 年安排",
        "holidays": [{"start": "2026-10-01", "end": "2026-10-06", "name": "国庆节"}]})
    answers = {d["day"]: d["workday"] for d in loaded["disagreements"]}
    assert answers["2026-10-07"] == {"chinesecalendar": False, "holidays": False, "loaded": True}
    assert answers["2026-10-10"] == {"chinesecalendar": True, "holidays": True, "loaded": False}
    assert ("sources_disagree", 2026) in _codes(services)
    # the loaded arrangement decides the year (the administrator's word), the warning stays
    assert services.sharing.add_workdays(D("2026-10-06"), 1) == D("2026-10-07")
    clock.set(D("2026-03-03"))
    assert services.calendar.status().as_dict()["warnings"][0]["code"] == "sources_disagree"


def test_loading_is_for_administrators_checked_and_audited(store: Store) -> None:
    services = Services.build(store)
    w = build_world(services)
    freeze(services, D("2026-12-03"))
    with pytest.raises(Forbidden):
        services.calendar.load_year(w.reviewer, 2027, TEST_2027)
    bad = [
        {**TEST_2027, "workdays": [{"date": "2027-01-08", "name": "周五"}]},  # a weekday
        {**TEST_2027, "holidays": [{"start": "2026-12-31", "end": "2027-01-01", "name": "跨年"}]},
        {**TEST_2027, "holidays": [{"start": "2027-02-10", "end": "2027-02-01", "name": "倒序"}]},
        {**TEST_2027, "workdays": [{"date": "2027-01-01"}], "holidays": [
            {"start": "2027-01-01", "name": "元旦"}]},  # 01-01 is a Friday, and listed twice
        {"holidays": TEST_2027["holidays"]},  # no notice
        {**TEST_2027, "year": 2028},  # not the path's year
        {**TEST_2027, "holidays": []},
    ]
    for data in bad:
        with pytest.raises(InvalidInput):
            services.calendar.load_year(w.admin, 2027, data)
    assert services.calendar.year(2027)["source"] is None
    services.calendar.load_year(w.admin, 2027, TEST_2027)
    view = services.calendar.year(2027)
    assert (view["source"], view["loaded_by"]) == ("loaded", "admin")
    assert [(d["day"], d["workday"]) for d in view["days"]] == [
        ("2027-01-01", False), ("2027-01-09", True)]
    with store.reading() as session:
        actions = list(session.scalars(select(AuditEntry.action).where(
            AuditEntry.object_type == "calendar")))
    assert actions == ["calendar.load"]


def test_admin_api_and_health(api_world: ApiWorld) -> None:
    clock = freeze(api_world.services, D("2026-12-03"))
    admin = api_world.client("admin")
    health = body_of(api_world.client("anonymous").get("/api/health"))
    assert health["status"] == "warning"
    assert [w["code"] for w in health["calendar"]["warnings"]] == ["next_year_missing"]
    for role in ("staff", "steward", "reviewer"):
        assert api_world.client(role).get("/api/admin/calendar").status_code == 403
        assert api_world.client(role).put("/api/admin/calendar/years/2027",
                                          json=TEST_2027).status_code == 403
    status = body_of(admin.get("/api/admin/calendar"))
    assert status["warnings"][0]["code"] == "next_year_missing" and not status["ok"]
    bad = admin.put("/api/admin/calendar/years/2027",
                    json={**TEST_2027, "workdays": [{"date": "2027-01-08"}]})
    assert bad.status_code == 422 and "workdays.0" in json.dumps(body_of(bad))
    loaded = admin.put("/api/admin/calendar/years/2027", json=TEST_2027)
    assert loaded.status_code == 200, loaded.get_data(as_text=True)
    assert body_of(admin.get("/api/admin/calendar/years/2027"))["source"] == "loaded"
    health = body_of(api_world.client("anonymous").get("/api/health"))
    assert (health["status"], health["calendar"]["ok"]) == ("ok", True)
    assert body_of(admin.delete("/api/admin/calendar/years/2027"))["source"] is None
    assert admin.delete("/api/admin/calendar/years/2027").status_code == 404
    assert admin.get("/api/admin/calendar/years/99999").status_code == 422
    clock.set(D("2026-06-01"))
    assert body_of(admin.get("/api/admin/calendar"))["ok"] is True


def test_cli_calendar(tmp_path: Path) -> None:
    runner = CliRunner()
    data = ["--data-dir", str(tmp_path / "data")]
    notice = tmp_path / "2027.json"
    notice.write_text(json.dumps({"year": 2027, **TEST_2027}, ensure_ascii=False), "utf-8")
    result = runner.invoke(main, ["calendar", "load", str(notice), *data])
    assert result.exit_code == 0, result.output
    assert "1 days off and 1 make-up working days" in result.output
    shown = runner.invoke(main, ["calendar", "show", "2027", *data]).output
    assert "2027-01-01  day off" in shown and "测试：调休上班" in shown
    status = runner.invoke(main, ["calendar", "status", *data])
    assert "2027  loaded" in status.output
    assert "disagreement 2005-12-31" in status.output
    notice.write_text("{not json", "utf-8")
    bad = runner.invoke(main, ["calendar", "load", str(notice), *data])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    notice.write_text(json.dumps({"year": 2027, "notice": "x", "holidays": [
        {"start": "2027-13-01", "name": "?"}]}), "utf-8")
    bad = runner.invoke(main, ["calendar", "load", str(notice), *data])
    assert bad.exit_code == 2 and "holidays" in bad.output
    assert runner.invoke(main, ["calendar", "remove", "2027", *data]).exit_code == 0
    assert "MISSING" in runner.invoke(main, ["calendar", "show", "2027", *data]).output


def test_disagreements_need_two_sources() -> None:
    assert disagreements([2099], {}) == []
    assert disagreements([2099], {2099: {D("2099-01-01"): False}}) == []
    assert SYSTEM.role == "admin"
