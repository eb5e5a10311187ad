"""``mulu requests`` (共享申请 deadlines), ``mulu workdays`` (local days) and ``mulu calendar``
(the official calendar) — issue 5."""

from __future__ import annotations

import json
from typing import Any

import click

from catalog.actors import SYSTEM
from catalog.cli.common import _services, data_dir_option, friendly_errors

_DATE = click.DateTime(formats=["%Y-%m-%d"])


def _as_of(today: Any) -> Any:
    """09:00 China time on ``today`` (a --today option), or None for now."""
    from datetime import datetime, time

    from catalog.sharing.workdays import CHINA

    return None if today is None else datetime.combine(today.date(), time(9, tzinfo=CHINA))


@click.group("requests", help="Sharing requests (共享申请): deadlines and escalation.")
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


@click.group("workdays", help="The working-day calendar (法定节假日 and 调休, plus local days).")
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


@click.group("calendar", help="The official calendar (国务院办公厅 节假日安排): which source covers "
             "each year, warnings, and the notices an administrator loads.")
def calendar_group() -> None:
    pass


@calendar_group.command("status", help="Years and their sources, warnings (next year missing "
                        "from November, sources disagreeing) and every disagreement. Exit 1 "
                        "when there are warnings.")
@data_dir_option
@click.option("--json", "as_json", is_flag=True)
def calendar_status(data_dir: str | None, as_json: bool) -> None:
    result = _services(data_dir).calendar.status()
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False))
    else:
        for year in result.years:
            click.echo(f"{year['year']}  {', '.join(year['sources']) or 'MISSING'}"
                       f"{'  ' + year['notice'] if year['notice'] else ''}")
        for found in result.disagreements:
            answers = ", ".join(f"{source}: {'working day' if on else 'day off'}"
                                for source, on in found.workday.items())
            click.echo(f"disagreement {found.day.isoformat()}  {answers}")
        for warning in result.warnings:
            click.echo(f"警告 / Warning: {warning.message}", err=True)
    if not result.ok:
        raise SystemExit(1)


@calendar_group.command("show", help="A year's official days that differ from Monday–Friday.")
@data_dir_option
@click.argument("year", type=int)
@friendly_errors
def calendar_show(data_dir: str | None, year: int) -> None:
    view = _services(data_dir).calendar.year(year)
    click.echo(f"{year}: {view['source'] or 'MISSING (Monday–Friday)'}"
               f"{'  ' + view['notice'] if view['notice'] else ''}")
    for day in view["days"]:
        click.echo(f"{day['day']}  {'working day' if day['workday'] else 'day off':<11}  "
                   f"{day['name']}")


@calendar_group.command("load", help="Load (or replace) one year's arrangement from a JSON file: "
                        '{"year": 2027, "notice": "国务院办公厅关于2027年部分节假日安排的通知", '
                        '"holidays": [{"start": "YYYY-MM-DD", "end": "YYYY-MM-DD", "name": "春节"}], '
                        '"workdays": [{"date": "YYYY-MM-DD", "name": "春节调休上班"}]}.')
@data_dir_option
@click.argument("file", type=click.File("r", encoding="utf-8"))
@friendly_errors
def calendar_load(data_dir: str | None, file: Any) -> None:
    try:
        data = json.load(file)
    except ValueError as exc:
        raise click.UsageError(f"{file.name} is not JSON: {exc}") from None
    view = _services(data_dir).calendar.load_year(SYSTEM, None, data)
    off = sum(not d["workday"] for d in view["days"])
    click.echo(f"{view['year']}: loaded {off} days off and "
               f"{len(view['days']) - off} make-up working days ({view['notice']})")
    for found in view["disagreements"]:
        answers = ", ".join(f"{source}: {'working day' if on else 'day off'}"
                            for source, on in found["workday"].items())
        click.echo(f"disagreement {found['day']}  {answers}", err=True)


@calendar_group.command("remove", help="Drop a loaded year: the packages decide it again.")
@data_dir_option
@click.argument("year", type=int)
@friendly_errors
def calendar_remove(data_dir: str | None, year: int) -> None:
    _services(data_dir).calendar.remove_year(SYSTEM, year)
    click.echo(f"{year}: removed")


@calendar_group.command("add-day", help="Add (or change) one day of a year's official "
                        "arrangement: a holiday (day off) or a make-up working day (a Saturday "
                        "or Sunday). A year not loaded yet starts from the packages' days and "
                        "needs --notice.")
@data_dir_option
@click.argument("day")
@click.option("--workday", is_flag=True, help="a make-up working day (调休上班), not a day off")
@click.option("--name", default="", help="e.g. 春节")
@click.option("--notice", default="", help="the State Council's notice (a year not loaded yet)")
@friendly_errors
def calendar_add_day(data_dir: str | None, day: str, workday: bool, name: str,
                     notice: str) -> None:
    view = _services(data_dir).calendar.add_day(SYSTEM, {
        "day": day, "kind": "workday" if workday else "holiday", "name": name,
        "notice": notice})
    click.echo(f"{view['year']}: {day} added ({len(view['days'])} days)")


@calendar_group.command("remove-day", help="Take one day out of its year's official "
                        "arrangement.")
@data_dir_option
@click.argument("day")
@click.option("--notice", default="", help="the State Council's notice (a year not loaded yet)")
@friendly_errors
def calendar_remove_day(data_dir: str | None, day: str, notice: str) -> None:
    view = _services(data_dir).calendar.remove_day(SYSTEM, {"day": day, "notice": notice})
    click.echo(f"{view['year']}: {day} removed ({len(view['days'])} days)")


COMMANDS: list[click.Command] = [requests_group, workdays_group, calendar_group]
