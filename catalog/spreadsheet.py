"""Spreadsheet bulk registration (批量登记): read the catalog spreadsheet departments fill in.

The columns come from the field table (``vocab.fields``): a header is matched to a field through
``Field.columns`` (the template's label, the aliases seen in real exports, the English label and
the field name). Reading turns every row into a record the dataset service validates; every
problem names the row as the user sees it in Excel (1-based, header included), the field and a
bilingual message. Importing is all or none: ``DatasetService.register_many``.

``template_xlsx`` / ``template_csv`` write the template the reader reads back.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from itertools import chain, islice
from typing import Any

from catalog.actors import Actor
from catalog.datasets import DatasetService
from catalog.errors import FieldErrors, InvalidInput, Message, field_error
from catalog.rules import title_key
from vocab.concepts import Scheme, scheme
from vocab.fields import DATA_ITEM_FIELDS, FIELDS, Field, Kind

MAX_ROWS = 5000
MAX_BYTES = 5 * 1024 * 1024
MAX_UNZIPPED_BYTES = 100 * 1024 * 1024   # an xlsx is a zip: refuse zip bombs
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
_SPLIT = re.compile(r"[、,，;；/\r\n]+")
_SPLIT_CODES = re.compile(r"[、,，;；\r\n]+")   # resource codes contain '/'
_SPLIT_ITEMS = re.compile(r"[;；\r\n]+")
_ITEM = re.compile(r"^(?P<name>.+)[（(](?P<type>[^（）()]*)[)）]$", re.S)
_DATE = re.compile(r"^(\d{4})\s*(?:[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"
                   r"|年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日)$")
_REQUIRED_MARK = re.compile(r"^\*+|(?:\*|\(必填\))+$")


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


@dataclass
class ParsedSheet:
    """The rows of a file turned into records, and what could not be read."""

    records: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)       # header as written -> field
    ignored_columns: list[str] = field(default_factory=list)     # headers matching no field

    def bad_fields(self, row: int) -> set[str]:
        return {p.field for p in self.problems if p.row == row and not p.sheet}


@dataclass(frozen=True)
class ImportedRow:
    row: int
    id: str
    resource_code: str
    title: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "id": self.id, "resource_code": self.resource_code,
                "title": self.title}


@dataclass
class ImportResult:
    items: list[ImportedRow]
    ignored_columns: list[str]

    @property
    def created(self) -> int:
        return len(self.items)

    def as_dict(self) -> dict[str, Any]:
        return {"created": self.created, "items": [item.as_dict() for item in self.items],
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


# -- importing -------------------------------------------------------------------------------

def import_file(datasets: DatasetService, actor: Actor, data: bytes, filename: str = "", *,
                department_code: str | None = None, submit: bool = False,
                note: str = "") -> ImportResult:
    """Read a spreadsheet and register every row, or none: raises InvalidInput on any problem."""
    if actor.role == "admin" and not department_code:  # else every row reports it
        raise field_error("department_code", "管理员导入时必须指定部门。",
                          "An administrator must name the department.")
    sheet = parse(data, filename)
    if sheet.problems:
        problems = [*sheet.problems, *_validation_problems(datasets, actor, sheet)]
        raise _invalid(sorted(problems, key=lambda p: (bool(p.sheet), p.row or 0)))
    try:
        views = datasets.register_many(actor, sheet.records, department_code=department_code,
                                       submit=submit, note=note or "spreadsheet import")
    except InvalidInput as exc:
        rows = {key.split(":", 1)[0] for key in exc.errors if key.startswith("row ")}
        raise InvalidInput(exc.errors, _failed(len(rows)) if rows else exc.message) from None
    items = [ImportedRow(row, view.id, view.resource_code, view.record["title"])
             for (row, _record), view in zip(sheet.records, views, strict=True)]
    return ImportResult(items, sheet.ignored_columns)


def _validation_problems(datasets: DatasetService, actor: Actor,
                         sheet: ParsedSheet) -> list[Problem]:
    """The schema and rule problems of every row, so one upload reports everything at once;
    a field that could not be read is not reported again."""
    problems = []
    for row, record in sheet.records:
        try:
            datasets.validate(record, actor)
        except InvalidInput as exc:
            bad = sheet.bad_fields(row)
            for name, messages in exc.errors.items():
                if name.split(".", 1)[0] not in bad:
                    problems.extend(Problem(row, name, m) for m in messages)
    return problems


# -- reading ---------------------------------------------------------------------------------

def parse(data: bytes, filename: str = "") -> ParsedSheet:
    """Read an .xlsx or .csv catalog spreadsheet into (row, record) pairs.

    File and header problems raise InvalidInput at once; row problems are collected in
    ``ParsedSheet.problems``.
    """
    if len(data) > MAX_BYTES:
        raise _file_error(f"文件超过 {MAX_BYTES // (1024 * 1024)} MB，请拆分后分批导入。",
                          f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; "
                          "split it into smaller files.")
    if not data.strip():
        raise _file_error("文件为空。", "The file is empty.")
    if _is_xlsx(data, filename):
        return _parse_xlsx(data)
    return _parse_rows(_csv_rows(_decode(data)))


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
        sheets = [ws for ws in workbook.worksheets if ws.title not in (ITEMS_SHEET, LISTS_SHEET)]
        if not sheets:
            raise _file_error("工作簿中没有信息资源工作表。", "The workbook has no catalog sheet.")
        for ws in sheets:
            ws.reset_dimensions()  # some tools write a wrong <dimension>
        main = next((ws for ws in sheets if _find_header(_xlsx_rows(ws), _main_columns())),
                    sheets[0])
        sheet = _parse_rows(_xlsx_rows(main))
        if ITEMS_SHEET in workbook.sheetnames:
            items = workbook[ITEMS_SHEET]
            items.reset_dimensions()
            _merge_items(sheet, _xlsx_rows(items))
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


def _xlsx_rows(ws: Any) -> Iterator[Row]:
    # read-only sheets yield merged cells' non-anchor cells as empty
    return enumerate(ws.iter_rows(values_only=True), start=1)


# -- headers ---------------------------------------------------------------------------------

def normalize_header(text: Any) -> str:
    """A header as matched: NFKC, no spaces, no '*' or '（必填）' mark, lower case."""
    folded = "".join(unicodedata.normalize("NFKC", str(text or "")).split())
    return _REQUIRED_MARK.sub("", folded).lower()


@cache
def _main_columns() -> dict[str, str]:
    return {normalize_header(column): f.name for f in FIELDS for column in f.columns}


@cache
def _item_columns() -> dict[str, str]:
    columns = {normalize_header(column): "title" for column in _TITLE.columns}
    columns.update({normalize_header(column): f.name for f in DATA_ITEM_FIELDS
                    for column in f.columns})
    return columns


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


# -- rows ------------------------------------------------------------------------------------

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
                 if i < len(values) and not _blank(values[i])}
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


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


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


# -- cell values -----------------------------------------------------------------------------

def convert(f: Field, value: Any) -> tuple[Any, Message | None]:
    """One cell as the record value of field ``f``: (value, None) or (None, the problem)."""
    if f.kind is Kind.DATA_ITEMS:
        return _data_items(_text(value))
    if f.multiple:
        splitter = _SPLIT_CODES if f.kind is Kind.CODE else _SPLIT
        values, problems = [], []
        for part in (p.strip() for p in splitter.split(_text(value))):
            if part:
                converted, message = _scalar(f, part)
                values.append(converted)
                problems.append(message)
        first = next((m for m in problems if m is not None), None)
        return (None, first) if first else (list(dict.fromkeys(values)), None)
    return _scalar(f, value)


def _scalar(f: Field, value: Any) -> tuple[Any, Message | None]:
    if f.kind is Kind.CONCEPT:
        assert f.scheme
        return _concept(scheme(f.scheme), _text(value), f)
    if f.kind is Kind.DATE:
        return _date(value)
    return _text(value), None


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() \
            else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip() if value is not None else ""


def _concept(found_in: Scheme, text: str, f: Field | None = None) -> tuple[Any, Message | None]:
    concept = found_in.lookup(text)
    if concept is not None:
        return concept.code, None
    label_zh = f.label_zh if f else found_in.label_zh
    label_en = f.label_en if f else found_in.label_en
    allowed_zh = "、".join(c.label_zh for c in found_in.concepts.values())
    allowed_en = ", ".join(c.label_en for c in found_in.concepts.values())
    return None, Message(f"无法识别的{label_zh}“{text}”，可选：{allowed_zh}。",
                         f"'{text}' is not a known value of {label_en}; allowed: {allowed_en}.")


def _date(value: Any) -> tuple[str | None, Message | None]:
    if isinstance(value, datetime):
        return value.date().isoformat(), None
    if isinstance(value, date):
        return value.isoformat(), None
    text = _text(value)
    match = _DATE.match(text)
    if match:
        year, month, day = match.group(1), match.group(2) or match.group(4), \
            match.group(3) or match.group(5)
        try:
            return date(int(year), int(month), int(day)).isoformat(), None
        except ValueError:
            pass
    return None, Message(f"日期“{text}”无效，应写作 2024-06-30、2024/06/30 或 2024年06月30日。",
                         f"Invalid date '{text}'; write 2024-06-30, 2024/06/30 or 2024年06月30日.")


def _data_items(text: str) -> tuple[list[dict[str, str]] | None, Message | None]:
    """'姓名(字符型)；出生日期(日期型)' -> [{name, data_type}, …]; every problem in one message."""
    items, untyped, problems = [], [], []
    for part in (p.strip() for p in _SPLIT_ITEMS.split(text)):
        match = _ITEM.match(part)
        if not part:
            continue
        if match is None or not match.group("name").strip():
            untyped.append(part)
            continue
        name = match.group("name").strip()
        data_type, message = _concept(scheme("data-type"), match.group("type").strip(),
                                      _ITEM_FIELDS["data_type"])
        if message is not None:
            problems.append(Message(f"信息项“{name}”：{message.zh}",
                                    f"Data item '{name}': {message.en}"))
        items.append({"name": name, "data_type": data_type})
    if untyped:
        problems.insert(0, Message(
            f"信息项“{'”“'.join(untyped)}”缺少数据类型，应写作“名称(数据类型)”，多个用“；”分隔。",
            f"Data items {', '.join(map(repr, untyped))} lack a data type; write "
            "'name(data type)', separated by ';'."))
    if problems:
        return None, Message("".join(m.zh for m in problems), " ".join(m.en for m in problems))
    return items, None


# -- the 信息项 sheet --------------------------------------------------------------------------

def _merge_items(sheet: ParsedSheet, rows: Iterator[Row]) -> None:
    """Append the data items of the 信息项 sheet to the records they name."""
    head = list(islice(rows, HEADER_SCAN_ROWS))
    found = _find_header(iter(head), _item_columns(), minimum=2)
    if found is None:
        if any(not _blank(v) for _, values in head for v in values):
            raise _no_header(ITEMS_SHEET)
        return
    required = [_TITLE, *(f for f in DATA_ITEM_FIELDS if f.required)]
    mapping = _map_header(found[1], _item_columns(), required, ParsedSheet(), ITEMS_SHEET)
    rows = chain((row for row in head if row[0] > found[0]), rows)
    by_title = {title_key(r["title"]): r for _, r in sheet.records if r.get("title")}
    for number, values in rows:
        cells = {name: _text(values[i]) for i, name in mapping.items() if i < len(values)}
        if not any(cells.values()):
            continue
        record = by_title.get(title_key(cells.get("title", "")))
        if record is None:
            sheet.problems.append(Problem(number, "title", Message(
                f"主表中没有名为“{cells.get('title', '')}”的信息资源。",
                f"No dataset titled '{cells.get('title', '')}' in the main sheet."), ITEMS_SHEET))
            continue
        data_type, message = _concept(scheme("data-type"), cells.get("data_type", ""),
                                      _ITEM_FIELDS["data_type"])
        if message is not None:
            sheet.problems.append(Problem(number, "data_type", message, ITEMS_SHEET))
            continue
        item = {"name": cells.get("name", ""), "data_type": data_type}
        if cells.get("description"):
            item["description"] = cells["description"]
        record.setdefault("data_items", []).append(item)


# -- the template -----------------------------------------------------------------------------

EXAMPLE: dict[str, Any] = {
    "title": "全省市场主体登记基本信息",
    "title_en": "Provincial market entity registrations",
    "classification": "102002",
    "description": "全省市场主体（企业、个体工商户、农民专业合作社）登记的基本信息。",
    "resource_form": "database",
    "formats": ["CSV", "JSON"],
    "data_items": [{"name": "统一社会信用代码", "data_type": "string"},
                   {"name": "企业名称", "data_type": "string"},
                   {"name": "成立日期", "data_type": "date"},
                   {"name": "注册资本", "data_type": "currency"}],
    "share_type": "unconditional",
    "share_method": "interface",
    "open_type": "open",
    "update_cycle": "daily",
    "issued": "2023-01-05",
    "modified": "2024-06-30",
    "security_level": "public",
    "keywords": ["市场主体", "企业登记"],
}


def header_label(f: Field) -> str:
    return f"{f.label_zh}*" if f.required else f.label_zh


def column_hint(f: Field) -> str:
    """The template's fill-in hint under a header."""
    parts = [f.help_zh] if f.help_zh else []
    if f.kind is Kind.CONCEPT:
        assert f.scheme
        parts.append("可选：" + "、".join(c.label_zh for c in scheme(f.scheme).concepts.values()))
    elif f.kind is Kind.DATE:
        parts.append("日期，如 2024-06-30")
    elif f.kind is Kind.DATA_ITEMS:
        parts.append("格式：名称(数据类型)，多个用“；”分隔；也可填在“信息项”工作表。数据类型："
                     + "、".join(c.label_zh for c in scheme("data-type").concepts.values()))
    elif f.multiple:
        parts.append("多个值用“、”分隔")
    if f.name == "publisher_name":
        parts.append("留空则为导入部门")
    return "；".join(parts)


