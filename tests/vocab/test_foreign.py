"""Parsing foreign DCAT-AP (the official SEMICeu examples in tests/fixtures/dcat-ap)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph

from vocab.namespaces import DCT
from vocab.profiles import parse_datasets

FIXTURES = Path(__file__).parents[1] / "fixtures" / "dcat-ap"


def _records(name: str) -> list[dict]:
    fmt = "nt" if name.endswith(".nt") else "turtle"
    return [record for _, record in parse_datasets(Graph().parse(FIXTURES / name, format=fmt))]


def test_bee_population_title_and_description() -> None:
    [record] = _records("example-bee-population.ttl")
    assert record["title"] == "Bee population"
    assert record["description"] == "A dataset about bee population in Greece"
    assert record["title_en"] == "Bee population"
    assert "publisher_name" not in record  # the publisher is an IRI without a name


def test_eu_frequency_maps_to_update_cycle() -> None:
    assert _records("example-bee-population-dataset-frequency.ttl") == [
        {"update_cycle": "annual"}]


def test_hvd_example_formats_identifiers_and_unmapped_frequency() -> None:
    [record] = _records("example-ms_dataset_2_distributions.ttl")
    assert record["title"] == "The population of bees"
    assert record["formats"] == ["SHP", "Turtle"]
    assert record["resource_code"] == "https://data.exampleMS.gov/id/dataset/1T2p3o4B"
    assert record["source_identifier"] == "https://data.exampleMS.gov/id/dataset/1T2p3o4B"
    assert "update_cycle" not in record  # BIENNIAL has no counterpart in our cycles


def test_dcat_ap_2_example_in_n_triples() -> None:
    [record] = _records("example1-2.1.1.nt")
    distributions = record.pop("distributions")
    assert record == {
        "title": "visitors to the Open Swimming Pool",
        "title_en": "visitors to the Open Swimming Pool",
        "description": "This dataset provides insight in the visitors to the Open Swimming Pool",
        "publisher_name": "Publisher",
        "publisher": {"name": "Publisher", "translations": {"name": {"en": "Publisher"}}},
        "contact_points": [{"email": "opendata@myorg.eu"}],
        "translations": {"title": {"en": "visitors to the Open Swimming Pool"},
                         "description": {"en": "This dataset provides insight in the visitors "
                                                "to the Open Swimming Pool"}},
    }
    assert [d["access_url"] for d in distributions] == [
        "https://myorg.eu/opendata/datasets/1/distributions/csv"]


@pytest.mark.parametrize("turtle,expected", [
    ('<x:d> a dcat:Dataset ; dct:title "无标签标题" .',
     {"title": "无标签标题", "translations": {"title": {"": "无标签标题"}}}),
    ('<x:d> a dcat:Dataset ; dct:title "Untagged title" .', {"title": "Untagged title"}),
    ('<x:d> a dcat:Dataset ; dct:title "Titel"@de , "标题"@zh-CN .',
     {"title": "标题", "translations": {"title": {"de": "Titel", "zh-CN": "标题"}}}),
    ('<x:d> a dcat:Dataset ; dct:accessRights '
     '<http://publications.europa.eu/resource/authority/access-right/PUBLIC> .',
     {"open_type": "open"}),
    ('<x:d> a dcat:Dataset ; dcat:distribution [ dct:format "csv" ] , '
     '[ dcat:mediaType <http://www.iana.org/assignments/media-types/application/json> ] .',
     {"formats": ["CSV", "JSON"],
      "distributions": [  # the source's own form of the format is kept
          {"format": "CSV", "extra": [{"p": str(DCT["format"]), "o": {"literal": "csv"},
                                       "field": "format", "value": "CSV"}]},
          {"media_type": "application/json"}]}),
    ('<x:d> a dcat:Dataset ; dct:issued "2021-03-04T10:00:00"^^xsd:dateTime ; '
     'dct:modified "2022-05-06" .', {"issued": "2021-03-04", "modified": "2022-05-06"}),
    ('<x:d> a dcat:Dataset ; dct:relation <http://example.org/other> .',
     {"related": ["http://example.org/other"]}),
])
def test_foreign_shapes(turtle: str, expected: dict) -> None:
    prefixes = ("@prefix dcat: <http://www.w3.org/ns/dcat#> . "
                "@prefix dct: <http://purl.org/dc/terms/> . "
                "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> . ")
    [(_, record)] = parse_datasets(Graph().parse(data=prefixes + turtle, format="turtle"))
    assert record == expected
