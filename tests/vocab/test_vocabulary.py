"""The extension vocabulary (vocab/mulu.ttl) and the SKOS schemes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef

from tests.vocab.records import DATASET_URI, FULL
from vocab.concepts import SCHEME_DIR, all_schemes
from vocab.fields import DATA_ITEM_FIELDS, FIELDS
from vocab.namespaces import MULU, OWL, RDF, RDFS, SKOS
from vocab.profiles import graph_from_dataset
from vocab.shapes import mulu_shapes

VOCAB_DIR = Path(__file__).parents[2] / "vocab"
ONTOLOGY = Graph().parse(VOCAB_DIR / "mulu.ttl", format="turtle")
DECLARING_TYPES = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty}


def _mulu_terms(graph: Graph) -> set[URIRef]:
    return {t for triple in graph for t in triple
            if isinstance(t, URIRef) and str(t).startswith(str(MULU))}


def _used_terms() -> set[URIRef]:
    used = {f.predicate for f in (*FIELDS, *DATA_ITEM_FIELDS)}
    for path in sorted(SCHEME_DIR.glob("*.ttl")):
        used |= _mulu_terms(Graph().parse(path, format="turtle"))
    used |= _mulu_terms(graph_from_dataset(FULL, DATASET_URI))
    used |= _mulu_terms(mulu_shapes())
    for source in VOCAB_DIR.rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        used |= {MULU[name] for name in re.findall(r"\bMULU\.(\w+)", text)}
        used |= {MULU[name] for name in re.findall(r"\bMULU\[\"(\w+)\"\]", text)}
    return {t for t in used if str(t).startswith(str(MULU))}


@pytest.mark.parametrize("term", sorted(_used_terms()), ids=lambda t: str(t).split("#")[-1])
def test_every_used_mulu_term_is_declared(term: URIRef) -> None:
    assert set(ONTOLOGY.objects(term, RDF.type)) & DECLARING_TYPES, f"{term} not declared"
    labels = {lit.language for lit in ONTOLOGY.objects(term, RDFS.label)}
    assert {"zh", "en"} <= labels
    comments = {lit.language for lit in ONTOLOGY.objects(term, RDFS.comment)}
    assert {"zh", "en"} <= comments
    if (term, RDF.type, OWL.Class) not in ONTOLOGY:
        assert ONTOLOGY.value(term, RDFS.domain) is not None
        assert ONTOLOGY.value(term, RDFS.range) is not None


def test_used_terms_cover_the_whole_extension() -> None:
    declared = {s for s in ONTOLOGY.subjects(RDF.type, None) if str(s).startswith(str(MULU))}
    assert declared == _used_terms()


@pytest.mark.parametrize("name", sorted(all_schemes()))
def test_every_concept_has_chinese_and_english_labels(name: str) -> None:
    scheme = all_schemes()[name]
    assert scheme.label_zh and scheme.label_en
    assert scheme.concepts
    for concept in scheme.concepts.values():
        assert concept.label_zh.strip(), concept.uri
        assert concept.label_en.strip(), concept.uri


@pytest.mark.parametrize("name", sorted(all_schemes()))
def test_concept_labels_are_tagged_literals(name: str) -> None:
    graph = Graph().parse(SCHEME_DIR / f"{name}.ttl", format="turtle")
    for concept in all_schemes()[name].concepts.values():
        labels = list(graph.objects(concept.uri, SKOS.prefLabel))
        assert all(isinstance(label, Literal) and label.language for label in labels)
        assert sorted(label.language for label in labels) == ["en", "zh"], concept.uri
