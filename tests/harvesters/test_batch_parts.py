"""The parts of batched harvesting: resource codes reserved per batch, audit entries appended
in bulk, and pyoxigraph's reading of real DCAT files giving rdflib's records."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, URIRef

from catalog import audit
from catalog.actors import SYSTEM
from catalog.resource_codes import reserve_codes
from harvesters import errors, fastrdf, rdf
from harvesters.http import Page
from tests.factories import record
from tests.harvesters.server import FIXTURES
from vocab import namespaces
from vocab.profiles import parse_dataset


def test_reserved_codes_follow_the_sequence_and_skip_taken_ones(world):
    datasets = world.services.datasets
    datasets.register(world.steward, record(resource_code="101001/000002"))
    with world.services.store.transaction() as session:
        codes = reserve_codes(session, ["101001", "101001", "312", "101001"],
                              avoid={"101001/000004"})
    # 000001-000003 reserved at once; 000002 (taken) and 000004 (avoided) are skipped
    assert codes == ["101001/000001", "101001/000005", "312000/000001", "101001/000003"]
    created = datasets.register(world.steward, record(title="全省新生儿信息", resource_code=None))
    assert created.resource_code == "101001/000006"


def test_bulk_audit_entries_chain_with_single_ones(world):
    with world.services.store.transaction() as session:
        audit.record(session, SYSTEM, "test.one", "thing", "1")
        audit.record_many(session, SYSTEM, [audit.Entry("test.many", "thing", str(n), {"n": n})
                                            for n in range(2, 6)])
        audit.record(session, SYSTEM, "test.one", "thing", "6")
        audit.record_many(session, SYSTEM, [])
    with world.services.store.reading() as session:
        assert audit.verify(session).ok
        assert [e.object_id for e in audit.history(session, "thing", "3")] == ["3"]
        order = [e.object_id for e in session.scalars(
            audit.select(audit.AuditEntry).order_by(audit.AuditEntry.id))
            if e.object_type == "thing"]
    assert order == ["1", "2", "3", "4", "5", "6"]


READABLE = [p for p in sorted((FIXTURES / "dcat").glob("*")) + sorted(
    (FIXTURES / "dcat-ap").glob("*")) if p.suffix in (".ttl", ".rdf", ".nt")]
SYNTAX = {".ttl": "turtle", ".rdf": "xml", ".nt": "nt"}


def _rdflib(path: Path) -> Graph | None:
    try:
        return Graph().parse(data=path.read_bytes(), format=SYNTAX[path.suffix],
                             publicID="http://example.org/catalog")
    except Exception:  # noqa: BLE001 (a file broken upstream)
        return None


def _named(nodes) -> list:
    return sorted((n for n in nodes if isinstance(n, URIRef)), key=str)


@pytest.mark.parametrize("path", READABLE, ids=lambda p: p.name)
def test_pyoxigraph_index_reads_the_records_rdflib_reads(path):
    graph = _rdflib(path)
    page = Page("http://example.org/catalog", 200, "application/octet-stream", path.read_bytes())
    if graph is None:  # broken upstream: still a clear InvalidRdf, as before
        with pytest.raises(errors.InvalidRdf):
            rdf.parse_page(page, fetcher=None, forced=SYNTAX[path.suffix])  # type: ignore[arg-type]
        return
    fast = rdf.parse_page(page, fetcher=None, forced=SYNTAX[path.suffix])  # type: ignore[arg-type]
    if not isinstance(fast, fastrdf.TripleIndex):  # pyoxigraph refuses what rdflib accepts
        with pytest.raises(SyntaxError):           # (e.g. '[' in a real portal's IRIs)
            fastrdf.parse(path.read_bytes(), SYNTAX[path.suffix], page.url)
    assert len(fast) == len(graph)
    subjects = _named(set(graph.subjects(namespaces.RDF.type, namespaces.DCAT.Dataset)))
    assert _named(set(fast.subjects(namespaces.RDF.type, namespaces.DCAT.Dataset))) == subjects
    for subject in subjects:
        assert parse_dataset(fast, subject) == parse_dataset(graph, subject), subject


def test_the_index_answers_like_a_graph():
    body = (FIXTURES / "dcat/catalog.rdf").read_bytes()
    index = fastrdf.parse(body, "xml", "http://example.org/")
    graph = Graph().parse(data=body, format="xml", publicID="http://example.org/")
    subjects = _named(set(graph.subjects()))
    assert subjects and _named(set(index.subjects())) == subjects
    for subject in subjects:
        for predicate in set(graph.predicates(subject)):
            ours, theirs = list(index.objects(subject, predicate)), \
                list(graph.objects(subject, predicate))
            assert len(ours) == len(theirs)
            assert sorted(o for o in ours if not isinstance(o, BNode)) == \
                sorted(o for o in theirs if not isinstance(o, BNode))
            assert index.value(subject, predicate) in ours
        assert len(list(index.triples((subject, None, None)))) == \
            len(list(graph.triples((subject, None, None))))
    assert index.value(subjects[0], URIRef("http://example.org/nothing"), default="none") == "none"
    assert list(index.objects(URIRef("http://example.org/absent"))) == []


def test_the_index_keeps_one_and_several_objects_and_matches_whole_terms():
    # one object is kept as itself, several in a list: both must read as rdflib reads them,
    # and a term must never match another by substring (the terms are str subclasses)
    body = (b'@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix ex: <http://example.org/> .\n'
            b'ex:a a dcat:Dataset ; ex:tag "x", "y", "z" ; ex:one "only" ; ex:node [ ex:v 1 ] .\n'
            b'ex:b a dcat:Data ; ex:tag "xy" .\n')
    index = fastrdf.parse(body, "turtle", "")
    graph = Graph().parse(data=body, format="turtle")
    ex, dcat = "http://example.org/", namespaces.DCAT
    a, tag = URIRef(ex + "a"), URIRef(ex + "tag")
    assert list(index.objects(a, tag)) == list(graph.objects(a, tag))
    assert list(index.objects(a, URIRef(ex + "one"))) == [Literal("only")]
    assert index.value(a, tag) == Literal("x") and index.value(a, URIRef(ex + "none")) is None
    assert list(index.subjects(namespaces.RDF.type, dcat.Dataset)) == [a]
    assert list(index.subjects(namespaces.RDF.type, URIRef(str(dcat) + "Data"))) == \
        [URIRef(ex + "b")]
    assert list(index.subjects(tag, Literal("x"))) == [a]
    assert sorted(index.objects(None, tag, unique=True)) == sorted(set(graph.objects(None, tag)))
    pairs = list(index.predicate_objects(a))
    assert len(pairs) == len(list(graph.predicate_objects(a))) == 6
    assert all(type(p) is URIRef for p, _ in pairs)  # the predicates come back as terms
    assert [(p, o) for _, p, o in index.triples((a, tag, None))] == [(tag, Literal(o)) for o in "xyz"]
    assert len(index) == len(graph)


def test_pyoxigraph_refusal_falls_back_to_rdflib_and_its_message():
    page = Page("http://example.org/c.ttl", 200, "text/turtle", b"<a> <b> <c> ;; .\n<d> <e> .")
    with pytest.raises(errors.InvalidRdf) as raised:
        rdf.parse_page(page, fetcher=None)  # type: ignore[arg-type]
    assert "turtle" in raised.value.reason
