""".xlsx workbooks streamed: openpyxl in read-only mode, merged cells filled from their anchor.

Read-only worksheets do not report merged cells (their other cells read as empty). The ranges
are read first from the sheet's own XML in the zip, with expat in one streaming pass that keeps
nothing but the ranges (entity declarations refused, as defusedxml does); the rows are then
streamed and each cell of a range takes the value of its top-left cell. Memory is one row and
the ranges, whatever the sheet's length. A zip that unpacks to more than
``MAX_UNZIPPED_BYTES`` is refused before anything is read (zip bombs).
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import Any, BinaryIO
from xml.parsers import expat

from catalog.spreadsheet.model import MAX_UNZIPPED_BYTES, Row, _file_error

_READ = 64 * 1024
Watch = Callable[[Iterator[Row]], Iterator[Row]]


def _unwatched(rows: Iterator[Row]) -> Iterator[Row]:
    return rows


@dataclass(frozen=True)
class Merged:
    """One merged range, 1-based and inclusive."""

    min_row: int
    min_col: int
    max_row: int
    max_col: int


@dataclass(frozen=True)
class WorkbookSheet:
    """A worksheet of an open workbook: its title, and what reads its rows."""

    title: str
    handle: Any        # openpyxl's ReadOnlyWorksheet
    archive: zipfile.ZipFile
    declared_rows: int | None = None   # what the sheet's <dimension> says (progress only)
    watch: Watch = _unwatched          # counts what is read (``budget.Meter.watch``)

    def rows(self) -> Iterator[Row]:
        """Numbered rows (as Excel numbers them), merged cells filled from their anchor."""
        self.handle.reset_dimensions()  # some tools write a wrong <dimension>
        values = self.watch(enumerate(self.handle.iter_rows(values_only=True), start=1))
        return fill_merged(values, self.merged) if self.merged else values

    @cached_property
    def merged(self) -> list[Merged]:
        return merged_ranges(self.archive, self.handle._worksheet_path)


def _not_xlsx() -> Exception:
    return _file_error("该文件不是有效的 .xlsx 工作簿（.xlsx 是 zip 格式）；CSV 文件请使用 .csv 扩展名。",
                       "This is not a valid .xlsx workbook (an .xlsx is a zip archive); "
                       "name CSV files .csv.")


def check_archive(stream: BinaryIO) -> zipfile.ZipFile:
    """The workbook's zip, once its directory shows a workbook not too large unpacked (zip
    bombs); reads no sheet."""
    try:
        archive = zipfile.ZipFile(stream)
    except zipfile.BadZipFile:
        raise _not_xlsx() from None
    if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED_BYTES:
        archive.close()
        raise _file_error("工作簿解压后过大，请拆分后分批导入。",
                          "The workbook is too large once unpacked; split it.")
    if "xl/workbook.xml" not in archive.namelist():
        archive.close()
        raise _not_xlsx()
    return archive


@contextmanager
def open_workbook(stream: BinaryIO, watch: Watch = _unwatched) -> Iterator[list[WorkbookSheet]]:
    """The workbook's worksheets, open while the block runs; ``watch`` sees every row read."""
    from openpyxl import load_workbook

    with check_archive(stream) as archive:
        try:
            workbook = load_workbook(stream, read_only=True, data_only=True)
        except Exception:  # noqa: BLE001 (openpyxl raises many kinds on a broken file)
            raise _file_error("无法读取该 .xlsx 文件：文件已损坏或不是 Excel 工作簿。",
                              "Cannot read this .xlsx file: it is damaged or not an Excel "
                              "workbook.") from None
        try:
            yield [WorkbookSheet(ws.title, ws, archive, _declared_rows(ws), watch)
                   for ws in workbook.worksheets]
        finally:
            workbook.close()


def _declared_rows(handle: Any) -> int | None:
    try:
        rows = handle.max_row
    except Exception:  # noqa: BLE001 (a <dimension> openpyxl cannot read: no estimate)
        return None
    return rows if isinstance(rows, int) and rows > 0 else None


def merged_ranges(archive: zipfile.ZipFile, path: str) -> list[Merged]:
    """The ``<mergeCell ref="A1:C1"/>`` ranges of one sheet's XML, in one streaming pass."""
    from openpyxl.utils.cell import range_boundaries

    found: list[Merged] = []

    def start(name: str, attributes: dict[str, str]) -> None:
        if name == "mergeCell" or name.endswith(":mergeCell"):
            try:
                min_col, min_row, max_col, max_row = range_boundaries(attributes.get("ref", ""))
            except (ValueError, TypeError):
                return   # a range that names no cells merges nothing
            if None not in (min_col, min_row, max_col, max_row):
                found.append(Merged(min_row, min_col, max_row, max_col))  # type: ignore[arg-type]

    def refuse(*_args: Any) -> None:
        raise _file_error("工作表中含有实体声明，拒绝读取。",
                          "The sheet declares XML entities; it is refused.")

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    parser.EntityDeclHandler = refuse
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        with archive.open(path) as source:
            while chunk := source.read(_READ):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except (expat.ExpatError, KeyError, zipfile.BadZipFile, OSError):
        raise _file_error("无法读取该 .xlsx 文件：工作表已损坏。",
                          "Cannot read this .xlsx file: a sheet is damaged.") from None
    return found


def fill_merged(rows: Iterator[Row], ranges: Sequence[Merged]) -> Iterator[Row]:
    """Each cell of a merged range as its top-left cell, while the rows stream by."""
    pending = sorted(ranges, key=lambda m: m.min_row)
    active: list[tuple[Merged, Any]] = []
    next_range = 0
    for number, values in rows:
        while next_range < len(pending) and pending[next_range].min_row <= number:
            merged = pending[next_range]
            next_range += 1
            if merged.min_row == number:
                anchor = merged.min_col - 1
                active.append((merged, values[anchor] if anchor < len(values) else None))
        if active:
            active = [(m, v) for m, v in active if m.max_row >= number]
        if active:
            cells = list(values)
            for merged, value in active:
                if len(cells) < merged.max_col:
                    cells.extend([None] * (merged.max_col - len(cells)))
                for column in range(merged.min_col - 1, merged.max_col):
                    cells[column] = value
            yield number, cells
        else:
            yield number, values
