"""Catalog spreadsheets (.xlsx, .csv in UTF-8, UTF-8 with BOM or GB18030) as a harvest source.

Headers and cell values are read by ``catalog.spreadsheet`` (the field table's column names and
those of real portal exports, ``catalog.spreadsheet.columns``); what differs from the all-or-none
bulk import: each row is a record of its own (a bad row fails alone, never silently), merged
cells are filled from their anchor, placeholders (暂无, None …) are empty, a value that matches no
concept is a note on the record and the source's default applies (an unmatched theme is kept as
a keyword), a provider column may name any department (unknown ones are kept as the publisher's
name), the 信息项 sheets' data items join their datasets (an item whose dataset is not in the
file is a failed item), the row's hash (items included) makes runs incremental, and the
source's config may add column names.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from catalog.errors import InvalidInput
from catalog.rules import title_key
from catalog.spreadsheet import cells as sheet_cells
from catalog.spreadsheet import headers as sheet_headers
from catalog.spreadsheet import items as sheet_items
from catalog.spreadsheet import model as sheet_model
from catalog.spreadsheet import reading as sheet_reading
from catalog.spreadsheet import values as sheet_values
from harvesters import errors, uploads
from harvesters.base import Harvester, PageProblem, Remote
from harvesters.placement import DEFAULTABLE, Mapped, concept
from vocab.fields import BY_NAME, Kind


class SpreadsheetHarvester(Harvester):
    type = "spreadsheet"

    def _load(self) -> tuple[bytes, str]:
        url = self.source.url
        if url.startswith(("http://", "https://")):
            page = self.fetcher.get(url)
            return page.body, url.split("?", 1)[0].rsplit("/", 1)[-1]
        path = uploads.local_path(url)  # a local file or a stored upload
        if not path.is_file():
            raise errors.SourceMissing("数据源文件不存在。", "The source file is missing.",
                                       detail=uploads.display_url(url))
        if path.stat().st_size > self.source.limits.max_bytes:
            raise errors.TooLarge("文件超过大小上限。", "The file exceeds the size limit.",
                                  detail=uploads.display_url(url))
        return path.read_bytes(), path.name

    def _columns(self) -> tuple[dict[str, str], dict[str, int]]:
        """Header -> field, and each header's rank (the source's own column names first)."""
        columns = dict(sheet_headers._main_columns())
        rank = dict(sheet_headers.column_rank())
        for header, name in (self.source.config.get("columns") or {}).items():
            if name in BY_NAME:
                columns[sheet_headers.normalize_header(header)] = name
                rank[sheet_headers.normalize_header(header)] = -1
        return columns, rank

    def listing(self) -> Iterator[Remote | PageProblem]:
        columns, rank = self._columns()
        try:
            data, filename = self._load()
            book = _read(data, filename, columns)
            found = sheet_headers._find_header(book.rows, columns)
            if found is None:
                raise errors.InvalidSheet("前几行中未找到可识别的表头。",
                                          "No recognizable header in the first rows.")
            header_row, header = found
            mapping = _mapping(header, columns, rank)
            rows = []
            for number, values in book.rows:
                cells = {name: values[i] for i, name in mapping.items()
                         if i < len(values) and not sheet_values.is_placeholder(values[i])}
                if not cells or (number == header_row + 1 and sheet_reading._is_hint_row(cells)):
                    continue
                rows.append((number, cells))
        except (errors.FetchError, errors.PayloadError) as exc:
            yield PageProblem(self.source.url, exc)
            return
        except InvalidInput as exc:
            yield PageProblem(self.source.url, errors.InvalidSheet(exc.message.zh, exc.message.en))
            return
        items, problems = _items(book.item_sheets)
        yield from problems
        keys = [(_text(cells.get("resource_code")), _text(cells.get("title")))
                for _number, cells in rows]
        self.expected = len(rows)
        by_row, lost = sheet_items.attach([item for _sheet, item in items], keys)
        sheet_of = {id(item): name for name, item in items}
        for index, (number, cells) in enumerate(rows):
            yield self._remote(number, cells, header, mapping, by_row.get(index, []), sheet_of)
        for item in lost:
            where = sheet_of[id(item)]
            problem = sheet_items.not_found(item, where).message
            yield PageProblem(f"{where} row {item.number}", errors.RecordNotFound(
                f"信息项“{item.item['name'] if item.item else ''}”：{problem.zh}",
                f"Data item '{item.item['name'] if item.item else ''}': {problem.en}"),
                raw=json.dumps({"sheet": where, "row": item.number, "code": item.code,
                                "title": item.title, "item": item.item}, ensure_ascii=False),
                kind="record")

    def _remote(self, number: int, cells: dict[str, Any], header: Any, mapping: dict[int, str],
                items: list[sheet_items.ItemRow], sheet_of: dict[int, str]) -> Remote | PageProblem:
        code = _text(cells.get("resource_code", ""))
        title = _text(cells.get("title", ""))
        written = {str(header[i]): _text(cells[name]) for i, name in mapping.items()
                   if name in cells}
        data_items = [item.item for item in items if item.item is not None]
        item_notes = [f"{sheet_of[id(item)]} row {item.number}: {item.problem.message.zh}（未导入该"
                      f"信息项）/ {item.problem.message.en} (item left out)"
                      for item in items if item.problem is not None]
        raw = json.dumps({"row": number, **written, **({"信息项": data_items} if items else {})},
                         ensure_ascii=False)
        if not code and not title_key(title):
            return PageProblem(f"row {number}", errors.NoIdentifier(
                "该行既无信息资源代码也无名称。", "The row has neither a resource code nor a title."),
                raw=raw, kind="record")
        remote_id = code or f"title:{title_key(title)}"
        digest = hashlib.sha256(json.dumps([written, data_items, item_notes], sort_keys=True,
                                           ensure_ascii=False).encode()).hexdigest()
        return Remote(remote_id, (number, cells, data_items, item_notes),
                      modified=f"row:{digest}", raw=raw)

    def map(self, remote: Remote) -> Mapped:
        _number, cells, data_items, item_notes = remote.payload
        record: dict[str, Any] = {}
        notes: list[str] = list(item_notes)
        formats: list[str] = []
        themes: list[str] = []
        for name, value in cells.items():
            fld = BY_NAME[name]
            if name == "formats":
                formats += sheet_values.format_names(_text(value))
                continue
            converted, message = sheet_cells.convert(fld, value)
            text = _text(value)
            if message is None:
                record[name] = converted
            elif name == "resource_form" and sheet_values.looks_like_formats(text):
                formats += sheet_values.format_names(text)   # e.g. 资源格式 "[csv,json,xlsx]"
            elif name == "classification":
                themes.append(text)
                notes.append(f"{fld.label_zh}“{text}”无法对应，使用数据源默认值并记为关键字 / "
                             f"{fld.label_en} '{text}' has no match: the source's default "
                             "applies and it is kept as a keyword")
            elif fld.kind is Kind.CONCEPT and name in DEFAULTABLE:
                notes.append(f"{fld.label_zh}“{text}”无法识别，使用数据源默认值 / unknown "
                             f"{fld.label_en} '{text}', the source's default applies")
            elif name == "open_condition":
                record[name] = text
            else:
                raise errors.RecordError(message.zh, message.en, detail=fld.label_zh)
        if formats:
            record["formats"] = list(dict.fromkeys(formats))
        keywords = [k for k in (*record.get("keywords", []), *themes)
                    if len(k) <= (BY_NAME["keywords"].max_length or 50)]
        if keywords:
            record["keywords"] = list(dict.fromkeys(keywords))
        if data_items:
            record["data_items"] = [*record.get("data_items", []), *data_items]
        if "open_type" not in record and concept("open-type", record.get("open_condition")):
            record["open_type"] = concept("open-type", record.pop("open_condition"))
        publisher = record.pop("publisher_name", None)
        publisher_code = record.pop("publisher_code", None)
        code = record.get("resource_code")
        record["source_identifier"] = code or record.get("title")
        return Mapped(record, publisher=publisher, publisher_code=publisher_code,
                      identifiers=(code,) if code else (), notes=notes)


@dataclass
class _Book:
    """The main sheet's rows and the 信息项 sheets (xlsx only) of one file."""

    rows: Iterator[sheet_model.Row]
    item_sheets: list[tuple[str, list[sheet_model.Row]]] = field(default_factory=list)


