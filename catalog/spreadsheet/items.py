"""The 信息项 sheet: one data item a row, naming its dataset by resource code or title.

Both the all-or-none import (``reading``) and the spreadsheet harvester read the sheet here:
``read_items`` turns its rows into items (or a problem each), ``attach`` finds each item's
dataset among the main sheet's rows. Columns without a field of their own (数据长度, 是否主键)
are kept in the item's description.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import chain, islice
from typing import Any

from catalog.errors import Message
from catalog.rules import title_key
from catalog.spreadsheet.cells import _blank, _concept, cell_text
from catalog.spreadsheet.columns import ITEM_COLUMNS, ITEM_SHEETS
from catalog.spreadsheet.headers import _find_header, _no_header, normalize_header
from catalog.spreadsheet.model import _ITEM_FIELDS, HEADER_SCAN_ROWS, Problem, Row, _invalid
from catalog.spreadsheet.values import is_placeholder, typed_length
from vocab.concepts import scheme

_LABELS: dict[str, tuple[str, str]] = {
    "code": ("信息资源代码", "Resource code"), "title": ("信息资源名称", "Title"),
    "name": ("信息项名称", "Data item name"), "data_type": ("数据类型", "Data type"),
    "description": ("信息项描述", "Data item description"), "length": ("数据长度", "Length"),
    "primary_key": ("是否主键", "Primary key"),
}
_YES = frozenset({"是", "y", "yes", "true", "1", "√", "✓", "主键", "pk"})


@dataclass(frozen=True)
class ItemRow:
    """One row of the 信息项 sheet: its dataset's code and title, and the item or a problem."""

    number: int
    code: str
    title: str
    item: dict[str, str] | None
    problem: Problem | None = None
    sheet: str = ""


def is_items_sheet(title: str) -> bool:
    return normalize_header(title) in {normalize_header(name) for name in ITEM_SHEETS}


@cache
def item_columns() -> dict[str, str]:
    return {normalize_header(column): key for key, columns in ITEM_COLUMNS.items()
            for column in columns}


def read_items(rows: Iterator[Row], sheet_name: str) -> list[ItemRow]:
    """The sheet's items; a sheet without a recognisable header but with content is refused."""
    head = list(islice(rows, HEADER_SCAN_ROWS))
    found = _find_header(iter(head), item_columns(), minimum=2)
    if found is None:
        if any(not _blank(v) for _, values in head for v in values):
            raise _no_header(sheet_name)
        return []
    mapping = _map(found[1], sheet_name)
    read: list[ItemRow] = []
    for number, values in chain((row for row in head if row[0] > found[0]), rows):
        cells = {key: cell_text(values[i]) for i, key in mapping.items()
                 if i < len(values) and not is_placeholder(values[i])}
        if not any(cells.values()):
            continue
        if read and not cells.get("code") and not cells.get("title"):
            # the dataset named once for its first item (or a merged cell read as empty)
            cells["code"], cells["title"] = read[-1].code, read[-1].title
        read.append(_item(number, cells, sheet_name))
    return read


def _map(header: Sequence[Any], sheet_name: str) -> dict[int, str]:
    mapping: dict[int, str] = {}
    problems = []
    for index, cell in enumerate(header):
        key = item_columns().get(normalize_header(cell)) if not _blank(cell) else None
        if key is None:
            continue
        if key in mapping.values():
            zh, en = _LABELS[key]
            problems.append(Problem(None, "header", Message(
                f"工作表“{sheet_name}”中有两列“{zh}”，请删除其中一列。",
                f"Sheet '{sheet_name}' has two '{en}' columns; remove one.")))
            continue
        mapping[index] = key
    missing = [key for key in ("name", "data_type") if key not in mapping.values()]
    if "code" not in mapping.values() and "title" not in mapping.values():
        missing.insert(0, "title")
    for key in missing:
        zh, en = _LABELS[key]
        problems.append(Problem(None, "header", Message(
            f"工作表“{sheet_name}”缺少必填列“{zh}”。",
            f"Sheet '{sheet_name}': the required column '{en}' is missing.")))
    if problems:
        raise _invalid(problems)
    return mapping


def _item(number: int, cells: dict[str, str], sheet_name: str) -> ItemRow:
    code, title, name = cells.get("code", ""), cells.get("title", ""), cells.get("name", "")
    type_text, typed = typed_length(cells.get("data_type", ""))
    if not name:
        return ItemRow(number, code, title, None, Problem(number, "name", Message(
            "信息项名称为空。", "The data item has no name."), sheet_name), sheet_name)
    data_type, message = _concept(scheme("data-type"), type_text, _ITEM_FIELDS["data_type"])
    if message is not None:
        return ItemRow(number, code, title, None, Problem(number, "data_type", Message(
            f"信息项“{name}”：{message.zh}", f"Data item '{name}': {message.en}"), sheet_name),
            sheet_name)
    item = {"name": name, "data_type": data_type}
    length = cells.get("length") or typed
    notes = [cells.get("description", ""), f"长度 {length}" if length else "",
             "主键" if normalize_header(cells.get("primary_key", "")) in _YES else ""]
    description = "；".join(n for n in notes if n)
    if description:
        item["description"] = description
    return ItemRow(number, code, title, item, sheet=sheet_name)


def attach(items: Iterable[ItemRow], datasets: Iterable[tuple[int, str, str]]
           ) -> tuple[dict[int, list[ItemRow]], list[ItemRow]]:
    """Each item's dataset among ``datasets`` (row number, resource code, title): the first row
    with the item's code when the main sheet has it, else the first row with its title. Returns
    (row number -> its items, in sheet order; the items of no row)."""
    by_code: dict[str, int] = {}
    by_title: dict[str, int] = {}
    for number, code, title in datasets:
        if code.strip():
            by_code.setdefault(code.strip(), number)
        if title_key(title or ""):
            by_title.setdefault(title_key(title), number)
    found: dict[int, list[ItemRow]] = {}
    lost: list[ItemRow] = []
    for row in items:
        dataset = by_code.get(row.code.strip()) if row.code else None
        if dataset is None and title_key(row.title):
            dataset = by_title.get(title_key(row.title))
        if dataset is None:
            lost.append(row)
        else:
            found.setdefault(dataset, []).append(row)
    return found, lost


def not_found(row: ItemRow, sheet_name: str) -> Problem:
    named = "、".join(f"“{v}”" for v in (row.code, row.title) if v) or "（空）"
    return Problem(row.number, "title" if row.title or not row.code else "code", Message(
        f"主表中没有信息资源代码或名称为{named}的信息资源。",
        f"No dataset with the resource code or title {named} in the main sheet."), sheet_name)
