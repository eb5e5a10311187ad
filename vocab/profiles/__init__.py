"""RDF profiles: records (plain dicts keyed by ``vocab.fields`` names) <-> DCAT-AP 3 graphs.

Profiles are layered as in ckanext-dcat: ``dcat_ap`` writes and reads plain DCAT-AP, ``mulu``
adds the extension. Writing runs them in order; reading runs them in order too, so a later
profile refines what an earlier one found (``mulu:openType`` over ``dct:accessRights``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from vocab.concepts import scheme
from vocab.fields import RECORD_BY_NAME
from vocab.namespaces import DCAT, DCT, EU_LANGUAGE, RDF, SKOS
from vocab.profiles import dcat_ap, mulu
from vocab.profiles.base import Profile, Record, Subject, Unread
from vocab.profiles.extra import EXTRA, Ledger, Triples, encode, value_key
from vocab.profiles.serialization import FORMATS, bind_prefixes, new_graph, parse_graph, serialize

NAMING = frozenset({RDF.type, DCT.title, DCT.description})
PROFILES: dict[str, Profile] = {p.name: p for p in (dcat_ap.PROFILE, mulu.PROFILE)}
DEFAULT_PROFILES: tuple[str, ...] = ("dcat_ap", "mulu")

__all__ = [
    "DEFAULT_PROFILES", "FORMATS", "PROFILES", "Profile", "Subject", "add_dataset",
    "bind_prefixes", "catalog_graph", "dataset_subjects", "graph_from_dataset", "new_graph", "parse_dataset",
    "parse_datasets", "parse_graph", "serialize", "set_aside", "value_path",
]


def _profiles(names: Sequence[str]) -> list[Profile]:
    unknown = [n for n in names if n not in PROFILES]
    if unknown:
        raise ValueError(f"unknown profiles {unknown}; known: {sorted(PROFILES)}")
    return [PROFILES[n] for n in names]


def value_path(name: str) -> tuple[URIRef, ...]:
    """The property path from a dataset to the value of field ``name``."""
    for profile in PROFILES.values():
        if name in profile.paths:
            return tuple(profile.paths[name])
    return (RECORD_BY_NAME[name].predicate,)


def add_dataset(graph: Graph, record: Mapping[str, Any], uri: URIRef,
                profiles: Sequence[str] = DEFAULT_PROFILES) -> URIRef:
    """Add one dataset to ``graph``; raises ValueError on an unknown concept code."""
    graph.add((uri, RDF.type, DCAT.Dataset))
    for profile in _profiles(profiles):
        profile.write(graph, uri, record)
    return uri


def graph_from_dataset(record: Mapping[str, Any], uri: URIRef,
                       profiles: Sequence[str] = DEFAULT_PROFILES) -> Graph:
    graph = new_graph()
    add_dataset(graph, record, uri, profiles)
    return graph


def parse_dataset(graph: Graph, subject: Subject,
                  profiles: Sequence[str] = DEFAULT_PROFILES,
                  unread: Unread | None = None) -> Record:
    """The record of ``subject``; keys that are not set are left out, lists come back sorted
    (RDF keeps no order) except ``data_items``, which keep their ``mulu:order``. What the
    source gives that is no value of its field goes into ``unread`` (field -> text); what the
    dataset node says that no field keeps as it came goes into the record's ``extra``, which
    the export writes back (``vocab.profiles.extra``)."""
    record: Record = {}
    unread = {} if unread is None else unread
    ledger = Ledger(graph, subject)
    for profile in _profiles(profiles):
        profile.read(graph, subject, record, unread, ledger)
    left_out = ledger.finish(record, (DCAT.Dataset,))
    if left_out:
        unread["extra"] = f"{left_out} more properties"
    return record


def set_aside(record: dict[str, Any], name: str, values: Sequence[Any]) -> None:
    """Values of field ``name`` that the record cannot hold here (a source's identifier that is
    no resource code of this catalog …): kept in its ``extra`` as the export would have written
    them — in the source's own form where the record kept that (vocab.profiles.extra)."""
    if not values:
        return
    field = RECORD_BY_NAME[name]
    keys = {value_key(v) for v in values}
    own = [e for e in record.get(EXTRA) or () if e.get("field") == name
           and value_key(e.get("value")) in keys]
    rest = [e for e in record.get(EXTRA) or () if e not in own]
    if name in dcat_ap.IDENTIFIER_NODES and not own:  # (per harvested record: no writing)
        kept = [dcat_ap.identifier_entry(name, v) for v in values]
        record[EXTRA] = sorted(rest + kept, key=value_key)
        return
    uri = URIRef("urn:x-mulu:set-aside")
    written = Triples()  # (this runs once per harvested record: no rdflib Graph)
    dcat_ap.write_value(written, uri, name,  # type: ignore[arg-type]
                        {name: list(values) if field.multiple else values[0], EXTRA: own})
    kept = [{"p": str(p), "o": term} for p, o in written.predicate_objects(uri)
            if p != RDF.type for term in [encode(written, o)] if term is not None]
    if kept or rest:
        record[EXTRA] = sorted(rest + kept, key=value_key)
    else:
        record.pop(EXTRA, None)


