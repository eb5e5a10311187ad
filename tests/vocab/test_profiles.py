from __future__ import annotations

from typing import Any

import pytest
from rdflib import Graph, Literal, URIRef

from tests.vocab.records import DATASET_URI, FULL, expected
from vocab import namespaces as ns
from vocab.fields import FIELDS, REQUIRED
from vocab.namespaces import (
    ADMS,
    DCT,
    EU_ACCESS_RIGHT,
    EU_FILE_TYPE,
    EU_FREQUENCY,
    FOAF,
    MULU,
    MULU_CATALOG,
    MULU_ORG,
    MULU_SCHEME,
    RDF,
    SKOS,
)
from vocab.profiles import (
    FORMATS,
    catalog_graph,
    graph_from_dataset,
    parse_dataset,
    parse_datasets,
    parse_graph,
    serialize,
)

MINIMAL = {name: FULL[name] for name in REQUIRED}


def round_trip(record: dict[str, Any], fmt: str = "ttl",
               profiles: tuple[str, ...] = ("dcat_ap", "mulu")) -> dict[str, Any]:
    data, _ = serialize(graph_from_dataset(record, DATASET_URI, profiles), fmt)
    return parse_dataset(parse_graph(data, fmt), DATASET_URI, profiles)


def test_full_record_sets_every_field() -> None:
    assert set(FULL) == {f.name for f in FIELDS}
    assert expected(FULL) == FULL


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_full_record_round_trips(fmt: str) -> None:
    assert round_trip(FULL, fmt) == FULL


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_sample_record_round_trips(sample: dict[str, Any], fmt: str) -> None:
    assert round_trip(sample, fmt) == expected(sample)


@pytest.mark.parametrize("name", [f.name for f in FIELDS])
def test_each_field_survives_on_its_own(name: str) -> None:
    record = {**MINIMAL, name: FULL[name]}
    assert round_trip(record).get(name) == FULL[name]


@pytest.mark.parametrize("fmt,mimetype", [
    ("ttl", "text/turtle"), ("rdf", "application/rdf+xml"), ("jsonld", "application/ld+json"),
    ("nt", "application/n-triples"),
])
def test_serialize_returns_bytes_and_mimetype(sample: dict[str, Any], uri: URIRef, fmt: str,
                                             mimetype: str) -> None:
    data, got = serialize(graph_from_dataset(sample, uri), fmt)
    assert got == mimetype
    assert isinstance(data, bytes)
    assert "省级人口基础信息" in data.decode("utf-8")


def test_serialize_binds_prefixes(sample: dict[str, Any], uri: URIRef) -> None:
    text = serialize(graph_from_dataset(sample, uri), "ttl")[0].decode()
    for prefix in ("dcat:", "dct:", "mulu:", "adms:", "foaf:"):
        assert f"@prefix {prefix}" in text


def test_unknown_format_is_refused(sample: dict[str, Any], uri: URIRef) -> None:
    with pytest.raises(ValueError, match="unknown RDF format"):
        serialize(graph_from_dataset(sample, uri), "csv")


def test_dcat_ap_terms(sample: dict[str, Any], uri: URIRef) -> None:
    g = graph_from_dataset(sample, uri)
    assert (uri, RDF.type, ns.DCAT.Dataset) in g
    assert (uri, DCT.title, Literal("省级人口基础信息", lang="zh")) in g
    assert (uri, DCT.title, Literal("Provincial basic population information", lang="en")) in g
    assert (uri, DCT.identifier, Literal("101001/000001")) in g
    assert (uri, DCT.issued, Literal("2023-01-05", datatype=ns.XSD.date)) in g
    assert (uri, DCT.accrualPeriodicity, EU_FREQUENCY.DAILY) in g
    assert (uri, DCT.accessRights, EU_ACCESS_RIGHT.NON_PUBLIC) in g
    assert (uri, ns.DCAT.landingPage, URIRef(sample["landing_page"])) in g
    assert (uri, ns.DCAT.theme, MULU_SCHEME["classification/101001"]) in g
    org = MULU_ORG["11340000003192587A"]
    assert (uri, DCT.publisher, org) in g
    assert (org, FOAF.name, Literal("安徽省公安厅")) in g
    assert (org, DCT.identifier, Literal("11340000003192587A")) in g
    identifier = g.value(uri, ADMS.identifier)
    assert (identifier, RDF.type, ADMS.Identifier) in g
    assert g.value(identifier, SKOS.notation) == Literal("ah-gat-0001")
    assert set(g.objects(uri, MULU["format"])) == {EU_FILE_TYPE.CSV, EU_FILE_TYPE.JSON}


def test_formats_without_distributions_invent_none(sample: dict[str, Any], uri: URIRef) -> None:
    g = graph_from_dataset(sample, uri)
    assert list(g.objects(uri, ns.DCAT.distribution)) == []
    assert round_trip(sample)["formats"] == ["CSV", "JSON"]


def test_distribution_formats_are_not_written_twice(sample: dict[str, Any], uri: URIRef) -> None:
    sample["distributions"] = [{"access_url": "https://example.org/a.csv", "format": "CSV"}]
    g = graph_from_dataset(sample, uri)
    assert set(g.objects(uri, MULU["format"])) == {EU_FILE_TYPE.JSON}
    [dist] = g.objects(uri, ns.DCAT.distribution)
    assert g.value(dist, DCT["format"]) == EU_FILE_TYPE.CSV
    parsed = round_trip(sample)
    assert parsed["formats"] == ["CSV", "JSON"]
    assert parsed["distributions"] == sample["distributions"]


