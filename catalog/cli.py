"""The ``mulu`` command: serve, demo, db, user, token, audit."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any

import click

from catalog.actors import SYSTEM
from catalog.config import ConfigError, Settings, load_settings
from catalog.errors import InvalidInput, MuluError
from catalog.services import Services
from catalog.store import Store

data_dir_option = click.option(
    "--data-dir", type=click.Path(file_okay=False), default=None,
    help="Where the embedded store, index and uploads live (overrides MULU_DATA_DIR).")


def _settings(data_dir: str | None) -> Settings:
    try:
        return load_settings(data_dir=data_dir)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None


def _services(data_dir: str | None, *, upgrade: bool = True) -> Services:
    store = Store.open(_settings(data_dir))
    if upgrade:
        store.upgrade()
    return Services.build(store)


def friendly_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Domain errors become a clear message and exit status 2, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except InvalidInput as exc:
            click.echo(f"错误 / Error: {exc.message}", err=True)
            for name, messages in exc.errors.items():
                for message in messages:
                    click.echo(f"  {name}: {message}", err=True)
            sys.exit(2)
        except MuluError as exc:
            click.echo(f"错误 / Error: {exc.message}", err=True)
            sys.exit(2)

    return wrapper


@click.group(help="Mulu 政务信息资源目录 — a government information-resource catalog.")
def main() -> None:
    pass


@main.group(help="The catalog store.")
def db() -> None:
    pass


@db.command("upgrade", help="Create or migrate the store's tables.")
@data_dir_option
def db_upgrade(data_dir: str | None) -> None:
    services = _services(data_dir)
    click.echo(f"store up to date: {services.settings.store_backend}")


@main.command(help="Serve a configured instance (web UI and API).")
@data_dir_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
def serve(data_dir: str | None, host: str, port: int, threads: int) -> None:
    _serve(_services(data_dir), host, port, threads)


@main.command(help="Start the embedded catalog with demo departments, users and datasets.")
@data_dir_option
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--no-serve", is_flag=True, help="Load the demo data and exit.")
@friendly_errors
def demo(data_dir: str | None, port: int, host: str, no_serve: bool) -> None:
    from catalog.demo import loader

    services = _services(data_dir or "mulu-demo")
    if loader.is_loaded(services):
        click.echo(f"demo data already in {services.settings.data_dir}")
    else:
        count = loader.load(services)
        click.echo(f"loaded {count} demo datasets into {services.settings.data_dir}")
    click.echo("demo users (username / password / role):")
    for user in loader.DEMO_USERS:
        click.echo(f"  {user.username:<9} {user.password:<20} {user.role}")
    if not no_serve:
        _serve(services, host, port, 8)


def _serve(services: Services, host: str, port: int, threads: int) -> None:
    from waitress import serve as waitress_serve

    from catalog.app import create_app

    settings = services.settings.with_overrides(public_base_url=f"http://{host}:{port}")
    app = create_app(settings, store=services.store)
    from catalog.api.search import search_service

    indexer = search_service(app).start_background()  # drains the outbox into the search index
    from catalog.sharing.scheduler import DeadlineTimer

    timer = DeadlineTimer(app.extensions["mulu"].sharing).start()  # escalates breached requests
    click.echo(f"Mulu is running at http://{host}:{port}/  (API: http://{host}:{port}/api/openapi.json)")
    sys.stdout.flush()
    try:
        waitress_serve(app, host=host, port=port, threads=threads, ident="mulu")
    finally:
        timer.stop()
        indexer.stop()


@main.group(help="The search index (SQLite FTS5 in the data dir, or MULU_SEARCH_URL).")
def index() -> None:
    pass


def _search(data_dir: str | None) -> Any:
    from search.service import SearchService

    return SearchService.open(_services(data_dir).store)


@index.command("rebuild", help="Build a new index from the store and swap it in at once.")
@data_dir_option
def index_rebuild(data_dir: str | None) -> None:
    from search.base import SearchUnavailable

    service = _search(data_dir)
    try:
        count = service.indexer.rebuild()
        service.indexer.drain()
    except SearchUnavailable as exc:
        click.echo(f"错误 / Error: {exc}", err=True)
        sys.exit(1)
    click.echo(f"search index rebuilt: {count} documents ({service.backend.name})")


@index.command("drain", help="Index every pending change of the store (the outbox) and exit.")
@data_dir_option
def index_drain(data_dir: str | None) -> None:
    from search.base import SearchUnavailable

    service = _search(data_dir)
    try:
        count = service.indexer.drain()
    except SearchUnavailable as exc:
        click.echo(f"错误 / Error: {exc} (the changes stay queued)", err=True)
        sys.exit(1)
    click.echo(f"indexed {count} changes ({service.backend.name}, "
               f"{service.backend.count()} documents)")


@main.group(help="Users.")
def user() -> None:
    pass


@user.command("create", help="Create a user (prompts for the password when not given).")
@data_dir_option
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["steward", "staff", "reviewer", "admin"]))
@click.option("--department", "department_code", help="统一社会信用代码 of the user's department")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--clearance", default="internal", show_default=True,
              type=click.Choice(["public", "internal", "secret", "confidential", "top_secret"]))
@click.option("--name", "display_name", default="")
@friendly_errors
def user_create(data_dir: str | None, username: str, role: str, department_code: str | None,
                password: str, clearance: str, display_name: str) -> None:
    created = _services(data_dir).accounts.create_user(
        SYSTEM, username, password, role, department_code=department_code,
        display_name=display_name, clearance=clearance)
    click.echo(f"created user {created.username} ({created.role})")


@main.group(help="API tokens.")
def token() -> None:
    pass


@token.command("create", help="Create a bearer token for a user and print it (shown once).")
@data_dir_option
@click.option("--user", "username", required=True)
@click.option("--name", default="cli")
@friendly_errors
def token_create(data_dir: str | None, username: str, name: str) -> None:
    click.echo(_services(data_dir).accounts.create_token(SYSTEM, username, name))


@main.group(help="The audit log.")
def audit() -> None:
    pass


@audit.command("verify", help="Recompute the hash chain; report the first tampered entry.")
@data_dir_option
@click.option("--json", "as_json", is_flag=True)
def audit_verify(data_dir: str | None, as_json: bool) -> None:
    from catalog import audit as audit_log

    services = _services(data_dir)
    with services.store.reading() as session:
        result = audit_log.verify(session)
    if as_json:
        click.echo(json.dumps(result.__dict__))
    elif result.ok:
        click.echo(f"audit log intact: {result.checked} entries verified")
    else:
        where = f"entry #{result.first_bad_id}" if result.first_bad_id else "the chain head"
        click.echo(f"audit log TAMPERED at {where}: {result.reason} "
                   f"({result.checked} entries before it verified)", err=True)
    sys.exit(0 if result.ok else 1)


@main.group(help="Datasets: spreadsheet bulk registration (批量登记).")
def dataset() -> None:
    pass


@dataset.command("import", help="Register every row of a catalog spreadsheet (.xlsx or .csv), "
                                "or none when any row is wrong.")
@data_dir_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--department", "department_code", required=True,
              help="统一社会信用代码 of the department the rows belong to")
@click.option("--submit", is_flag=True, help="Submit every row for review at once.")
@friendly_errors
def dataset_import(data_dir: str | None, file: str, department_code: str, submit: bool) -> None:
    from pathlib import Path

    from catalog import spreadsheet

    path = Path(file)
    with path.open("rb") as handle:
        data = handle.read(spreadsheet.MAX_BYTES + 1)
    result = spreadsheet.import_file(_services(data_dir).datasets, SYSTEM, data, path.name,
                                     department_code=department_code, submit=submit)
    for column in result.ignored_columns:
        click.echo(f"忽略未识别的列 / ignored unknown column: {column}", err=True)
    for item in result.items:
        click.echo(f"row {item.row}: {item.resource_code}  {item.title}")
    click.echo(f"imported {result.created} datasets ({'submitted' if submit else 'drafts'})")


@dataset.command("template", help="Write the catalog spreadsheet template (OUT.xlsx or OUT.csv).")
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
def dataset_template(out: str) -> None:
    from pathlib import Path

    from catalog import spreadsheet

    path = Path(out)
    writers = {".xlsx": spreadsheet.template_xlsx, ".csv": spreadsheet.template_csv}
    if path.suffix.lower() not in writers:
        raise click.BadParameter("the file name must end in .xlsx or .csv", param_hint="OUT")
    path.write_bytes(writers[path.suffix.lower()]())
    click.echo(f"wrote {path}")


# -- sharing requests and the working-day calendar (issue 5) ---------------------------------

_DATE = click.DateTime(formats=["%Y-%m-%d"])


def _as_of(today: Any) -> Any:
    """09:00 China time on ``today`` (a --today option), or None for now."""
    from datetime import datetime, time

    from catalog.sharing.workdays import CHINA

    return None if today is None else datetime.combine(today.date(), time(9, tzinfo=CHINA))


@main.group("requests", help="Sharing requests (共享申请): deadlines and escalation.")
def requests_group() -> None:
    pass


@requests_group.command("overdue", help="Escalate breached requests to the governance reviewers, "
                        "flag those about to breach, warn of expiring grants; then list every "
                        "breached request. Run it daily from cron or any scheduler.")
@data_dir_option
@click.option("--today", type=_DATE, default=None, help="Run as of this date (YYYY-MM-DD).")
@click.option("--list-only", is_flag=True, help="Only list; escalate and notify nothing.")
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def requests_overdue(data_dir: str | None, today: Any, list_only: bool, as_json: bool) -> None:
    sharing = _services(data_dir).sharing
    now = _as_of(today)
    report = None if list_only else sharing.run_deadlines(now)
    found = sharing.overdue(SYSTEM, now)
    if as_json:
        click.echo(json.dumps({"overdue": found, "run": report.as_dict() if report else None},
                              ensure_ascii=False))
        return
    if report is not None:
        click.echo(f"escalated {len(report.escalated)}, near breach {len(report.near_breach)}, "
                   f"grants expiring {len(report.expiring)}, expired {len(report.expired)}, "
                   f"e-mails sent {report.mailed}")
    for item in found:
        late = -(item["working_days_left"] or 0)
        click.echo(f"{item['id']}  {item['state']:<16} deadline {item['deadline']} "
                   f"({late} working days late)  {item['dataset']['title']}  "
                   f"{item['requester_department']['name']} -> "
                   f"{item['provider_department']['name']}")
    click.echo(f"{len(found)} breached requests")


@main.group("workdays", help="The working-day calendar (法定节假日 and 调休, plus local days).")
def workdays_group() -> None:
    pass


@workdays_group.command("add", help="Print the date N working days after DATE.")
@data_dir_option
@click.argument("date", type=_DATE, metavar="DATE")
@click.argument("n", type=click.IntRange(0, 3650))
@friendly_errors
def workdays_add(data_dir: str | None, date: Any, n: int) -> None:
    click.echo(_services(data_dir).sharing.add_workdays(date.date(), n).isoformat())


@workdays_group.command("set", help="Make DATE a day off (--off) or a working day (--on) in this "
                        "deployment, or back to the official calendar (--official).")
@data_dir_option
@click.argument("date", type=_DATE, metavar="DATE")
@click.option("--off", "mode", flag_value="off", help="a local holiday")
@click.option("--on", "mode", flag_value="on", help="a working day")
@click.option("--official", "mode", flag_value="official", help="drop the local rule")
@click.option("--note", default="", help="why (shown in `workdays list`)")
@friendly_errors
def workdays_set(data_dir: str | None, date: Any, mode: str | None, note: str) -> None:
    if mode is None:
        raise click.UsageError("give one of --off, --on or --official")
    workday = {"off": False, "on": True, "official": None}[mode]
    _services(data_dir).sharing.set_workday(SYSTEM, date.date(), workday, note)
    click.echo(f"{date.date().isoformat()}: {mode}")


@workdays_group.command("list", help="The deployment's own days.")
@data_dir_option
def workdays_list(data_dir: str | None) -> None:
    for day, workday, note in _services(data_dir).sharing.workday_overrides():
        click.echo(f"{day.isoformat()}  {'working day' if workday else 'day off':<11}  {note}")


# -- harvesting (issue 3) ---------------------------------------------------------------------

@main.group(help="Harvest sources (采集): CKAN portals, DCAT catalogs, catalog spreadsheets.")
def harvest() -> None:
    pass


def _harvest_source_id(value: str) -> int:
    if not value.isdigit():
        raise click.BadParameter("a source id (a number, see `mulu harvest list`)")
    return int(value)


@harvest.command("add", help="Register a source for a department; prints the new source's id. "
                             "It runs once a reviewer or administrator approved it.")
@data_dir_option
@click.option("--type", "type_", required=True, type=click.Choice(["ckan", "dcat", "spreadsheet"]))
@click.option("--url", default=None, help="the portal, catalog or spreadsheet address")
@click.option("--file", "file_", type=click.Path(exists=True, dir_okay=False), default=None,
              help="a spreadsheet file (read again at every run)")
@click.option("--department", "department_code", required=True,
              help="统一社会信用代码 of the department the records belong to")
@click.option("--name", default="")
@click.option("--schedule", default="manual", show_default=True,
              type=click.Choice(["manual", "hourly", "daily", "weekly"]))
@click.option("--default", "defaults", multiple=True, metavar="FIELD=VALUE",
              help="a default for what the source lacks, e.g. share_type=有条件共享")
@click.option("--map-org", "organizations", multiple=True, metavar="ORG=CODE",
              help="map a source organization (CKAN name or title) to a department code")
@click.option("--config", "config_json", default=None, help="the whole config as JSON")
@friendly_errors
def harvest_add(data_dir: str | None, type_: str, url: str | None, file_: str | None,
                department_code: str, name: str, schedule: str, defaults: tuple[str, ...],
                organizations: tuple[str, ...], config_json: str | None) -> None:
    if bool(url) == bool(file_):
        raise click.UsageError("give exactly one of --url or --file")
    config: dict[str, Any] = json.loads(config_json) if config_json else {}
    for option, key in ((defaults, "defaults"), (organizations, "organizations")):
        for pair in option:
            field_name, sep, value = pair.partition("=")
            if not sep:
                raise click.BadParameter(f"expected NAME=VALUE, got {pair!r}")
            config.setdefault(key, {})[field_name.strip()] = value.strip()
    source = _services(data_dir).harvest.add_source(
        SYSTEM, {"type": type_, "url": url or file_, "department_code": department_code,
                 "name": name, "schedule": schedule, "config": config}, allow_file=True)
    click.echo(source.id)


@harvest.command("approve", help="Approve a source (its records then publish without review).")
@data_dir_option
@click.argument("source")
@click.option("--note", default="")
@friendly_errors
def harvest_approve(data_dir: str | None, source: str, note: str) -> None:
    view = _services(data_dir).harvest.review_source(SYSTEM, _harvest_source_id(source),
                                                     "approve", note)
    click.echo(f"source {view.id} approved: {view.type} {view.url}")


@harvest.command("list", help="Every source with its state and last job.")
@data_dir_option
@click.option("--json", "as_json", is_flag=True)
def harvest_list(data_dir: str | None, as_json: bool) -> None:
    sources = _services(data_dir).harvest.list_sources(SYSTEM)
    if as_json:
        click.echo(json.dumps([s.as_dict() for s in sources], ensure_ascii=False, indent=2))
        return
    for s in sources:
        last = s.last_job
        job = f"job {last['id']} {last['status']}" if last else "never run"
        click.echo(f"{s.id:>4}  {s.type:<11} {s.state:<9} {s.schedule:<7} {s.department_name}  "
                   f"{s.url}  ({job})")


@harvest.command("run", help="Run a source now and print the report (exit 0 when the job ran, "
                             "whatever its records' outcomes).")
@data_dir_option
@click.argument("source")
@click.option("--dry-run", is_flag=True, help="Fetch, map and validate; store nothing.")
@click.option("--full", is_flag=True, help="Process unchanged records too (not incremental).")
@click.option("--limit", type=click.IntRange(1), default=None, help="Process at most N records.")
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def harvest_run(data_dir: str | None, source: str, dry_run: bool, full: bool, limit: int | None,
                as_json: bool) -> None:
    from harvesters import report as harvest_report
    from harvesters.progress import Progress

    services = _services(data_dir)
    progress = Progress(sys.stderr) if not as_json else None
    result = services.harvest.run(SYSTEM, _harvest_source_id(source), dry_run=dry_run,
                                  full=full, limit=limit, progress=progress)
    if progress is not None:
        progress.done()
    click.echo(json.dumps(result, ensure_ascii=False, indent=2) if as_json
               else harvest_report.render(result))


@harvest.command("report", help="The report of a job: counts, and problems by error type.")
@data_dir_option
@click.argument("job", type=int)
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def harvest_job_report(data_dir: str | None, job: int, as_json: bool) -> None:
    from harvesters import report as harvest_report

    result = _services(data_dir).harvest.report(SYSTEM, job)
    click.echo(json.dumps(result, ensure_ascii=False, indent=2) if as_json
               else harvest_report.render(result))


@main.command(help="Run due harvest sources on their schedule and queued jobs; several "
                   "workers share the work (PostgreSQL row locks, SKIP LOCKED).")
@data_dir_option
@click.option("--once", is_flag=True, help="Work off what is due now, then exit.")
@click.option("--poll", default=5.0, show_default=True, type=click.FloatRange(0.1),
              help="Seconds between looks for work.")
def worker(data_dir: str | None, once: bool, poll: float) -> None:
    from harvesters.worker import Worker

    Worker(_services(data_dir), echo=click.echo).run(once=once, poll=poll)
