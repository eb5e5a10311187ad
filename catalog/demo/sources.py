"""Register, approve and run the demo's three simulated department sources; keep running due
harvests while the demo serves.

Each source is registered by its department's demo steward (or the administrator where the
department has no demo steward) and approved by the governance reviewer, as the review rule
asks. A re-run finds its sources by type, name and department and never adds them twice. When
the simulated server listens on another port than last time, a source's address is brought up to
date before it runs: an edit by its registrar that the reviewer approves again, as for any
source. Records keep their identifiers at the source (CKAN ids, dataset IRIs, spreadsheet
titles), so a re-run reports them unchanged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from catalog.actors import Actor
from catalog.db import Department, HarvestSource
from catalog.demo.loader import DEMO_USERS, departments
from catalog.demo.simulated import SimulatedSources, definitions, write_spreadsheet
from catalog.errors import Message, MuluError, NotFound
from catalog.services import Services

log = logging.getLogger("mulu.demo")
KINDS = ("ckan", "dcat", "spreadsheet")
SPREADSHEET_DIR = "demo-sources"


@dataclass
class SourceRun:
    """One demo source and the outcome of its start-up job."""

    kind: str
    name: str
    department: str
    url: str
    source_id: int | None = None
    report: dict[str, Any] | None = None
    problem: str = ""

    def line(self) -> str:
        if self.report is None:
            return f"未运行 / not run: {self.problem}"
        counts = ", ".join(f"{k} {v}" for k, v in self.report["counts"].items())
        return f"job {self.report['job']} {self.report['status']}: {counts}"


def urls(server: SimulatedSources, data_dir: Path) -> dict[str, str]:
    """Where each source is read from: the server's two endpoints, the spreadsheet file."""
    sheet = write_spreadsheet(data_dir / SPREADSHEET_DIR)
    return {"ckan": server.ckan_url, "dcat": server.dcat_url, "spreadsheet": str(sheet)}


def allow_simulated(services: Services, server: SimulatedSources) -> None:
    """The demo's own simulated sources listen on loopback, which harvests may not reach by
    default: the demo allows exactly their address (as a deployment lists its 政务外网 ranges
    in MULU_HARVEST_ALLOW_NETWORKS). Mulu's own address (its base URL) stays refused."""
    settings = services.store.settings
    network = f"{server.url().split('//', 1)[1].rsplit(':', 1)[0]}/32"
    if network not in settings.harvest_allow_networks:
        services.store.settings = settings.with_overrides(
            harvest_allow_networks=(*settings.harvest_allow_networks, network))


def register_and_run(services: Services, server: SimulatedSources) -> list[SourceRun]:
    """Make sure the three sources exist, are approved and point at ``server``; run each once."""
    allow_simulated(services, server)
    addresses = urls(server, services.settings.data_dir)
    reviewer = _actor(services, "reviewer")
    runs = []
    for kind in KINDS:
        definition = definitions()[kind]
        run = SourceRun(kind, definition["name"], _department_name(definition["department"]),
                        addresses[kind])
        try:
            registrar = _registrar(services, definition["department"])
            run.source_id, state = _ensure(services, kind, definition, run.url, registrar,
                                           reviewer)
            if state == "approved":
                run.report = services.harvest.run(registrar, run.source_id)
            else:
                run.problem = f"数据源状态为 {state} / the source is {state}"
        except MuluError as exc:
            run.problem = f"{exc.message.zh} / {exc.message.en}"
        runs.append(run)
    return runs


def _ensure(services: Services, kind: str, definition: dict[str, Any], url: str,
            registrar: Actor, reviewer: Actor) -> tuple[int, str]:
    """The source's id and state, once it is registered, points at ``url`` and is approved
    (unless someone rejected or disabled it meanwhile)."""
    with services.store.reading() as session:
        found = session.execute(
            select(HarvestSource.id, HarvestSource.url, HarvestSource.state)
            .join(Department, Department.id == HarvestSource.department_id)
            .where(HarvestSource.type == kind, HarvestSource.name == definition["name"],
                   Department.code == definition["department"])
            .order_by(HarvestSource.id).limit(1)).first()
    if found is None:
        view = services.harvest.add_source(registrar, {
            "type": kind, "url": url, "department_code": definition["department"],
            "name": definition["name"], "schedule": definition["schedule"],
            "config": definition.get("config", {})}, allow_file=True)
        source_id, state = view.id, view.state
    elif found.url != url:  # a new address goes back to the reviewer, as any source's would
        view = services.harvest.edit_source(registrar, found.id, {"url": url}, allow_file=True)
        source_id, state = view.id, view.state
    else:
        source_id, state = found.id, found.state
    if state == "pending":
        state = services.harvest.review_source(reviewer, source_id, "approve",
                                               "演示数据源 / demo source").state
    return source_id, state


def _registrar(services: Services, department_code: str) -> Actor:
    codes = [d["code"] for d in departments()]
    steward = next((u for u in DEMO_USERS if u.role == "steward" and u.department_index is not None
                    and codes[u.department_index] == department_code), None)
    return _actor(services, steward.username if steward else "admin")


def _actor(services: Services, username: str) -> Actor:
    user = services.accounts.get_user(username)
    actor = services.accounts.actor_for_user_id(user.id) if user else None
    if actor is None:
        raise NotFound(Message(f"演示用户 {username} 不存在或已停用。",
                               f"The demo user {username} is missing or inactive."))
    return actor


def _department_name(code: str) -> str:
    return next((d["short_name"] for d in departments() if d["code"] == code), code)
