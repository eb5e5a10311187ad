"""The benchmark catalog: the normalized real entries as Mulu records and index documents.

``entries()`` reads ``bench/relevance/corpus.jsonl.gz`` (25,239 real entries of 13 Chinese
open-data portals, built by ``bench.relevance.build_corpus``); ``scaled(n)`` repeats them with
deterministic variations (a city in front of the title and the department, a shifted year) to
reach 100,000 or 250,000 entries; ``documents(entries)`` turns them into the index documents of
``search.documents`` — the same serializer the indexer uses — one published document each.

Codes the portals do not have are derived, deterministically, from the entry: the
classification from its topic, industry and title (keyword rules below), share type and
security level from a hash of the id, resource form from the formats.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from search.documents import DatasetState, DepartmentInfo, document

CORPUS = Path(__file__).resolve().parent / "relevance" / "corpus.jsonl.gz"
REAL_SIZE = 25_239

# first rule whose words occur in topic + industry + title gives the classification
CLASSIFICATION_RULES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("户籍", "户口"), "101002"),
    (("人口普查", "人口统计"), "101003"),
    (("人口",), "101001"),
    (("信用",), "104"),
    (("证照", "执照", "许可证"), "105"),
    (("企业", "公司", "市场主体", "工商", "个体"), "102002"),
    (("社会组织登记", "社会团体", "社团", "民办非企业"), "102003"),
    (("法人", "机构团体"), "102001"),
    (("食品", "药品"), "204"),
    (("安全生产",), "205"),
    (("价格", "物价", "收费"), "206"),
    (("能源", "石油", "天然气", "电力", "燃气"), "207"),
    (("社保", "社会保险", "就业", "人社", "养老保险"), "305"),
    (("社会救助", "低保", "民政", "养老"), "304"),
    (("社会保障",), "203"),
    (("医疗", "卫生", "医院", "健康", "医保"), "307"),
    (("处罚", "执法", "违法"), "302002"),
    (("法律", "司法"), "302"),
    (("公安", "警"), "301"),
    (("交通", "公交", "道路", "车辆", "出租"), "310"),
    (("教育", "学校", "幼儿园"), "311"),
    (("环境", "生态", "环保", "污染", "大气", "水质"), "309"),
    (("自然资源", "国土", "测绘", "地理", "矿"), "308"),
    (("城乡建设", "城建", "住房", "房地产", "建设", "不动产"), "209"),
    (("统计",), "306"),
    (("社区",), "210"),
    (("应急", "消防", "防汛"), "212"),
    (("公共服务", "生活服务", "文化", "旅游", "体育"), "201"),
)
DEFAULT_CLASSIFICATION = "312"
FORMS = (({"mysql", "db", "access"}, "database"), ({"xls", "xlsx", "csv", "et"}, "spreadsheet"),
         ({"json", "xml", "rdf"}, "self_describing"), ({"pdf", "doc", "docx", "wps", "txt"}, "file"),
         ({"jpg", "png", "shp"}, "image"))
PROVINCIAL = ("anhui_anhui", "jiangxi_jiangxi")
CITIES = ("合肥市", "芜湖市", "蚌埠市", "淮南市", "马鞍山市", "淮北市", "铜陵市", "安庆市",
          "黄山市", "滁州市", "阜阳市", "宿州市", "六安市", "亳州市", "池州市", "宣城市")


def entries(path: Path = CORPUS) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.sha1(text.encode()).digest()[:8], "big")


def classification(entry: dict[str, Any]) -> str:
    text = " ".join((entry["topic"], entry["industry"], entry["title"]))
    for words, code in CLASSIFICATION_RULES:
        if any(w in text for w in words):
            return code
    return DEFAULT_CLASSIFICATION


def resource_form(formats: Iterable[str]) -> str:
    wanted = set(formats)
    for names, form in FORMS:
        if wanted & names:
            return form
    return "other"


def record(entry: dict[str, Any], *, security_level: str = "public") -> dict[str, Any]:
    """A Mulu record (field table names) of a normalized entry."""
    share = ("unconditional", "unconditional", "unconditional", "conditional", "none")[
        _hash(entry["id"] + "share") % 5]
    return {
        "title": entry["title"],
        "description": entry["description"] or entry["title"],
        "publisher_name": entry["department"],
        "keywords": entry["keywords"],
        "classification": classification(entry),
        "resource_form": resource_form(entry["formats"]),
        "formats": [f.upper() for f in entry["formats"]],
        "share_type": share,
        "open_type": entry["open_type"],
        "update_cycle": entry["update_cycle"],
        "security_level": security_level,
        "issued": entry["issued"],
        "modified": entry["modified"],
        "landing_page": entry["landing_page"],
        "source_identifier": entry["id"],
    }


def department(entry: dict[str, Any]) -> DepartmentInfo:
    name = entry["department"] or "未注明部门"
    key = _hash(name)
    level = "province" if entry["portal"] in PROVINCIAL else "county" if "县" in name else "city"
    return DepartmentInfo(key % 2_000_000_000, f"D{key:016x}"[:12].upper(), name, "", level)


def security_level(entry: dict[str, Any], internal_share: float) -> str:
    return "internal" if (_hash(entry["id"] + "level") % 1000) < internal_share * 1000 \
        else "public"


def documents(items: Iterable[dict[str, Any]], *, internal_share: float = 0.0,
              ) -> Iterator[dict[str, Any]]:
    """One published index document per entry (``internal_share`` of them 内部, the rest 公开)."""
    ranks = {"public": 0, "internal": 1}
    for number, entry in enumerate(items):
        level = security_level(entry, internal_share)
        dept = department(entry)
        state = DatasetState(entry["id"], "published", f"{classification(entry)}/{number:06d}",
                             ranks[level], 1, 1, ranks[level], dept.id)
        yield document(state, dept, "published", record(entry, security_level=level))


def scaled(items: list[dict[str, Any]], size: int) -> list[dict[str, Any]]:
    """``size`` entries: the real ones, then copies with a city before the title and the
    department and the dates a year or more earlier (copy k uses CITIES[k - 1])."""
    out = list(items[:size])
    copy = 1
    while len(out) < size:
        city = CITIES[(copy - 1) % len(CITIES)]
        for entry in items:
            if len(out) >= size:
                break
            out.append(_variant(entry, copy, city))
        copy += 1
    return out


def _variant(entry: dict[str, Any], copy: int, city: str) -> dict[str, Any]:
    def earlier(date: str) -> str:
        return f"{int(date[:4]) - copy:04d}{date[4:]}" if date[:4].isdigit() else date

    return {**entry, "id": f"{entry['id']}~{copy}", "title": f"{city}{entry['title']}"[:200],
            "department": f"{city}{entry['department']}"[:100],
            "issued": earlier(entry["issued"]), "modified": earlier(entry["modified"])}


def without_analysis(doc: dict[str, Any]) -> dict[str, Any]:
    """A document's displayed fields only (what the Datasette comparison table holds)."""
    return {k: doc[k] for k in ("doc_id", "title", "description", "department_name",
                                "keywords", "modified")} | {"facets": doc["facets"]}
