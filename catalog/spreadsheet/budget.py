"""Budgets of one reading: how many data rows, how many cells and how much time a spreadsheet
may take (``Settings``: the import job's budget, and the smaller one of a file read inside a
request). ``Meter`` counts what a reading used while the rows stream by and refuses the file
with a clear ``file`` problem the moment one budget runs out; it also answers how far through
the file the reading is (progress) and can be told to stop (a worker that is shutting down).

Cells are counted as read from the file — blank ones included, at least one a row — in every
pass over it, so a small workbook holding millions of blank rows is refused early; rows are
the data rows handed on (the number a user sees in the report).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from catalog.config import Settings
from catalog.errors import Message, MuluError
from catalog.spreadsheet.model import Row, _file_error


@dataclass(frozen=True)
class Budget:
    rows: int
    cells: int
    seconds: float

    @classmethod
    def for_jobs(cls, settings: Settings) -> Budget:
        """An import job's (``MULU_IMPORT_MAX_ROWS``, ``_CELLS``, ``_SECONDS``)."""
        return cls(settings.import_max_rows, settings.import_max_cells,
                   float(settings.import_max_seconds))

    @classmethod
    def inline(cls, settings: Settings) -> Budget:
        """A file read inside a request (``MULU_INLINE_*``): never more than a small file."""
        return cls(min(settings.inline_max_rows, settings.import_max_rows),
                   min(settings.inline_max_cells, settings.import_max_cells),
                   float(min(settings.inline_import_seconds, settings.import_max_seconds)))


class ImportStopped(MuluError):
    """The reading was told to stop (the worker is shutting down)."""

    status = 503


class Meter:
    """What a reading has used of its ``budget`` (None: no limits, only counting)."""

    def __init__(self, budget: Budget | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.budget = budget
        self.clock = clock
        self.started = clock()
        self.rows = 0        # data rows handed on
        self.cells = 0       # cells read, every pass, blanks included
        self.stopped = ""    # why the reading was told to stop
        self._share: Callable[[], float | None] = lambda: None

    # -- what the reader calls ---------------------------------------------------------------
    def watch(self, rows: Iterator[Row]) -> Iterator[Row]:
        """The rows as they are read, counted (cells, time)."""
        for number, values in rows:
            self.cells += max(1, len(values))
            if self.budget is not None and self.cells > self.budget.cells:
                raise _file_error(
                    f"文件单元格数超过上限（{self.budget.cells:,}），请拆分后分批导入。",
                    f"The file holds more than {self.budget.cells:,} cells (the limit); "
                    "split it.")
            if number % 256 == 0:
                self.check()
            yield number, values

    def row(self) -> None:
        """One more data row handed on."""
        self.rows += 1
        if self.budget is not None and self.rows > self.budget.rows:
            raise _file_error(f"文件超过 {self.budget.rows:,} 行上限，请拆分后分批导入。",
                              f"The file has more than {self.budget.rows:,} rows (the limit); "
                              "split it.")
        if self.rows % 256 == 0:
            self.check()

    def follow(self, share: Callable[[], float | None]) -> None:
        """How to tell the share of the file read so far (set by the reader)."""
        self._share = share

    # -- what the caller calls ---------------------------------------------------------------
    def share(self) -> float | None:
        """The share of the file read so far (0–1), or None when it cannot be told."""
        share = self._share()
        return None if share is None else min(max(share, 0.0), 1.0)

    def elapsed(self) -> float:
        return self.clock() - self.started

    def stop(self, why: str) -> None:
        """End the reading at its next check (safe from a signal handler: it sets a field)."""
        self.stopped = why or "stopped"

    def check(self) -> None:
        if self.stopped:
            raise ImportStopped(Message(f"导入任务被要求停止（{self.stopped}）。",
                                        f"The import was stopped ({self.stopped})."))
        if self.budget is not None and self.elapsed() > self.budget.seconds:
            seconds = f"{self.budget.seconds:,.0f}"
            raise _file_error(f"导入超过 {seconds} 秒时限，请拆分后分批导入。",
                              f"The import took longer than its {seconds} s limit; split the "
                              "file.")