def _text(value: Any) -> str:
    return sheet_cells._text(value) if value is not None else ""


def _mapping(header: Any, columns: dict[str, str], rank: dict[str, int]) -> dict[int, str]:
    """Column index -> field; of two columns for one field the better-ranked name wins."""
    best: dict[str, tuple[int, int]] = {}
    for index, cell in enumerate(header):
        key = sheet_headers.normalize_header(cell) if cell is not None else ""
        name = columns.get(key)
        if name and (name not in best or rank.get(key, 999) < best[name][0]):
            best[name] = (rank.get(key, 999), index)
    return {index: name for name, (_rank, index) in sorted(best.items(), key=lambda b: b[1][1])}


def _items(sheets: list[tuple[str, list[sheet_model.Row]]]
           ) -> tuple[list[tuple[str, sheet_items.ItemRow]], list[PageProblem]]:
    """The items of every 信息项 sheet; a sheet that cannot be read is a page problem."""
    items, problems = [], []
    for name, rows in sheets:
        try:
            items += [(name, item) for item in sheet_items.read_items(iter(rows), name)]
        except InvalidInput as exc:
            reasons = [m for messages in exc.errors.values() for m in messages] or [exc.message]
            problems.append(PageProblem(name, errors.InvalidSheet(
                "".join(m.zh for m in reasons), " ".join(m.en for m in reasons))))
    return items, problems


