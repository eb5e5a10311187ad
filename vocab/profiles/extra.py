"""A node's ``extra``: what the source said of it that no field keeps as it came.

Reading a node, the profiles mark each (predicate, object) a field reads and would write back
unchanged as *seen* (``Ledger.seen``). A field value whose source form differs from what the
field writes (a literal where the field writes an IRI, an alias property such as
``owl:versionInfo`` for ``dcat:version``, a media type as a literal) is kept with that form: a
*form entry* ``{"p", "o", "field", "value"}`` (``"via"``: the property the field writes, when the
source used another). Everything else the node says — properties no field maps, values no field
can hold (a foreign concept, a date that is no date), a second value of a single-valued field —
is kept *verbatim*: ``{"p", "o"}``.

Writing, a field writes a form entry's triple instead of its own term while it still holds the
entry's value (an edited value is written the field's way, and the entry is dropped), and the
``extra`` field writes the verbatim entries back. So a harvested record exports what its source
said, property by property; blank nodes are kept by content (``{"node": [entries]}``).

Terms are JSON: ``{"iri": …}`` (with ``"node"``: what the source says of it), ``{"literal": …,
"lang": …}`` or ``{"literal": …, "datatype": …}``, ``{"node": [{"p", "o"} …]}``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from vocab.fields import (
    CONTROL_CHARACTERS,
    LANGUAGE_TAG,
    MAX_EXTRA,
    MAX_EXTRA_DEPTH,
    MAX_EXTRA_TEXT,
    VALUE_PATTERNS,
    Kind,
)
from vocab.namespaces import DCAT, RDF

EXTRA = "extra"
MAX_TEXT = MAX_EXTRA_TEXT
_IRI = VALUE_PATTERNS[Kind.IRI]
_TYPE_IRI = str(RDF.type)   # (predicates are IRIs: compared as plain strings, in C)
Entry = dict[str, Any]


def says_nothing(graph: Any, node: Node) -> bool:
    """A blank node without properties ("some publisher"): nothing to keep of it."""
    return isinstance(node, BNode) and next(iter(graph.predicate_objects(node)), None) is None


def value_key(value: Any) -> str:
    """Field values compared as JSON (sub-records are dicts)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


# an IRI of these classes is a record of its own, never copied into another's ``extra``
RECORDS = frozenset({str(DCAT.Dataset), str(DCAT.Catalog), str(DCAT.CatalogRecord)})


def _content(graph: Any, node: Node, depth: int, path: frozenset[Node]) -> list[Entry]:
    inner = path | {node}
    named = isinstance(node, URIRef)  # its types are the export's to give (sh:class)
    entries = ({"p": str(p), "o": encode(graph, o, depth + 1, inner)}
               for p, o in graph.predicate_objects(node) if not (named and p == RDF.type))
    return sorted((e for e in entries if e["o"] is not None), key=value_key)


def encode(graph: Any, node: Node, depth: int = 0, path: frozenset[Node] = frozenset(),
           named: bool = False) -> dict[str, Any] | None:
    """``node`` as a JSON term: a blank node by its content (to ``MAX_EXTRA_DEPTH``); the IRI
    an entry names with what the graph says of it but its types, unless it is a record of its
    own (an IRI within that is named only: it may be a distribution, written from its own
    sub-record)."""
    if isinstance(node, URIRef):
        if not _IRI.match(str(node)) or len(node) > 2000:  # "tel:+49 40 …": no IRI to write
            return None
        term: dict[str, Any] = {"iri": str(node)}
        if depth == 0 and not named and not any(
                str(t) in RECORDS for t in graph.objects(node, RDF.type)):
            content = _content(graph, node, depth, path)
            if content:
                term["node"] = content
        return term
    if isinstance(node, Literal):
        if not str(node) or len(node) > MAX_TEXT or CONTROL_CHARACTERS.search(str(node)) or (
                node.language and not LANGUAGE_TAG.match(node.language)):
            return None
        term = {"literal": str(node)}
        if node.language:
            term["lang"] = node.language
        elif node.datatype is not None:
            term["datatype"] = str(node.datatype)
        return term
    if isinstance(node, BNode) and depth < MAX_EXTRA_DEPTH and node not in path:
        content = _content(graph, node, depth, path)
        return {"node": content} if content else None
    return None  # an empty node, or one nested too deep or in a cycle: nothing to keep


