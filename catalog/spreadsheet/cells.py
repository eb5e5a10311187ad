"""Cell values: one cell as a record value."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from catalog.errors import Message
from catalog.spreadsheet.model import _ITEM_FIELDS
from catalog.spreadsheet.values import canonical
from vocab.concepts import Scheme, scheme
from vocab.fields import Field, Kind

_SPLIT = re.compile(r"[、,，;；/\r\n]+")
_SPLIT_CODES = re.compile(r"[、,，;；\r\n]+")   # resource codes contain '/'
_SPLIT_ITEMS = re.compile(r"[;；\r\n]+")
_ITEM = re.compile(r"^(?P<name>.+)[（(](?P<type>[^（）()]*)[)）]$", re.S)
_DATE = re.compile(r"^(\d{4})\s*(?:[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"
                   r"|年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日)$")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def convert(f: Field, value: Any) -> tuple[Any, Message | None]:
    """One cell as the record value of field ``f``: (value, None) or (None, the problem)."""
    if f.kind is Kind.DATA_ITEMS:
        return _data_items(cell_text(value))
    if f.multiple:
        splitter = _SPLIT_CODES if f.kind is Kind.CODE else _SPLIT
        values, problems = [], []
        for part in (p.strip() for p in splitter.split(cell_text(value))):
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
        return _concept(scheme(f.scheme), canonical(f.scheme, cell_text(value)), f)
    if f.kind is Kind.DATE:
        return _date(value)
    return cell_text(value), None


def cell_text(value: Any) -> str:
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
    text = cell_text(value)
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
