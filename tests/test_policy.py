"""The access policy enumerated (issue 14, "One access policy"): every route the app serves and
every stored column that can carry record content is named here, and every content route is
called as every kind of actor — each role, clearance and network — against records of every
security level and lifecycle state. No response may carry a revision the policy's reference
evaluator (``catalog.visibility.view_of`` over ``catalog.policy``) does not let that actor see.

Each revision's title carries an ASCII marker (``LK…``), so a leak is a substring of the body,
whatever the format (JSON, HTML, Turtle, RDF/XML, CSV). A route or column added without a line
here fails ``test_every_route_is_classified`` / ``test_every_text_column_is_classified``.
"""

from __future__ import annotations

import io
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import JSON, String, Text, select

from catalog import policy
from catalog.actors import ROLES, SYSTEM, Actor
from catalog.app import create_app
from catalog.db import Base, Dataset
from catalog.services import Services
from catalog.store import Store
from catalog.visibility import view_of
from harvesters.worker import Worker
from tests.catalog.test_import_jobs import HEADER, csv_file
from tests.catalog.test_import_jobs import row as sheet_row
from tests.factories import GOVERNANCE, MARKET, PUBLIC_SECURITY, build_world, record
from tests.sharing.helpers import payload
from vocab.concepts import network_ceiling, security_rank

LEVELS = ("public", "internal", "secret", "confidential")
SHEET_LEVELS = {"public": "公开", "internal": "内部", "secret": "秘密"}
CLEARANCES = ("public", "confidential")   # and the world's own users, of internal clearance
NETWORKS = ("intranet", "internet")       # every level storable; the public ceiling
TITLE = "泄漏检查"          # every marked title starts so: one search finds them all

# -- the enumeration ------------------------------------------------------------------------------
# Routes that show no record content, with the reason.
NO_CONTENT = {
    "/api/health": "service status",
    "/api/openapi.json": "the API's description",
    "/api/me": "the caller's own account",
    "/api/departments": "the registered departments",
    "/api/users": "accounts (administrators only)",
    "/api/admin/calendar": "the working-day calendar",
    "/api/admin/calendar/years/<int:year>": "the working-day calendar",
    "/api/datasets/template.csv": "the empty template",
    "/api/datasets/template.xlsx": "the empty template",
    "/login": "the sign-in form",
    "/datasets/new": "the empty registration form",
    "/harvest/new": "the empty source form",
    "/harvest/sources/<int:source_id>/edit": "a source's settings (department work)",
    "/static/<path:filename>": "style sheets and scripts",
    "/admin/users": "accounts (administrators only)",
    "/admin/users/<username>": "an account (administrators only)",
    "/admin/departments": "the registered departments",
    "/admin/calendar": "the working-day calendar",
    "/admin/calendar/<year>": "the working-day calendar",
}
# Routes of one dataset: called for every dataset of the world.
DATASET_ROUTES = {
    "/api/datasets/<dataset_id>": "/api/datasets/{id}",
    "/api/datasets/<dataset_id>/revisions": "/api/datasets/{id}/revisions",
    "/api/datasets/<dataset_id>/sharing-history": "/api/datasets/{id}/sharing-history",
    "/api/harvest/datasets/<dataset_id>/provenance": "/api/harvest/datasets/{id}/provenance",
    "/dataset/<dataset_id>.<fmt>": "/dataset/{id}.ttl /dataset/{id}.rdf /dataset/{id}.jsonld "
                                   "/dataset/{id}.nt",
    "/datasets/<dataset_id>": "/datasets/{id}",
    "/datasets/<dataset_id>/edit": "/datasets/{id}/edit",
}
# The dataset routes that answer everyone who may see the dataset (200), not only its editors.
SEEN_BY_VIEWERS = ("/api/datasets/{id}", "/dataset/{id}.ttl", "/datasets/{id}")
# Every other route that may show record content: the paths to call (ids filled in).
CONTENT_ROUTES = {
    "/": "/",
    "/datasets": "/datasets /datasets?page=2 /datasets?sort=title&page=2",
    "/search": f"/search?q={TITLE}",
    "/review": "/review",
    "/imports": "/imports",
    "/imports/<int:job_id>": "/imports/{import_job}",
    "/api/datasets": "/api/datasets?page_size=200",
    "/api/search": f"/api/search?q={TITLE}&page_size=100",
    "/api/search/suggest": "/api/search/suggest?q=泄漏",
    "/api/completion": "/api/completion",
    "/api/organizations": "/api/organizations",
    "/admin/publishers": "/admin/publishers",
    "/harvest": "/harvest",
    "/catalog": "/catalog",
    "/departments": "/departments",
    "/departments/<code>": f"/departments/{PUBLIC_SECURITY} /departments/{MARKET}",
    "/sharing": "/sharing",
    "/sharing/<any(mine, to_review, escalated):tab>":
        "/sharing/mine /sharing/to_review /sharing/escalated",
    "/sharing/requests/<request_id>": "/sharing/requests/{request}",
    "/sharing/grants": "/sharing/grants",
    "/sharing/grants.csv": "/sharing/grants.csv",
    "/inbox": "/inbox",
    "/harvest/sources/<int:source_id>": "/harvest/sources/{source}",
    "/harvest/jobs/<int:job_id>": "/harvest/jobs/{harvest_job}",
    "/harvest/jobs/<int:job_id>/items/<int:item_id>": "/harvest/jobs/{harvest_job}/items/{item}",
    "/api/sharing-requests": "/api/sharing-requests?page_size=100",
    "/api/sharing-requests/<request_id>": "/api/sharing-requests/{request}",
    "/api/grants": "/api/grants",
    "/api/grants.csv": "/api/grants.csv",
    "/api/inbox": "/api/inbox",
    "/api/harvest/sources": "/api/harvest/sources",
    "/api/harvest/sources/<int:source_id>": "/api/harvest/sources/{source}",
    "/api/harvest/sources/<int:source_id>/jobs": "/api/harvest/sources/{source}/jobs",
    "/api/harvest/jobs/<int:job_id>": "/api/harvest/jobs/{harvest_job}",
    "/api/harvest/jobs/<int:job_id>/items": "/api/harvest/jobs/{harvest_job}/items?page_size=200",
    "/api/imports": "/api/imports",
    "/api/imports/<int:job_id>": "/api/imports/{import_job}",
    "/api/imports/<int:job_id>/rows": "/api/imports/{import_job}/rows?page_size=200",
}

