"""Rows to records, under a policy: what a cell that cannot be read does, what a repeat is.

- **strict** (the bulk import, all or none): every cell that cannot be read is a problem of its
  row and field; a title or resource code given twice in one file is a problem of the later row;
  a 信息项 row that cannot be read is a problem of the file.
- **lenient** (a harvest source, each row a record of its own): a cell that cannot be read — a
  date that is no date, a value that matches no concept — is kept in the row's ``unread``
  (field -> the file's text) and the row is still a record; a theme that matches no
  classification is kept as a keyword too; a list of file formats in a 资源格式 column is read as
  the formats; rows with the same title are separate records (at the source they are often
  distinct releases).

Both skip empty rows and the template's fill-in hint row; both add the 信息项 sheet's items to
their dataset's row.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from catalog import publishers
from catalog.errors import Message
from catalog.rules import title_key
from catalog.spreadsheet.budget import Meter
from catalog.spreadsheet.cells import cell_text, convert
from catalog.spreadsheet.headers import HeaderMap
from catalog.spreadsheet.items import ItemRow
from catalog.spreadsheet.model import _FIELD_BY_NAME, Problem, Row, _file_error, column_field, nest
from catalog.spreadsheet.template import main_column_hint
from catalog.spreadsheet.values import format_names, is_placeholder, looks_like_formats
from vocab.concepts import scheme

_KEYWORD_LENGTH = _FIELD_BY_NAME["keywords"].max_length or 50


class Policy(Enum):
    """How a file is read: ``STRICT`` is the bulk import's, ``LENIENT`` a harvest source's."""

    STRICT = "strict"
    LENIENT = "lenient"


@dataclass(frozen=True)
class SheetRow:
    """One data row of the main sheet, read."""

    number: int                          # the row as Excel (or a text editor's record count) shows it
    record: dict[str, Any]               # field -> value, only what could be read
    written: dict[str, str]              # header as written -> the cell's text (mapped columns)
    items: tuple[ItemRow, ...] = ()      # the 信息项 rows of this dataset (read or not)
    problems: tuple[Problem, ...] = ()   # strict: what stops the row (cells, repeats, items)
    unread: dict[str, str] = field(default_factory=dict)  # lenient: field -> text not read

    @property
    def code(self) -> str:
        return cell_text(self.record.get("resource_code"))

    @property
    def title(self) -> str:
        return cell_text(self.record.get("title"))


def mapped_cells(values: Sequence[Any], mapping: Mapping[int, str]) -> dict[str, Any]:
    """Field -> cell of one row; placeholders (暂无, None …) are left out."""
    return {name: values[i] for i, name in mapping.items()
            if i < len(values) and not is_placeholder(values[i])}


def is_data(number: int, header_row: int, cells: Mapping[str, Any]) -> bool:
    """Not an empty row, nor the template's fill-in hint row left under the header."""
    return bool(cells) and not (number == header_row + 1 and _is_hint_row(cells))


def _is_hint_row(cells: Mapping[str, Any]) -> bool:
    return all(isinstance(v, str) and v.strip() == main_column_hint(k) and v.strip()
               for k, v in cells.items())


def dataset_keys(rows: Iterator[Row], header: HeaderMap, header_row: int
                 ) -> Iterator[tuple[int, str, str]]:
    """(row number, resource code, title) of each data row: what 信息项 rows are matched to."""
    for number, values in rows:
        cells = mapped_cells(values, header.mapping)
        if is_data(number, header_row, cells):
            yield number, cell_text(cells.get("resource_code")), cell_text(cells.get("title"))