def _only_named(graph: Graph, node: Node) -> bool:
    return all(p in NAMING for p, _ in graph.predicate_objects(node))


def dataset_subjects(graph: Graph) -> list[Subject]:
    """Every ``dcat:Dataset`` in ``graph`` (IRIs or blank nodes), ordered by subject, except
    the ``dct:source`` of another that is only named there (our export writes each record's
    source so)."""
    sources = set(graph.objects(None, DCT.source))
    subjects = sorted(set(graph.subjects(RDF.type, DCAT.Dataset)), key=str)
    return [s for s in subjects if isinstance(s, URIRef | BNode)
            and not (s in sources and _only_named(graph, s))]


def parse_datasets(graph: Graph,
                   profiles: Sequence[str] = DEFAULT_PROFILES) -> list[tuple[Subject, Record]]:
    """Every dataset of ``dataset_subjects`` with its record."""
    return [(s, parse_dataset(graph, s, profiles)) for s in dataset_subjects(graph)]


def _publisher_value(publisher: Mapping[str, Any], key: str) -> str | None:
    value = publisher.get(key) or publisher.get(f"publisher_{key}")
    return str(value) if value else None


def catalog_graph(records: Iterable[tuple[URIRef, Mapping[str, Any]]], catalog_uri: URIRef,
                  title_zh: str, title_en: str, publisher: Mapping[str, Any] | None, *,
                  description_zh: str = "", description_en: str = "",
                  profiles: Sequence[str] = DEFAULT_PROFILES) -> Graph:
    """A ``dcat:Catalog`` of ``records``. ``publisher`` has ``name`` and ``code`` (or
    ``publisher_name`` / ``publisher_code``); DCAT-AP requires one, and a description
    (the titles stand in when none is given)."""
    graph = new_graph()
    graph.add((catalog_uri, RDF.type, DCAT.Catalog))
    for text, lang in ((title_zh, "zh"), (title_en, "en")):
        if text:
            graph.add((catalog_uri, DCT.title, Literal(text, lang=lang)))
    for text, lang in ((description_zh or title_zh, "zh"), (description_en or title_en, "en")):
        if text:
            graph.add((catalog_uri, DCT.description, Literal(text, lang=lang)))
    if publisher:
        dcat_ap.add_publisher(graph, catalog_uri, _publisher_value(publisher, "name"),
                              _publisher_value(publisher, "code"))
    language = EU_LANGUAGE.ZHO
    graph.add((catalog_uri, DCT.language, language))
    graph.add((language, RDF.type, DCT.LinguisticSystem))
    taxonomy = scheme("classification")
    graph.add((catalog_uri, DCAT.themeTaxonomy, taxonomy.uri))
    graph.add((taxonomy.uri, RDF.type, SKOS.ConceptScheme))
    graph.add((taxonomy.uri, DCT.title, Literal(taxonomy.label_zh, lang="zh")))
    graph.add((taxonomy.uri, DCT.title, Literal(taxonomy.label_en, lang="en")))
    for uri, record in records:
        graph.add((catalog_uri, DCAT.dataset, uri))
        add_dataset(graph, record, uri, profiles)
    return graph
