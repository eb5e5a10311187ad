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

import gc
from collections.abc import Iterator, KeysView, Sequence
from contextlib import contextmanager
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


Objects = Node | list[Node]   # one object as itself, several in a list


def _each(found: Objects | None) -> Sequence[Node]:
    if found is None:
        return ()
    return found if type(found) is list else (found,)  # type: ignore[return-value]


class TripleIndex:
    """A read-only graph: subject -> predicate -> objects, in the order they were read.

    A predicate's only object is kept as itself, not in a one-item list: nine in ten are
    alone, and the garbage collector walks every container of the index on each full
    collection while a harvest reads it (a 10,000-dataset Turtle harvest spent 1.1 s in
    full collections with the lists, 0.7 s without).

    Predicates are keyed by their IRI as a plain ``str``: readers look them up with their
    own ``URIRef`` objects (``DCT.title`` makes a new one each time), and a plain key is
    compared by ``str``'s own equality, not by a call of rdflib's ``Identifier.__eq__``."""

    def __init__(self) -> None:
        self._by_subject: dict[Node, dict[str, Objects]] = {}
        self._predicates: dict[str, URIRef] = {}   # plain IRI -> the predicate's term
        self._size = 0

    def add(self, triple: tuple[Node, Node, Node]) -> None:
        subject, predicate, obj = triple
        key = str(predicate)
        self._predicates.setdefault(key, predicate)  # type: ignore[arg-type]
        _put(self._by_subject.setdefault(subject, {}), key, obj)
        self._size += 1

    def __len__(self) -> int:
        return self._size

    def objects(self, subject: Node | None = None, predicate: Node | None = None,
                unique: bool = False) -> Iterator[Node]:
        if subject is None:
            found: Iterator[Node] = (o for _, _, o in self.triples((None, None, None))) \
                if predicate is None else self._objects_of_all(str(predicate))
            yield from dict.fromkeys(found) if unique else found
            return
        predicates = self._by_subject.get(subject)
        if not predicates:
            return
        if predicate is not None:
            yield from _each(predicates.get(str(predicate)))
            return
        for objects in predicates.values():
            yield from _each(objects)

    def _objects_of_all(self, key: str) -> Iterator[Node]:
        """Every subject's objects of the predicate ``key`` (Hydra's paging, read once a page,
        looks over the whole page)."""
        for predicates in self._by_subject.values():
            found = predicates.get(key)
            if found is not None:
                yield from _each(found)

    def predicate_keys(self, subject: Node) -> KeysView[str]:
        """The subject's predicates as plain IRIs (``vocab.profiles.base.read_fields``)."""
        return self._by_subject.get(subject, {}).keys()

    def predicate_objects(self, subject: Node) -> Iterator[tuple[Node, Node]]:
        terms = self._predicates
        for key, objects in self._by_subject.get(subject, {}).items():
            predicate = terms[key]
            for obj in _each(objects):
                yield predicate, obj

    def subjects(self, predicate: Node | None = None, object: Node | None = None,  # noqa: A002
                 unique: bool = False) -> Iterator[Node]:
        key = None if predicate is None else str(predicate)
        for subject, predicates in self._by_subject.items():
            if key is not None:
                objects = predicates.get(key)
                if objects is not None and (object is None or object in _each(objects)):
                    yield subject
            elif object is None or any(object in _each(objects)
                                       for objects in predicates.values()):
                yield subject

    def value(self, subject: Node | None = None, predicate: Node | None = None,
              object: Node | None = None, default: Any = None,  # noqa: A002
              any: bool = True) -> Any:  # noqa: A002 (rdflib's signature)
        if subject is None or predicate is None or object is not None:
            raise NotImplementedError("TripleIndex.value reads objects of a subject and predicate")
        objects = _each(self._by_subject.get(subject, {}).get(str(predicate)))
        return objects[0] if objects else default

    def triples(self, pattern: Pattern) -> Iterator[tuple[Node, Node, Node]]:
        subject, predicate, obj = pattern
        subjects = [subject] if subject is not None else list(self._by_subject)
        for s in subjects:
            predicates = self._by_subject.get(s, {})
            items = [(str(predicate), predicates.get(str(predicate)))] if predicate is not None \
                else list(predicates.items())
            for key, objects in items:
                p = self._predicates.get(key)
                for o in _each(objects):
                    if obj is None or o == obj:
                        yield s, p, o  # type: ignore[misc]


def _put(predicates: dict[str, Objects], predicate: str, obj: Node) -> None:
    found = predicates.get(predicate)
    if found is None:
        predicates[predicate] = obj
    elif type(found) is list:
        found.append(obj)
    else:
        predicates[predicate] = [found, obj]  # type: ignore[list-item]


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


@contextmanager
def out_of_full_collections() -> Iterator[None]:
    """Inside: what is alive on entry (a page's index, alive while its records are read) is
    left out of the collector's full collections, each of which would otherwise walk every
    container of it again; outside, as before. Nothing is done when someone else has already
    frozen objects (a pre-forking server does): ``gc.unfreeze`` would thaw theirs too."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The collector off while a page is parsed: the parse makes hundreds of thousands of
    containers that all live on, so each collection it set off would find nothing to free."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def supports(syntax: str) -> bool:
    return syntax in FORMATS


def parse(body: bytes, syntax: str, base: str) -> TripleIndex:
    """Parse ``body`` (``syntax`` in FORMATS) against base IRI ``base``; pyoxigraph raises
    ``SyntaxError`` (or ``ValueError``) on a broken document."""
    with _collector_paused():
        return _parse(body, syntax, base)


def _parse(body: bytes, syntax: str, base: str) -> TripleIndex:
    index = TripleIndex()
    by_subject, predicate_terms = index._by_subject, index._predicates
    terms: dict[Any, Node] = {}   # each distinct term converted once (most recur many times)
    get = terms.get
    keys: dict[Any, str] = {}     # predicates: the plain IRI the index keys them by
    size = 0
    for subject, predicate, obj, _ in ox.parse(body, format=FORMATS[syntax], base_iri=base or None):
        s = get(subject)
        if s is None:
            s = terms[subject] = _convert(subject)
        p = keys.get(predicate)
        if p is None:
            term = _convert(predicate)
            p = keys[predicate] = str(term)
            predicate_terms.setdefault(p, term)  # type: ignore[arg-type]
        o = get(obj)
        if o is None:
            o = terms[obj] = _convert(obj)
        predicates = by_subject.get(s)
        if predicates is None:
            by_subject[s] = {p: o}
        else:
            _put(predicates, p, o)
        size += 1
    index._size = size
    return index
