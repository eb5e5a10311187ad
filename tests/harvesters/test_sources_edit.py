"""Editing a source: what needs approval again, who may, running and queued jobs, disabling."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from catalog.app import create_app
from catalog.db import AuditEntry, HarvestJob
from catalog.errors import Conflict, Forbidden, InvalidInput, NotFound
from harvesters import jobs
from tests.api.conftest import ApiClient
from tests.factories import JUSTICE, PUBLIC_SECURITY, World
from tests.harvesters.conftest import FakeCkan, add_source, cli, cli_world, full_packages, run


def audit_of(w: World, source_id: int) -> list[tuple[str, dict]]:
    with w.services.store.reading() as session:
        rows = session.scalars(select(AuditEntry).where(
            AuditEntry.object_type == "harvest_source", AuditEntry.object_id == str(source_id))
            .order_by(AuditEntry.id))
        return [(e.action, json.loads(e.detail)) for e in rows]


def job_status(w: World, job_id: int) -> tuple[str, str]:
    with w.services.store.reading() as session:
        job = session.get_one(HarvestJob, job_id)
        return job.status, job.error


def test_name_and_schedule_keep_the_approval(world, site):
    harvest = world.services.harvest
    source_id = add_source(world, "ckan", FakeCkan(site, full_packages()[:2]).url)
    edited = harvest.edit_source(world.steward, source_id, {"name": "省公安厅开放平台",
                                                            "schedule": "daily"})
    assert edited.state == "approved" and edited.approved_by == "reviewer"
    assert edited.name == "省公安厅开放平台" and edited.next_run_at is not None
    action, detail = audit_of(world, source_id)[-1]
    assert action == "harvest_source.update"
    assert detail["changed"] == ["name", "schedule"] and detail["review_again"] is False
    unchanged = harvest.edit_source(world.steward, source_id, {"name": "省公安厅开放平台"})
    assert unchanged.state == "approved" and len(audit_of(world, source_id)) == 3  # no entry
    manual = harvest.edit_source(world.steward, source_id, {"schedule": "manual"})
    assert manual.next_run_at is None and manual.state == "approved"
    assert run(world, source_id)["counts"]["created"] == 2


@pytest.mark.parametrize("changes", [
    {"url": "http://127.0.0.1:9/other/"},
    {"config": {"defaults": {"share_type": "无条件共享"}, "limits": {"retries": 0}}},
    {"type": "dcat"},
], ids=["url", "config", "type"])
def test_reviewed_fields_send_the_source_back_and_cancel_its_queued_job(world, site, changes):
    harvest = world.services.harvest
    source_id = add_source(world, "ckan", FakeCkan(site, full_packages()[:1]).url)
    queued = harvest.enqueue(world.steward, source_id)["job"]
    edited = harvest.edit_source(world.steward, source_id, changes)
    assert edited.state == "pending" and edited.approved_by == "" and edited.approved_at is None
    status, error = job_status(world, queued)
    assert status == "failed" and "approval again" in error
    with pytest.raises(Conflict):
        run(world, source_id)
    action, detail = audit_of(world, source_id)[-1]
    assert action == "harvest_source.update" and detail["review_again"] is True
    assert detail["changed"] == list(changes) and detail["cancelled_jobs"] == [queued]
    if "config" in changes:
        assert edited.config["defaults"] == {"share_type": "unconditional"}  # kept as a code
    assert harvest.review_source(world.reviewer, source_id).state == "approved"


def test_a_rejected_source_edited_is_pending_again(world):
    harvest = world.services.harvest
    source_id = add_source(world, "dcat", "http://127.0.0.1:9/a.ttl", approve=False)
    harvest.review_source(world.reviewer, source_id, "reject", "地址有误")
    assert harvest.edit_source(world.steward, source_id, {"name": "x"}).state == "rejected"
    again = harvest.edit_source(world.steward, source_id, {"url": "http://127.0.0.1:9/b.ttl"})
    assert again.state == "pending" and again.review_note == ""


def test_who_may_edit(world):
    harvest = world.services.harvest
    source_id = add_source(world, "dcat", "http://127.0.0.1:9/a.ttl")
    with pytest.raises(NotFound):   # another department's steward does not even see it
        harvest.edit_source(world.steward_other, source_id, {"url": "http://127.0.0.1:9/x"})
    with pytest.raises(Forbidden):
        harvest.edit_source(world.reviewer, source_id, {"url": "http://127.0.0.1:9/x"})
    with pytest.raises(Forbidden):
        harvest.edit_source(world.staff_own, source_id, {"name": "x"})
    with pytest.raises(NotFound):
        harvest.set_enabled(world.steward_other, source_id, False)
    assert harvest.edit_source(world.admin, source_id, {"name": "管理员改名"}).name == "管理员改名"
    assert harvest.get_source(world.admin, source_id).state == "approved"


def test_bad_edits_are_field_errors_and_change_nothing(world):
    harvest = world.services.harvest
    source_id = add_source(world, "dcat", "http://127.0.0.1:9/a.ttl")
    for changes, field in (({"url": "/etc/passwd"}, "url"), ({"url": "upload:" + "0" * 32 + ".csv"},
                                                             "url"),
                           ({"schedule": "yearly"}, "schedule"), ({"department_code": JUSTICE},
                                                                  "department_code"),
                           ({"config": {"organizations": {"某局": "0" * 18}}},
                            "config.organizations"),
                           ({"config": {"colour": "red"}}, "config.colour")):
        with pytest.raises(InvalidInput) as caught:
            harvest.edit_source(world.steward, source_id, changes)
        assert field in caught.value.errors, (changes, caught.value.errors)
    view = harvest.get_source(world.admin, source_id)
    assert view.state == "approved" and view.url == "http://127.0.0.1:9/a.ttl"
    assert [a for a, _d in audit_of(world, source_id)] == ["harvest_source.create",
                                                           "harvest_source.approve"]


def test_edit_while_a_job_runs_and_the_unapproved_change_never_runs(world, site):
    """The edit is allowed while a job is running (a job that already started keeps the source
    it loaded, see harvesters.run); a job claimed before the edit but started after it does not
    run the unapproved change."""
    harvest = world.services.harvest
    ckan = FakeCkan(site, full_packages()[:3])
    source_id = add_source(world, "ckan", ckan.url)
    running = jobs.create(world.services.store, source_id, status="running", requested_by="t")
    edited = harvest.edit_source(world.steward, source_id, {"url": site.url("/moved/")})
    assert edited.state == "pending"
    assert job_status(world, running)[0] == "running"
    assert audit_of(world, source_id)[-1][1]["running_job"] is True
    report = harvest.execute(running)  # a worker picking it up now: refused, not run
    assert report["status"] == "failed" and "not approved" in report["error"]
    assert report["counts"]["created"] == 0 and not [h for h in site.hits if "moved" in h.path]


def test_disable_and_enable(world, site):
    harvest, store = world.services.harvest, world.services.store
    source_id = add_source(world, "ckan", FakeCkan(site, full_packages()[:1]).url,
                           schedule="hourly")
    queued = harvest.enqueue(world.steward, source_id)["job"]
    disabled = harvest.set_enabled(world.steward, source_id, False)
    assert disabled.state == "disabled" and disabled.next_run_at is None
    assert job_status(world, queued)[0] == "failed"
    with pytest.raises(Conflict):
        run(world, source_id)
    with pytest.raises(Conflict):
        harvest.enqueue(world.steward, source_id)
    assert jobs.enqueue_due(store, now=jobs.utcnow() + timedelta(days=30)) == []
    with pytest.raises(Conflict):
        harvest.set_enabled(world.steward, source_id, False)
    enabled = harvest.set_enabled(world.steward, source_id, True)
    assert enabled.state == "approved" and enabled.next_run_at is not None
    assert run(world, source_id)["counts"]["created"] == 1
    harvest.set_enabled(world.admin, source_id, False)
    harvest.edit_source(world.steward, source_id, {"url": site.url("/elsewhere/")})
    assert harvest.get_source(world.steward, source_id).state == "disabled"
    assert harvest.set_enabled(world.steward, source_id, True).state == "pending"
    with pytest.raises(Conflict):
        harvest.set_enabled(world.steward, source_id, True)


def test_api_edit(world, site):
    app = create_app(world.services.settings, store=world.services.store)
    services = app.extensions["mulu"]
    clients = {n: ApiClient(app, services.accounts.create_token(world.admin, n, "t"))
               for n in ("steward", "steward_other", "staff_own", "reviewer")}
    source_id = add_source(world, "ckan", FakeCkan(site, full_packages()[:1]).url)
    path = f"/api/harvest/sources/{source_id}"
    renamed = clients["steward"].open("PATCH", path, json={"name": "新名称"})
    assert renamed.status_code == 200 and renamed.json["state"] == "approved"
    assert clients["steward_other"].open("PATCH", path, json={"name": "x"}).status_code == 404
    assert clients["staff_own"].open("PATCH", path, json={"name": "x"}).status_code == 403
    assert clients["reviewer"].put(path, json={"name": "x"}).status_code == 403
    bad = clients["steward"].put(path, json={"url": "file:///etc/passwd"})
    assert bad.status_code == 422 and "url" in bad.json["errors"]
    unknown = clients["steward"].put(path, json={"state": "approved"})
    assert unknown.status_code == 422 and "state" in unknown.json["errors"]
    moved = clients["steward"].put(path, json={"url": site.url("/v2/"), "schedule": "weekly"})
    assert moved.status_code == 200 and moved.json["state"] == "pending"
    assert moved.json["schedule"] == "weekly" and moved.json["name"] == "新名称"
    assert clients["steward"].post(path + "/disable").json["state"] == "disabled"
    assert clients["steward"].post(path + "/disable").status_code == 409
    assert clients["steward_other"].post(path + "/enable").status_code == 404
    assert clients["steward"].post(path + "/enable").json["state"] == "pending"


# -- the command line --------------------------------------------------------------------------

def test_cli_edit(data_dir, site):
    cli_world(data_dir)
    d = ("--data-dir", str(data_dir))
    ckan = FakeCkan(site, full_packages()[:2])
    source = cli("harvest", "add", *d, "--type", "ckan", "--url", ckan.url, "--department",
                 PUBLIC_SECURITY, "--default", "share_type=无条件共享").strip()
    cli("harvest", "approve", *d, source)
    assert "approved" in cli("harvest", "edit", *d, source, "--name", "省公安厅 CKAN",
                             "--schedule", "daily")
    edited = json.loads(cli("harvest", "edit", *d, source, "--default", "security_level=公开",
                            "--json"))
    assert edited["state"] == "pending"
    assert edited["config"]["defaults"] == {"share_type": "unconditional",
                                            "security_level": "public"}
    assert "not approved" in cli("harvest", "run", *d, source, code=2)
    cli("harvest", "approve", *d, source)
    report = json.loads(cli("harvest", "run", *d, source, "--json"))
    assert report["counts"]["created"] == 2, json.dumps(report, ensure_ascii=False)[:1500]
    assert "nothing to change" in cli("harvest", "edit", *d, source, code=2)
    assert "url" in cli("harvest", "edit", *d, source, "--url", "/etc/passwd", code=2)
    assert "disabled" in cli("harvest", "disable", *d, source)
    assert "disabled" in cli("harvest", "run", *d, source, code=2)
    assert "approved" in cli("harvest", "enable", *d, source)


def test_cli_reject_needs_a_reason_and_keeps_the_source_from_running(data_dir, site):
    cli_world(data_dir)
    d = ("--data-dir", str(data_dir))
    ckan = FakeCkan(site, full_packages()[:1])
    source = cli("harvest", "add", *d, "--type", "ckan", "--url", ckan.url, "--department",
                 PUBLIC_SECURITY).strip()
    assert "--note" in cli("harvest", "reject", *d, source, code=2)
    assert "不是本部门门户" in cli("harvest", "reject", *d, source, "--note", "不是本部门门户")
    listed = json.loads(cli("harvest", "list", *d, "--json"))
    assert [s["state"] for s in listed if str(s["id"]) == source] == ["rejected"]
    assert "not approved" in cli("harvest", "run", *d, source, code=2)
