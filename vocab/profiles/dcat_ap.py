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

from vocab.fields import RECORD_BY_NAME, RECORD_FIELDS, VALUE_PATTERNS, Field, Kind
from vocab.namespaces import ADMS, DCAT, DCT, FOAF, MULU, MULU_ORG, RDF, SKOS
from vocab.profiles.base import (
    Profile,
    Record,
    Subject,
    Unread,
    account,
    add_types,
    concept_code,
    in_namespace,
    read_field,
    read_fields,
    values_of,
    write_field,
    write_fields,
    write_node,
)
from vocab.profiles.extra import EXTRA, Ledger, forms, says_nothing, value_key, write_form
from vocab.profiles.filetypes import format_name

# field -> (predicate to an intermediate node, classes of that node, predicate of the value)
IDENTIFIER_NODES: dict[str, tuple[URIRef, tuple[URIRef, ...], URIRef]] = {
    "source_identifier": (ADMS.identifier, (ADMS.Identifier,), SKOS.notation),
    "related": (DCT.relation, (), DCT.identifier),
}

# publisher fields -> predicate on the foaf:Organization node
PUBLISHER: dict[str, URIRef] = {"publisher_name": FOAF.name, "publisher_code": DCT.identifier}
PUBLISHER_CLASSES = (FOAF.Organization, FOAF.Agent)
# what every record is read by, made once (a namespace attribute builds a new URIRef), and as
# plain strings where a record's terms are compared with them (rdflib's ``==`` is Python's)
_PUBLISHER, _MEDIA_TYPE, _DISTRIBUTION = DCT.publisher, DCAT.mediaType, DCAT.distribution
_FORMAT = URIRef(f"{DCT}format")   # (``DCT.format`` is the closed namespace's str method)
_TYPE_IRI, _NAME_IRI, _IDENTIFIER_IRI = str(RDF.type), str(FOAF.name), str(DCT.identifier)
_PUBLISHER_CLASS_IRIS = frozenset(str(c) for c in PUBLISHER_CLASSES)
ORGANIZATION_TYPE = {"p": str(RDF.type), "o": {"iri": str(FOAF.Organization)}}

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

SPECIAL = frozenset({*IDENTIFIER_NODES, *PUBLISHER, "formats", "distributions", "source",
                     "publisher"})
GENERIC: tuple[Field, ...] = tuple(
    f for f in RECORD_FIELDS
    if f.kind is not Kind.DATA_ITEMS and not in_namespace(f.predicate, MULU)
    and f.name not in SPECIAL
)
DISTRIBUTIONS = RECORD_BY_NAME["distributions"]
SOURCE = RECORD_BY_NAME["source"]
AGENT = RECORD_BY_NAME["publisher"]   # the publisher as the source describes it
OTHER = RECORD_BY_NAME[EXTRA]

PATHS: dict[str, tuple[URIRef, ...]] = {
    **{name: (DCT.publisher, predicate) for name, predicate in PUBLISHER.items()},
    **{name: (link, value) for name, (link, _, value) in IDENTIFIER_NODES.items()},
    "formats": (DCAT.distribution, DCT["format"]),
}


# ── writing ─────────────────────────────────────────────────────────────────

def _names(agent: Mapping[str, Any]) -> set[str]:
    variants = (agent.get("translations") or {}).get("name") or {}
    return {str(v) for v in (agent.get("name"), *variants.values()) if v}


def _still_names(agent: Mapping[str, Any], name: str | None, code: str | None) -> bool:
    """Whether the record's publisher is still the source's agent (not linked elsewhere)."""
    if name and name not in _names(agent):
        return False
    return not code or code == agent.get("identifier") or \
        agent.get("uri") == str(MULU_ORG[quote(code, safe="")])


def add_publisher(graph: Graph, subject: Node, name: str | None, code: str | None,
                  agent: Mapping[str, Any] | None = None) -> Node | None:
    """``dct:publisher`` -> the source's agent while the record still names it, else a
    foaf:Organization (our org IRI when the code is known)."""
    if agent and _still_names(agent, name, code):
        node = write_node(graph, AGENT, agent)
        graph.add((subject, DCT.publisher, node))
        return node
    if not name and not code:
        return None
    organization: Node = MULU_ORG[quote(code, safe="")] if code else BNode()
    graph.add((subject, DCT.publisher, organization))
    add_types(graph, organization, PUBLISHER_CLASSES)
    if name:
        graph.add((organization, FOAF.name, Literal(name)))
    if code:
        graph.add((organization, DCT.identifier, Literal(code)))
    return organization


