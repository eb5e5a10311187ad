from __future__ import annotations

from typing import Any

import pytest
from rdflib import Graph, Literal, URIRef

from tests.vocab.records import expected
from tests.vocab.test_foreign import FIXTURES as FIXTURES_AP
from vocab import namespaces as ns
from vocab.namespaces import DCT, EU_FREQUENCY, MULU, MULU_CATALOG, MULU_SCHEME, RDF
from vocab.profiles import catalog_graph, graph_from_dataset, parse_dataset, parse_datasets
from vocab.validate import ValidationReport, validate


def _joined(report: ValidationReport) -> str:
    return "\n".join(report.messages)


def test_sample_conforms_to_dcat_ap_and_mulu_shapes(sample: dict[str, Any], uri: URIRef) -> None:
    report = validate(graph_from_dataset(sample, uri))
    assert report == ValidationReport(True, [])


@pytest.mark.parametrize("shapes", [("dcat-ap",), ("mulu",)])
def test_each_shape_set_alone(sample: dict[str, Any], uri: URIRef, shapes: tuple[str]) -> None:
    assert validate(graph_from_dataset(sample, uri), shapes).conforms


def test_full_record_conforms(full: dict[str, Any], uri: URIRef) -> None:
    assert validate(graph_from_dataset(full, uri)).conforms


def test_rich_record_conforms(rich: dict[str, Any], uri: URIRef) -> None:
    """Distributions, a data service, contact points, licences, rights, spatial and temporal
    coverage, languages, standards and translations: still DCAT-AP 3.0.1 (and our shapes)."""
    graph = graph_from_dataset(rich, uri)
    assert len(list(graph.objects(uri, ns.DCAT.distribution))) == 2
    assert validate(graph).messages == []


def test_rich_record_round_trips(rich: dict[str, Any], uri: URIRef) -> None:
    assert parse_dataset(graph_from_dataset(rich, uri), uri) == expected(rich)


@pytest.mark.parametrize("name", ["example-bee-population.ttl",
                                  "example-bee-population-dataset-frequency.ttl",
                                  "example-ms_dataset_2_distributions.ttl"])
def test_foreign_records_export_no_worse_than_they_came(name: str) -> None:
    """The official examples are fragments (a publisher without a name, a dataset without a
    description) and conform to no DCAT-AP 3.0.1 shape set alone; read and exported again with
    all they say (``extra``), each breaks at most as many constraints as its file did."""
    source = Graph().parse(FIXTURES_AP / name, format="turtle")
    broken = len(validate(source, ("dcat-ap",)).messages)
    for subject, record in parse_datasets(source):
        assert isinstance(subject, URIRef)
        exported = validate(graph_from_dataset(record, subject), ("dcat-ap",)).messages
        assert len(exported) <= broken, exported


def test_dcat_ap_profile_alone_conforms_to_dcat_ap(sample: dict[str, Any], uri: URIRef) -> None:
    assert validate(graph_from_dataset(sample, uri, ("dcat_ap",)), ("dcat-ap",)).conforms


def test_catalog_conforms(sample: dict[str, Any], uri: URIRef) -> None:
    graph = catalog_graph([(uri, sample)], MULU_CATALOG["anhui"], "安徽省政务信息资源目录",
                          "Anhui government catalog", {"publisher_name": "安徽省数据资源管理局"})
    assert validate(graph).messages == []


def test_catalog_without_publisher_does_not_conform(sample: dict[str, Any], uri: URIRef) -> None:
    graph = catalog_graph([(uri, sample)], MULU_CATALOG["anhui"], "目录", "Catalog", None)
    report = validate(graph, ("dcat-ap",))
    assert not report.conforms
    assert "dct:publisher" in _joined(report)


def test_export_needs_the_range_types(sample: dict[str, Any], uri: URIRef) -> None:
    """The rdf:type triples of referenced things are what makes DCAT-AP's sh:class pass."""
    sample["distributions"] = [{"access_url": "https://example.org/a.csv", "format": "CSV"}]
    graph = graph_from_dataset(sample, uri)
    for triple in list(graph.triples((None, RDF.type, None))):
        if triple[0] != uri and triple[2] != ns.DCAT.Distribution:
            graph.remove(triple)
    report = validate(graph, ("dcat-ap",))
    assert not report.conforms
    text = _joined(report)
    for cls in ("Frequency", "RightsStatement", "MediaTypeOrExtent", "foaf:Agent",
                "foaf:Document", "skos:Concept", "Identifier"):
        assert cls in text