def render_cell(f: Field, value: Any) -> str:
    """A record value as written in the spreadsheet (labels, not codes)."""
    if value in (None, "", []):
        return ""
    if f.kind is Kind.DATA_ITEMS:
        return "；".join(f"{item['name']}({scheme('data-type').get(item['data_type']).label_zh})"
                        for item in value)
    if isinstance(value, list):
        return "、".join(render_cell(f, v) for v in value)
    if f.kind is Kind.CONCEPT:
        assert f.scheme
        return scheme(f.scheme).get(value).label_zh
    return str(value)


def render_row(record: dict[str, Any]) -> list[str]:
    return [render_cell(f, record.get(f.name)) for f in FIELDS]


def template_rows() -> list[list[str]]:
    """Header, hints, example: the template's first three rows."""
    return [[header_label(f) for f in FIELDS], [column_hint(f) for f in FIELDS],
            render_row(EXAMPLE)]


def template_csv() -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out).writerows(template_rows())
    return out.getvalue().encode("utf-8-sig")


def template_xlsx() -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    main = workbook.active
    main.title = MAIN_SHEET
    for row in template_rows():
        main.append(row)
    required_fill = PatternFill("solid", fgColor="FDE9D9")
    for index, f in enumerate(FIELDS, start=1):
        letter = get_column_letter(index)
        main[f"{letter}1"].font = Font(bold=True, color="C00000" if f.required else "000000")
        if f.required:
            main[f"{letter}1"].fill = required_fill
        main[f"{letter}2"].font = Font(italic=True, color="808080", size=9)
        main[f"{letter}2"].alignment = Alignment(wrap_text=True, vertical="top")
        wide = f.kind is Kind.DATA_ITEMS or (f.max_length or 0) >= 1000
        main.column_dimensions[letter].width = 40 if wide else 18
    main.freeze_panes = "B2"
    items = workbook.create_sheet(ITEMS_SHEET)
    items.append([header_label(_TITLE), *(header_label(f) for f in DATA_ITEM_FIELDS)])
    for cell in items[1]:
        cell.font = Font(bold=True)
    lists = workbook.create_sheet(LISTS_SHEET)
    lists.sheet_state = "hidden"
    for index, f in enumerate(DATA_ITEM_FIELDS + FIELDS, start=1):
        if f.kind is not Kind.CONCEPT or f.scheme is None:
            continue
        letter = get_column_letter(index)
        labels = [c.label_zh for c in scheme(f.scheme).concepts.values()]
        lists.cell(1, index, f.label_zh)
        for row, label in enumerate(labels, start=2):
            lists.cell(row, index, label)
        source = f"'{LISTS_SHEET}'!${letter}$2:${letter}${len(labels) + 1}"
        if f in DATA_ITEM_FIELDS:
            column = get_column_letter(DATA_ITEM_FIELDS.index(f) + 2)  # after 信息资源名称
            _drop_down(items, source, f, f"{column}2:{column}{MAX_ROWS * 20}")
        else:
            column = get_column_letter(FIELDS.index(f) + 1)
            _drop_down(main, source, f, f"{column}3:{column}{MAX_ROWS + 2}")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _drop_down(ws: Any, source: str, f: Field, cells: str) -> None:
    from openpyxl.worksheet.datavalidation import DataValidation

    validation = DataValidation(type="list", formula1=source, allow_blank=True,
                                showErrorMessage=True, errorTitle=f.label_zh,
                                error=f"请从下拉列表中选择{f.label_zh}。")
    validation.add(cells)
    ws.add_data_validation(validation)
