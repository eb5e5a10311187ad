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

from vocab.fields import RECORD_BY_NAME, RECORD_FIELDS, Field, Kind
from vocab.namespaces import ADMS, DCAT, DCT, FOAF, MULU, MULU_ORG, RDF, SKOS
from vocab.profiles.base import (
    Profile,
    Record,
    Subject,
    Unread,
    add_types,
    best_literal,
    concept_code,
    in_namespace,
    read_fields,
    values_of,
    write_field,
    write_fields,
)
from vocab.profiles.filetypes import format_name

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
# a foreign value of an echo's property, kept in its own field (and then written instead)
ECHO_FIELDS: dict[str, str] = {"open_type": "access_rights"}

# the classes DCAT-AP 3 expects of the things its properties point at (sh:class in its shapes)
RANGE_CLASSES: dict[URIRef, tuple[URIRef, ...]] = {
    DCT.accrualPeriodicity: (DCT.Frequency,),
    DCT.accessRights: (DCT.RightsStatement,),
    DCAT.landingPage: (FOAF.Document,),
    DCAT.theme: (SKOS.Concept,),
}

SPECIAL = frozenset({*IDENTIFIER_NODES, *PUBLISHER, "formats", "distributions", "source"})
GENERIC: tuple[Field, ...] = tuple(
    f for f in RECORD_FIELDS
    if f.kind is not Kind.DATA_ITEMS and not in_namespace(f.predicate, MULU)
    and f.name not in SPECIAL
)
DISTRIBUTIONS = RECORD_BY_NAME["distributions"]
SOURCE = RECORD_BY_NAME["source"]

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


def _accessible(distribution: Mapping[str, Any]) -> Mapping[str, Any]:
    """DCAT-AP requires dcat:accessURL: a download URL is also where the data is accessed."""
    if distribution.get("access_url") or not distribution.get("download_url"):
        return distribution
    return {**distribution, "access_url": distribution["download_url"]}


def _write_distributions(graph: Graph, subject: Subject, record: Mapping[str, Any]) -> None:
    """The record's own distributions; none is invented (formats without a distribution are
    the ``mulu`` profile's)."""
    distributions = [_accessible(d) for d in values_of(record, DISTRIBUTIONS.name)]
    write_field(graph, subject, DISTRIBUTIONS, {DISTRIBUTIONS.name: distributions})


def _write_sources(graph: Graph, subject: Subject, record: Mapping[str, Any]) -> None:
    """``dct:source``: the dataset at the source, a dcat:Dataset named as this one is."""
    for value in values_of(record, SOURCE.name):
        source = URIRef(str(value).strip())
        if source == subject:
            continue
        graph.add((subject, DCT.source, source))
        graph.add((source, RDF.type, DCAT.Dataset))
        for predicate in (DCT.title, DCT.description):
            for literal in list(graph.objects(subject, predicate)):
                graph.add((source, predicate, literal))


def write(graph: Graph, subject: Subject, record: Mapping[str, Any]) -> None:
    write_fields(graph, subject, GENERIC, record)
    for name, predicate in ECHOES.items():
        if not values_of(record, ECHO_FIELDS.get(name, "")):
            write_field(graph, subject, RECORD_BY_NAME[name], record, predicate)
    for predicate, classes in RANGE_CLASSES.items():
        for node in graph.objects(subject, predicate):
            add_types(graph, node, classes)
    name, code = (values_of(record, key) for key in ("publisher_name", "publisher_code"))
    add_publisher(graph, subject, str(name[0]) if name else None, str(code[0]) if code else None)
    _write_identifier_nodes(graph, subject, record)
    _write_distributions(graph, subject, record)
    _write_sources(graph, subject, record)


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
            record[name] = found if RECORD_BY_NAME[name].multiple else found[0]


def _read_formats(graph: Graph, subject: Subject, record: Record) -> None:
    names: set[str] = set()
    for dist in graph.objects(subject, DCAT.distribution):
        nodes = list(graph.objects(dist, DCT["format"])) or \
            list(graph.objects(dist, DCAT.mediaType))
        names.update(n for n in (format_name(graph, node) for node in nodes) if n)
    if names:
        record["formats"] = sorted(names)


def _read_echoes(graph: Graph, subject: Subject, record: Record) -> None:
    for name, predicate in ECHOES.items():
        codes = sorted(c for c in (concept_code(RECORD_BY_NAME[name], o)
                                   for o in graph.objects(subject, predicate)) if c)
        if codes:
            record[name] = codes[0]
            record.pop(ECHO_FIELDS.get(name, ""), None)  # ours: the concept says it


def read(graph: Graph, subject: Subject, record: Record, unread: Unread) -> None:
    read_fields(graph, subject, (*GENERIC, DISTRIBUTIONS, SOURCE), record, unread)
    _read_echoes(graph, subject, record)
    _read_publisher(graph, subject, record)
    _read_identifier_nodes(graph, subject, record)
    _read_formats(graph, subject, record)


PROFILE = Profile("dcat_ap", write, read, PATHS)
