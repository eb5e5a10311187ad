"""What the profiles share: the profile type and reading/writing one field value by its kind."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.term import Node

from vocab.concepts import Concept, scheme
from vocab.fields import Field, Kind
from vocab.namespaces import MULU, RDF, SKOS, XSD

Subject = URIRef | BNode
Record = dict[str, Any]
PRIMARY_LANG = "zh"  # the catalog's own language: untagged literals are read as this one

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Profile:
    """One layer of the mapping: ``write`` adds triples, ``read`` fills (or overrides) keys."""

    name: str
    write: Callable[[Graph, Subject, Mapping[str, Any]], None]
    read: Callable[[Graph, Subject, Record], None]
    # field name -> property path from the dataset to the value, where it is not the field's
    # own predicate (used by the SHACL generator)
    paths: Mapping[str, tuple[URIRef, ...]] = field(default_factory=dict)


def in_namespace(term: Node, namespace: Namespace) -> bool:
    return isinstance(term, URIRef) and str(term).startswith(str(namespace))


def is_set(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | tuple):
        return any(is_set(v) for v in value)
    return True


def values_of(record: Mapping[str, Any], name: str) -> list[Any]:
    """The set values of a field as a list (one element for single-valued fields)."""
    value = record.get(name)
    items = value if isinstance(value, list | tuple) else [value]
    return [v for v in items if is_set(v)]


def concept_of(fld: Field, code: str) -> Concept:
    assert fld.scheme is not None
    try:
        return scheme(fld.scheme).get(code)
    except KeyError:
        raise ValueError(f"{fld.name}: {code!r} is not a concept of scheme {fld.scheme}") from None


def concept_iri(concept: Concept, predicate: URIRef) -> URIRef:
    """On a DCAT-AP property a concept is written as its external match (EU vocabularies)."""
    if concept.exact_match is not None and not in_namespace(predicate, MULU):
        return concept.exact_match
    return concept.uri


def describe_concept(graph: Graph, scheme_name: str, concept: Concept) -> None:
    """Type and label one of our concepts, so an export is readable and DCAT-AP-valid alone."""
    graph.add((concept.uri, RDF.type, SKOS.Concept))
    graph.add((concept.uri, SKOS.prefLabel, Literal(concept.label_zh, lang="zh")))
    graph.add((concept.uri, SKOS.prefLabel, Literal(concept.label_en, lang="en")))
    graph.add((concept.uri, SKOS.notation, Literal(concept.code)))
    graph.add((concept.uri, SKOS.inScheme, scheme(scheme_name).uri))


def add_types(graph: Graph, node: Node, classes: Iterable[URIRef]) -> None:
    for cls in classes:
        graph.add((node, RDF.type, cls))


# ── writing ─────────────────────────────────────────────────────────────────

def term_for(graph: Graph, fld: Field, value: Any, predicate: URIRef) -> Node:
    if fld.kind is Kind.CONCEPT:
        concept = concept_of(fld, str(value))
        iri = concept_iri(concept, predicate)
        if iri == concept.uri:
            describe_concept(graph, fld.scheme or "", concept)
        return iri
    if fld.kind is Kind.DATE:
        day = value.date() if isinstance(value, datetime) else value
        return Literal(day if isinstance(day, date) else date.fromisoformat(str(day)),
                       datatype=XSD.date)
    if fld.kind is Kind.URL:
        return URIRef(str(value).strip())
    return Literal(str(value), lang=fld.lang)


def write_field(graph: Graph, subject: Node, fld: Field, record: Mapping[str, Any],
                predicate: URIRef | None = None) -> None:
    predicate = predicate or fld.predicate
    for value in values_of(record, fld.name):
        graph.add((subject, predicate, term_for(graph, fld, value, predicate)))


# ── reading ─────────────────────────────────────────────────────────────────

def primary_language(literal: Literal) -> str | None:
    return literal.language.split("-")[0].lower() if literal.language else None


def _literal_rank(literal: Literal, lang: str | None) -> int | None:
    """How well a literal fits a field with language ``lang`` (lower is better, None: not at all)."""
    tag = primary_language(literal)
    if lang is not None and lang != PRIMARY_LANG:
        return 0 if tag == lang else None
    if tag == PRIMARY_LANG:
        return 0
    if tag is None:
        return 1 if lang else 0
    return 2 + (tag != "en")


def best_literal(literals: Iterable[Node], lang: str | None) -> str | None:
    ranked = [(rank, str(lit)) for lit in literals if isinstance(lit, Literal)
              for rank in [_literal_rank(lit, lang)] if rank is not None and str(lit).strip()]
    return min(ranked)[1] if ranked else None


def date_string(node: Node) -> str | None:
    if not isinstance(node, Literal):
        return None
    value = node.toPython()
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    match = _DATE.match(str(node))
    return match.group(0) if match else None


def concept_code(fld: Field, node: Node) -> str | None:
    assert fld.scheme is not None
    concept = scheme(fld.scheme).by_uri(node) if isinstance(node, URIRef) else None
    return concept.code if concept else None


def _plain(fld: Field, node: Node) -> str | None:
    if fld.kind is Kind.CONCEPT:
        return concept_code(fld, node)
    if fld.kind is Kind.DATE:
        return date_string(node)
    if fld.kind is Kind.URL:
        return str(node) if isinstance(node, URIRef | Literal) and str(node).strip() else None
    return str(node) if isinstance(node, Literal) and str(node).strip() else None


def read_field(graph: Graph, subject: Node, fld: Field,
               predicate: URIRef | None = None) -> Any | None:
    """The field's value from ``subject`` (a sorted list for ``multiple`` fields), or None."""
    objects = list(graph.objects(subject, predicate or fld.predicate))
    if fld.kind in (Kind.TEXT, Kind.CODE) and not fld.multiple:
        return best_literal(objects, fld.lang)
    found = sorted({v for v in (_plain(fld, o) for o in objects) if v is not None})
    if fld.multiple:
        return found or None
    return found[0] if found else None


def read_fields(graph: Graph, subject: Node, fields: Iterable[Field], record: Record) -> None:
    for fld in fields:
        value = read_field(graph, subject, fld)
        if value is not None:
            record[fld.name] = value
