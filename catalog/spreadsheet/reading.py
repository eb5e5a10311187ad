"""The one spreadsheet reader: an .xlsx or .csv file, streamed, as rows read under a policy.

    with read_sheet(stream_or_bytes, "目录.xlsx", policy=Policy.LENIENT,
                    extra_columns={"数据简述": "description"}, max_bytes=limit) as sheet:
        sheet.columns, sheet.ignored_columns, sheet.problems, sheet.lost_items
        for row in sheet.rows:      # SheetRow: number, record, written, items, problems, unread
            ...

Both the bulk import (``importer``, ``Policy.STRICT``) and the spreadsheet harvest source
(``harvesters.spreadsheet``, ``Policy.LENIENT``) read files here; ``rows`` says what the two
policies do differently. A problem of the file itself (too large, not a spreadsheet, an
encoding that is neither UTF-8 nor GB18030, no header in the first rows, for the strict policy a
missing required column) raises ``InvalidInput`` naming ``file`` or ``header``: from
``read_sheet`` when it shows at the start, from ``rows`` when it shows later in the file.

Memory: rows are read and handed on one at a time (``csvfile``, ``xlsxfile``); what is kept
while reading is the header, a strict reading's titles and codes (to find repeats), and — only
for a workbook with a 信息项 sheet — the items and each row's code and title, read in a first
pass over the main sheet, so that every row is handed on with its items.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import BinaryIO

from catalog.errors import InvalidInput, Message
from catalog.spreadsheet.budget import Meter
from catalog.spreadsheet.csvfile import BLOCK, csv_rows
from catalog.spreadsheet.headers import (
    _find_header,
    _no_header,
    header_columns,
    map_lenient,
    map_strict,
)
from catalog.spreadsheet.items import ItemRow, attach, is_items_sheet, not_found, read_items
from catalog.spreadsheet.model import LISTS_SHEET, Problem, Row, _file_error
from catalog.spreadsheet.rows import Policy, RowReader, SheetRow, dataset_keys
from catalog.spreadsheet.xlsxfile import WorkbookSheet, check_archive, open_workbook

STRICT = Policy.STRICT
LENIENT = Policy.LENIENT


@dataclass(frozen=True)
class LostItem:
    """A 信息项 row whose dataset (by resource code or title) is not in the main sheet."""

    item: ItemRow
    problem: Problem


@dataclass
class Sheet:
    """An open spreadsheet: what its header says, the problems found before any row, and the
    rows (an iterator: read once, while ``read_sheet``'s block runs)."""

    rows: Iterator[SheetRow]
    columns: dict[str, str] = field(default_factory=dict)     # header as written -> field
    ignored_columns: list[str] = field(default_factory=list)  # headers matching no field
    problems: list[Problem] = field(default_factory=list)     # lenient: 信息项 sheets not read
    lost_items: list[LostItem] = field(default_factory=list)


SheetSource = bytes | BinaryIO


@contextmanager
def read_sheet(source: SheetSource, filename: str = "", *, policy: Policy = STRICT,
               extra_columns: Mapping[str, str] | None = None,
               max_bytes: int | None = None, meter: Meter | None = None) -> Iterator[Sheet]:
    """Open a catalog spreadsheet (bytes, or a seekable binary file) and find its header.

    ``extra_columns``: more header names (header -> field name), before the field table's;
    ``max_bytes``: the size limit (``Settings.max_sheet_bytes``), None when the caller checked;
    ``meter``: counts rows, cells and time against its budget (``budget.Meter``) and tells how
    far through the file the reading is.
    """
    stream: BinaryIO = io.BytesIO(source) if isinstance(source, bytes) else source
    meter = meter or Meter()
    size = _check_size(stream, max_bytes)
    head = stream.read(BLOCK)
    stream.seek(0)
    if not head.strip() and len(head) < BLOCK:
        raise _file_error("文件为空。", "The file is empty.")
    columns, rank = header_columns(extra_columns)
    if not is_xlsx(head, filename):
        meter.follow(_CsvShare(stream, size, meter))
        yield _sheet(meter.watch(csv_rows(stream)), policy, columns, rank, meter)
        return
    with open_workbook(stream, meter.watch) as sheets:
        yield _workbook_sheet(sheets, policy, columns, rank, meter)


class _CsvShare:
    """How far through a CSV file the rows read are. The file is read in blocks, so where the
    stream stands runs ahead of the rows; once a block is used up, the rows it held give the
    file's rows per byte, and the rows read so far their share of the file."""

    def __init__(self, stream: BinaryIO, size: int, meter: Meter):
        self.stream, self.size, self.meter = stream, size, meter
        self.start = stream.tell()
        self.position = 0                   # where the stream stood at the last look
        self.used = (0, 0)                  # (rows, bytes) of the blocks used up

    def __call__(self) -> float | None:
        if not self.size:
            return None
        position = self.stream.tell() - self.start
        if position != self.position:       # a new block: the rows so far filled the last
            self.used, self.position = (self.meter.rows, self.position), position
        rows, read = self.used
        if not rows or not read:
            return position / self.size
        return self.meter.rows * read / rows / self.size


def check_file(source: SheetSource, filename: str = "", *, max_bytes: int | None = None) -> bool:
    """The cheap check of an upload before it is kept for a job: not too large, not empty, an
    .xlsx workbook (a zip with a workbook, not too large unpacked: its directory is read, no
    sheet) or else a CSV file. Returns whether it is a workbook; raises InvalidInput on
    ``file``."""
    stream: BinaryIO = io.BytesIO(source) if isinstance(source, bytes) else source
    start = stream.tell()
    _check_size(stream, max_bytes)
    head = stream.read(BLOCK)
    stream.seek(start)
    if not head.strip() and len(head) < BLOCK:
        raise _file_error("文件为空。", "The file is empty.")
    if not is_xlsx(head, filename):
        return False
    check_archive(stream).close()
    stream.seek(start)
    return True


def _check_size(stream: BinaryIO, max_bytes: int | None) -> int:
    """The stream's size from where it stands; refuses a file above ``max_bytes``."""
    start = stream.tell()
    size = stream.seek(0, os.SEEK_END) - start
    stream.seek(start)
    if max_bytes is None:
        return size
    if size > max_bytes:
        mb = max_bytes // (1024 * 1024)
        raise _file_error(f"文件超过 {mb} MB 上限，请拆分后分批导入。",
                          f"The file is larger than the {mb} MB limit; split it.")
    return size


def is_xlsx(head: bytes, filename: str) -> bool:
    """An .xlsx workbook (else a CSV file) by its name, else its first bytes; .xls and
    password-protected workbooks (OLE containers) are refused."""
    name = filename.lower()
    if name.endswith(".xls") or head.startswith(b"\xd0\xcf\x11\xe0"):  # an OLE container
        raise _file_error("不支持旧版 Excel（.xls）或设置了密码的工作簿，请取消密码并另存为 .xlsx 或 CSV。",
                          "Old Excel (.xls) and password-protected workbooks are not supported; "
                          "remove the password and save as .xlsx or CSV.")
    if name.endswith((".xlsx", ".xlsm")):
        return True
    if name.endswith((".csv", ".txt")):
        return False
    if head.startswith(b"PK"):
        return True
    if name and "." in name:
        raise _file_error("只支持 .xlsx 和 .csv 文件。", "Only .xlsx and .csv files are supported.")
    return False


def _sheet(rows: Iterator[Row], policy: Policy, columns: dict[str, str], rank: dict[str, int],
           meter: Meter, items: list[ItemRow] | None = None,
           again: WorkbookSheet | None = None) -> Sheet:
    """The main sheet from its header on; ``items`` are matched to its rows by a first pass
    over ``again`` (the same sheet, read anew)."""
    found = _find_header(rows, columns)
    if found is None:
        raise _no_header()
    header_row, cells = found
    header = map_strict(cells, columns) if policy is STRICT else map_lenient(cells, columns, rank)
    by_row: dict[int, list[ItemRow]] = {}
    lost: list[LostItem] = []
    if items and again is not None:
        keys = again.rows()
        _find_header(keys, columns)
        by_row, missing = attach(items, dataset_keys(keys, header, header_row))
        lost = [LostItem(item, not_found(item, item.sheet)) for item in missing]
    reader = RowReader(policy, header, header_row, meter=meter)
    if again is not None and again.declared_rows:   # a workbook: how far down its main sheet
        declared = again.declared_rows
        meter.follow(lambda: reader.last / declared)
    return Sheet(reader.rows(rows, by_row), dict(header.columns), list(header.ignored),
                 lost_items=lost)


def _workbook_sheet(sheets: list[WorkbookSheet], policy: Policy, columns: dict[str, str],
                    rank: dict[str, int], meter: Meter) -> Sheet:
    """The first sheet with a header (else the first sheet), with the 信息项 sheets' items."""
    candidates = [s for s in sheets if s.title != LISTS_SHEET and not is_items_sheet(s.title)]
    if not candidates:
        raise _file_error("工作簿中没有信息资源工作表。", "The workbook has no catalog sheet.")
    main = next((s for s in candidates if _find_header(s.rows(), columns) is not None),
                candidates[0])
    items: list[ItemRow] = []
    problems: list[Problem] = []
    for extra in sheets:
        if not is_items_sheet(extra.title):
            continue
        try:
            items += read_items(extra.rows(), extra.title)
        except InvalidInput as exc:
            if policy is STRICT:
                raise
            reasons = [m for messages in exc.errors.values() for m in messages] or [exc.message]
            problems.append(Problem(None, "header", Message(
                "".join(m.zh for m in reasons), " ".join(m.en for m in reasons)), extra.title))
    sheet = _sheet(main.rows(), policy, columns, rank, meter, items, main)
    sheet.problems = problems
    return sheet
