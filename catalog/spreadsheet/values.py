"""Cell values as real portal exports write them, brought to what the field table reads.

- placeholders for "nothing" (暂无, 无, None, null, [] …) are empty cells;
- an update period written as a count of units (每 3 月, 每 1 日, 每7天) is the cycle it equals;
- a format list may be a Python or JSON list (``['xls', 'json']``, ``[csv,json]``) or plain
  (``xls,xml,json,csv``); names are written as the catalog writes them (XLSX, RDF/XML);
- a column type may carry its length (``varchar(50)``, ``NUMBER(10,2)``).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from rdflib import Graph, Literal

from vocab.profiles.filetypes import format_name

PLACEHOLDERS = frozenset({"none", "null", "nan", "n/a", "暂无", "无", "-", "--", "—", "/", "[]",
                          "''", '""'})

_PERIOD = re.compile(r"^每\s*(\d+)\s*个?\s*(日|天|周|星期|月|季度|季|年)$")
_PERIODS: dict[tuple[int, str], str] = {
    (1, "日"): "daily", (7, "日"): "weekly", (1, "周"): "weekly", (1, "月"): "monthly",
    (3, "月"): "quarterly", (6, "月"): "semiannual", (12, "月"): "annual", (1, "季度"): "quarterly",
    (2, "季度"): "semiannual", (4, "季度"): "annual", (1, "年"): "annual",
}
_UNIT = {"天": "日", "星期": "周", "季": "季度"}
_FORMAT_LIST = re.compile(r"[\[\]'\"]")
_FORMAT_SPLIT = re.compile(r"[、,，;；/\s]+")
_FORMAT_TOKEN = re.compile(r"^[A-Za-z][A-Za-z0-9_.+-]{0,19}$")
_TYPED = re.compile(r"^(?P<type>[^()（）]+?)\s*[(（]\s*(?P<length>\d+)(?:\s*,\s*\d+)?\s*[)）]$")
_EMPTY_GRAPH = Graph()


def _fold(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).lower()


def is_placeholder(value: Any) -> bool:
    """A cell that only says there is nothing: 暂无, 无, None, null, [] …"""
    return value is None or _fold(str(value)) in PLACEHOLDERS or not str(value).strip()


def period_cycle(text: str) -> str | None:
    """'每 3 月' -> 'quarterly'; None when the text is no period or no cycle of the scheme."""
    match = _PERIOD.match(unicodedata.normalize("NFKC", text).strip())
    if match is None:
        return None
    unit = _UNIT.get(match.group(2), match.group(2))
    return _PERIODS.get((int(match.group(1)), unit))


def canonical(scheme_name: str, text: str) -> str:
    """A concept cell as the scheme's lookup reads it (a period -> the cycle's code)."""
    if scheme_name == "update-cycle":
        return period_cycle(text) or text
    return text


def format_names(text: str) -> list[str]:
    """'['xls', 'json']' / '[csv,json]' / 'xls,xml' -> ['XLS', 'JSON'] …, placeholders left out."""
    names = []
    for part in _FORMAT_SPLIT.split(_FORMAT_LIST.sub(" ", text)):
        part = part.strip().lstrip(".")
        if not part or is_placeholder(part):
            continue
        known = format_name(_EMPTY_GRAPH, Literal(part))
        names.append(part.upper() if known == part and part.isascii() else known or part)
    return list(dict.fromkeys(names))


def looks_like_formats(text: str) -> bool:
    """Whether a cell is a list of file-format names (e.g. a 资源格式 column holding them)."""
    parts = [p.strip().lstrip(".") for p in _FORMAT_SPLIT.split(_FORMAT_LIST.sub(" ", text))]
    parts = [p for p in parts if p]
    return bool(parts) and all(_FORMAT_TOKEN.match(p) or p == "其他" for p in parts)


def typed_length(text: str) -> tuple[str, str]:
    """'varchar(50)' -> ('varchar', '50'); a type without a length -> (type, '')."""
    match = _TYPED.match(text.strip())
    return (match.group("type").strip(), match.group("length")) if match else (text.strip(), "")