def identifier_entry(name: str, value: Any) -> dict[str, Any]:
    """How an identifier field writes ``value`` (an ``extra`` entry): a node holding it; a
    related resource that is an IRI, as the IRI."""
    link, classes, predicate = IDENTIFIER_NODES[name]
    if name == "related" and VALUE_PATTERNS[Kind.IRI].match(str(value)):
        return {"p": str(link), "o": {"iri": str(value)}}
    content = [{"p": str(RDF.type), "o": {"iri": str(c)}} for c in classes]
    content.append({"p": str(predicate), "o": {"literal": str(value)}})
    return {"p": str(link), "o": {"node": sorted(content, key=value_key)}}


def _write_identifier_nodes(graph: Graph, subject: Subject, record: Mapping[str, Any]) -> None:
    for name, (link, _, _) in IDENTIFIER_NODES.items():
        formed = forms(record, name, link)
        for value in values_of(record, name):
            for entry in formed.get(value_key(value)) or [identifier_entry(name, value)]:
                write_form(graph, subject, entry)


def _accessible(distribution: Mapping[str, Any]) -> Mapping[str, Any]:
    """DCAT-AP requires dcat:accessURL: a download URL is also where the data is accessed
    (so an access URL equal to the download URL is not kept: ``_implied_access``)."""
    if distribution.get("access_url") or not distribution.get("download_url"):
        return distribution
    return {**distribution, "access_url": distribution["download_url"]}


def _implied_access(record: Record) -> None:
    distributions = record.get(DISTRIBUTIONS.name) or []
    for distribution in distributions:
        if distribution.get("access_url") and \
                distribution.get("access_url") == distribution.get("download_url"):
            del distribution["access_url"]
    distributions.sort(key=value_key)  # as every list of sub-records is


def _write_distributions(graph: Graph, subject: Subject, record: Mapping[str, Any]) -> None:
    """The record's own distributions; none is invented (formats without a distribution are
    the ``mulu`` profile's)."""
    distributions = [_accessible(d) for d in values_of(record, DISTRIBUTIONS.name)]
    write_field(graph, subject, DISTRIBUTIONS,
                {DISTRIBUTIONS.name: distributions, EXTRA: record.get(EXTRA)})


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


def write_value(graph: Graph, subject: Subject, name: str, record: Mapping[str, Any]) -> None:
    """Only field ``name`` of ``record``, as ``write`` writes it."""
    if name in IDENTIFIER_NODES:
        _write_identifier_nodes(graph, subject, {name: record.get(name), EXTRA: record.get(EXTRA)})
    else:
        write_field(graph, subject, RECORD_BY_NAME[name], record)


def write(graph: Graph, subject: Subject, record: Mapping[str, Any]) -> None:
    write_fields(graph, subject, GENERIC, record)
    for name, predicate in ECHOES.items():
        if not values_of(record, ECHO_FIELDS.get(name, "")):
            write_field(graph, subject, RECORD_BY_NAME[name], record, predicate)
    for predicate, classes in RANGE_CLASSES.items():
        for node in graph.objects(subject, predicate):
            if isinstance(node, URIRef) and node != subject:  # (a node kept as it came too)
                add_types(graph, node, classes)
    names, codes = (values_of(record, key) for key in ("publisher_name", "publisher_code"))
    add_publisher(graph, subject, str(names[0]) if names else None,
                  str(codes[0]) if codes else None, record.get(AGENT.name))
    _write_identifier_nodes(graph, subject, record)
    _write_distributions(graph, subject, record)
    _write_sources(graph, subject, record)
    write_field(graph, subject, OTHER, record)


# ── reading ─────────────────────────────────────────────────────────────────

def _plain_agent(graph: Graph, node: Node) -> tuple[str | None, str | None] | None:
    """(name, code) of an agent that ``add_publisher`` writes back from them alone (an
    organisation with one untagged name and one code, ours or blank), else None."""
    name = code = None
    for predicate, obj in graph.predicate_objects(node):
        iri = str(predicate)
        if iri == _TYPE_IRI and type(obj) is URIRef and str(obj) in _PUBLISHER_CLASS_IRIS:
            continue
        if not isinstance(obj, Literal) or obj.language or obj.datatype is not None:
            return None
        if iri == _NAME_IRI and name is None:
            name = str(obj)
        elif iri == _IDENTIFIER_IRI and code is None:
            code = str(obj)
        else:
            return None
    if not isinstance(node, BNode) and (code is None or node != MULU_ORG[quote(code, safe="")]):
        return None
    return (name, code) if (name or code) and name == (name or "").strip() else None


