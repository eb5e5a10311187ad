"""Normalize the real Chinese open-data catalog entries into ``bench/relevance/corpus.jsonl.gz``.

Source: ``../shared/corpus/cn-opendata-cnpds`` and ``cn-opendata-cqsss`` (crawled catalog
metadata of 13 Chinese government open-data portals, ~25,000 entries; see their SOURCES.md).
Each portal names its fields differently (标题/名称/目录名称/subjectBaseName …); this maps them
to one shape, one JSON object a line, sorted by id, gzip with a fixed timestamp (the output is
byte-for-byte reproducible):

    id, portal, title, description, department, keywords, topic, industry,
    open_type (open|conditional|closed), update_cycle (update-cycle codes), formats, issued,
    modified, landing_page

Run from the repository root:  .venv/bin/python -m bench.relevance.build_corpus [--source DIR]
"""

from __future__ import annotations

import argparse
import ast
import gzip
import io
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE = HERE.parents[2] / "shared" / "corpus"
OUTPUT = HERE / "corpus.jsonl.gz"
PORTALS = ("cn-opendata-cnpds", "cn-opendata-cqsss")

# each normalized field: the portal keys that hold it, first found wins
KEYS: dict[str, tuple[str, ...]] = {
    "title": ("标题", "名称", "目录名称", "subjectBaseName"),
    "description": ("摘要描述", "描述", "数据摘要", "服务描述", "摘要信息", "摘要", "简介",
                    "tableRemark"),
    "department": ("提供单位", "来源部门", "数据提供方", "数据来源", "数源单位", "所属部门",
                   "orgName"),
    "keywords": ("标签", "关键字", "label"),
    "topic": ("所属领域", "重点领域", "主题名称", "数据领域", "主题分类", "主题领域"),
    "industry": ("所属行业", "行业名称", "行业分类", "industry"),
    "open": ("开放条件", "开放属性", "开放类型", "开放方式", "openTypeName"),
    "cycle": ("更新频率", "更新周期", "frequency"),
    "formats": ("数据格式", "格式类型", "资源格式", "dataType", "数据类型"),
    "issued": ("发布时间", "发布日期", "创建时间", "releaseTime"),
    "modified": ("更新时间", "更新日期", "数据更新时间", "updateTime"),
    "landing_page": ("详情页网址", "url"),
}
EMPTY = {"", "暂无", "无", "none", "null", "其他", "默认主题", "默认行业", "[]"}
CYCLES = {"实时": "realtime", "每日": "daily", "每天": "daily", "每周": "weekly",
          "每月": "monthly", "每季度": "quarterly", "每半年": "semiannual", "每年": "annual",
          "不定期": "irregular"}
FORMATS = {"xls", "xlsx", "csv", "json", "xml", "rdf", "api", "pdf", "doc", "docx", "zip",
           "mysql", "db", "access", "et", "shp", "jpg", "png", "txt", "file", "wps"}
_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_SPLIT_KEYWORDS = re.compile(r"[\r\n\t,，、;；|/ ]+")


def _first(row: Mapping[str, Any], name: str) -> Any:
    for key in KEYS[name]:
        value = row.get(key)
        if value not in (None, "") and str(value).strip().lower() not in EMPTY:
            return value
    return None


def _text(value: Any) -> str:
    return re.sub(r"\s+", " ", str(value or "")).strip()


def _date(value: Any) -> str:
    match = _DATE.search(str(value or ""))
    if not match:
        return ""
    year, month, day = (int(g) for g in match.groups())
    return f"{year:04d}-{month:02d}-{day:02d}"


def _open_type(value: Any) -> str:
    text = str(value or "")
    if "有条件" in text or "依申请" in text or "安全" in text:
        return "conditional"
    if "无条件" in text or "普遍" in text:
        return "open"
    return "conditional"


def _cycle(value: Any) -> str:
    return CYCLES.get(_text(value).replace(" ", ""), "irregular")


def _formats(value: Any) -> list[str]:
    if isinstance(value, list):
        items = [str(v) for v in value]
    else:
        text = str(value or "")
        try:
            parsed = ast.literal_eval(text) if text.startswith("['") else None
        except (ValueError, SyntaxError):
            parsed = None
        items = [str(v) for v in parsed] if isinstance(parsed, list) else \
            re.split(r"[\[\],;，、\s]+", text)
    out = [i.strip().strip("'\"").lower() for i in items]
    return list(dict.fromkeys(f for f in out if f in FORMATS))


def _keywords(value: Any, title: str) -> list[str]:
    words = [w.strip() for w in _SPLIT_KEYWORDS.split(str(value or ""))]
    # crawled tag clouds hold single characters and the whole industry name: keep words only
    kept = [w for w in words if 1 < len(w) <= 20 and w.lower() not in EMPTY and w != title]
    return list(dict.fromkeys(kept))[:10]


def normalize(portal: str, index: int, row: Mapping[str, Any]) -> dict[str, Any] | None:
    title = _text(_first(row, "title"))
    if not title:
        return None
    description = _text(_first(row, "description"))
    return {
        "id": f"{portal}-{index:05d}",
        "portal": portal,
        "title": title[:200],
        "description": description[:2000] if description != title else "",
        "department": _text(_first(row, "department"))[:100],
        "keywords": _keywords(_first(row, "keywords"), title),
        "topic": _text(_first(row, "topic")),
        "industry": _text(_first(row, "industry")),
        "open_type": _open_type(_first(row, "open")),
        "update_cycle": _cycle(_first(row, "cycle")),
        "formats": _formats(_first(row, "formats")),
        "issued": _date(_first(row, "issued")),
        "modified": _date(_first(row, "modified")) or _date(_first(row, "issued")),
        "landing_page": _text(_first(row, "landing_page"))[:500],
    }


def entries(source: Path) -> Iterator[dict[str, Any]]:
    for folder in PORTALS:
        for path in sorted((source / folder).glob("*.json")):
            rows = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(rows, list):  # field maps, portal lists
                continue
            for index, row in enumerate(rows):
                entry = normalize(path.stem, index, row)
                if entry is not None:
                    yield entry


def write(items: list[dict[str, Any]], output: Path) -> None:
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as gz:
        for item in sorted(items, key=lambda e: e["id"]):
            gz.write((json.dumps(item, ensure_ascii=False, sort_keys=True) + "\n").encode())
    output.write_bytes(buffer.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    items = list(entries(args.source))
    write(items, args.output)
    print(f"{len(items)} entries -> {args.output} ({args.output.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
