"""Working-day arithmetic across 春节 and 国庆 with their 调休 days (2025 and 2026), time frozen.

The official days (国务院办公厅关于2025年/2026年部分节假日安排的通知):
- 春节 2025: 1-28 … 2-04 off; Sunday 1-26 and Saturday 2-08 are working days.
- 国庆 2025 (with 中秋): 10-01 … 10-08 off; Sunday 9-28 and Saturday 10-11 are working days.
- 春节 2026: 2-15 … 2-23 off; Saturday 2-14 and Saturday 2-28 are working days.
- 国庆 2026: 10-01 … 10-07 off; Sunday 9-20 and Saturday 10-10 are working days.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalog.actors import SYSTEM
from catalog.cli import main
from catalog.errors import Forbidden, InvalidInput
from catalog.services import Services
from catalog.sharing.workdays import WorkCalendar, covered_years, local_date
from catalog.store import Store
from tests.factories import build_world, record
from tests.sharing.helpers import at, freeze, payload, publish

OFFICIAL = WorkCalendar()
D = date.fromisoformat


@pytest.mark.parametrize(("day", "workday"), [
    ("2025-01-26", True), ("2025-01-28", False), ("2025-02-04", False), ("2025-02-08", True),
    ("2025-09-28", True), ("2025-10-01", False), ("2025-10-08", False), ("2025-10-11", True),
    ("2026-02-14", True), ("2026-02-15", False), ("2026-02-23", False), ("2026-02-28", True),
    ("2026-09-20", True), ("2026-10-01", False), ("2026-10-07", False), ("2026-10-10", True),
    ("2026-10-08", True), ("2026-03-07", False),
])
def test_official_days(day: str, workday: bool) -> None:
    assert OFFICIAL.is_workday(D(day)) is workday


@pytest.mark.parametrize(("start", "days", "expected"), [
    # 春节 2025: from Friday 1-24, Sunday 1-26 (调休) and Monday 1-27 count, then 2-05 …
    ("2025-01-24", 1, "2025-01-26"), ("2025-01-24", 2, "2025-01-27"),
    ("2025-01-24", 3, "2025-02-05"), ("2025-01-24", 6, "2025-02-08"),
    ("2025-01-24", 10, "2025-02-13"),
    # 国庆 2025: Friday 9-26 + 5 = 9-28 (调休), 9-29, 9-30, 10-09, 10-10
    ("2025-09-26", 5, "2025-10-10"), ("2025-09-26", 6, "2025-10-11"),
    ("2025-09-30", 10, "2025-10-21"),
    # 春节 2026: Tuesday 2-10 + 10 = 3-02 (2-14 and 2-28 count, 2-15 … 2-23 do not)
    ("2026-02-10", 10, "2026-03-02"), ("2026-02-13", 1, "2026-02-14"),
    ("2026-02-14", 1, "2026-02-24"),
    # 国庆 2026: Friday 9-18 + 1 = Sunday 9-20 (调休); 9-30 + 1 = 10-08; 10-09 + 1 = 10-10
    ("2026-09-18", 1, "2026-09-20"), ("2026-09-30", 1, "2026-10-08"),
    ("2026-10-09", 1, "2026-10-10"), ("2026-09-25", 10, "2026-10-15"),
    ("2026-10-03", 0, "2026-10-03"),
])
def test_add_working_days(start: str, days: int, expected: str) -> None:
    assert OFFICIAL.add(D(start), days) == D(expected)


def test_days_left_and_overdue() -> None:
    deadline = D("2026-03-02")
    assert OFFICIAL.days_left(D("2026-02-10"), deadline) == 10
    assert OFFICIAL.days_left(D("2026-02-20"), deadline) == 6  # mid-holiday: 2-24 … 2-28, 3-02
    assert OFFICIAL.days_left(D("2026-02-27"), deadline) == 2
    assert OFFICIAL.days_left(deadline, deadline) == 0
    assert OFFICIAL.days_left(D("2026-03-03"), deadline) == -1
    assert OFFICIAL.days_left(D("2026-03-09"), deadline) == -5
    with pytest.raises(ValueError):
        OFFICIAL.add(D("2026-01-01"), -1)


def test_deployment_days_override_the_official_calendar() -> None:
    local = WorkCalendar({D("2026-03-02"): False, D("2026-03-07"): True})
    assert local.add(D("2026-02-10"), 10) == D("2026-03-03")
    assert local.add(D("2026-03-06"), 1) == D("2026-03-07")


def test_years_beyond_the_package_fall_back_to_weekdays() -> None:
    assert 2025 in covered_years() and 2026 in covered_years()
    assert OFFICIAL.add(D("2099-01-02"), 1) == D("2099-01-05")  # Friday + 1 = Monday


def test_local_date_is_china_time() -> None:
    assert local_date(datetime(2026, 2, 9, 15, 59, tzinfo=UTC)) == D("2026-02-09")
    assert local_date(datetime(2026, 2, 9, 16, 0, tzinfo=UTC)) == D("2026-02-10")
    assert local_date(datetime(2026, 2, 9, 16, 0)) == D("2026-02-10")  # naive = UTC


@pytest.mark.parametrize(("filed", "expected"), [
    ("2025-01-24", "2025-02-13"), ("2025-09-26", "2025-10-16"),
    ("2026-02-10", "2026-03-02"), ("2026-09-25", "2026-10-15"),
])
def test_request_deadlines_across_holidays(store: Store, filed: str, expected: str) -> None:
    services = Services.build(store)
    w = build_world(services)
    dataset = publish(services, w.steward, w.reviewer, record())
    freeze(services, D(filed))
    body = payload(dataset, period_end="2027-06-30")
    request = services.sharing.file(w.staff, body)
    assert request["deadline"] == expected and request["working_days_left"] == 10


def test_the_deployment_calendar_moves_new_deadlines(sqlite_store: Store) -> None:
    services = Services.build(sqlite_store)
    w = build_world(services)
    with pytest.raises(Forbidden):
        services.sharing.set_workday(w.reviewer, D("2026-03-02"), False)
    services.sharing.set_workday(SYSTEM, D("2026-03-02"), False, "省级防汛应急停工")
    assert services.sharing.add_workdays(D("2026-02-10"), 10) == D("2026-03-03")
    assert services.sharing.workday_overrides() == [(D("2026-03-02"), False, "省级防汛应急停工")]
    services.sharing.set_workday(SYSTEM, D("2026-03-02"), None)
    assert services.sharing.add_workdays(D("2026-02-10"), 10) == D("2026-03-02")
    with pytest.raises(InvalidInput):
        services.sharing.add_workdays(D("2026-02-10"), 5000)


def test_cli_workdays(tmp_path: Path) -> None:
    runner = CliRunner()
    data = ["--data-dir", str(tmp_path / "data")]
    result = runner.invoke(main, ["workdays", "add", "2026-02-10", "10", *data])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "2026-03-02"
    assert runner.invoke(main, ["workdays", "add", "2025-09-26", "5", *data]).output.strip() == \
        "2025-10-10"
    result = runner.invoke(main, ["workdays", "set", "2026-03-02", "--off", "--note", "省级假日",
                                  *data])
    assert result.exit_code == 0, result.output
    assert runner.invoke(main, ["workdays", "add", "2026-02-10", "10", *data]).output.strip() == \
        "2026-03-03"
    assert "省级假日" in runner.invoke(main, ["workdays", "list", *data]).output
    bad = runner.invoke(main, ["workdays", "add", "2026-02-30", "1", *data])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    assert runner.invoke(main, ["workdays", "add", "2026-02-10", "-1", *data]).exit_code == 2
    assert runner.invoke(main, ["workdays", "set", "2026-03-02", *data]).exit_code == 2


def test_time_is_frozen_not_slept() -> None:
    assert at(D("2026-02-10")).isoformat() == "2026-02-10T09:00:00+08:00"
