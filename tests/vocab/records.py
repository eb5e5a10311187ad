"""The records the vocab tests use: the factories' sample record with the fields a registered
record gets (code, publisher, links), and one with every field."""

from __future__ import annotations

from typing import Any

from tests.factories import RECORD
from vocab.namespaces import MULU_DATASET

SAMPLE: dict[str, Any] = {
    **RECORD,
    "title": "省级人口基础信息",
    "title_en": "Provincial basic population information",
    "resource_code": "101001/000001",
    "publisher_name": "安徽省公安厅",
    "publisher_code": "11340000003192587A",
    "share_basis": "《中华人民共和国居民身份证法》",
    "open_condition": "",
    "related": ["101002/000001"],
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
