"""``mulu harvest`` (采集 sources and jobs) and ``mulu worker`` (issue 3)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from catalog.actors import SYSTEM
from catalog.cli.common import _services, data_dir_option, friendly_errors
from harvesters.uploads import SpreadsheetUpload


@click.group(help="Harvest sources (采集): CKAN portals, DCAT catalogs, catalog spreadsheets.")
def harvest() -> None:
    pass


def _harvest_source_id(value: str) -> int:
    if not value.isdigit():
        raise click.BadParameter("a source id (a number, see `mulu harvest list`)")
    return int(value)


def _config(config_json: str | None, defaults: tuple[str, ...], organizations: tuple[str, ...],
            base: dict[str, Any] | None = None) -> dict[str, Any]:
    """``--config`` JSON (or ``base``), with ``--default`` and ``--map-org`` pairs added."""
    config: dict[str, Any] = dict(base or {})
    if config_json:
        try:
            config = json.loads(config_json)
        except ValueError as exc:
            raise click.BadParameter(f"not valid JSON: {exc}", param_hint="--config") from None
        if not isinstance(config, dict):
            raise click.BadParameter("a JSON object", param_hint="--config")
    for option, key, hint in ((defaults, "defaults", "--default"),
                              (organizations, "organizations", "--map-org")):
        for pair in option:
            field_name, sep, value = pair.partition("=")
            if not sep or not field_name.strip():
                raise click.BadParameter(f"expected NAME=VALUE, got {pair!r}", param_hint=hint)
            config[key] = {**(config.get(key) or {}), field_name.strip(): value.strip()}
    return config


def _upload(path: str, max_bytes: int) -> SpreadsheetUpload:
    """The file's bytes (a copy is kept in the data dir, so the original may move or go)."""
    with open(path, "rb") as handle:  # one byte more than the limit: a larger file is refused
        return SpreadsheetUpload(handle.read(max_bytes + 1), Path(path).name)


_FILE_HELP = "a spreadsheet file (.xlsx or .csv); Mulu keeps a copy in the data dir"


@harvest.command("add", help="Register a source for a department; prints the new source's id. "
                             "It runs once a reviewer or administrator approved it.")
@data_dir_option
@click.option("--type", "type_", required=True, type=click.Choice(["ckan", "dcat", "spreadsheet"]))
@click.option("--url", default=None, help="the portal, catalog or spreadsheet address")
@click.option("--file", "file_", type=click.Path(exists=True, dir_okay=False), default=None,
              help=_FILE_HELP)
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
    config = _config(config_json, defaults, organizations)
    services = _services(data_dir)
    source = services.harvest.add_source(
        SYSTEM, {"type": type_, "url": url, "department_code": department_code,
                 "name": name, "schedule": schedule, "config": config},
        upload=_upload(file_, services.settings.max_sheet_bytes) if file_ else None)
    click.echo(source.id)


@harvest.command("edit", help="Change a source. A new type, URL, file or config sends an "
                              "approved source back for approval; a new name or schedule does "
                              "not. A running job finishes as it started.")
@data_dir_option
@click.argument("source")
@click.option("--type", "type_", default=None, type=click.Choice(["ckan", "dcat", "spreadsheet"]))
@click.option("--url", default=None, help="a new portal, catalog or spreadsheet address")
@click.option("--file", "file_", type=click.Path(exists=True, dir_okay=False), default=None,
              help=_FILE_HELP)
@click.option("--name", default=None)
@click.option("--schedule", default=None, type=click.Choice(["manual", "hourly", "daily", "weekly"]))
@click.option("--default", "defaults", multiple=True, metavar="FIELD=VALUE",
              help="add or change a default, e.g. security_level=内部")
@click.option("--map-org", "organizations", multiple=True, metavar="ORG=CODE",
              help="add or change an organization -> department mapping")
