"""The grant register (by dataset, by department, as CSV), `mulu requests overdue`, and the
settings of the sharing rules."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalog.cli import main
from catalog.config import ConfigError, Settings, load_settings
from catalog.services import Services
from catalog.store import Store
from tests.api.conftest import ApiWorld
from tests.factories import JUSTICE, MARKET, PUBLIC_SECURITY, build_world, record
from tests.sharing.helpers import Steps, add_user, freeze, payload, publish, token_for


def grant_for(steps: Steps, target: str, **changes: str) -> dict[str, object]:
    filed = steps.file(target_system=target, **changes)
    steps.decide("steward", filed["id"], "approve")
    return steps.decide("reviewer", filed["id"], "approve_target")["grant"]


def test_register_by_dataset_and_department(steps: Steps, api_world: ApiWorld) -> None:
    first = grant_for(steps, "企业登记系统")
    open_ = steps.file(dataset=api_world.public, data_items=["地址"],
                       target_system="=HYPERLINK(\"http://x\")")["grant"]
    assert {g["id"] for g in steps.grants("reviewer")} == {first["id"], open_["id"]}
    assert [g["id"] for g in steps.grants("staff", dataset=api_world.published)] == [first["id"]]
    assert len(steps.grants("staff_own", provider=PUBLIC_SECURITY)) == 2
    assert len(steps.grants("steward", department=MARKET)) == 2
    assert steps.grants("reviewer", department=PUBLIC_SECURITY) == []
    assert steps.grants("staff", status="scheduled") == []
    add_user(api_world.services, "justice-staff", "staff", JUSTICE)
    token_for(api_world, "justice-staff")
    assert steps.grants("justice-staff") == []  # another department sees none of it
    response = api_world.client("staff").get("/api/grants", query_string={"format": "csv"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    data = response.get_data()
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:4] == ["授权编号 (id)", "状态 (status)", "信息资源代码 (resource_code)",
                           "信息资源名称 (title)"]
    assert {r[0] for r in rows[1:]} == {first["id"], open_["id"]}
    assert all(r[1] == "有效" for r in rows[1:])
    injected = next(r for r in rows[1:] if r[0] == open_["id"])
    assert injected[6] == "'=HYPERLINK(\"http://x\")"  # no formula runs in Excel
    same = api_world.client("staff").get("/api/grants.csv", query_string={"dataset":
                                                                          api_world.public})
    assert [r[0] for r in csv.reader(io.StringIO(same.get_data().decode("utf-8-sig")))][1:] == \
        [open_["id"]]


def test_dataset_history_is_scoped(steps: Steps, api_world: ApiWorld) -> None:
    grant_for(steps, "企业登记系统")
    history = steps.history("steward", api_world.published)
    assert [h["action"] for h in history][:2] == ["sharing.file", "sharing.approve"]
    assert history[0]["detail"]["requester_department"] == MARKET
    assert steps.history("reviewer", api_world.published) == history
    assert steps.history("staff_own", api_world.public) == []
    assert api_world.client("anonymous").get(
        f"/api/datasets/{api_world.published}/sharing-history").status_code == 401
    assert api_world.client("staff").get(
        f"/api/datasets/{api_world.draft}/sharing-history").status_code == 404


def test_cli_requests_overdue(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    store = Store.open(load_settings({"MULU_DATA_DIR": str(data_dir), "MULU_SECRET_KEY": "x"}))
    store.upgrade()
    services = Services.build(store)
    w = build_world(services)
    dataset = publish(services, w.steward, w.reviewer, record())
    freeze(services, date(2026, 2, 10))
    request = services.sharing.file(w.staff, payload(dataset))
    store.close()
    runner = CliRunner()
    args = ["requests", "overdue", "--data-dir", str(data_dir)]
    listed = runner.invoke(main, [*args, "--today", "2026-03-02"])
    assert listed.exit_code == 0, listed.output
    assert listed.output.strip().endswith("0 breached requests")
    peek = runner.invoke(main, [*args, "--today", "2026-03-04", "--list-only", "--json"])
    found = json.loads(peek.output)
    assert found["run"] is None and [r["state"] for r in found["overdue"]] == ["pending_provider"]
    run = runner.invoke(main, [*args, "--today", "2026-03-04"])
    assert run.exit_code == 0, run.output
    assert "escalated 1" in run.output and request["id"] in run.output
    assert "(2 working days late)" in run.output and run.output.strip().endswith("1 breached requests")
    again = runner.invoke(main, [*args, "--today", "2026-03-04"])
    assert "escalated 0" in again.output and "1 breached requests" in again.output


def test_sharing_settings() -> None:
    base = {"MULU_DATA_DIR": "/tmp/mulu-settings"}
    settings = load_settings(base)
    assert (settings.sharing_deadline_days, settings.smtp_host, settings.smtp_port) == (10, "", 25)
    custom = load_settings({**base, "MULU_SHARING_DEADLINE_DAYS": "15",
                            "MULU_SMTP_HOST": "mail.ah.gov.cn", "MULU_SMTP_PORT": "2525",
                            "MULU_SMTP_FROM": "catalog@ah.gov.cn"})
    assert (custom.sharing_deadline_days, custom.smtp_host, custom.smtp_port,
            custom.smtp_from) == (15, "mail.ah.gov.cn", 2525, "catalog@ah.gov.cn")
    for name, value in (("MULU_SHARING_DEADLINE_DAYS", "0"), ("MULU_SHARING_DEADLINE_DAYS", "ten"),
                        ("MULU_SMTP_PORT", "70000")):
        with pytest.raises(ConfigError, match=name):
            load_settings({**base, name: value})
    for name in ("MULU_SHARING_DEADLINE_DAYS", "MULU_SMTP_HOST", "MULU_SMTP_PORT",
                 "MULU_SMTP_FROM"):
        assert name in Settings.HELP


def test_deadline_days_are_configurable(sqlite_store: Store) -> None:
    settings = sqlite_store.settings.with_overrides(sharing_deadline_days=5)
    services = Services.build(Store(settings, sqlite_store.engine, sqlite_store.sessions))
    w = build_world(services)
    dataset = publish(services, w.steward, w.reviewer, record())
    freeze(services, date(2026, 2, 10))
    assert services.sharing.file(w.staff, payload(dataset))["deadline"] == "2026-02-24"


def test_the_server_escalates_on_its_own(sqlite_store: Store) -> None:
    from catalog.sharing.scheduler import DeadlineTimer

    services = Services.build(sqlite_store)
    w = build_world(services)
    dataset = publish(services, w.steward, w.reviewer, record())
    clock = freeze(services, date(2026, 2, 10))
    request = services.sharing.file(w.staff, payload(dataset))
    clock.set(date(2026, 3, 3))
    DeadlineTimer(services.sharing, interval=3600).start().stop()  # one run, then stopped
    assert services.sharing.get(w.reviewer, request["id"])["state"] == "escalated"
