"""Header detection and mapping: find the header row, match its cells to fields."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from typing import Any

from catalog.errors import InvalidInput, Message
from catalog.spreadsheet.columns import IGNORED_COLUMNS, PORTAL_COLUMNS
from catalog.spreadsheet.model import (
    _FIELD_BY_NAME,
    _ITEM_FIELDS,
    HEADER_SCAN_ROWS,
    MIN_HEADER_MATCHES,
    ParsedSheet,
    Problem,
    Row,
    _file_error,
    _invalid,
)
from vocab.fields import FIELDS, Field

_REQUIRED_MARK = re.compile(r"^\*+|(?:\*|\(必填\))+$")


def normalize_header(text: Any) -> str:
    """A header as matched: NFKC, no spaces, no '*' or '（必填）' mark, lower case."""
    folded = "".join(unicodedata.normalize("NFKC", str(text or "")).split())
    return _REQUIRED_MARK.sub("", folded).lower()


def main_column_names(f: Field) -> tuple[str, ...]:
    """Every header of field ``f``: the field table's first, then those of portal exports."""
    return (*f.columns, *PORTAL_COLUMNS.get(f.name, ()))


@cache
def _main_columns() -> dict[str, str]:
    return {normalize_header(column): f.name for f in FIELDS for column in main_column_names(f)}


@cache
def column_rank() -> dict[str, int]:
    """A header's place among its field's names (0 = the template's): when one file has two
    headers for one field, the lower rank wins."""
    ranks: dict[str, int] = {}
    for f in FIELDS:
        for rank, column in enumerate(main_column_names(f)):
            ranks.setdefault(normalize_header(column), rank)
    return ranks


def known_header(text: Any) -> bool:
    """A header that means a field, or one ignored on purpose (``columns.IGNORED_COLUMNS``)."""
    header = normalize_header(text)
    return header in _main_columns() or header in _ignored()


@cache
def _ignored() -> frozenset[str]:
    return frozenset(normalize_header(column) for column in IGNORED_COLUMNS)


def _find_header(rows: Iterator[Row], columns: dict[str, str],
                 minimum: int = MIN_HEADER_MATCHES) -> Row | None:
    for number, values in rows:
        if number > HEADER_SCAN_ROWS:
            return None
        if len({columns[h] for h in map(normalize_header, values) if h in columns}) >= minimum:
            return number, values
    return None


def _map_header(header: Sequence[Any], columns: dict[str, str], required: Iterable[Field],
                sheet: ParsedSheet, where: str = "") -> dict[int, str]:
    """Column index -> field name; a missing required column or a field given twice is fatal."""
    mapping: dict[int, str] = {}
    seen: dict[str, str] = {}
    problems = []
    zh, en = (f"工作表“{where}”", f"Sheet '{where}': ") if where else ("", "")
    for index, cell in enumerate(header):
        written = str(cell).strip() if cell is not None else ""
        if not written:
            continue
        name = columns.get(normalize_header(written))
        if name is None:
            sheet.ignored_columns.append(written)
            continue
        if name in seen:
            problems.append(Problem(None, "header", Message(
                f"{zh}列“{seen[name]}”与“{written}”都对应“{_label(name)}”，请删除其中一列。",
                f"{en}Columns '{seen[name]}' and '{written}' both mean "
                f"'{_label(name, 'en')}'; remove one.")))
            continue
        seen[name] = written
        mapping[index] = name
        sheet.columns[written] = name
    for f in required:
        if f.name not in seen:
            problems.append(Problem(None, "header", Message(
                f"{zh}缺少必填列“{f.label_zh}”。",
                f"{en}The required column '{f.label_en}' is missing.")))
    if problems:
        raise _invalid(problems)
    return mapping


def _label(name: str, lang: str = "zh") -> str:
    f = _FIELD_BY_NAME.get(name) or _ITEM_FIELDS[name]
    return f.label_en if lang == "en" else f.label_zh


def _no_header(sheet_name: str = "") -> InvalidInput:
    where = f"工作表“{sheet_name}”" if sheet_name else "文件"
    return _file_error(
        f"{where}前 {HEADER_SCAN_ROWS} 行中未找到表头（至少 {MIN_HEADER_MATCHES} 个可识别的列名，"
        f"如“信息资源名称”“信息资源分类”）。请使用模板表头；CSV 文件请使用 UTF-8 或 GB18030 编码。",
        f"No header row in the first {HEADER_SCAN_ROWS} rows{f' of sheet {sheet_name}' if sheet_name else ''} "
        f"(at least {MIN_HEADER_MATCHES} known column names such as '信息资源名称'). Use the "
        "template's headers; save CSV files as UTF-8 or GB18030.")
