"""The shipped Anhui demo data (catalog/demo/departments.json, datasets.json) is well formed."""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from catalog.credit_code import valid_credit_code
from catalog.demo import build_demo_data
from vocab.concepts import scheme
from vocab.fields import (
    BY_NAME,
    DATA_ITEM_FIELDS,
    FIELDS,
    REQUIRED,
    SHARE_METHODS_BY_FORM,
    SHARE_TYPES_NEEDING_BASIS,
    Kind,
)

DEMO_DIR = Path(build_demo_data.__file__).parent
CORPUS_DIR = Path(os.environ.get("MULU_CORPUS_DIR", "/work/shared/corpus"))
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _load(name: str) -> Any:
    return json.loads((DEMO_DIR / name).read_text(encoding="utf-8"))


DEPARTMENTS: list[dict[str, Any]] = _load("departments.json")
DATASETS: list[dict[str, Any]] = _load("datasets.json")
RECORDS = [entry["record"] for entry in DATASETS]
DEPT_BY_CODE = {d["code"]: d for d in DEPARTMENTS}
CODE_BY_SHORT = {d["short_name"]: d["code"] for d in DEPARTMENTS}


def _ids(record: dict[str, Any]) -> str:
    return record["title"]


def _count(departments: tuple[str, ...], classification: re.Pattern[str]) -> int:
    codes = {CODE_BY_SHORT[name] for name in departments}
    return sum(1 for entry in DATASETS if entry["department"] in codes
               and classification.match(entry["record"]["classification"]))


# --- departments ---------------------------------------------------------------------------


def test_departments() -> None:
    assert len(DEPARTMENTS) >= 8
    assert DEPARTMENTS[0]["name"] == "安徽省公安厅"
    assert DEPARTMENTS[0]["short_name"] == "省公安厅"
    for short in ("省市场监管局", "省司法厅", "省统计局", "省民政厅", "省人力资源和社会保障厅",
                  "省卫生健康委员会", "省自然资源厅"):
        assert short in CODE_BY_SHORT
    assert len(DEPT_BY_CODE) == len(DEPARTMENTS), "department codes are unique"
    assert {"province", "city"} <= {d["level"] for d in DEPARTMENTS}


@pytest.mark.parametrize("department", DEPARTMENTS, ids=lambda d: d["name"])
def test_department_fields(department: dict[str, Any]) -> None:
    assert set(department) == {"code", "name", "short_name", "name_en", "level", "parent"}
    assert valid_credit_code(department["code"])
    assert department["code"][:2] == "11", "government organs register with 机构编制 + 机关"
    assert department["code"][2:4] == "34", "registered in Anhui (GB/T 2260 34xxxx)"
    assert department["level"] in scheme("admin-level")
    assert department["name"] and department["short_name"] and department["name_en"]
    parent = department["parent"]
    assert parent is None or (parent in DEPT_BY_CODE and parent != department["code"])


def test_city_departments_hang_under_their_city() -> None:
    children = [d for d in DEPARTMENTS if d["parent"]]
    assert children
    for child in children:
        assert child["level"] == DEPT_BY_CODE[child["parent"]]["level"] == "city"


# --- datasets: shape ---------------------------------------------------------------------------


def test_dataset_count_and_coverage() -> None:
    assert 60 <= len(DATASETS) <= 120
    per_department = Counter(entry["department"] for entry in DATASETS)
    assert set(per_department) <= set(DEPT_BY_CODE)
    assert len(per_department) >= 6
    provincial = [d["code"] for d in DEPARTMENTS if d["level"] == "province"]
    assert all(per_department[code] >= 3 for code in provincial), per_department


def test_focus_domains_have_ten_records_each() -> None:
    population = _count(("省公安厅", "省统计局"), re.compile(r"101"))
    legal_entities = _count(("省市场监管局", "省民政厅"), re.compile(r"102"))
    laws = _count(("省司法厅",), re.compile(r"302001$"))
    assert population >= 10, population
    assert legal_entities >= 10, legal_entities
    assert laws >= 10, laws


def test_titles_are_unique_even_folded() -> None:
    keys = Counter(build_demo_data.title_key(r["title"]) for r in RECORDS)
    assert [key for key, n in keys.items() if n > 1] == []


