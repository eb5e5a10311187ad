"""Importing: read a file, validate every row, register them all or none — or keep and flag.

One implementation for every caller: a request importing a small file, the CLI and the import
job (``catalog.imports``) alike. The file streams through; memory does not grow with its rows:

- **all or none** reads the file once to check it (the strict reading, then the schema and
  domain rules of every row), keeping only the problems and, in a spool file on disk, the
  validated records; any problem refuses the file and nothing is written. Then the spooled
  records are stored, in batches, in **one** transaction (``DatasetService.register_batches``):
  a failure or a crash at any point leaves nothing written.
- **keep and flag** reads the file once, storing each batch of rows in its own transaction
  (``DatasetService.ingest_many``) as it goes: other writers get their turn between batches; a
  failure keeps the batches stored before it.

A ``Meter`` holds the reading to its budget (rows, cells, time: ``budget.Budget``) and an
``ImportSink`` receives the progress and, inside each batch's transaction, its report rows.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any, Protocol

from sqlalchemy.orm import Session

from catalog import policy
from catalog.actors import Actor
from catalog.datasets import REGISTER_BATCH, DatasetService, DatasetView, IngestedBatch
from catalog.errors import InvalidInput, field_error
from catalog.spreadsheet.budget import Meter
from catalog.spreadsheet.model import (
    ImportedRow,
    ImportResult,
    ParsedSheet,
    Problem,
    _failed,
    _invalid,
)
from catalog.spreadsheet.reading import LENIENT, STRICT, SheetSource, read_sheet
from catalog.spreadsheet.rows import SheetRow

CHECKING, STORING = "checking", "storing"
PROGRESS_ROWS = 250     # progress is reported at least every this many rows


@dataclass(frozen=True)
class Step:
    """How far an import is: its phase, the rows done in it, the file's rows (exact once
    known, else estimated from how far through the file the reading is, or None), and the
    share of the whole import done. ``locked``: the phase holds the store's one write
    transaction (all or none, storing): a second connection cannot write on SQLite."""

    phase: str
    rows: int
    total: int | None
    share: float
    locked: bool = False


class ImportSink(Protocol):
    """What an import hands on while it runs (``catalog.imports`` keeps it in the job)."""

    def progress(self, step: Step) -> None: ...

    def stored(self, session: Session, rows: list[ImportedRow], refused: list[Problem]) -> None:
        """A batch's report rows, in the batch's transaction."""


@dataclass
class Collected:
    """The sink of an import whose caller wants the whole report back (small files)."""

    items: list[ImportedRow] = field(default_factory=list)
    refused: list[Problem] = field(default_factory=list)

    def progress(self, step: Step) -> None:
        return None

    def stored(self, session: Session, rows: list[ImportedRow], refused: list[Problem]) -> None:
        self.items.extend(rows)
        self.refused.extend(refused)


def parse(source: SheetSource, filename: str = "", *, max_bytes: int | None = None) -> ParsedSheet:
    """Read an .xlsx or .csv catalog spreadsheet into (row, record) pairs, strictly.

    File and header problems raise InvalidInput at once; row problems are collected in
    ``ParsedSheet.problems``. The records are kept (a small file: tests, the bench)."""
    with read_sheet(source, filename, policy=STRICT, max_bytes=max_bytes) as sheet:
        parsed = ParsedSheet(columns=sheet.columns, ignored_columns=sheet.ignored_columns)
        for row in sheet.rows:
            parsed.records.append((row.number, row.record))
            parsed.problems.extend(row.problems)
        parsed.problems.extend(lost.problem for lost in sheet.lost_items)
    parsed.problems.sort(key=_order)
    return parsed


def import_file(datasets: DatasetService, actor: Actor, source: SheetSource, filename: str = "",
                *, department_code: str | None = None, submit: bool = False,
                note: str = "", keep: bool = False, meter: Meter | None = None,
                sink: ImportSink | None = None) -> ImportResult:
    """Read a spreadsheet and register every row, or none: raises InvalidInput on any problem.
    ``keep``: keep and flag instead — every row is stored, as 待完善 with its problems where it
    lacks or breaks something, but a row unsafe to keep (its security level), which is
    refused alone. A file larger than ``Settings.max_sheet_bytes`` is refused, and one that
    exceeds the ``meter``'s budget. Without a ``sink`` the result lists every row; with one,
    the rows go to the sink and the result only counts them."""
    # refused once here, or every row would report it
    if policy.may(actor, "write.for_any_department") and not department_code:
        raise field_error("department_code", "管理员导入时必须指定部门。",
                          "An administrator must name the department.")
    datasets.check_writable(actor, department_code)
    meter = meter or Meter()
    collected = Collected() if sink is None else None
    into: ImportSink = collected if collected is not None else sink  # type: ignore[assignment]
    run = _Run(datasets, actor, department_code, submit, note, meter, into)
    if keep:
        result = run.keep_and_flag(source, filename)
    else:
        result = run.all_or_none(source, filename)
    if collected is not None:
        result.items, result.refused = collected.items, collected.refused
    return result


@dataclass
class _Run:
    datasets: DatasetService
    actor: Actor
    department_code: str | None
    submit: bool
    note: str
    meter: Meter
    sink: ImportSink

    @property
    def max_bytes(self) -> int:
        return self.datasets.settings.max_sheet_bytes

    def _estimate(self) -> int | None:
        share = self.meter.share()
        return round(self.meter.rows / share) if share and share > 0.02 else None

    # -- all or none ---------------------------------------------------------------------------
    def all_or_none(self, source: SheetSource, filename: str) -> ImportResult:
        with tempfile.TemporaryFile(prefix="mulu-import-") as spool:
            valid, ignored = self._check(source, filename, spool)
            spool.seek(0)
            stored = 0

            def report(session: Session, batch: list[tuple[int, DatasetView]]) -> None:
                nonlocal stored
                self.meter.check()   # the time budget, and a worker told to stop
                rows = [ImportedRow(row, view.id, view.resource_code,
                                    str(view.record.get("title") or ""))
                        for row, view in batch]
                self.sink.stored(session, rows, [])
                stored += len(rows)
                self.sink.progress(Step(STORING, stored, valid, 0.5 + 0.5 * stored / valid,
                                        locked=True))

            self.sink.progress(Step(STORING, 0, valid, 0.5))   # before the transaction opens
            try:
                self.datasets.register_batches(
                    self.actor, _spooled(spool), department_code=self.department_code,
                    submit=self.submit, note=self.note or "spreadsheet import",
                    on_batch=report)
            except InvalidInput as exc:
                rows = {key.split(":", 1)[0] for key in exc.errors if key.startswith("row ")}
                raise InvalidInput(exc.errors, _failed(len(rows)) if rows else exc.message) \
                    from None
        return ImportResult([], ignored, counted=(stored, 0))

    def _check(self, source: SheetSource, filename: str, spool: IO[bytes]) -> tuple[int, list[str]]:
        """Read and validate every row; the valid records go to the spool in batches. Raises
        InvalidInput with every problem of the file (nothing is written)."""
        problems: list[Problem] = []
        batch: list[tuple[int, dict[str, Any]]] = []
        valid = 0
        with read_sheet(source, filename, policy=STRICT, max_bytes=self.max_bytes,
                        meter=self.meter) as sheet:
            ignored = list(sheet.ignored_columns)
            self.sink.progress(Step(CHECKING, 0, None, 0.0))
            for row in sheet.rows:
                record, found = self._validated(row)
                problems.extend(found)
                if record is None:
                    continue
                batch.append((row.number, record))
                valid += 1
                if len(batch) >= REGISTER_BATCH:
                    pickle.dump(batch, spool)
                    batch = []
                if self.meter.rows % PROGRESS_ROWS == 0:
                    share = self.meter.share()
                    self.sink.progress(Step(CHECKING, self.meter.rows, self._estimate(),
                                            0.5 * (share or 0.0)))
            problems.extend(lost.problem for lost in sheet.lost_items)
        if problems:
            raise _invalid(sorted(problems, key=_order))
        if batch:
            pickle.dump(batch, spool)
        return valid, ignored

    def _validated(self, row: SheetRow) -> tuple[dict[str, Any] | None, list[Problem]]:
        """The row's validated record, or what stops it: what the strict reading found, and
        the schema and rule problems (a field that could not be read is not reported again)."""
        problems = list(row.problems)
        unread = {p.field for p in row.problems if p.row is not None and not p.sheet}
        try:
            record = self.datasets.validate(row.record, self.actor)
        except InvalidInput as exc:
            problems.extend(Problem(row.number, name, m) for name, messages in exc.errors.items()
                            if name.split(".", 1)[0] not in unread for m in messages)
            return None, problems
        return (None if problems else record), problems

    # -- keep and flag -------------------------------------------------------------------------
    def keep_and_flag(self, source: SheetSource, filename: str) -> ImportResult:
        created = flagged = 0

        def report(session: Session, outcome: list[tuple[int, DatasetView | InvalidInput]]) -> None:
            nonlocal created, flagged
            rows: list[ImportedRow] = []
            refused: list[Problem] = []
            for row, result in outcome:
                if isinstance(result, InvalidInput):
                    refused.extend(Problem(row, name, m) for name, messages
                                   in result.errors.items() for m in messages)
                    continue
                rows.append(ImportedRow(row, result.id, result.resource_code,
                                        str(result.record.get("title") or ""),
                                        len(result.problems)))
            self.sink.stored(session, rows, refused)
            created += len(rows)
            flagged += sum(1 for r in rows if r.problems)

        batch: list[tuple[int, dict[str, Any], dict[str, str]]] = []
        with read_sheet(source, filename, policy=LENIENT, max_bytes=self.max_bytes,
                        meter=self.meter) as sheet:
            ignored = list(sheet.ignored_columns)
            self.sink.progress(Step(STORING, 0, None, 0.0))
            for row in sheet.rows:
                batch.append((row.number, dict(row.record), dict(row.unread)))
                if len(batch) >= REGISTER_BATCH:
                    self._ingest(batch, report)
                    batch = []
            if batch:
                self._ingest(batch, report)
        return ImportResult([], ignored, counted=(created, flagged))

    def _ingest(self, batch: list[tuple[int, dict[str, Any], dict[str, str]]],
                report: IngestedBatch) -> None:
        self.meter.check()
        self.datasets.ingest_many(self.actor, batch, department_code=self.department_code,
                                  submit=self.submit,
                                  note=self.note or "spreadsheet import (keep and flag)",
                                  on_batch=report)
        share = self.meter.share()
        self.sink.progress(Step(STORING, self.meter.rows, self._estimate(),
                                share if share is not None else 0.0))


def _spooled(spool: IO[bytes]) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    while True:
        try:
            yield pickle.load(spool)  # noqa: S301 (our own spool file, written above)
        except EOFError:
            return


def _order(problem: Problem) -> tuple[bool, int]:
    return (bool(problem.sheet), problem.row or 0)
