"""ckanext-dcat's example files, parsed and exported again: every property of the dataset and
of what it points at comes back (blank nodes compared by content, IRIs by IRI and what the file
says of them, dates by day, formats and media types by name) — in a field of the record, or in
its ``extra`` (vocab.profiles.extra)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from vocab.fields import RECORD_FIELDS, SUB_FIELDS
from vocab.namespaces import DCAT, DCT, RDF
from vocab.profiles import dataset_subjects, graph_from_dataset, parse_dataset
from vocab.profiles.base import _READERS, Kind, _media_type, date_string
from vocab.profiles.filetypes import format_name

FIXTURES = Path(__file__).parents[1] / "fixtures" / "dcat"
FILES = ("catalog.rdf", "catalog_datasets_list.rdf", "catalog_with_at_graph.jsonld",
         "dataset.rdf", "dataset_afs.ttl", "dataset_deri.ttl", "dataset_gob_es.ttl",
         "dataset_gov_de.rdf", "dataset_health.ttl", "dataset_health_multilingual.ttl",
         "dataset_health_no_blank.ttl", "dataset_multilingual.ttl", "dataset_sweden.rdf")
SYNTAX = {".rdf": "xml", ".ttl": "turtle", ".jsonld": "json-ld"}


RECORDS = frozenset({DCAT.Dataset, DCAT.Catalog, DCAT.CatalogRecord})
# links to the sub-records whose IRIs the record keeps with their content
SUB_RECORDS = frozenset(f.predicate for table in (RECORD_FIELDS, *SUB_FIELDS.values())
                        for f in table if f.name in SUB_FIELDS)
Items = frozenset[tuple[URIRef, object]]


def _value(graph: Graph, link: URIRef, node: Node, path: frozenset[Node]) -> object:
    if link == DCT["format"]:
        return ("format", format_name(graph, node))
    if link == DCAT.mediaType:
        return ("media", _media_type(graph, node))
    if link == DCT.language:
        return ("lang", _READERS[Kind.LANGUAGE](graph, node))
    if isinstance(node, Literal):
        day = date_string(node) if node.datatype or len(str(node)) >= 10 else None
        return ("day", day) if day and str(node)[:4].isdigit() else ("lit", str(node).strip(),
                                                                       node.language)
    if isinstance(node, BNode):
        return ("node", _content(graph, node, path))
    described = len(path) == 1 or link in SUB_RECORDS  # what the dataset or a sub-record names
    own = any(t in RECORDS for t in graph.objects(node, RDF.type))
    return ("iri", str(node), _content(graph, node, path) if described and not own
            else frozenset())


def _content(graph: Graph, node: Node, path: frozenset[Node] = frozenset()) -> Items:
    """Every property of ``node`` but its types: blank nodes by content, IRIs by IRI and —
    for the dataset's own objects and sub-records (a distribution …) — what the graph says
    of them; dates by day, formats and media types by name."""
    if node in path:
        return frozenset()
    inner = path | {node}
    return frozenset((p, _value(graph, p, o, inner)) for p, o in graph.predicate_objects(node)
                     if p != RDF.type)


def _covers(back: object, source: object) -> bool:
    """``back`` says all that ``source`` says (and may say more: an export adds types, the
    access URL DCAT-AP requires …)."""
    if not (isinstance(back, tuple) and isinstance(source, tuple)) or back[0] != source[0] \
            or source[0] not in ("node", "iri"):
        return back == source
    if source[0] == "iri" and back[1] != source[1]:
        return False
    return _missing(back[-1], source[-1]) == []  # type: ignore[arg-type]


def _missing(back: Items, source: Items) -> list[str]:
    return sorted(str(item)[:600] for item in source
                  if not any(p == item[0] and _covers(v, item[1]) for p, v in back))


def _datasets() -> Iterator[tuple[str, Graph, Node]]:
    for name in FILES:
        graph = Graph().parse(FIXTURES / name, format=SYNTAX[Path(name).suffix])
        for subject in dataset_subjects(graph):
            yield name, graph, subject


CASES = list(_datasets())


IDS = [f"{n}:{s}" for n, _, s in CASES]


@pytest.mark.parametrize("name,graph,subject", CASES, ids=IDS)
def test_the_record_is_a_fixpoint(name: str, graph: Graph, subject: Node) -> None:
    """Parse, export, parse again: the same record (what Mulu keeps, it keeps whole)."""
    record = parse_dataset(graph, subject)  # type: ignore[arg-type]
    uri = subject if isinstance(subject, URIRef) else URIRef("urn:x-test:dataset")
    assert parse_dataset(graph_from_dataset(record, uri), uri) == record


@pytest.mark.parametrize("name,graph,subject", CASES, ids=IDS)
def test_every_property_comes_back(name: str, graph: Graph, subject: Node) -> None:
    """Parse and export: every property of the dataset, its distributions, contact points,
    agents … comes back (mapped to a field, or kept in the record's ``extra``)."""
    record = parse_dataset(graph, subject)  # type: ignore[arg-type]
    uri = subject if isinstance(subject, URIRef) else URIRef("urn:x-test:dataset")
    exported = graph_from_dataset(record, uri)
    missing = _missing(_content(exported, uri), _content(graph, subject))
    assert not missing, "\n".join(missing)
