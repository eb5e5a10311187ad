"""Catalog spreadsheets (.xlsx, .csv in UTF-8, UTF-8 with BOM or GB18030) as a harvest source.

Headers and cell values are read by ``catalog.spreadsheet`` (the column synonyms of real portal
exports come from the field table); what differs from the all-or-none bulk import: each row is
a record of its own (a bad row fails alone), merged cells are filled from their anchor, a
provider column may name any department (unknown ones are kept as the publisher's name), the
row's hash makes runs incremental, and the source's config may add column names.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from catalog.errors import InvalidInput
from catalog.rules import title_key
from catalog.spreadsheet import cells as sheet_cells
from catalog.spreadsheet import headers as sheet_headers
from catalog.spreadsheet import model as sheet_model
from catalog.spreadsheet import reading as sheet_reading
from harvesters import errors
from harvesters.base import Harvester, PageProblem, Remote
from harvesters.placement import DEFAULTABLE, Mapped, concept
from vocab.fields import BY_NAME, Kind

_BRACKETS = re.compile(r"[\[\]'\"]")


class SpreadsheetHarvester(Harvester):
    type = "spreadsheet"

    def _load(self) -> tuple[bytes, str]:
        url = self.source.url
        if url.startswith(("http://", "https://")):
            page = self.fetcher.get(url)
            return page.body, url.split("?", 1)[0].rsplit("/", 1)[-1]
        path = Path(url.removeprefix("file://"))
        if not path.is_file():
            raise errors.SourceMissing("数据源文件不存在。", "The source file is missing.",
                                       detail=str(path))
        if path.stat().st_size > self.source.limits.max_bytes:
            raise errors.TooLarge("文件超过大小上限。", "The file exceeds the size limit.",
                                  detail=str(path))
        return path.read_bytes(), path.name

    def _columns(self) -> dict[str, str]:
        columns = dict(sheet_headers._main_columns())
        for header, name in (self.source.config.get("columns") or {}).items():
            if name in BY_NAME:
                columns[sheet_headers.normalize_header(header)] = name
        return columns

    def listing(self) -> Iterator[Remote | PageProblem]:
        columns = self._columns()
        try:
            data, filename = self._load()
            rows = _rows(data, filename, columns)
            found = sheet_headers._find_header(rows, columns)
            if found is None:
                raise errors.InvalidSheet("前几行中未找到可识别的表头。",
                                          "No recognizable header in the first rows.")
            header_row, header = found
            mapping: dict[int, str] = {}
            for index, cell in enumerate(header):
                name = columns.get(sheet_headers.normalize_header(cell)) if cell is not None else None
                if name and name not in mapping.values():
                    mapping[index] = name
            for number, values in rows:
                cells = {name: values[i] for i, name in mapping.items()
                         if i < len(values) and not sheet_cells._blank(values[i])}
                if not cells or (number == header_row + 1 and sheet_reading._is_hint_row(cells)):
                    continue
                yield self._remote(number, cells, header, mapping)
        except (errors.FetchError, errors.PayloadError) as exc:
            yield PageProblem(self.source.url, exc)
        except InvalidInput as exc:
            yield PageProblem(self.source.url, errors.InvalidSheet(exc.message.zh, exc.message.en))

    def _remote(self, number: int, cells: dict[str, Any], header: Any,
                mapping: dict[int, str]) -> Remote | PageProblem:
        code = sheet_cells._text(cells.get("resource_code", ""))
        title = sheet_cells._text(cells.get("title", ""))
        written = {str(header[i]): sheet_cells._text(cells[name]) for i, name in mapping.items()
                   if name in cells}
        raw = json.dumps({"row": number, **written}, ensure_ascii=False)
        if not code and not title_key(title):
            return PageProblem(f"row {number}", errors.NoIdentifier(
                "该行既无信息资源代码也无名称。", "The row has neither a resource code nor a title."),
                raw=raw, kind="record")
        remote_id = code or f"title:{title_key(title)}"
        digest = hashlib.sha256(json.dumps(written, sort_keys=True, ensure_ascii=False)
                                .encode()).hexdigest()
        return Remote(remote_id, (number, cells), modified=f"row:{digest}", raw=raw)

    def map(self, remote: Remote) -> Mapped:
        _number, cells = remote.payload
        record: dict[str, Any] = {}
        notes: list[str] = []
        for name, value in cells.items():
            fld = BY_NAME[name]
            if name == "formats":
                value = _BRACKETS.sub("", sheet_cells._text(value))
            converted, message = sheet_cells.convert(fld, value)
            if message is None:
                record[name] = converted
            elif fld.kind is Kind.CONCEPT and name in DEFAULTABLE:
                notes.append(f"{message.zh}（使用数据源默认值）/ {message.en} (the source's "
                             "default applies)")
            elif name == "open_condition":
                record[name] = sheet_cells._text(value)
            else:
                raise errors.RecordError(message.zh, message.en, detail=fld.label_zh)
        if "open_type" not in record and concept("open-type", record.get("open_condition")):
            record["open_type"] = concept("open-type", record.pop("open_condition"))
        publisher = record.pop("publisher_name", None)
        publisher_code = record.pop("publisher_code", None)
        code = record.get("resource_code")
        record["source_identifier"] = code or record.get("title")
        return Mapped(record, publisher=publisher, publisher_code=publisher_code,
                      identifiers=(code,) if code else (), notes=notes)


def _rows(data: bytes, filename: str, columns: dict[str, str]) -> Iterator[sheet_model.Row]:
    try:
        if sheet_reading._is_xlsx(data, filename):
            return iter(_xlsx_rows(data, columns))
        return sheet_reading._csv_rows(sheet_reading._decode(data))
    except InvalidInput as exc:
        raise errors.InvalidSheet(exc.message.zh, exc.message.en) from None


def _xlsx_rows(data: bytes, columns: dict[str, str]) -> list[sheet_model.Row]:
    """Rows of the first sheet with a header; merged cells carry their anchor's value."""
    from openpyxl import load_workbook

    sheet_reading._check_zip(data)
    try:
        workbook = load_workbook(io.BytesIO(data), data_only=True)
    except Exception:  # noqa: BLE001
        raise errors.InvalidSheet("无法读取该 .xlsx 文件。", "Cannot read this .xlsx file.") from None
    candidates = [ws for ws in workbook.worksheets
                  if ws.title not in (sheet_model.ITEMS_SHEET, sheet_model.LISTS_SHEET)]
    for ws in candidates:
        for merged in list(ws.merged_cells.ranges):
            value = ws.cell(merged.min_row, merged.min_col).value
            ws.unmerge_cells(str(merged))
            for row in ws.iter_rows(min_row=merged.min_row, max_row=merged.max_row,
                                    min_col=merged.min_col, max_col=merged.max_col):
                for cell in row:
                    cell.value = value
        rows = list(enumerate(ws.iter_rows(values_only=True), start=1))
        if sheet_headers._find_header(iter(rows), columns) is not None:
            return rows
    return list(enumerate(candidates[0].iter_rows(values_only=True), start=1)) if candidates else []
