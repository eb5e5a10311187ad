"""Importing: read a file, validate every row, register them all or none."""

from __future__ import annotations

from catalog.actors import Actor
from catalog.datasets import DatasetService
from catalog.errors import InvalidInput, field_error
from catalog.spreadsheet.model import (
    MAX_BYTES,
    ImportedRow,
    ImportResult,
    ParsedSheet,
    Problem,
    _failed,
    _file_error,
    _invalid,
)
from catalog.spreadsheet.reading import _csv_rows, _decode, _is_xlsx, _parse_rows, _parse_xlsx


def parse(data: bytes, filename: str = "") -> ParsedSheet:
    """Read an .xlsx or .csv catalog spreadsheet into (row, record) pairs.

    File and header problems raise InvalidInput at once; row problems are collected in
    ``ParsedSheet.problems``.
    """
    if len(data) > MAX_BYTES:
        raise _file_error(f"文件超过 {MAX_BYTES // (1024 * 1024)} MB，请拆分后分批导入。",
                          f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; "
                          "split it into smaller files.")
    if not data.strip():
        raise _file_error("文件为空。", "The file is empty.")
    if _is_xlsx(data, filename):
        return _parse_xlsx(data)
    return _parse_rows(_csv_rows(_decode(data)))


def import_file(datasets: DatasetService, actor: Actor, data: bytes, filename: str = "", *,
                department_code: str | None = None, submit: bool = False,
                note: str = "") -> ImportResult:
    """Read a spreadsheet and register every row, or none: raises InvalidInput on any problem."""
    if actor.role == "admin" and not department_code:  # else every row reports it
        raise field_error("department_code", "管理员导入时必须指定部门。",
                          "An administrator must name the department.")
    sheet = parse(data, filename)
    if sheet.problems:
        problems = [*sheet.problems, *_validation_problems(datasets, actor, sheet)]
        raise _invalid(sorted(problems, key=lambda p: (bool(p.sheet), p.row or 0)))
    try:
        views = datasets.register_many(actor, sheet.records, department_code=department_code,
                                       submit=submit, note=note or "spreadsheet import")
    except InvalidInput as exc:
        rows = {key.split(":", 1)[0] for key in exc.errors if key.startswith("row ")}
        raise InvalidInput(exc.errors, _failed(len(rows)) if rows else exc.message) from None
    items = [ImportedRow(row, view.id, view.resource_code, view.record["title"])
             for (row, _record), view in zip(sheet.records, views, strict=True)]
    return ImportResult(items, sheet.ignored_columns)


def _validation_problems(datasets: DatasetService, actor: Actor,
                         sheet: ParsedSheet) -> list[Problem]:
    """The schema and rule problems of every row, so one upload reports everything at once;
    a field that could not be read is not reported again."""
    problems = []
    for row, record in sheet.records:
        try:
            datasets.validate(record, actor)
        except InvalidInput as exc:
            bad = sheet.bad_fields(row)
            for name, messages in exc.errors.items():
                if name.split(".", 1)[0] not in bad:
                    problems.extend(Problem(row, name, m) for m in messages)
    return problems