def _read_publisher(graph: Graph, subject: Subject, record: Record, unread: Unread,
                    ledger: Ledger) -> None:
    agents = list(graph.objects(subject, _PUBLISHER))
    plain = _plain_agent(graph, agents[0]) if len(agents) == 1 else None
    if plain is not None:  # (the common case, read without the sub-record machinery)
        ledger.see(_PUBLISHER, agents[0])
        for key, value in zip(("publisher_name", "publisher_code"), plain, strict=True):
            if value:
                record[key] = value
        return
    agent = read_field(graph, subject, AGENT, unread=unread, ledger=ledger)
    if not agent:
        return
    name = agent.get("name")
    code = agent.get("identifier")
    uri = str(agent.get("uri") or "")
    if code is None and uri.startswith(str(MULU_ORG)):
        code = unquote(uri[len(str(MULU_ORG)):]) or None
    for key, value in (("publisher_name", name), ("publisher_code", code)):
        if value:
            record[key] = value
    untagged = {"name": {"": name}}  # as ``add_publisher`` writes a name
    implied = agent.get("translations", untagged) == untagged and all(
        entry == ORGANIZATION_TYPE for entry in agent.get(EXTRA, ())) and (
        not uri or (code is not None and uri == str(MULU_ORG[quote(code, safe="")])))
    if not implied:  # the name and code alone would not write it back
        record[AGENT.name] = agent


def _identifier_value(graph: Graph, node: Node, predicate: URIRef) -> tuple[str | None, bool]:
    """The identifier ``node`` holds, and whether the export writes it back as that node."""
    if isinstance(node, Literal):
        return str(node).strip() or None, False
    values = [o for o in graph.objects(node, predicate) if isinstance(o, Literal) and str(o).strip()]
    if isinstance(node, URIRef):
        return (str(values[0]) if values else str(node)), not values
    said = (str(predicate), _TYPE_IRI)   # (plain strings: see ``_TYPE_IRI``)
    plain = len(values) == 1 and values[0].datatype is None and not values[0].language and all(
        str(p) in said or says_nothing(graph, o) for p, o in graph.predicate_objects(node))
    return (str(values[0]).strip() or None) if values else None, plain


def _read_identifier_nodes(graph: Graph, subject: Subject, record: Record,
                           ledger: Ledger) -> None:
    for name, (link, _, predicate) in IDENTIFIER_NODES.items():
        read = [(node, *_identifier_value(graph, node, predicate))
                for node in graph.objects(subject, link)]
        found = sorted({value for _, value, _ in read if value})
        if not found:
            continue
        multiple = RECORD_BY_NAME[name].multiple
        record[name] = found if multiple else found[0]
        for value in (found if multiple else found[:1]):
            mine = [(node, plain) for node, v, plain in read if v == value]
            exact = [node for node, plain in mine if plain and (
                name == "related" or not isinstance(node, URIRef))]
            for node in exact:
                ledger.see(link, node)
            if not exact:
                ledger.form(link, mine[0][0], name, value, link)


def distribution_formats(graph: Graph, subject: Subject) -> set[str]:
    """The format names of the dataset's distributions (their dct:format, else media type)."""
    names: set[str] = set()
    for dist in graph.objects(subject, _DISTRIBUTION):
        nodes = list(graph.objects(dist, _FORMAT)) or list(graph.objects(dist, _MEDIA_TYPE))
        names.update(n for n in (format_name(graph, node) for node in nodes) if n)
    return names


def _read_formats(graph: Graph, subject: Subject, record: Record) -> None:
    names = distribution_formats(graph, subject)
    if names:
        record["formats"] = sorted(names)


def _read_echoes(graph: Graph, subject: Subject, record: Record, ledger: Ledger) -> None:
    for name, predicate in ECHOES.items():
        fld = RECORD_BY_NAME[name]
        found = [(predicate, o, concept_code(fld, o)) for o in graph.objects(subject, predicate)]
        codes = sorted(c for _, _, c in found if c)
        if codes:
            record[name] = codes[0]
            record.pop(ECHO_FIELDS.get(name, ""), None)  # ours: the concept says it
            account(graph, ledger, fld, predicate, found, codes[:1])


def read(graph: Graph, subject: Subject, record: Record, unread: Unread, ledger: Ledger) -> None:
    read_fields(graph, subject, (*GENERIC, DISTRIBUTIONS, SOURCE), record, unread, ledger=ledger)
    _implied_access(record)
    _read_echoes(graph, subject, record, ledger)
    _read_publisher(graph, subject, record, unread, ledger)
    _read_identifier_nodes(graph, subject, record, ledger)
    _read_formats(graph, subject, record)


PROFILE = Profile("dcat_ap", write, read, PATHS)
