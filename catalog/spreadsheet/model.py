"""The names of the catalog spreadsheet, and what reading and importing it return."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from catalog.errors import FieldErrors, InvalidInput, Message
from vocab.fields import DATA_ITEM_FIELDS, FIELDS, SUB_FIELDS, Field

MAX_UNZIPPED_BYTES = 1024 ** 3   # an xlsx is a zip: refuse zip bombs (100,000 rows unpack to ~140 MB)
HEADER_SCAN_ROWS = 5                     # a title row or two may precede the header
MIN_HEADER_MATCHES = 3
ITEMS_SHEET = "信息项"                   # optional sheet: one data item a row
LISTS_SHEET = "可选值"                   # the template's hidden sheet of allowed values
MAIN_SHEET = "信息资源目录"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"

Row = tuple[int, Sequence[Any]]          # (row number as Excel shows it, cell values)

_FIELD_BY_NAME = {f.name: f for f in FIELDS}
_ITEM_FIELDS = {f.name: f for f in DATA_ITEM_FIELDS}
_TITLE = _FIELD_BY_NAME["title"]


def column_field(name: str) -> Field:
    """The field a main-sheet column is read as: an entry field ("title"), or a sub-field of
    the record's one contact point or distribution ("contact_points.phone": see
    ``columns.SUB_COLUMNS``)."""
    if "." not in name:
        return _FIELD_BY_NAME[name]
    parent, sub = name.split(".", 1)
    return next(f for f in SUB_FIELDS[parent] if f.name == sub)


def nest(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` with its "parent.sub" values gathered into one sub-record a parent
    ("contact_points": [{"phone": …}]); a contact "phone" with an @ is its e-mail (real
    exports' 联系方式 holds either)."""
    subs: dict[str, dict[str, Any]] = {}
    for name in [n for n in record if "." in n]:
        parent, sub = name.split(".", 1)
        subs.setdefault(parent, {})[sub] = record.pop(name)
    contact = subs.get("contact_points", {})
    if "@" in str(contact.get("phone", "")) and not contact.get("email"):
        contact["email"] = contact.pop("phone")
    for parent, sub_record in subs.items():
        record[parent] = [sub_record, *record.get(parent, [])]
    return record


# -- results ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    """One problem of a file: ``row`` None for the whole file or its header."""

    row: int | None
    field: str
    message: Message
    sheet: str = ""

    @property
    def key(self) -> str:
        if self.row is None:
            return self.field
        prefix = f"{self.sheet} " if self.sheet else ""
        return f"{prefix}row {self.row}: {self.field}"

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "sheet": self.sheet,
                "zh": self.message.zh, "en": self.message.en}


@dataclass
class ParsedSheet:
    """The rows of a file turned into records, and what could not be read."""

    records: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)       # header as written -> field
    ignored_columns: list[str] = field(default_factory=list)     # headers matching no field


@dataclass(frozen=True)
class ImportedRow:
    row: int
    id: str
    resource_code: str
    title: str
    problems: int = 0          # kept as 待完善 with this many problems (keep-and-flag imports)

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "id": self.id, "resource_code": self.resource_code,
                "title": self.title, "problems": self.problems}


@dataclass
class ImportResult:
    items: list[ImportedRow]
    ignored_columns: list[str]
    refused: list[Problem] = field(default_factory=list)   # keep-and-flag: rows unsafe to keep
    counted: tuple[int, int] | None = None   # (created, flagged) when the rows went elsewhere

    @property
    def created(self) -> int:
        return len(self.items) if self.items or self.counted is None else self.counted[0]

    @property
    def flagged(self) -> int:
        if not self.items and self.counted is not None:
            return self.counted[1]
        return sum(1 for item in self.items if item.problems)

    def as_dict(self) -> dict[str, Any]:
        return {"created": self.created, "flagged": self.flagged,
                "items": [item.as_dict() for item in self.items],
                "refused": [p.as_dict() for p in self.refused],
                "ignored_columns": list(self.ignored_columns)}


def _file_error(zh: str, en: str) -> InvalidInput:
    return InvalidInput({"file": [Message(zh, en)]}, Message(zh, en))


def _invalid(problems: Iterable[Problem]) -> InvalidInput:
    errors: FieldErrors = {}
    rows: set[str] = set()
    for problem in problems:
        errors.setdefault(problem.key, []).append(problem.message)
        if problem.row is not None:
            rows.add(f"{problem.sheet} {problem.row}".strip())
    return InvalidInput(errors, _failed(len(rows)))


def _failed(rows: int) -> Message:
    if rows:
        return Message(f"导入失败：{rows} 行有误，未导入任何记录。",
                       f"Import failed: {rows} row(s) have errors; nothing was imported.")
    return Message("导入失败：文件有误，未导入任何记录。",
                   "Import failed: the file has errors; nothing was imported.")
