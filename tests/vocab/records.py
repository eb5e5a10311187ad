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

# the full DCAT record as well: distributions (a file with every property, an interface
# through a data service), contact points, licence, rights, spatial and temporal coverage,
# languages, standards, version, provenance, and texts in several languages
RICH: dict[str, Any] = {
    **FULL,
    "keywords": ["population", "人口", "户籍"],
    "translations": {  # (the English title is title_en)
        "title": {"de": "Grunddaten der Bevölkerung der Provinz", "en": FULL["title_en"],
                  "zh": FULL["title"]},
        "description": {"zh": FULL["description"],
                        "en": "Basic data of the resident population of the province."},
        "keywords": {"zh": ["人口", "户籍"], "en": ["population"]},
    },
    "distributions": [  # in the order parsing returns them
        {"title": "人口基础信息查询接口", "access_url": "https://api.ah.gov.cn/population",
         "format": "JSON",
         "access_service": {"uri": "https://api.ah.gov.cn/population/service",
                            "title": "人口信息服务",
                            "endpoint_url": "https://api.ah.gov.cn/population",
                            "endpoint_description": "https://api.ah.gov.cn/population/openapi.json"}},
        {"uri": "https://data.ah.gov.cn/dataset/1/distribution/csv",
         "title": "人口基础信息（CSV）", "description": "全量数据文件。",
         "translations": {"title": {"zh": "人口基础信息（CSV）", "en": "Population data (CSV)"}},
         "download_url": "https://data.ah.gov.cn/files/population.csv",
         "format": "CSV", "media_type": "text/csv", "byte_size": 1048576,
         "checksum": {"algorithm": "http://spdx.org/rdf/terms#checksumAlgorithm_sha1",
                      "value": "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"},
         "license": "http://publications.europa.eu/resource/authority/licence/CC_BY_4_0",
         "rights": "仅限政务使用",
         "issued": "2023-01-05", "modified": "2024-06-30",
         "languages": ["http://publications.europa.eu/resource/authority/language/ZHO"],
         "conforms_to": ["https://std.samr.gov.cn/gb/search/gbDetailed?id=GB-T-21063.4"]},
    ],
    "contact_points": [
        {"name": "省公安厅数据管理处", "email": "data@gat.ah.gov.cn", "phone": "+86 551 6280 1234",
         "url": "https://gat.ah.gov.cn/contact",
         "translations": {"name": {"zh": "省公安厅数据管理处", "en": "Data office"}}},
    ],
    "license": "http://publications.europa.eu/resource/authority/licence/CC_BY_4_0",
    "access_rights": "https://data.ah.gov.cn/access-rights/government-use",
    "spatial": [{"uri": "http://publications.europa.eu/resource/authority/place/CHN_AH",
                 "bbox": "POLYGON((114.9 29.4, 119.6 29.4, 119.6 34.7, 114.9 34.7, 114.9 29.4))",
                 "geometry": '{"type": "Point", "coordinates": [117.27, 31.86]}',
                 "centroid": "POINT(117.27 31.86)"}],
    "temporal": [{"start_date": "2000-01-01", "end_date": "2024-12-31"}],
    "languages": ["http://publications.europa.eu/resource/authority/language/ZHO"],
    "conforms_to": ["https://std.samr.gov.cn/gb/search/gbDetailed?id=GB-T-21063.4"],
    "version": "2.1",
    "source": ["https://data.ah.gov.cn/dataset/1"],
}

DATASET_URI = MULU_DATASET["101001/000001"]


def expected(record: dict[str, Any]) -> dict[str, Any]:
    """A record as parsing returns it: unset keys left out."""
    return {k: v for k, v in record.items() if v not in (None, "", [])}