def test_missing_title(sample: dict[str, Any], uri: URIRef) -> None:
    del sample["title"], sample["title_en"]
    report = validate(graph_from_dataset(sample, uri))
    assert not report.conforms
    text = _joined(report)
    assert "信息资源名称（title）必填" in text and "Title (title) is required" in text
    assert "dct:title" in text


def test_an_english_only_title_is_a_title(sample: dict[str, Any], uri: URIRef) -> None:
    """A source that names a dataset in English only keeps just its @en title."""
    sample["title"] = sample["title_en"]
    sample["translations"] = {"title": {"en": sample["title_en"]}}
    graph = graph_from_dataset(sample, uri)
    assert [lit.language for lit in graph.objects(uri, DCT.title)] == ["en"]
    assert validate(graph).conforms


@pytest.mark.parametrize("share_type", ["conditional", "none"])
def test_share_basis_required(sample: dict[str, Any], uri: URIRef, share_type: str) -> None:
    sample.update(share_type=share_type, share_basis="")
    report = validate(graph_from_dataset(sample, uri))
    assert not report.conforms
    assert "share_basis" in _joined(report) and "共享依据" in _joined(report)


def test_share_basis_optional_when_unconditional(sample: dict[str, Any], uri: URIRef) -> None:
    sample.update(share_type="unconditional", share_basis="")
    assert validate(graph_from_dataset(sample, uri)).conforms


def test_unknown_concept_iri(sample: dict[str, Any], uri: URIRef) -> None:
    graph = graph_from_dataset(sample, uri)
    graph.set((uri, MULU.shareType, MULU_SCHEME["share-type/sometimes"]))
    report = validate(graph)
    assert not report.conforms
    assert report.messages == [
        f"{uri.n3()} mulu:shareType: 共享类型（share_type）须取自“共享类型”代码表 / "
        "Sharing type (share_type) must be a concept of the scheme 'Sharing type' "
        "(value <https://w3id.org/mulu/scheme/share-type/sometimes>)"
    ]


def test_frequency_outside_our_cycles(sample: dict[str, Any], uri: URIRef) -> None:
    graph = graph_from_dataset(sample, uri)
    graph.set((uri, DCT.accrualPeriodicity, EU_FREQUENCY.BIENNIAL))
    graph.add((EU_FREQUENCY.BIENNIAL, RDF.type, DCT.Frequency))
    assert validate(graph, ("dcat-ap",)).conforms
    assert "update_cycle" in _joined(validate(graph, ("mulu",)))


def test_share_method_must_suit_resource_form(sample: dict[str, Any], uri: URIRef) -> None:
    sample.update(resource_form="database", share_method="file")
    report = validate(graph_from_dataset(sample, uri), ("mulu",))
    assert not report.conforms
    assert "共享方式须为数据库交换或接口服务" in _joined(report)


def test_title_too_long(sample: dict[str, Any], uri: URIRef) -> None:
    graph = graph_from_dataset(sample, uri)
    graph.set((uri, ns.DCAT.keyword, Literal("关" * 51)))
    graph.add((uri, DCT.title, Literal("名" * 201, lang="zh")))
    text = _joined(validate(graph, ("mulu",)))
    assert "不能超过 200 个字符" in text
    assert "takes one value" in text
    assert "Keywords (keywords) must be at most 50 characters long" in text


def test_data_item_without_type(sample: dict[str, Any], uri: URIRef) -> None:
    sample["data_items"][1].pop("data_type")
    text = _joined(validate(graph_from_dataset(sample, uri), ("mulu",)))
    assert "数据类型（data_type）必填" in text


def test_unknown_shape_set(sample: dict[str, Any], uri: URIRef) -> None:
    with pytest.raises(ValueError, match="unknown shapes"):
        validate(graph_from_dataset(sample, uri), ("dcat-us",))
