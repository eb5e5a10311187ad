"""``mulu dataset``: spreadsheet bulk registration (批量登记) and its template."""

from __future__ import annotations

import click

from catalog.actors import SYSTEM
from catalog.cli.common import _services, data_dir_option, friendly_errors


@click.group(help="Datasets: spreadsheet bulk registration (批量登记).")
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
    with path.open("rb") as handle:   # streamed; the reader checks the size limit
        result = spreadsheet.import_file(_services(data_dir).datasets, SYSTEM, handle, path.name,
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


COMMANDS: list[click.Command] = [dataset]