def test_publisher_without_code_is_a_blank_node(sample: dict[str, Any], uri: URIRef) -> None:
    del sample["publisher_code"]
    g = graph_from_dataset(sample, uri)
    agent = g.value(uri, DCT.publisher)
    assert not isinstance(agent, URIRef)
    assert round_trip(sample)["publisher_name"] == "安徽省公安厅"


def test_unknown_format_names_are_kept_as_labels(sample: dict[str, Any]) -> None:
    sample["formats"] = ["API", "数据库表", "csv", "rdf/xml"]
    assert round_trip(sample)["formats"] == sorted(["API", "数据库表", "CSV", "RDF/XML"])


def test_mulu_terms(sample: dict[str, Any], uri: URIRef) -> None:
    g = graph_from_dataset(sample, uri)
    concept = MULU_SCHEME["share-type/conditional"]
    assert (uri, MULU.shareType, concept) in g
    assert (concept, SKOS.prefLabel, Literal("有条件共享", lang="zh")) in g
    assert (uri, MULU.shareBasis, Literal("《中华人民共和国居民身份证法》")) in g
    items = sorted(g.objects(uri, MULU.dataItem), key=lambda n: int(g.value(n, MULU.order)))
    assert [str(g.value(n, DCT.title)) for n in items] == ["姓名", "公民身份号码", "出生日期"]
    assert all((n, RDF.type, MULU.DataItem) in g for n in items)


def test_data_items_keep_their_order(sample: dict[str, Any]) -> None:
    sample["data_items"] = [{"name": n, "data_type": "string"} for n in "丙乙甲CBA"]
    assert [i["name"] for i in round_trip(sample, "jsonld")["data_items"]] == list("丙乙甲CBA")


def test_unordered_lists_come_back_sorted(sample: dict[str, Any]) -> None:
    sample["keywords"] = ["户籍", "人口"]
    sample["formats"] = ["JSON", "CSV"]
    parsed = round_trip(sample)
    assert parsed["keywords"] == ["人口", "户籍"]
    assert parsed["formats"] == ["CSV", "JSON"]


def test_unset_values_write_nothing(uri: URIRef) -> None:
    record = {"title": "测试", "description": "  ", "keywords": ["", None], "open_condition": None,
              "formats": [], "data_items": [{"name": "", "data_type": None}]}
    g = graph_from_dataset(record, uri)
    assert set(g.predicates(uri, None)) == {RDF.type, DCT.title}
    assert parse_dataset(g, uri) == {"title": "测试"}


def test_unknown_concept_code_is_refused(sample: dict[str, Any], uri: URIRef) -> None:
    sample["share_type"] = "sometimes"
    with pytest.raises(ValueError, match="share_type"):
        graph_from_dataset(sample, uri)


def test_dcat_ap_profile_alone(sample: dict[str, Any], uri: URIRef) -> None:
    g = graph_from_dataset(sample, uri, profiles=("dcat_ap",))
    assert not any(str(p).startswith(str(MULU)) for p in g.predicates())
    parsed = round_trip(sample, profiles=("dcat_ap",))
    assert parsed["classification"] == "101001"  # from dcat:theme
    assert parsed["open_type"] == "closed"  # from dct:accessRights
    assert parsed["update_cycle"] == "daily"
    assert "share_type" not in parsed and "data_items" not in parsed


def test_mulu_overrides_dcat_ap_echo(sample: dict[str, Any], uri: URIRef) -> None:
    g = graph_from_dataset(sample, uri)
    g.set((uri, DCT.accessRights, EU_ACCESS_RIGHT.PUBLIC))
    assert parse_dataset(g, uri, ("dcat_ap",))["open_type"] == "open"
    assert parse_dataset(g, uri)["open_type"] == "closed"


def test_unknown_profile_is_refused(sample: dict[str, Any], uri: URIRef) -> None:
    with pytest.raises(ValueError, match="unknown profiles"):
        graph_from_dataset(sample, uri, profiles=("dcat_us",))


def test_catalog_graph_and_parse_datasets(sample: dict[str, Any]) -> None:
    second = {**sample, "title": "法人基本信息", "title_en": "", "classification": "102001",
              "resource_code": "102001/000001", "share_type": "unconditional",
              "share_basis": "", "share_condition": ""}
    records = [(DATASET_URI, sample), (URIRef(str(DATASET_URI) + "-2"), second)]
    catalog = MULU_CATALOG["anhui"]
    g = catalog_graph(records, catalog, "安徽省政务信息资源目录", "Anhui government catalog",
                      {"name": "安徽省数据资源管理局", "code": "11340000MB0000000X"})
    data, _ = serialize(g, "rdf")
    parsed = parse_datasets(parse_graph(data, "rdf"))
    assert [(u, r) for u, r in parsed] == [(u, expected(r)) for u, r in records]
    assert set(g.objects(catalog, ns.DCAT.dataset)) == {u for u, _ in records}
    assert g.value(catalog, DCT.publisher) == MULU_ORG["11340000MB0000000X"]
    assert (catalog, DCT.description, Literal("安徽省政务信息资源目录", lang="zh")) in g


def test_parse_datasets_of_empty_graph() -> None:
    assert parse_datasets(Graph()) == []