def decode(graph: Graph, term: Mapping[str, Any]) -> Node:
    """A JSON term as a node of ``graph`` (what it says of a node is added)."""
    if "literal" in term:
        datatype = term.get("datatype")
        return Literal(str(term["literal"]), lang=term.get("lang") or None,
                       datatype=URIRef(datatype) if datatype and not term.get("lang") else None)
    node: Node = URIRef(str(term["iri"])) if "iri" in term else BNode()
    for entry in term.get("node") or ():
        graph.add((node, URIRef(entry["p"]), decode(graph, entry["o"])))
    return node


def forms(record: Mapping[str, Any], name: str, predicate: URIRef) -> dict[str, list[Entry]]:
    """The form entries of field ``name`` written on ``predicate``, by value key."""
    found: dict[str, list[Entry]] = {}
    for entry in record.get(EXTRA) or ():
        if entry.get("field") == name and entry.get("via", entry.get("p")) == str(predicate):
            found.setdefault(value_key(entry.get("value")), []).append(entry)
    return found


def write_verbatim(graph: Graph, subject: Node, record: Mapping[str, Any]) -> None:
    for entry in record.get(EXTRA) or ():
        if "field" not in entry and "o" in entry:
            graph.add((subject, URIRef(entry["p"]), decode(graph, entry["o"])))


def write_form(graph: Graph, subject: Node, entry: Entry) -> None:
    graph.add((subject, URIRef(entry["p"]), decode(graph, entry["o"])))


class Triples:
    """A scratch graph that only collects triples (``add``) and answers the reads ``encode``
    makes: cheaper to make than an rdflib ``Graph``, for the few triples of one field."""

    def __init__(self) -> None:
        self._by_subject: dict[Node, list[tuple[Node, Node]]] = {}

    def add(self, triple: tuple[Node, Node, Node]) -> None:
        subject, predicate, obj = triple
        pairs = self._by_subject.setdefault(subject, [])
        if (predicate, obj) not in pairs:
            pairs.append((predicate, obj))

    def predicate_objects(self, subject: Node) -> list[tuple[Node, Node]]:
        return list(self._by_subject.get(subject, ()))

    def objects(self, subject: Node, predicate: Node) -> list[Node]:
        return [o for p, o in self._by_subject.get(subject, ()) if p == predicate]


@dataclass
class Ledger:
    """What reading one node has accounted for: the pairs seen and the form entries made."""

    graph: Any
    node: Node
    # (property as a plain IRI, object): the reader's own property terms are equal to the
    # graph's but not the same objects, and rdflib compares its terms in Python
    seen: set[tuple[str, Node]] = field(default_factory=set)
    entries: list[Entry] = field(default_factory=list)

    def see(self, predicate: Node, obj: Node) -> None:
        self.seen.add((str(predicate), obj))

    def form(self, predicate: Node, obj: Node, name: str, value: Any, via: URIRef, *,
             node: bool = False) -> None:
        """``obj`` on ``predicate`` is read as ``value`` of field ``name``, which writes it
        otherwise (on ``via``): keep the source's form (for a sub-record ``node``, only the
        property: the node is written from the value)."""
        self.see(predicate, obj)
        entry: Entry = {"p": str(predicate), "field": name, "value": value}
        if not node:
            term = encode(self.graph, obj)
            if term is None:  # nothing that can be kept: the field writes the value its way
                return
            entry["o"] = term
        if str(via) != str(predicate):
            entry["via"] = str(via)
        self.entries.append(entry)

    def finish(self, record: dict[str, Any], written_types: Iterable[URIRef] = ()) -> int:
        """Put the form entries and every pair not seen (nor a type the writer gives the node)
        into ``record["extra"]``; returns how many entries were left out (over MAX_EXTRA)."""
        types = {str(t) for t in written_types}
        entries = list(self.entries)
        read = {obj for _, obj in self.seen}  # nodes a field writes (a distribution …)
        for predicate, obj in self.graph.predicate_objects(self.node):
            iri = str(predicate)
            if (iri, obj) in self.seen:
                continue
            if iri == _TYPE_IRI and str(obj) in types:
                continue
            term = encode(self.graph, obj, named=obj in read)
            if term is not None and _IRI.match(str(predicate)):
                entries.append({"p": str(predicate), "o": term})
        record.pop(EXTRA, None)
        if not entries:
            return 0
        entries.sort(key=value_key)
        record[EXTRA] = entries[:MAX_EXTRA]
        return max(0, len(entries) - MAX_EXTRA)
