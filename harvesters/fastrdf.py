"""Fast reading of RDF pages: pyoxigraph's parsers into a read-only subject index.

rdflib's Turtle and RDF/XML parsers run at 1–2 thousand DCAT datasets a second on this machine,
slower than the whole rest of a harvest; pyoxigraph (Rust) parses the same files 5–20 times
faster. Its terms become rdflib terms (one conversion per distinct term) in a ``TripleIndex``,
which answers the part of rdflib's ``Graph`` API the vocabulary's profiles and the DCAT
harvester read with (``objects``, ``subjects``, ``value``, ``triples``) by dictionary look-ups —
so ``vocab.profiles.parse_dataset`` reads it unchanged and gives the same records.

oxrdflib (an rdflib store backed by pyoxigraph) parses as fast but answers each look-up through
the store plugin, two to four times slower than this index over a whole catalog.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

# rdflib's format names -> pyoxigraph's parsers (the others stay with rdflib: JSON-LD with its
# bounded context resolution, N3, TriG)
FORMATS: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "xml": ox.RdfFormat.RDF_XML,
}
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

Pattern = tuple[Node | None, Node | None, Node | None]


class TripleIndex:
    """A read-only graph: subject -> predicate -> objects, in the order they were read."""

    def __init__(self) -> None:
        self._by_subject: dict[Node, dict[Node, list[Node]]] = {}
        self._size = 0

    def add(self, triple: tuple[Node, Node, Node]) -> None:
        subject, predicate, obj = triple
        self._by_subject.setdefault(subject, {}).setdefault(predicate, []).append(obj)
        self._size += 1

    def __len__(self) -> int:
        return self._size

    def objects(self, subject: Node | None = None, predicate: Node | None = None,
                unique: bool = False) -> Iterator[Node]:
        if subject is None:
            found = (o for _, p, o in self.triples((None, predicate, None)))
            yield from dict.fromkeys(found) if unique else found
            return
        predicates = self._by_subject.get(subject)
        if not predicates:
            return
        if predicate is not None:
            yield from predicates.get(predicate, ())
            return
        for objects in predicates.values():
            yield from objects

    def subjects(self, predicate: Node | None = None, object: Node | None = None,  # noqa: A002
                 unique: bool = False) -> Iterator[Node]:
        for subject, predicates in self._by_subject.items():
            if predicate is not None:
                objects = predicates.get(predicate)
                if objects and (object is None or object in objects):
                    yield subject
            elif object is None or any(object in objects for objects in predicates.values()):
                yield subject

    def value(self, subject: Node | None = None, predicate: Node | None = None,
              object: Node | None = None, default: Any = None,  # noqa: A002
              any: bool = True) -> Any:  # noqa: A002 (rdflib's signature)
        if subject is None or predicate is None or object is not None:
            raise NotImplementedError("TripleIndex.value reads objects of a subject and predicate")
        objects = self._by_subject.get(subject, {}).get(predicate)
        return objects[0] if objects else default

    def triples(self, pattern: Pattern) -> Iterator[tuple[Node, Node, Node]]:
        subject, predicate, obj = pattern
        subjects = [subject] if subject is not None else list(self._by_subject)
        for s in subjects:
            predicates = self._by_subject.get(s, {})
            items = [(predicate, predicates.get(predicate, ()))] if predicate is not None \
                else list(predicates.items())
            for p, objects in items:
                for o in objects:
                    if obj is None or o == obj:
                        yield s, p, o


class _Terms:
    """pyoxigraph terms -> rdflib terms, each distinct term converted once."""

    def __init__(self) -> None:
        self._cache: dict[Any, Node] = {}

    def __call__(self, term: Any) -> Node:
        found = self._cache.get(term)
        if found is None:
            found = self._cache[term] = _convert(term)
        return found


def _convert(term: Any) -> Node:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        return Literal(term.value) if datatype == _XSD_STRING \
            else Literal(term.value, datatype=URIRef(datatype))
    raise ValueError(f"unsupported RDF term {term!r}")  # RDF-star triple terms


def supports(syntax: str) -> bool:
    return syntax in FORMATS


def parse(body: bytes, syntax: str, base: str) -> TripleIndex:
    """Parse ``body`` (``syntax`` in FORMATS) against base IRI ``base``; pyoxigraph raises
    ``SyntaxError`` (or ``ValueError``) on a broken document."""
    index, term = TripleIndex(), _Terms()
    add = index.add
    for quad in ox.parse(body, format=FORMATS[syntax], base_iri=base or None):
        add((term(quad.subject), term(quad.predicate), term(quad.object)))
    return index
