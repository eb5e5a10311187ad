"""Reading: the bytes of an .xlsx or .csv file as numbered rows, and the rows as records."""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from typing import Any

from catalog.errors import Message
from catalog.rules import title_key
from catalog.spreadsheet.cells import convert
from catalog.spreadsheet.headers import _find_header, _main_columns, _map_header, _no_header
from catalog.spreadsheet.items import ItemRow, attach, is_items_sheet, not_found, read_items
from catalog.spreadsheet.model import (
    _FIELD_BY_NAME,
    LISTS_SHEET,
    MAX_ROWS,
    MAX_UNZIPPED_BYTES,
    ParsedSheet,
    Problem,
    Row,
    _file_error,
)
from catalog.spreadsheet.template import column_hint
from catalog.spreadsheet.values import is_placeholder
from vocab.fields import FIELDS

# -- bytes to rows ---------------------------------------------------------------------------

def _is_xlsx(data: bytes, filename: str) -> bool:
    name = filename.lower()
    if name.endswith(".xls") or data.startswith(b"\xd0\xcf\x11\xe0"):  # an OLE container
        raise _file_error("不支持旧版 Excel（.xls）或设置了密码的工作簿，请取消密码并另存为 .xlsx 或 CSV。",
                          "Old Excel (.xls) and password-protected workbooks are not supported; "
                          "remove the password and save as .xlsx or CSV.")
    if name.endswith((".xlsx", ".xlsm")):
        return True
    if name.endswith((".csv", ".txt")):
        return False
    if data.startswith(b"PK"):
        return True
    if name and "." in name:
        raise _file_error("只支持 .xlsx 和 .csv 文件。", "Only .xlsx and .csv files are supported.")
    return False


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030; anything else is refused."""
    wrong = _file_error("CSV 文件编码无法识别：请另存为“CSV UTF-8”或 GB18030（GBK）编码。",
                        "Cannot read the CSV encoding: save it as UTF-8 or GB18030 (GBK).")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE,
                        codecs.BOM_UTF32_BE)) and not data.startswith(codecs.BOM_UTF8):
        raise wrong
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding, errors="strict")
        except UnicodeDecodeError:
            continue
        if "\x00" in text:  # UTF-16 without a byte-order mark
            raise wrong
        return text
    raise wrong


def _csv_rows(text: str) -> Iterator[Row]:
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as exc:
        raise _file_error(f"CSV 格式有误（第 {reader.line_num} 行）：{exc}",
                          f"Malformed CSV (line {reader.line_num}): {exc}") from None


def _parse_xlsx(data: bytes) -> ParsedSheet:
    from openpyxl import load_workbook

    _check_zip(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 (openpyxl raises many kinds on a broken file)
        raise _file_error("无法读取该 .xlsx 文件：文件已损坏或不是 Excel 工作簿。",
                          "Cannot read this .xlsx file: it is damaged or not an Excel workbook.") \
            from None
    try:
        sheets = [ws for ws in workbook.worksheets
                  if ws.title != LISTS_SHEET and not is_items_sheet(ws.title)]
        if not sheets:
            raise _file_error("工作簿中没有信息资源工作表。", "The workbook has no catalog sheet.")
        for ws in sheets:
            ws.reset_dimensions()  # some tools write a wrong <dimension>
        main = next((ws for ws in sheets if _find_header(_xlsx_rows(ws), _main_columns())),
                    sheets[0])
        sheet = _parse_rows(_xlsx_rows(main))
        for ws in workbook.worksheets:
            if is_items_sheet(ws.title):
                ws.reset_dimensions()
                _merge_items(sheet, read_items(_xlsx_rows(ws), ws.title), ws.title)
        return sheet
    finally:
        workbook.close()


def _check_zip(data: bytes) -> None:
    not_xlsx = _file_error("该文件不是有效的 .xlsx 工作簿（.xlsx 是 zip 格式）；CSV 文件请使用 .csv 扩展名。",
                           "This is not a valid .xlsx workbook (an .xlsx is a zip archive); "
                           "name CSV files .csv.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED_BYTES:
                raise _file_error("工作簿解压后过大，请拆分后分批导入。",
                                  "The workbook is too large once unpacked; split it.")
            if "xl/workbook.xml" not in archive.namelist():
                raise not_xlsx
    except zipfile.BadZipFile:
        raise not_xlsx from None


def _merge_items(sheet: ParsedSheet, items: list[ItemRow], sheet_name: str) -> None:
    """Append the data items of a 信息项 sheet to the records they name."""
    datasets = [(r.get("resource_code", ""), r.get("title", "")) for _, r in sheet.records]
    found, lost = attach(items, datasets)
    for index, rows in sorted(found.items()):
        record = sheet.records[index][1]
        for row in rows:
            if row.problem is not None:
                sheet.problems.append(row.problem)
            elif row.item is not None:
                record.setdefault("data_items", []).append(row.item)
    sheet.problems.extend(not_found(row, sheet_name) for row in lost)


def _xlsx_rows(ws: Any) -> Iterator[Row]:
    # read-only sheets yield merged cells' non-anchor cells as empty
    return enumerate(ws.iter_rows(values_only=True), start=1)


# -- rows to records -------------------------------------------------------------------------

def _parse_rows(rows: Iterator[Row]) -> ParsedSheet:
    sheet = ParsedSheet()
    found = _find_header(rows, _main_columns())
    if found is None:
        raise _no_header()
    header_row, header = found
    required = [f for f in FIELDS if f.required]
    mapping = _map_header(header, _main_columns(), required, sheet)
    for number, values in rows:
        cells = {name: values[i] for i, name in mapping.items()
                 if i < len(values) and not is_placeholder(values[i])}
        if not cells or (number == header_row + 1 and _is_hint_row(cells)):
            continue
        if len(sheet.records) >= MAX_ROWS:
            raise _file_error(f"数据超过 {MAX_ROWS} 行，请拆分后分批导入。",
                              f"More than {MAX_ROWS} data rows; split the file.")
        record: dict[str, Any] = {}
        for name, value in cells.items():
            converted, message = convert(_FIELD_BY_NAME[name], value)
            if message is not None:
                sheet.problems.append(Problem(number, name, message))
            elif converted not in (None, "", []):
                record[name] = converted
        sheet.records.append((number, record))
    if not sheet.records:
        raise _file_error("文件中没有数据行。", "The file has no data rows.")
    _refuse_repeats(sheet)
    return sheet


def _is_hint_row(cells: dict[str, Any]) -> bool:
    """The template's second row (fill-in hints), left in by the user."""
    return all(isinstance(v, str) and v.strip() == column_hint(_FIELD_BY_NAME[k]) and v.strip()
               for k, v in cells.items())


def _refuse_repeats(sheet: ParsedSheet) -> None:
    """A title or a resource code given twice in one file."""
    for name, key in (("title", title_key), ("resource_code", str)):
        first: dict[str, int] = {}
        for row, record in sheet.records:
            value = record.get(name)
            if not isinstance(value, str) or not key(value):
                continue
            if key(value) in first:
                sheet.problems.append(Problem(row, name, Message(
                    f"与第 {first[key(value)]} 行重复（名称仅标点或空格不同也视为重复）。"
                    if name == "title" else f"与第 {first[key(value)]} 行的信息资源代码相同。",
                    f"Repeats row {first[key(value)]}.")))
            else:
                first[key(value)] = row
    sheet.problems.sort(key=lambda p: p.row or 0)