# Text columns of the store that hold record content, and the rule that guards every read of it.
CONTENT_COLUMNS = {
    "datasets.title": "dataset_working_copy", "datasets.title_key": "dataset_working_copy",
    "datasets.published_title": "dataset_published",
    "datasets.title_sort": "dataset_working_copy (an ORDER BY key, never shown)",
    "datasets.published_title_sort": "dataset_published (an ORDER BY key, never shown)",
    "datasets.resource_code": "dataset_working_copy / dataset_published",
    "datasets.publisher_key": "dataset_working_copy / dataset_published",
    "datasets.review_note": "dataset_working_copy",
    **{f"dataset_revisions.{c}": "the revision's view (view_of)"
       for c in ("data", "changed_fields", "problems", "note")},
    **{f"harvest_items.{c}": "view_of the dataset it became (harvest items)"
       for c in ("remote_id", "reason", "raw")},
    **{f"harvest_provenance.{c}": "department_work and view_of (provenance)"
       for c in ("remote_id", "identifier")},
    **{f"harvest_jobs.{c}": "department_work; no record fields in reports"
       for c in ("summary", "error")},
    **{f"import_rows.{c}": "view_of the dataset it became (import rows)"
       for c in ("title", "resource_code", "zh", "en")},
    **{f"import_jobs.{c}": "department_work; no record fields in reports"
       for c in ("summary", "error")},
    **{f"sharing_requests.{c}": "sharing_request_seen"
       for c in ("purpose", "legal_duty", "data_items", "target_system", "approved_items",
                 "last_reason", "needed")},
    **{f"sharing_grants.{c}": "grant_seen" for c in ("data_items", "target_system",
                                                     "revoke_reason", "needed")},
    "notifications.subject": "the recipient only (inbox)",
    "notifications.body": "the recipient only (inbox)",
    "audit_log.detail": "sharing history: view_of the dataset; `mulu audit` for administrators",
    "outbox.payload": "never served (the indexer reads the store)",
    "organizations.name": "publisher.list (governance); dataset counts through visibility",
    "organizations.code": "publisher.list (governance)",
    "organizations.key": "publisher.list (governance)",
}


def _text_columns() -> set[str]:
    return {f"{table.name}.{column.name}" for table in Base.metadata.sorted_tables
            for column in table.columns if isinstance(column.type, String | Text | JSON)}


def test_every_action_has_one_rule_and_known_roles() -> None:
    assert set(typing.get_args(policy.Action)) == set(policy.RULES)
    for action, rule in policy.RULES.items():
        assert rule.roles and set(rule.roles) <= set(ROLES), action


