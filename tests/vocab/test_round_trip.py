"""ckanext-dcat's example files, parsed and exported again: every property of the dataset and
of what it points at comes back (blank nodes compared by content, IRIs by IRI and what the file
says of them, dates by day, formats and media types by name) — in a field of the record, or in
its ``extra`` (vocab.profiles.extra)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from harvesters import errors, fastrdf
from harvesters.http import Page
from harvesters.rdf import parse_page
from vocab.fields import RECORD_FIELDS, SUB_FIELDS, VALUE_PATTERNS
from vocab.namespaces import DCAT, DCT, RDF
from vocab.profiles import dataset_subjects, graph_from_dataset, parse_dataset
from vocab.profiles.base import _READERS, Kind, _media_type, date_string
from vocab.profiles.extra import says_nothing
from vocab.profiles.filetypes import format_name

FIXTURES = Path(__file__).parents[1] / "fixtures" / "dcat"
FIXTURES_AP = Path(__file__).parents[1] / "fixtures" / "dcat-ap"
SYNTAX = {".rdf": "xml", ".ttl": "turtle", ".jsonld": "json-ld", ".nt": "nt", ".xml": "xml"}


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
    """Every property of ``node`` but its types (and blank nodes that say nothing, such as
    SEMICeu's ``dct:publisher _:EA-MS``): blank nodes by content, IRIs by IRI and —
    for the dataset's own objects and sub-records (a distribution …) — what the graph says
    of them; dates by day, formats and media types by name."""
    if node in path:
        return frozenset()
    inner = path | {node}
    return frozenset((p, _value(graph, p, o, inner)) for p, o in graph.predicate_objects(node)
                     if p != RDF.type and not says_nothing(graph, o) and _writable(o))


def _writable(node: Node) -> bool:
    """Not an IRI that no RDF syntax can write (``<tel:+49 40 4 28 40 - 3494>`` in
    ckanext-dcatde's JSON-LD): its field writes it its own way (``tel:+49%2040%204%2028%2040%20-%203494``)."""
    return not isinstance(node, URIRef) or bool(VALUE_PATTERNS[Kind.IRI].match(str(node)))


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


def _graph(path: Path, fast: bool = False) -> Graph | fastrdf.TripleIndex:
    syntax = SYNTAX[path.suffix]
    if fast and fastrdf.supports(syntax):  # as the DCAT harvester reads Turtle, RDF/XML, N-T
        try:
            return fastrdf.parse(path.read_bytes(), syntax, path.as_uri())
        except (SyntaxError, ValueError):
            pass  # and, as it does, with rdflib what pyoxigraph refuses
    return Graph().parse(path, format=syntax)


def _parses(path: Path) -> bool:
    try:
        _graph(path)
    except Exception:  # noqa: BLE001 (rdflib raises many kinds on a broken file)
        return False
    return True


def _fixture_cases() -> Iterator[tuple[str, Graph, Node]]:
    for path in sorted(FIXTURES.glob("*")) + sorted(FIXTURES_AP.glob("*")):
        if path.suffix in SYNTAX and _parses(path):
            graph = _graph(path)
            for subject in dataset_subjects(graph):
                yield path.name, graph, subject


def _case_id(name: str, graph: Graph, subject: Node) -> str:
    """The file and the dataset's IRI; a blank node by what it says (its id differs between
    parses, and pytest-xdist's workers must collect the same ids)."""
    if isinstance(subject, URIRef):
        return f"{name}:{subject}"
    said = sorted(f"{p} {o}" for p, o in graph.predicate_objects(subject)
                  if not isinstance(o, BNode))
    return f"{name}:_:{hashlib.sha1(chr(10).join(said).encode()).hexdigest()[:12]}"


CASES = list(_fixture_cases())
IDS = [_case_id(n, g, s) for n, g, s in CASES]


def _export(graph: Graph | fastrdf.TripleIndex, subject: Node) -> tuple[dict, URIRef, Graph]:
    record = parse_dataset(graph, subject)  # type: ignore[arg-type]
    uri = subject if isinstance(subject, URIRef) else URIRef("urn:x-test:dataset")
    return record, uri, graph_from_dataset(record, uri)


def test_the_fixtures_hold_every_kind_of_file() -> None:
    names = {name for name, _, _ in CASES}
    assert {"dataset_sweden.rdf", "w3c-basic-example.jsonld", "example1-2.1.1.nt",
            "dcatde-catalog-endpoint.rdf"} <= names
    assert len(CASES) >= 25


@pytest.mark.parametrize("name,graph,subject", CASES, ids=IDS)
def test_the_record_is_a_fixpoint(name: str, graph: Graph, subject: Node) -> None:
    """Parse, export, parse again: the same record (what Mulu keeps, it keeps whole)."""
    record, uri, exported = _export(graph, subject)
    assert parse_dataset(exported, uri) == record


@pytest.mark.parametrize("name,graph,subject", CASES, ids=IDS)
def test_every_property_comes_back(name: str, graph: Graph, subject: Node) -> None:
    """Parse and export: every property of the dataset, its distributions, contact points,
    agents … comes back (mapped to a field, or kept in the record's ``extra``)."""
    _, uri, exported = _export(graph, subject)
    missing = _missing(_content(exported, uri), _content(graph, subject))
    assert not missing, "\n".join(missing)


CORPUS = Path(os.environ.get("MULU_CORPUS_DIR", "/work/shared/corpus"))
CORPUS_DIRS = ("ckanext-dcat", "semiceu-dcat-ap", "w3c-dxwg-dcat", "ckanext-dcatde")


def _corpus_files() -> list[str]:
    if not CORPUS.is_dir():
        return []
    return [str(path.relative_to(CORPUS)) for folder in CORPUS_DIRS
            for path in sorted((CORPUS / folder).rglob("*"))
            if path.suffix in SYNTAX and path.is_file()]


class _NoFetching:
    """A fetcher for remote JSON-LD contexts on a machine without the network."""

    def get(self, url: str, accept: str = "") -> Page:
        raise errors.ConnectionFailed("不能获取远程上下文。", "No remote contexts here.", detail=url)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the corpus (../shared/corpus) is not here")
@pytest.mark.parametrize("fast", [False, True], ids=["rdflib", "pyoxigraph"])
@pytest.mark.parametrize("name", _corpus_files() or ["-"])
def test_every_dcat_file_of_the_corpus_round_trips(name: str, fast: bool) -> None:
    """Every DCAT file of the corpus that parses (ckanext-dcat, SEMICeu DCAT-AP, W3C DXWG,
    ckanext-dcatde), read as rdflib and as the harvester's fast reader do: each dataset's
    record is a fixpoint and every property comes back."""
    path = CORPUS / name
    if not _parses(path):  # the harvester refuses it with a report line, never a crash
        with pytest.raises(errors.HarvestError):
            parse_page(Page(path.as_uri(), 200, "", path.read_bytes()), _NoFetching(),
                       forced=SYNTAX[path.suffix])
        return
    graph = _graph(path, fast)
    for subject in dataset_subjects(graph):  # type: ignore[arg-type]
        record, uri, exported = _export(graph, subject)
        assert parse_dataset(exported, uri) == record, subject
        missing = _missing(_content(exported, uri), _content(graph, subject))
        assert not missing, f"{subject}:\n" + "\n".join(missing)
