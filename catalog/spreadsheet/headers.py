"""Header detection and mapping: find the header row, match its cells to fields."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from catalog.errors import InvalidInput, Message
from catalog.spreadsheet.columns import IGNORED_COLUMNS, PORTAL_COLUMNS, SUB_COLUMNS
from catalog.spreadsheet.model import (
    _FIELD_BY_NAME,
    _ITEM_FIELDS,
    HEADER_SCAN_ROWS,
    MIN_HEADER_MATCHES,
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


def main_sheet_columns() -> Iterator[tuple[str, tuple[str, ...]]]:
    """(column name, its headers) of every main-sheet column: the fields', then the contact
    point's and distribution's (``columns.SUB_COLUMNS``)."""
    for f in FIELDS:
        yield f.name, main_column_names(f)
    yield from SUB_COLUMNS.items()


@cache
def _main_columns() -> dict[str, str]:
    return {normalize_header(column): name for name, columns in main_sheet_columns()
            for column in columns}


@cache
def column_rank() -> dict[str, int]:
    """A header's place among its field's names (0 = the template's): when one file has two
    headers for one field, the lower rank wins."""
    ranks: dict[str, int] = {}
    for _name, columns in main_sheet_columns():
        for rank, column in enumerate(columns):
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


@dataclass
class HeaderMap:
    """What the header row says: column index -> field, header as written -> field, and the
    headers that match no field."""

    mapping: dict[int, str] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)


def header_columns(extra: Mapping[str, str] | None = None) -> tuple[dict[str, str], dict[str, int]]:
    """Header -> field and each header's rank; ``extra`` (a source's own column names, header ->
    field name) comes first."""
    columns, rank = dict(_main_columns()), dict(column_rank())
    for header, name in (extra or {}).items():
        if name in _FIELD_BY_NAME or name in SUB_COLUMNS:
            columns[normalize_header(header)] = name
            rank[normalize_header(header)] = -1
    return columns, rank


def map_strict(header: Sequence[Any], columns: dict[str, str]) -> HeaderMap:
    """The import's reading: a missing required column or a field given twice is fatal."""
    found = HeaderMap()
    seen: dict[str, str] = {}
    problems = []
    for index, cell in enumerate(header):
        written = str(cell).strip() if cell is not None else ""
        if not written:
            continue
        name = columns.get(normalize_header(written))
        if name is None:
            found.ignored.append(written)
            continue
        if name in seen:
            problems.append(Problem(None, "header", Message(
                f"列“{seen[name]}”与“{written}”都对应“{_label(name)}”，请删除其中一列。",
                f"Columns '{seen[name]}' and '{written}' both mean "
                f"'{_label(name, 'en')}'; remove one.")))
            continue
        seen[name] = written
        found.mapping[index] = name
        found.columns[written] = name
    for f in FIELDS:
        if f.required and f.name not in seen:
            problems.append(Problem(None, "header", Message(
                f"缺少必填列“{f.label_zh}”。", f"The required column '{f.label_en}' is missing.")))
    if problems:
        raise _invalid(problems)
    return found


def map_lenient(header: Sequence[Any], columns: dict[str, str], rank: dict[str, int]) -> HeaderMap:
    """A harvest source's reading: of two columns for one field the better-ranked name wins;
    no column is required."""
    best: dict[str, tuple[int, int]] = {}
    found = HeaderMap()
    for index, cell in enumerate(header):
        key = normalize_header(cell) if cell is not None else ""
        name = columns.get(key)
        if name is None:
            if str(cell or "").strip():
                found.ignored.append(str(cell).strip())
        elif name not in best or rank.get(key, 999) < best[name][0]:
            best[name] = (rank.get(key, 999), index)
    for name, (_rank, index) in sorted(best.items(), key=lambda b: b[1][1]):
        found.mapping[index] = name
        found.columns[str(header[index])] = name   # as written: part of a harvest row's hash
    return found


def _label(name: str, lang: str = "zh") -> str:
    if name in SUB_COLUMNS:
        return SUB_COLUMNS[name][0] if lang == "zh" else SUB_COLUMNS[name][-1]
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
