"""Importing: read a file, validate every row, register them all or none."""

from __future__ import annotations

from catalog.actors import Actor
from catalog.datasets import DatasetService
from catalog.errors import InvalidInput, field_error
from catalog.spreadsheet.model import (
    ImportedRow,
    ImportResult,
    ParsedSheet,
    Problem,
    _failed,
    _invalid,
)
from catalog.spreadsheet.reading import LENIENT, STRICT, SheetSource, read_sheet


def parse(source: SheetSource, filename: str = "", *, max_bytes: int | None = None) -> ParsedSheet:
    """Read an .xlsx or .csv catalog spreadsheet into (row, record) pairs, strictly.

    File and header problems raise InvalidInput at once; row problems are collected in
    ``ParsedSheet.problems``. The records are kept: the import validates them all.
    """
    with read_sheet(source, filename, policy=STRICT, max_bytes=max_bytes) as sheet:
        parsed = ParsedSheet(columns=sheet.columns, ignored_columns=sheet.ignored_columns)
        for row in sheet.rows:
            parsed.records.append((row.number, row.record))
            parsed.problems.extend(row.problems)
        parsed.problems.extend(lost.problem for lost in sheet.lost_items)
    parsed.problems.sort(key=lambda p: (bool(p.sheet), p.row or 0))
    return parsed


def import_file(datasets: DatasetService, actor: Actor, source: SheetSource, filename: str = "",
                *, department_code: str | None = None, submit: bool = False,
                note: str = "", keep: bool = False) -> ImportResult:
    """Read a spreadsheet and register every row, or none: raises InvalidInput on any problem.
    ``keep``: keep and flag instead — every row is stored, as 待完善 with its problems where it
    lacks or breaks something, but a row unsafe to keep (its security level), which is
    refused alone. A file larger than ``Settings.max_sheet_bytes`` is refused."""
    if actor.role == "admin" and not department_code:  # else every row reports it
        raise field_error("department_code", "管理员导入时必须指定部门。",
                          "An administrator must name the department.")
    if keep:
        return _keep_and_flag(datasets, actor, source, filename,
                              department_code=department_code, submit=submit, note=note)
    sheet = parse(source, filename, max_bytes=datasets.settings.max_sheet_bytes)
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
    problems: list[Problem] = []
    unread: dict[int, set[str]] = {}
    for problem in sheet.problems:
        if problem.row is not None and not problem.sheet:
            unread.setdefault(problem.row, set()).add(problem.field)
    for row, record in sheet.records:
        try:
            datasets.validate(record, actor)
        except InvalidInput as exc:
            bad = unread.get(row, set())
            for name, messages in exc.errors.items():
                if name.split(".", 1)[0] not in bad:
                    problems.extend(Problem(row, name, m) for m in messages)
    return problems


def _keep_and_flag(datasets: DatasetService, actor: Actor, source: SheetSource, filename: str,
                   *, department_code: str | None, submit: bool, note: str) -> ImportResult:
    with read_sheet(source, filename, policy=LENIENT,
                    max_bytes=datasets.settings.max_sheet_bytes) as sheet:
        rows = [(row.number, dict(row.record), dict(row.unread)) for row in sheet.rows]
        ignored = list(sheet.ignored_columns)
    stored = datasets.ingest_many(actor, rows, department_code=department_code, submit=submit,
                                  note=note or "spreadsheet import (keep and flag)")
    items: list[ImportedRow] = []
    refused: list[Problem] = []
    for row, result in stored:
        if isinstance(result, InvalidInput):
            refused.extend(Problem(row, name, m) for name, messages in result.errors.items()
                           for m in messages)
        else:
            items.append(ImportedRow(row, result.id, result.resource_code,
                                     str(result.record.get("title") or ""),
                                     len(result.problems)))
    return ImportResult(items, ignored, refused)