def test_every_text_column_is_classified() -> None:
    """A column that may hold record content names its guard; a new text column must be
    placed here (as content, or in the list of those that are not) before it is merged."""
    not_content = _text_columns() - set(CONTENT_COLUMNS)
    stale = set(CONTENT_COLUMNS) - _text_columns()
    assert not stale, f"CONTENT_COLUMNS names columns the store no longer has: {sorted(stale)}"
    assert not_content <= NOT_CONTENT_COLUMNS, \
        f"text columns not classified: {sorted(not_content - NOT_CONTENT_COLUMNS)}"


def test_every_route_is_classified(sqlite_store: Store) -> None:
    app = create_app(sqlite_store.settings, store=sqlite_store)
    served = {rule.rule for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    named = set(NO_CONTENT) | set(DATASET_ROUTES) | set(CONTENT_ROUTES)
    assert served - named == set(), "GET routes the policy test does not know"
    assert named - served == set(), "the policy test names routes the app no longer serves"


# -- the world ------------------------------------------------------------------------------------


@dataclass
class Caller:
    username: str
    actor: Actor            # as stored (before the network's ceiling)
    token: str | None


@dataclass
class Leaks:
    world_store: Store
    services: Services
    callers: list[Caller]
    marker_of: dict[str, tuple[str, int]]       # marker -> (dataset id, revision)
    ids: dict[str, str | int]
    datasets: list[str] = field(default_factory=list)


def _marked(marker: str, level: str, **changes: object) -> dict[str, object]:
    return record(title=f"{TITLE}{marker}人口信息", security_level=level,
                  description=f"用于访问控制检查的信息资源 {marker}。", **changes)


def _build(store: Store, tmp_path: Path) -> Leaks:
    store.settings = store.settings.with_overrides(network="intranet")
    services = Services.build(store)
    w = build_world(services)
    # the records' author and their reviewer may hold every level of this world
    for username, role, department in (("author", "steward", PUBLIC_SECURITY),
                                       ("checker", "reviewer", GOVERNANCE)):
        services.accounts.create_user(SYSTEM, username, f"{username}-password-1", role,
                                      department_code=department, clearance="confidential")
    author = services.accounts.authenticate("author", "author-password-1")
    checker = services.accounts.authenticate("checker", "checker-password-1")
    datasets, marker_of = services.datasets, {}
    ids: dict[str, str | int] = {}

    def mark(marker: str, view_id: str, revision: int) -> None:
        marker_of[marker] = (view_id, revision)

    for level in LEVELS:
        tag = level[:3].upper()
        published = datasets.register(author, _marked(f"LK{tag}P", level), submit=True)
        datasets.review(checker, published.id, "publish")
        mark(f"LK{tag}P", published.id, 1)
        edited = datasets.register(author, _marked(f"LK{tag}E1", level), submit=True)
        datasets.review(checker, edited.id, "publish")
        changed = datasets.update(author, edited.id, _marked(f"LK{tag}E2", level))
        mark(f"LK{tag}E1", edited.id, 1)
        mark(f"LK{tag}E2", edited.id, changed.revision)
        submitted = datasets.register(author, _marked(f"LK{tag}S", level), submit=True)
        mark(f"LK{tag}S", submitted.id, 1)
        draft = datasets.register(author, _marked(f"LK{tag}D", level))
        mark(f"LK{tag}D", draft.id, 1)
        gone = datasets.register(author, _marked(f"LK{tag}W", level), submit=True)
        datasets.review(checker, gone.id, "publish")
        datasets.withdraw(author, gone.id, "不再提供")
        mark(f"LK{tag}W", gone.id, 1)
        if level == "internal":
            ids["requested"] = published.id

    # a sharing request (and its notifications) for the internal published dataset
    filed = services.sharing.file(w.staff, payload(str(ids["requested"])))
    ids["request"] = filed["id"]

    # a harvest job and an import job whose rows carry records of several levels
    sheet = tmp_path / "harvest.csv"
    sheet.write_bytes(csv_file([sheet_row(f"{TITLE}LKHV{tag}人口信息", level=label)
                                for tag, label in (("PUB", "公开"), ("INT", "内部"),
                                                   ("SEC", "秘密"))]))
    source = services.harvest.add_source(
        author, {"type": "spreadsheet", "url": str(sheet), "name": "检查数据源",
                    "config": {}}, allow_file=True)
    services.harvest.review_source(checker, source.id, "approve", "ok")
    report = services.harvest.run(w.admin, source.id, sleep=lambda _s: None)
    ids["source"], ids["harvest_job"] = source.id, report["job"]
    items = services.harvest.items(SYSTEM, report["job"])["items"]
    ids["item"] = [i["id"] for i in items if i["kind"] == "record"][-1]   # the secret row
    job = services.imports.start(author, io.BytesIO(csv_file(
        [sheet_row(f"{TITLE}LKIM{tag}人口信息", level=label)
         for tag, label in (("PUB", "公开"), ("INT", "内部"), ("SEC", "秘密"))])), "目录.csv")
    Worker(services, echo=lambda _line: None).run_once()
    ids["import_job"] = job["id"]
    assert HEADER[0] == "信息资源名称"
    with store.reading() as session:
        for dataset in session.scalars(select(Dataset)):
            for marker in ("LKHV", "LKIM"):
                if marker in dataset.title:
                    code = dataset.title[len(TITLE):].split("人口")[0]
                    marker_of[code] = (dataset.id, 1)

    callers = [Caller("anonymous", Actor(None, "anonymous", "anonymous", None), None)]
    for clearance in CLEARANCES:
        for name, role, department in (("staff_own", "staff", PUBLIC_SECURITY),
                                       ("staff_other", "staff", MARKET),
                                       ("steward", "steward", PUBLIC_SECURITY),
                                       ("reviewer", "reviewer", GOVERNANCE),
                                       ("admin", "admin", None)):
            username = f"{name}_{clearance}"
            services.accounts.create_user(SYSTEM, username, f"{username}-password-1", role,
                                          department_code=department, clearance=clearance)
            actor = services.accounts.authenticate(username, f"{username}-password-1")
            callers.append(Caller(username, actor,
                                  services.accounts.create_token(SYSTEM, username, "policy")))
    callers += [Caller(u, getattr(w, u), services.accounts.create_token(SYSTEM, u, "policy"))
                for u in ("steward", "staff")]    # the request's own filer and provider
    return Leaks(store, services, callers, marker_of, ids,
                 sorted({d for d, _ in marker_of.values()}))


@pytest.fixture
def leaks(store: Store, tmp_path: Path) -> Iterator[Leaks]:
    yield _build(store, tmp_path)


def _capped(actor: Actor, network: str) -> Actor:
    ceiling = network_ceiling(network)
    if security_rank(actor.clearance) <= security_rank(ceiling):
        return actor
    return Actor(actor.user_id, actor.username, actor.role, actor.department_id, ceiling)


def _allowed_markers(leaks: Leaks, actor: Actor) -> tuple[set[str], set[str]]:
    """(markers the actor may see, markers of the revision each visible dataset shows them)."""
    with leaks.world_store.reading() as session:
        rows = {d.id: d for d in session.scalars(select(Dataset))}
        allowed, shown = set(), set()
        for marker, (dataset_id, revision) in leaks.marker_of.items():
            dataset = rows[dataset_id]
            view = view_of(actor, dataset)
            if view == "current":
                allowed.add(marker)
                if revision == dataset.current_revision:
                    shown.add(marker)
            elif view == "published" and revision == dataset.published_revision:
                allowed.add(marker)
                shown.add(marker)
        return allowed, shown


def _paths(template: str, leaks: Leaks) -> list[str]:
    return [p.format(**{k: v for k, v in leaks.ids.items()}) for p in template.split()]


@pytest.mark.parametrize("network", NETWORKS)
def test_no_route_shows_what_the_policy_hides(leaks: Leaks, network: str,
                                              subtests: pytest.Subtests) -> None:
    store = leaks.world_store
    # the anonymous rate limit is tested on its own (tests/api/test_rate_limit.py)
    store.settings = store.settings.with_overrides(network=network, anon_rate_limit=0)
    app = create_app(store.settings, store=store)
    app.config["MULU_SEARCH_SYNC"] = True
    client = app.test_client()
    checked = 0
    for caller in leaks.callers:
        actor = _capped(caller.actor, network)
        allowed, shown = _allowed_markers(leaks, actor)
        hidden = set(leaks.marker_of) - allowed
        headers = {"Authorization": f"Bearer {caller.token}"} if caller.token else {}

        def body(path: str, headers: dict[str, str] = headers) -> tuple[int, str]:
            response = client.get(path, headers=headers)
            assert response.status_code < 500, (path, response.status_code)
            if response.status_code == 302:   # to sign in, or a list's default tab
                assert response.location.startswith("/") and not response.location.startswith(
                    "//"), (path, response.location)
            return response.status_code, response.get_data().decode("utf-8", "replace")

        with subtests.test(msg=f"{network} {caller.username}"):
            for template in CONTENT_ROUTES.values():
                for path in _paths(template, leaks):
                    _status, text = body(path)
                    leaked = sorted(m for m in hidden if m in text)
                    assert not leaked, f"{path} as {caller.username} on {network}: {leaked}"
                    checked += 1
            for dataset_id in leaks.datasets:
                own = {m for m, (d, _r) in leaks.marker_of.items() if d == dataset_id}
                for template in DATASET_ROUTES.values():
                    for path in template.format(id=dataset_id).split():
                        status, text = body(path)
                        leaked = sorted(m for m in own & hidden if m in text)
                        assert not leaked, f"{path} as {caller.username} on {network}: {leaked}"
                        if not own & allowed:
                            assert status in (302, 401, 403, 404), (path, caller.username, status)
                        elif path in {t.format(id=dataset_id) for t in SEEN_BY_VIEWERS}:
                            assert status == 200, (path, caller.username, status)
                            assert own & shown & {m for m in own if m in text}, \
                                f"{path} as {caller.username}: the visible revision is missing"
                        checked += 1
    assert checked > 1000


def test_the_world_has_every_case(leaks: Leaks) -> None:
    """The check above is not vacuous: some caller sees each marker and some does not."""
    seen_by: dict[str, set[str]] = {m: set() for m in leaks.marker_of}
    for network in NETWORKS:
        for caller in leaks.callers:
            allowed, _shown = _allowed_markers(leaks, _capped(caller.actor, network))
            for marker in allowed:
                seen_by[marker].add(f"{network}/{caller.username}")
    everyone = {f"{n}/{c.username}" for n in NETWORKS for c in leaks.callers}
    public = {"LKPUBP", "LKPUBE1", "LKHVPUB"}   # published at the public level
    for marker, who in seen_by.items():
        assert who, f"nobody sees {marker}"
        assert (who == everyone) == (marker in public), f"{marker}: seen by {sorted(who)}"
    assert {"LKPUBP", "LKSECP", "LKCONE2", "LKINTD", "LKHVSEC", "LKIMINT"} <= set(seen_by)


# Text columns that hold no record content: ids, codes, states, names of people and
# departments, hashes, settings, and source addresses (department work, not record content).
NOT_CONTENT_COLUMNS = {
    "audit_head.last_hash", "code_sequences.prefix", "login_throttles.scope",
    "login_throttles.key", "notification_addresses.email", "workday_overrides.note",
    "calendar_days.name", "calendar_years.notice", "calendar_years.loaded_by",
    *(f"audit_log.{c}" for c in ("at", "actor", "action", "object_type", "object_id",
                                 "prev_hash", "hash")),
    *(f"outbox.{c}" for c in ("topic", "object_id")),
    *(f"departments.{c}" for c in ("code", "name", "short_name", "name_en", "level")),
    *(f"users.{c}" for c in ("username", "password_hash", "display_name", "role", "clearance")),
    *(f"api_tokens.{c}" for c in ("token_hash", "prefix", "name")),
    *(f"user_sessions.{c}" for c in ("key_hash", "revoked_because")),
    "datasets.id", "datasets.state",
    *(f"harvest_sources.{c}" for c in ("name", "type", "url", "file_name", "config",
                                       "schedule", "state", "created_by_name",
                                       "approved_by_name", "review_note")),
    *(f"harvest_jobs.{c}" for c in ("status", "requested_by", "worker", "counts")),
    *(f"harvest_items.{c}" for c in ("kind", "outcome", "error_type", "dataset_id")),
    *(f"harvest_provenance.{c}" for c in ("dataset_id", "remote_modified", "row_hash")),
    *(f"import_jobs.{c}" for c in ("requested_by", "file_ref", "file_name", "mode", "status",
                                   "phase", "worker", "counts")),
    *(f"import_rows.{c}" for c in ("outcome", "sheet", "field", "dataset_id")),
    "dataset_revisions.dataset_id", "dataset_revisions.author",
    *(f"notifications.{c}" for c in ("kind", "request_id", "grant_id", "mail_state")),
    *(f"sharing_requests.{c}" for c in ("id", "kind", "dataset_id", "share_type", "state",
                                        "contact")),
    *(f"sharing_grants.{c}" for c in ("id", "request_id", "dataset_id", "granted_by",
                                      "revoked_by")),
}