@dataclass
class RowReader:
    """Reads the data rows after the header, one at a time."""

    policy: Policy
    header: HeaderMap
    header_row: int
    written_as: dict[str, str] = field(default_factory=dict)   # field -> header as written
    _first: dict[tuple[str, str, str], int] = field(default_factory=dict)  # strict: repeats
    meter: Meter = field(default_factory=Meter)   # the reading's budget
    last: int = 0                                 # the last row number read

    def __post_init__(self) -> None:
        self.written_as = {name: written for written, name in self.header.columns.items()}

    def rows(self, rows: Iterator[Row], items: Mapping[int, list[ItemRow]]) -> Iterator[SheetRow]:
        read = 0
        for number, values in rows:
            self.last = number
            cells = mapped_cells(values, self.header.mapping)
            if not is_data(number, self.header_row, cells):
                continue
            read += 1
            self.meter.row()
            yield self.row(number, cells, items.get(number, ()))
        if not read and self.policy is Policy.STRICT:
            raise _file_error("文件中没有数据行。", "The file has no data rows.")

    def row(self, number: int, cells: Mapping[str, Any], items: Sequence[ItemRow]) -> SheetRow:
        written = {self.written_as[name]: cell_text(value) for name, value in cells.items()}
        if self.policy is Policy.STRICT:
            record, problems = _strict(number, cells)
            problems += self._repeats(number, record)
            problems += [item.problem for item in items if item.problem is not None]
            unread: dict[str, str] = {}
        else:
            record, unread = _lenient(cells)
            problems = []
        data_items = [item.item for item in items if item.item is not None]
        if data_items:
            record["data_items"] = [*record.get("data_items", []), *data_items]
        return SheetRow(number, record, written, tuple(items), tuple(problems), unread)

    def _repeats(self, number: int, record: Mapping[str, Any]) -> list[Problem]:
        """A title of one publisher (folded: ``rules.title_key``; the duplicate rule of
        ``catalog.writes``, so two publishers' rows of one title are two records) or a resource
        code given twice in one file."""
        problems = []
        publisher = publishers.key_of(record)
        for name, key in (("title", title_key), ("resource_code", str)):
            value = record.get(name)
            if not isinstance(value, str) or not key(value):
                continue
            scope = publisher if name == "title" else ""
            first = self._first.setdefault((name, scope, key(value)), number)
            if first != number:
                problems.append(Problem(number, name, Message(
                    f"与第 {first} 行重复（同一提供方的名称仅标点或空格不同也视为重复）。"
                    if name == "title" else f"与第 {first} 行的信息资源代码相同。",
                    f"Repeats row {first}.")))
        return problems


def _strict(number: int, cells: Mapping[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    record: dict[str, Any] = {}
    problems = []
    for name, value in cells.items():
        converted, message = convert(column_field(name), value)
        if message is not None:
            problems.append(Problem(number, name, message))
        elif converted not in (None, "", []):
            record[name] = converted
    return nest(record), problems


def _lenient(cells: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    record: dict[str, Any] = {}
    unread: dict[str, str] = {}
    formats: list[str] = []
    themes: list[str] = []
    for name, value in cells.items():
        text = cell_text(value)
        if name == "formats":
            formats += format_names(text)
            continue
        converted, message = convert(column_field(name), value)
        if message is None:
            if converted not in (None, "", []):
                record[name] = converted
        elif name == "resource_form" and looks_like_formats(text):
            formats += format_names(text)   # e.g. 资源格式 "[csv,json,xlsx]"
        else:
            unread[name] = text
            if name == "classification":
                themes.append(text)         # a portal's theme: kept as a keyword as well
    if formats:
        record["formats"] = list(dict.fromkeys(formats))
    keywords = [k for k in (*record.get("keywords", []), *themes) if len(k) <= _KEYWORD_LENGTH]
    if keywords:
        record["keywords"] = list(dict.fromkeys(keywords))
    open_type = scheme("open-type").lookup(str(record.get("open_condition", "")).strip())
    if "open_type" not in record and open_type is not None:
        record["open_type"] = open_type.code       # 开放条件 holding the open type (柳州市)
        record.pop("open_condition")
    return nest(record), unread
