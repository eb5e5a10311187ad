"""The ``dcat_ap`` profile: plain DCAT-AP 3, so foreign catalogs harvest and our export validates.

Every field whose predicate is not ours is mapped from the field table; the few that need a node
in between (publisher, distributions, identifiers) have a small function each.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, unquote

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from vocab.fields import BY_NAME, FIELDS, Field, Kind
from vocab.namespaces import ADMS, DCAT, DCT, FOAF, MULU, MULU_ORG, RDFS, SKOS
from vocab.profiles.base import (
    Profile,
    Record,
    Subject,
    add_types,
    best_literal,
    concept_code,
    in_namespace,
    read_fields,
    values_of,
    write_field,
)
from vocab.profiles.filetypes import file_type, format_name

# field -> (predicate to an intermediate node, classes of that node, predicate of the value)
IDENTIFIER_NODES: dict[str, tuple[URIRef, tuple[URIRef, ...], URIRef]] = {
    "source_identifier": (ADMS.identifier, (ADMS.Identifier,), SKOS.notation),
    "related": (DCT.relation, (), DCT.identifier),
}

# publisher fields -> predicate on the foaf:Organization node
PUBLISHER: dict[str, URIRef] = {"publisher_name": FOAF.name, "publisher_code": DCT.identifier}
PUBLISHER_CLASSES = (FOAF.Organization, FOAF.Agent)

# concept fields of the extension that DCAT-AP also carries, on its own property
ECHOES: dict[str, URIRef] = {"classification": DCAT.theme, "open_type": DCT.accessRights}

# the classes DCAT-AP 3 expects of the things its properties point at (sh:class in its shapes)
RANGE_CLASSES: dict[URIRef, tuple[URIRef, ...]] = {
    DCT.accrualPeriodicity: (DCT.Frequency,),
    DCT.accessRights: (DCT.RightsStatement,),
    DCAT.landingPage: (FOAF.Document,),
    DCAT.theme: (SKOS.Concept,),
}

SPECIAL = frozenset({*IDENTIFIER_NODES, *PUBLISHER, "formats"})
GENERIC: tuple[Field, ...] = tuple(
    f for f in FIELDS
    if f.kind is not Kind.DATA_ITEMS and not in_namespace(f.predicate, MULU)
    and f.name not in SPECIAL
)

PATHS: dict[str, tuple[URIRef, ...]] = {
    **{name: (DCT.publisher, predicate) for name, predicate in PUBLISHER.items()},
    **{name: (link, value) for name, (link, _, value) in IDENTIFIER_NODES.items()},
    "formats": (DCAT.distribution, DCT["format"]),
}


# ── writing ─────────────────────────────────────────────────────────────────

def add_publisher(graph: Graph, subject: Node, name: str | None, code: str | None) -> Node | None:
    """``dct:publisher`` -> a foaf:Organization (our org IRI when the code is known)."""
    if not name and not code:
        return None
    agent: Node = MULU_ORG[quote(code, safe="")] if code else BNode()
    graph.add((subject, DCT.publisher, agent))
    add_types(graph, agent, PUBLISHER_CLASSES)
    if name:
        graph.add((agent, FOAF.name, Literal(name)))
    if code:
        graph.add((agent, DCT.identifier, Literal(code)))
    return agent


def _write_identifier_nodes(graph: Graph, subject: Subject, record: Mapping[str, Any]) -> None:
    for name, (link, classes, predicate) in IDENTIFIER_NODES.items():
        for value in values_of(record, name):
            node = BNode()
            graph.add((subject, link, node))
            add_types(graph, node, classes)
            graph.add((node, predicate, Literal(str(value))))


def _write_distributions(graph: Graph, subject: Subject, record: Mapping[str, Any]) -> None:
    pages = values_of(record, "landing_page")
    access = URIRef(str(pages[0]).strip()) if pages else subject
    for name in values_of(record, "formats"):
        dist = BNode()
        graph.add((subject, DCAT.distribution, dist))
        add_types(graph, dist, (DCAT.Distribution,))
        graph.add((dist, DCAT.accessURL, access))
        fmt = file_type(str(name))
        if fmt is None:
            fmt = BNode()
            graph.add((fmt, RDFS.label, Literal(str(name))))
        graph.add((dist, DCT["format"], fmt))
        add_types(graph, fmt, (DCT.MediaTypeOrExtent,))


def write(graph: Graph, subject: Subject, record: Mapping[str, Any]) -> None:
    for fld in GENERIC:
        write_field(graph, subject, fld, record)
    for name, predicate in ECHOES.items():
        write_field(graph, subject, BY_NAME[name], record, predicate)
    for predicate, classes in RANGE_CLASSES.items():
        for node in graph.objects(subject, predicate):
            add_types(graph, node, classes)
    name, code = (values_of(record, key) for key in ("publisher_name", "publisher_code"))
    add_publisher(graph, subject, str(name[0]) if name else None, str(code[0]) if code else None)
    _write_identifier_nodes(graph, subject, record)
    _write_distributions(graph, subject, record)


# ── reading ─────────────────────────────────────────────────────────────────

def _read_publisher(graph: Graph, subject: Subject, record: Record) -> None:
    agents = sorted(graph.objects(subject, DCT.publisher), key=str)
    if not agents:
        return
    agent = agents[0]
    name = best_literal(graph.objects(agent, FOAF.name), None)
    code = best_literal(graph.objects(agent, DCT.identifier), None)
    if code is None and in_namespace(agent, MULU_ORG):
        code = unquote(str(agent)[len(str(MULU_ORG)):]) or None
    for key, value in (("publisher_name", name), ("publisher_code", code)):
        if value:
            record[key] = value


def _identifier_value(graph: Graph, node: Node, predicate: URIRef) -> str | None:
    if isinstance(node, Literal):
        return str(node).strip() or None
    value = best_literal(graph.objects(node, predicate), None)
    return value or (str(node) if isinstance(node, URIRef) else None)


def _read_identifier_nodes(graph: Graph, subject: Subject, record: Record) -> None:
    for name, (link, _, predicate) in IDENTIFIER_NODES.items():
        found = sorted({v for node in graph.objects(subject, link)
                        for v in [_identifier_value(graph, node, predicate)] if v})
        if found:
            record[name] = found if BY_NAME[name].multiple else found[0]


def _read_formats(graph: Graph, subject: Subject, record: Record) -> None:
    names: set[str] = set()
    for dist in graph.objects(subject, DCAT.distribution):
        nodes = list(graph.objects(dist, DCT["format"])) or \
            list(graph.objects(dist, DCAT.mediaType))
        names.update(n for n in (format_name(graph, node) for node in nodes) if n)
    if names:
        record["formats"] = sorted(names)


def read(graph: Graph, subject: Subject, record: Record) -> None:
    read_fields(graph, subject, GENERIC, record)
    for name, predicate in ECHOES.items():
        codes = sorted(c for c in (concept_code(BY_NAME[name], o)
                                   for o in graph.objects(subject, predicate)) if c)
        if codes:
            record[name] = codes[0]
    _read_publisher(graph, subject, record)
    _read_identifier_nodes(graph, subject, record)
    _read_formats(graph, subject, record)


PROFILE = Profile("dcat_ap", write, read, PATHS)