@pytest.mark.parametrize("entry", DATASETS, ids=lambda e: e["record"]["title"])
def test_record_fields(entry: dict[str, Any]) -> None:
    record = entry["record"]
    assert set(entry) == {"department", "record"}
    assert set(record) <= set(BY_NAME), set(record) - set(BY_NAME)
    for name in REQUIRED:
        assert record.get(name), f"required field {name} missing"
    assert "resource_code" not in record, "the store generates resource codes"
    assert "source_identifier" not in record
    department = DEPT_BY_CODE[entry["department"]]
    assert record["publisher_code"] == department["code"]
    assert record["publisher_name"] == department["name"]
    for field in FIELDS:
        value = record.get(field.name)
        if value is None:
            continue
        assert value not in ("", []), f"{field.name} is empty"
        values = value if field.multiple else [value]
        if field.multiple:
            assert isinstance(value, list)
        for item in values:
            if field.kind is Kind.CONCEPT:
                assert item in scheme(field.scheme), f"{field.name}={item!r}"
            elif field.kind is Kind.DATE:
                assert ISO_DATE.match(item), f"{field.name}={item!r}"
            elif field.kind is Kind.URL:
                assert item.startswith(("http://", "https://"))
            elif field.kind in (Kind.TEXT, Kind.CODE):
                assert isinstance(item, str) and item.strip()
            if field.max_length and isinstance(item, str):
                assert len(item) <= field.max_length, f"{field.name} too long"


@pytest.mark.parametrize("record", RECORDS, ids=_ids)
def test_data_items(record: dict[str, Any]) -> None:
    items = record["data_items"]
    assert 3 <= len(items) <= 10
    allowed = {f.name for f in DATA_ITEM_FIELDS}
    names = [item["name"] for item in items]
    assert len(set(names)) == len(names)
    for item in items:
        assert set(item) <= allowed
        assert item["name"]
        assert item["data_type"] in scheme("data-type")


@pytest.mark.parametrize("record", RECORDS, ids=_ids)
def test_keywords_and_dates(record: dict[str, Any]) -> None:
    assert 2 <= len(record["keywords"]) <= 4
    assert len(set(record["keywords"])) == len(record["keywords"])
    if record.get("issued") and record.get("modified"):
        assert record["modified"] >= record["issued"]


# --- datasets: sharing and security rules -----------------------------------------------------


@pytest.mark.parametrize("record", RECORDS, ids=_ids)
def test_sharing_rules(record: dict[str, Any]) -> None:
    share_type = record["share_type"]
    if share_type in SHARE_TYPES_NEEDING_BASIS:
        assert record.get("share_basis"), "conditional / none sharing must cite a basis"
        assert "《" in record["share_basis"], "the basis names a law, regulation or policy"
        assert record.get("share_condition")
    else:
        assert "share_basis" not in record and "share_condition" not in record
    if share_type == "none":
        assert record["open_type"] == "closed"
    else:
        assert record["share_method"] in SHARE_METHODS_BY_FORM[record["resource_form"]]
    if record["open_type"] == "open":
        assert share_type == "unconditional", "opened without conditions, so shared without"
    if record["open_type"] == "conditional":
        assert record.get("open_condition")


@pytest.mark.parametrize("record", RECORDS, ids=_ids)
def test_security_levels(record: dict[str, Any]) -> None:
    assert record["security_level"] in {"public", "internal"}
    if record["security_level"] != "public":
        assert record["open_type"] == "closed", "an opened resource must be public"


def test_share_type_and_security_mix() -> None:
    share_types = Counter(r["share_type"] for r in RECORDS)
    levels = Counter(r["security_level"] for r in RECORDS)
    assert share_types["unconditional"] + share_types["conditional"] > 0.9 * len(RECORDS)
    assert share_types["conditional"] >= 5 and share_types["none"] >= 1
    assert levels["public"] > 0.8 * len(RECORDS) and levels["internal"] >= 1


@pytest.mark.parametrize("record", RECORDS, ids=_ids)
def test_rehomed_text_names_no_other_province(record: dict[str, Any]) -> None:
    for text in (record["title"], record["description"]):
        assert not [p for p in build_demo_data.FOREIGN_PLACES if p in text]


# --- the build is deterministic -----------------------------------------------------------------


@pytest.mark.skipif(not CORPUS_DIR.is_dir(), reason=f"corpus not at {CORPUS_DIR}")
def test_build_reproduces_the_shipped_files(tmp_path: Path) -> None:
    assert build_demo_data.main([str(CORPUS_DIR), str(tmp_path)]) == 0
    for name in ("departments.json", "datasets.json"):
        assert (tmp_path / name).read_bytes() == (DEMO_DIR / name).read_bytes(), name