@click.option("--config", "config_json", default=None, help="replace the whole config (JSON)")
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def harvest_edit(data_dir: str | None, source: str, type_: str | None, url: str | None,
                 file_: str | None, name: str | None, schedule: str | None,
                 defaults: tuple[str, ...], organizations: tuple[str, ...],
                 config_json: str | None, as_json: bool) -> None:
    if url and file_:
        raise click.UsageError("give at most one of --url or --file")
    services = _services(data_dir)
    harvest_service = services.harvest
    source_id = _harvest_source_id(source)
    changes: dict[str, Any] = {key: value for key, value in (
        ("type", type_), ("url", url), ("name", name), ("schedule", schedule)) if value is not None}
    if config_json or defaults or organizations:
        current = harvest_service.get_source(SYSTEM, source_id).config
        changes["config"] = _config(config_json, defaults, organizations, base=current)
    if not changes and not file_:
        raise click.UsageError("nothing to change (see --help)")
    view = harvest_service.edit_source(SYSTEM, source_id, changes,
                                       upload=_upload(file_, services.settings.max_sheet_bytes)
                                       if file_ else None)
    if as_json:
        click.echo(json.dumps(view.as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(f"source {view.id} {view.state}: {view.type} {_where(view)}")


@harvest.command("disable", help="Stop a source: it never runs; a queued job is cancelled.")
@data_dir_option
@click.argument("source")
@friendly_errors
def harvest_disable(data_dir: str | None, source: str) -> None:
    view = _services(data_dir).harvest.set_enabled(SYSTEM, _harvest_source_id(source), False)
    click.echo(f"source {view.id} disabled")


@harvest.command("enable", help="Let a disabled source run again (approved if it was, else "
                                "pending approval).")
@data_dir_option
@click.argument("source")
@friendly_errors
def harvest_enable(data_dir: str | None, source: str) -> None:
    view = _services(data_dir).harvest.set_enabled(SYSTEM, _harvest_source_id(source), True)
    click.echo(f"source {view.id} {view.state}")


def _where(view: Any) -> str:
    """The url, or the uploaded file's original name."""
    return f"{view.file_name} ({view.url})" if view.file_name else view.url


@harvest.command("approve", help="Approve a source (its records then publish without review).")
@data_dir_option
@click.argument("source")
@click.option("--note", default="")
@friendly_errors
def harvest_approve(data_dir: str | None, source: str, note: str) -> None:
    view = _services(data_dir).harvest.review_source(SYSTEM, _harvest_source_id(source),
                                                     "approve", note)
    click.echo(f"source {view.id} approved: {view.type} {_where(view)}")


@harvest.command("reject", help="Reject a pending source, with the reason its steward reads.")
@data_dir_option
@click.argument("source")
@click.option("--note", required=True, help="why (required)")
@friendly_errors
def harvest_reject(data_dir: str | None, source: str, note: str) -> None:
    view = _services(data_dir).harvest.review_source(SYSTEM, _harvest_source_id(source),
                                                     "reject", note)
    click.echo(f"source {view.id} rejected: {view.review_note}")


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
                   f"{_where(s)}  ({job})")


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


@click.command(help="Run due harvest sources on their schedule and queued harvest and "
                    "import jobs; several workers, on one machine or many, share the work (PostgreSQL row locks, "
                    "SKIP LOCKED). SIGTERM/SIGINT: take no further job, let the current one "
                    "finish for up to --grace seconds, then close it as failed; a second "
                    "signal closes it at once.")
@data_dir_option
@click.option("--once", is_flag=True, help="Work off what is due now, then exit.")
@click.option("--poll", default=5.0, show_default=True, type=click.FloatRange(0.1),
              help="Seconds between looks for work.")
@click.option("--grace", default=30.0, show_default=True, type=click.FloatRange(0),
              help="Seconds the current job may go on after a stop signal.")
def worker(data_dir: str | None, once: bool, poll: float, grace: float) -> None:
    from harvesters.worker import Worker

    Worker(_services(data_dir), echo=click.echo, grace=grace).run(once=once, poll=poll)


COMMANDS: list[click.Command] = [harvest, worker]
