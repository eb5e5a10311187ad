"""The records the vocab tests use (the sample record from the task and one with every field)."""

from __future__ import annotations

from typing import Any

from vocab.namespaces import MULU_DATASET

SAMPLE: dict[str, Any] = {
    "title": "省级人口基础信息",
    "title_en": "Provincial basic population information",
    "resource_code": "101001/000001",
    "classification": "101001",
    "publisher_name": "安徽省公安厅",
    "publisher_code": "11340000003192587A",
    "description": "全省常住人口基本信息，包括姓名、公民身份号码、性别、出生日期、户籍地址。",
    "resource_form": "database",
    "formats": ["CSV", "JSON"],
    "data_items": [
        {"name": "姓名", "data_type": "string", "description": "公民姓名"},
        {"name": "公民身份号码", "data_type": "string"},
        {"name": "出生日期", "data_type": "date"},
    ],
    "share_type": "conditional",
    "share_condition": "仅限履行法定职责使用",
    "share_method": "interface",
    "share_basis": "《中华人民共和国居民身份证法》",
    "open_type": "closed",
    "open_condition": "",
    "update_cycle": "daily",
    "issued": "2023-01-05",
    "modified": "2024-06-30",
    "related": ["101002/000001"],
    "security_level": "internal",
    "keywords": ["人口", "户籍"],
    "landing_page": "https://data.ah.gov.cn/dataset/1",
    "source_identifier": "ah-gat-0001",
}

# every field of vocab.fields.FIELDS set (multi-valued lists already in the sorted order that
# parsing returns)
FULL: dict[str, Any] = {
    **SAMPLE,
    "open_condition": "经审批后向科研机构开放脱敏统计数据",
    "related": ["101002/000001", "101003/000002"],
}

DATASET_URI = MULU_DATASET["101001/000001"]


def expected(record: dict[str, Any]) -> dict[str, Any]:
    """A record as parsing returns it: unset keys left out."""
    return {k: v for k, v in record.items() if v not in (None, "", [])}