def _read(data: bytes, filename: str, columns: dict[str, str]) -> _Book:
    try:
        if sheet_reading._is_xlsx(data, filename):
            return _xlsx_book(data, columns)
        return _Book(sheet_reading._csv_rows(sheet_reading._decode(data)))
    except InvalidInput as exc:
        raise errors.InvalidSheet(exc.message.zh, exc.message.en) from None


def _xlsx_book(data: bytes, columns: dict[str, str]) -> _Book:
    """The first sheet with a header, and the 信息项 sheets; merged cells carry their anchor's
    value."""
    from openpyxl import load_workbook

    sheet_reading._check_zip(data)
    try:
        workbook = load_workbook(io.BytesIO(data), data_only=True)
    except Exception:  # noqa: BLE001
        raise errors.InvalidSheet("无法读取该 .xlsx 文件。", "Cannot read this .xlsx file.") from None
    candidates, item_sheets = [], []
    for ws in workbook.worksheets:
        if ws.title == sheet_model.LISTS_SHEET:
            continue
        rows = _unmerged_rows(ws)
        if sheet_items.is_items_sheet(ws.title):
            item_sheets.append((ws.title, rows))
        else:
            candidates.append(rows)
    main = next((rows for rows in candidates
                 if sheet_headers._find_header(iter(rows), columns) is not None),
                candidates[0] if candidates else [])
    return _Book(iter(main), item_sheets)


def _unmerged_rows(ws: Any) -> list[sheet_model.Row]:
    for merged in list(ws.merged_cells.ranges):
        value = ws.cell(merged.min_row, merged.min_col).value
        ws.unmerge_cells(str(merged))
        for row in ws.iter_rows(min_row=merged.min_row, max_row=merged.max_row,
                                min_col=merged.min_col, max_col=merged.max_col):
            for cell in row:
                cell.value = value
    return list(enumerate(ws.iter_rows(values_only=True), start=1))
