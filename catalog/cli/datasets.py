"""``mulu dataset``: spreadsheet bulk registration (批量登记) and its template."""

from __future__ import annotations

import click

from catalog.actors import SYSTEM
from catalog.cli.common import _services, data_dir_option, friendly_errors


@click.group(help="Datasets: spreadsheet bulk registration (批量登记).")
def dataset() -> None:
    pass


@dataset.command("import", help="Register every row of a catalog spreadsheet (.xlsx or .csv), "
                                "or none when any row is wrong; runs as an import job in this "
                                "process, showing its progress, then prints the report.")
@data_dir_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--department", "department_code", required=True,
              help="统一社会信用代码 of the department the rows belong to")
@click.option("--submit", is_flag=True, help="Submit every row for review at once.")
@click.option("--keep", is_flag=True,
              help="Keep and flag: store every row, as 待完善 with its problems where it lacks "
                   "something (only rows unsafe to keep are refused), instead of all or none.")
@click.option("--quiet", is_flag=True, help="No progress lines.")
@friendly_errors
def dataset_import(data_dir: str | None, file: str, department_code: str, submit: bool,
                   keep: bool, quiet: bool) -> None:
    import sys
    from pathlib import Path

    from catalog.imports.progress import Printer

    services = _services(data_dir)
    printer = None if quiet else Printer(sys.stderr)
    view, refusal = services.imports.run_here(
        SYSTEM, Path(file), department_code=department_code, mode="keep" if keep else "all",
        submit=submit, listener=printer)
    if printer is not None:
        printer.done()
    if refusal is not None:
        raise refusal
    if view["status"] != "succeeded":
        raise click.ClickException(f"import job {view['id']} {view['status']}: {view['error']}")
    imports, job_id = services.imports, view["id"]
    for column in view["ignored_columns"]:
        click.echo(f"忽略未识别的列 / ignored unknown column: {column}", err=True)
    for item in imports.lines(SYSTEM, job_id, "created"):
        flag = f"  [待完善: {item['problems']}]" if item["problems"] else ""
        click.echo(f"row {item['row']}: {item['resource_code']}  {item['title']}{flag}")
    refused: set[int | None] = set()
    for problem in imports.lines(SYSTEM, job_id, "refused"):
        refused.add(problem["row"])
        click.echo(f"row {problem['row']}: refused — {problem['field']}: {problem['zh']} / "
                   f"{problem['en']}", err=True)
    counts = view["counts"]
    progress = view["progress"]
    rate = f" in {progress['elapsed_seconds']:,.1f} s" + (
        f" ({progress['rows_per_second']:,.0f} rows/s)" if progress["rows_per_second"] else "")
    click.echo(f"imported {counts.get('created', 0)} datasets "
               f"({'submitted' if submit else 'drafts'})"
               + (f", {counts.get('flagged', 0)} to complete (待完善)" if keep else "")
               + (f", {len(refused)} rows refused" if refused else "")
               + f"{rate} — import job {job_id}")


@dataset.command("todo", help="待完善: the datasets of a department that need completion, with "
                              "their problems (the stewards' to-do list).")
@data_dir_option
@click.option("--department", "department_code", default=None,
              help="统一社会信用代码 of the department (default: every department)")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@friendly_errors
def dataset_todo(data_dir: str | None, department_code: str | None, limit: int) -> None:
    services = _services(data_dir)
    page = services.datasets.list(SYSTEM, department_code=department_code, state="incomplete",
                                  page_size=limit)
    for view in page.items:
        click.echo(f"{view.resource_code}  {view.record.get('title', '')}  "
                   f"[{view.department_name}]")
        for problem in view.problems:
            value = f" ({problem['value']})" if problem.get("value") else ""
            click.echo(f"    - {problem['field']}: {problem['zh']} / {problem['en']}{value}")
    click.echo(f"{page.total} datasets need completion (待完善)"
               + (f"; first {len(page.items)} shown" if page.total > len(page.items) else ""))
    for row in services.completion.counts(SYSTEM):
        if department_code in (None, row.department_code) and row.incomplete:
            top = ", ".join(f"{k} {v}" for k, v in list(row.by_problem.items())[:5])
            click.echo(f"  {row.department_name}: {row.incomplete} of {row.datasets} — {top}")


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


COMMANDS: list[click.Command] = [dataset]
