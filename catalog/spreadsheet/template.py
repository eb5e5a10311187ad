"""The template the reader reads back: header labels, fill-in hints, an example row."""

from __future__ import annotations

import csv
import io
from typing import Any

from catalog.spreadsheet.columns import SUB_COLUMNS
from catalog.spreadsheet.model import (
    _FIELD_BY_NAME,
    _TITLE,
    ITEMS_SHEET,
    LISTS_SHEET,
    MAIN_SHEET,
    column_field,
)
from vocab.concepts import scheme
from vocab.fields import DATA_ITEM_FIELDS, FIELDS, Field, Kind

_LAST_ROW = 1_048_576   # Excel's last row: the drop-downs cover the whole column

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
    "contact_points": [{"name": "数据资源处", "phone": "0551-62000000",
                        "email": "data@amr.example.gov.cn"}],
    "distributions": [{"access_url": "https://data.example.gov.cn/api/market-entities"}],
}


# the 信息项 sheet names each item's dataset as the main sheet does: by title, or by resource code
# (a title may be left empty where the code is given), so neither column is marked required
ITEMS_DATASET_COLUMNS = [_TITLE.label_zh, _FIELD_BY_NAME["resource_code"].label_zh]


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
    """A record as a main-sheet row: its fields, then its first contact point and
    distribution (``columns.SUB_COLUMNS``)."""
    cells = [render_cell(f, record.get(f.name)) for f in FIELDS]
    for name in SUB_COLUMNS:
        parent, sub = name.split(".", 1)
        first = (record.get(parent) or [{}])[0]
        cells.append(render_cell(column_field(name), first.get(sub)))
    return cells


def template_rows() -> list[list[str]]:
    """Header, hints, example: the template's first three rows."""
    return [[header_label(f) for f in FIELDS] + [columns[0] for columns in SUB_COLUMNS.values()],
            [main_column_hint(name) for name in (*(f.name for f in FIELDS), *SUB_COLUMNS)],
            render_row(EXAMPLE)]


def main_column_hint(name: str) -> str:
    """The fill-in hint under a main-sheet column (a field's, or a contact point's or
    distribution's)."""
    if "." in name:
        return "一行一个；更多的请在表单或接口中添加"
    return column_hint(_FIELD_BY_NAME[name])


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
    items.append(ITEMS_DATASET_COLUMNS + [header_label(f) for f in DATA_ITEM_FIELDS])
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
        for number, label in enumerate(labels, start=2):
            lists.cell(number, index, label)
        source = f"'{LISTS_SHEET}'!${letter}$2:${letter}${len(labels) + 1}"
        if f in DATA_ITEM_FIELDS:
            column = get_column_letter(DATA_ITEM_FIELDS.index(f) + len(ITEMS_DATASET_COLUMNS) + 1)
            _drop_down(items, source, f, f"{column}2:{column}{_LAST_ROW}")
        else:
            column = get_column_letter(FIELDS.index(f) + 1)
            _drop_down(main, source, f, f"{column}3:{column}{_LAST_ROW}")
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
