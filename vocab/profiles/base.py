"""What the profiles share: the profile type and reading/writing one field value by its kind.

Every kind of the field table is read and written here, once: plain values, concepts, dates,
IRIs, language-tagged texts (with their ``translations``), and sub-records (``Kind.NODE`` /
``Kind.NODES``: a node whose sub-fields come from ``vocab.fields.SUB_FIELDS``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any
from urllib.parse import quote, unquote

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.term import Node

from vocab.concepts import Concept, scheme
from vocab.fields import SUB_FIELDS, VALUE_PATTERNS, Field, Kind
from vocab.namespaces import (
    DCT,
    EU_LANGUAGE,
    GSP,
    IANA_MEDIA_TYPE,
    MAILTO,
    MULU,
    RDF,
    RDFS,
    SKOS,
    TEL,
    VCARD,
    XSD,
)
from vocab.profiles.filetypes import file_type, format_name

Subject = URIRef | BNode
Record = dict[str, Any]
Unread = dict[str, str]   # field (path) -> the source's text that could not be read as its value
PRIMARY_LANG = "zh"  # the catalog's own language: Chinese text is tagged with it
TRANSLATIONS = "translations"

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_MEDIA_TYPE = re.compile(r"^[\w.+-]+/[\w.+-]+$")
_IANA = re.compile(r"^https?" + re.escape(str(IANA_MEDIA_TYPE).removeprefix("http"))
                   + r"(?P<type>[\w.+-]+/[\w.+-]+)$")
# ISO 639-1 codes (as sources write dct:language literals) -> EU language authority codes
ISO_639_1: dict[str, str] = {
    "zh": "ZHO", "en": "ENG", "ca": "CAT", "es": "SPA", "de": "DEU", "fr": "FRA", "nl": "NLD",
    "it": "ITA", "pt": "POR", "sv": "SWE", "da": "DAN", "fi": "FIN", "no": "NOR", "nb": "NOB",
    "pl": "POL", "cs": "CES", "el": "ELL", "hu": "HUN", "ja": "JPN", "ko": "KOR", "ru": "RUS",
    "eu": "EUS", "gl": "GLG", "et": "EST", "lv": "LAV", "lt": "LIT", "sk": "SLK", "sl": "SLV",
    "ro": "RON", "bg": "BUL", "hr": "HRV", "ga": "GLE", "mt": "MLT", "is": "ISL",
}
# GeoSPARQL: a locn:geometry is a node (DCAT-AP 3) holding the literal; sources also give it bare
GEOMETRY_VALUES = (GSP.asWKT, GSP.asGeoJSON)


@dataclass(frozen=True)
class Profile:
    """One layer of the mapping: ``write`` adds triples, ``read`` fills (or overrides) keys and
    notes in ``unread`` what the source gave that it could not read."""

    name: str
    write: Callable[[Graph, Subject, Mapping[str, Any]], None]
    read: Callable[[Graph, Subject, Record, Unread], None]
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
    if isinstance(value, dict):
        return any(is_set(v) for v in value.values())
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


# ── languages ───────────────────────────────────────────────────────────────

def detected_language(text: str) -> str:
    """The tag our own text gets: "zh" for Chinese (by script), else "" (untagged)."""
    return PRIMARY_LANG if _HAN.search(text) else ""


def _display_rank(tag: str) -> tuple[int, str]:
    primary = tag.split("-")[0].lower()
    rank = 0 if primary == PRIMARY_LANG else 1 if not tag else 2 if primary == "en" else 3
    return rank, tag


def display_tag(variants: Mapping[str, Any]) -> str:
    """Which variant is the display text: Chinese if any, else untagged, else English, else any."""
    return min(variants, key=_display_rank)


@cache
def partner_tags(fld: Field, fields: tuple[Field, ...]) -> frozenset[str]:
    """Languages another field of the table keeps on the same property (title_en: "en")."""
    return frozenset(f.lang for f in fields
                     if f.lang and f.predicate == fld.predicate and f is not fld)


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
    writer = _WRITERS.get(fld.kind)
    if writer is not None:
        return writer(graph, str(value).strip())
    if fld.kind is Kind.INTEGER:
        return Literal(int(value), datatype=XSD.nonNegativeInteger)
    if fld.datatype is not None:
        return Literal(str(value), datatype=fld.datatype)
    return Literal(str(value), lang=fld.lang)


def _format_term(graph: Graph, name: str) -> Node:
    fmt = file_type(name)
    if fmt is None:
        fmt = BNode()
        graph.add((fmt, RDFS.label, Literal(name)))
    graph.add((fmt, RDF.type, DCT.MediaTypeOrExtent))
    return fmt


def _media_type_term(graph: Graph, text: str) -> Node:
    term = IANA_MEDIA_TYPE[text] if _MEDIA_TYPE.match(text) else URIRef(text)
    graph.add((term, RDF.type, DCT.MediaType))
    return term


def _geometry_term(graph: Graph, text: str) -> Node:
    return Literal(text, datatype=GSP.geoJSONLiteral if text.startswith("{") else GSP.wktLiteral)


_WRITERS: dict[Kind, Callable[[Graph, str], Node]] = {
    Kind.URL: lambda _, text: URIRef(text),
    Kind.IRI: lambda _, text: URIRef(text),
    Kind.LANGUAGE: lambda _, text: URIRef(text),
    Kind.EMAIL: lambda _, text: MAILTO[text],
    Kind.PHONE: lambda _, text: TEL[quote(text.replace(" ", "-"), safe="+-().")],
    Kind.MEDIA_TYPE: _media_type_term,
    Kind.FORMAT: _format_term,
    Kind.GEOMETRY: _geometry_term,
}


def text_variants(record: Mapping[str, Any], fld: Field,
                  partners: frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    """(text, tag) of every literal a translatable field writes: the source's variants when
    the record keeps them, the display text (re-tagged by script when it was changed) in its
    variant's place, and never a tag another field of the table writes (``partners``)."""
    values = values_of(record, fld.name)
    if not values:
        return []
    variants = (record.get(TRANSLATIONS) or {}).get(fld.name) or {}
    if fld.multiple:
        tags = {str(text): tag for tag, texts in variants.items()
                for text in (texts if isinstance(texts, list) else [texts])}
        return [(str(v), tags.get(str(v), detected_language(str(v)))) for v in values]
    text = str(values[0])
    found = {tag: str(v) for tag, v in variants.items() if is_set(v)}
    if text not in found.values():
        found.pop(display_tag(found), None) if found else None
        found[detected_language(text)] = text
    return [(v, tag) for tag, v in found.items() if tag not in partners]


def literal_terms(graph: Graph, fld: Field, record: Mapping[str, Any], predicate: URIRef,
                  partners: frozenset[str]) -> list[Node]:
    if fld.translatable:
        return [Literal(text, lang=tag or None) for text, tag in
                text_variants(record, fld, partners)]
    return [term_for(graph, fld, value, predicate) for value in values_of(record, fld.name)]


def write_field(graph: Graph, subject: Node, fld: Field, record: Mapping[str, Any],
                predicate: URIRef | None = None, partners: frozenset[str] = frozenset()) -> None:
    predicate = predicate or fld.predicate
    if fld.kind in (Kind.NODE, Kind.NODES):
        for sub in values_of(record, fld.name):
            graph.add((subject, predicate, write_node(graph, fld, sub)))
        return
    if fld.kind in (Kind.SELF, Kind.TRANSLATIONS):
        return
    terms = literal_terms(graph, fld, record, predicate, partners)
    if fld.kind is Kind.GEOMETRY and fld.node_class is not None:  # locn:geometry: a node
        terms = [_geometry_node(graph, fld.node_class, term) for term in terms]
    elif fld.label_node is not None and terms:
        node = BNode()
        graph.add((node, RDF.type, fld.label_node))
        for term in terms:
            graph.add((node, RDFS.label, term))
        terms = [node]
    for term in terms:
        graph.add((subject, predicate, term))
        if fld.node_class is not None:
            graph.add((term, RDF.type, fld.node_class))


def _geometry_node(graph: Graph, cls: URIRef, literal: Node) -> Node:
    node = BNode()
    is_json = isinstance(literal, Literal) and literal.datatype == GSP.geoJSONLiteral
    graph.add((node, GSP.asGeoJSON if is_json else GSP.asWKT, literal))
    return node


def write_node(graph: Graph, fld: Field, sub: Mapping[str, Any]) -> Node:
    """One sub-record as a node: its own IRI when it has one, else a blank node."""
    fields = SUB_FIELDS[fld.name]
    own = next((str(sub[f.name]) for f in fields if f.kind is Kind.SELF and sub.get(f.name)), "")
    node: Node = URIRef(own) if own else BNode()
    if fld.node_class is not None:
        graph.add((node, RDF.type, fld.node_class))
    write_fields(graph, node, fields, sub)
    return node


def write_fields(graph: Graph, subject: Node, fields: tuple[Field, ...],
                 record: Mapping[str, Any]) -> None:
    for fld in fields:
        write_field(graph, subject, fld, record, partners=partner_tags(fld, fields))


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
    try:
        value = node.toPython()
    except (ValueError, TypeError):  # rdflib keeps an ill-typed literal as itself
        value = None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    match = _DATE.match(str(node))
    if not match:
        return None
    try:
        return date.fromisoformat(match.group(0)).isoformat()
    except ValueError:
        return None


def concept_code(fld: Field, node: Node) -> str | None:
    assert fld.scheme is not None
    if isinstance(node, Literal):  # "Annual", "每年": a label of one of our concepts
        found = scheme(fld.scheme).lookup(str(node).strip())
        return found.code if found else None
    concept = scheme(fld.scheme).by_uri(node) if isinstance(node, URIRef) else None
    return concept.code if concept else None


def _text(node: Node) -> str | None:
    return str(node).strip() or None if isinstance(node, URIRef | Literal) else None


def _iri_value(node: Node) -> str | None:
    text = _text(node)
    return text if text and VALUE_PATTERNS[Kind.IRI].match(text) else None


def _strip_scheme(prefix: Namespace) -> Callable[[Graph, Node], str | None]:
    def read(graph: Graph, node: Node) -> str | None:
        if isinstance(node, BNode):  # a vcard:Email / vcard:Voice node
            node = graph.value(node, VCARD.hasValue) or node
        text = _text(node)
        if text and text.lower().startswith(str(prefix)):
            text = unquote(text[len(str(prefix)):]).strip() or None
        return text
    return read


def _media_type(graph: Graph, node: Node) -> str | None:
    if isinstance(node, BNode):
        text = best_literal(graph.objects(node, RDFS.label), None)
    else:
        text = _text(node)
    match = _IANA.match(text or "")
    if match:
        return match.group("type")
    return text if text and VALUE_PATTERNS[Kind.MEDIA_TYPE].match(text) else None


def _language(_: Graph, node: Node) -> str | None:
    if isinstance(node, Literal) and _iri_value(node) is None:
        code = ISO_639_1.get(str(node).strip().split("-")[0].lower())
        return str(EU_LANGUAGE[code]) if code else None
    return _iri_value(node)


def _geometry(graph: Graph, node: Node) -> str | None:
    if isinstance(node, BNode | URIRef):
        found = next((v for p in GEOMETRY_VALUES for v in graph.objects(node, p)), None)
        return _text(found) if found is not None else None
    return _text(node)


def _integer(_: Graph, node: Node) -> int | None:
    text = _text(node) if isinstance(node, Literal) else None
    try:
        number = float(text) if text else -1.0
    except ValueError:
        return None
    return int(number) if number >= 0 and number == int(number) else None


_READERS: dict[Kind, Callable[[Graph, Node], Any]] = {
    Kind.DATE: lambda _, node: date_string(node),
    Kind.URL: lambda _, node: _text(node),
    Kind.IRI: lambda _, node: _iri_value(node),
    Kind.LANGUAGE: _language,
    Kind.EMAIL: _strip_scheme(MAILTO),
    Kind.PHONE: _strip_scheme(TEL),
    Kind.MEDIA_TYPE: _media_type,
    Kind.FORMAT: format_name,
    Kind.GEOMETRY: _geometry,
    Kind.INTEGER: _integer,
}


def _plain(graph: Graph, fld: Field, node: Node) -> Any | None:
    if fld.kind is Kind.CONCEPT:
        return concept_code(fld, node)
    reader = _READERS.get(fld.kind)
    value = reader(graph, node) if reader is not None else \
        str(node) if isinstance(node, Literal) and str(node).strip() else None
    return value if _fits(fld, value) else None


def _fits(fld: Field, value: Any) -> bool:
    """A value the schema will take: not too long, of the kind's pattern."""
    if not isinstance(value, str):
        return value is not None
    pattern = VALUE_PATTERNS.get(fld.kind)
    return (fld.max_length is None or len(value) <= fld.max_length) and \
        (pattern is None or bool(pattern.match(value)))


def _objects(graph: Graph, subject: Node, fld: Field, predicate: URIRef | None) -> list[Node]:
    found = list(graph.objects(subject, predicate or fld.predicate))
    for other in fld.also:
        found.extend(graph.objects(subject, other))
    if fld.label_node is not None:  # a dct:RightsStatement node: its labels are the value
        found = [lit for node in found for lit in
                 ([node] if isinstance(node, Literal) else graph.objects(node, RDFS.label))]
    return found


def _note(unread: Unread, key: str, nodes: Iterable[Node]) -> None:
    texts = [str(n).strip() for n in nodes if isinstance(n, URIRef | Literal) and str(n).strip()]
    if texts:
        unread[key] = "; ".join(sorted(set(texts)))[:2000]


def _read_translatable(fld: Field, objects: list[Node], record: Record,
                       partners: frozenset[str], unread: Unread, key: str) -> Any | None:
    """The display text (all texts of a list field), keeping each variant's language in the
    record's ``translations`` where writing the value alone would not give the same tags."""
    literals = [lit for lit in objects if isinstance(lit, Literal) and str(lit).strip()]
    _note(unread, key, [lit for lit in literals if not _fits(fld, str(lit))])
    pairs = sorted({(lit.language or "", str(lit)) for lit in literals if _fits(fld, str(lit))})
    if not pairs:
        return None
    if fld.multiple:
        texts = sorted({text for _, text in pairs})
        variants: dict[str, Any] = {}
        for tag, text in pairs:
            variants.setdefault(tag, []).append(text)
        needed = any(detected_language(text) != tag for tag, text in pairs)
        value: Any = texts
    else:
        variants = {}
        for tag, text in pairs:
            variants.setdefault(tag, text)
        value = variants[display_tag(variants)]
        own = {t: v for t, v in variants.items() if t not in partners}
        needed = own != {detected_language(value): value}
    if needed:
        record.setdefault(TRANSLATIONS, {})[fld.name] = variants
    return value


def read_field(graph: Graph, subject: Node, fld: Field, predicate: URIRef | None = None, *,
               record: Record | None = None, unread: Unread | None = None,
               partners: frozenset[str] = frozenset(), where: str = "") -> Any | None:
    """The field's value from ``subject`` (a sorted list for ``multiple`` fields), or None;
    what cannot be read as a value of the field is noted in ``unread`` under its name."""
    if fld.kind in (Kind.SELF, Kind.TRANSLATIONS):
        return None
    objects = _objects(graph, subject, fld, predicate)
    if not objects:
        return None
    unread = {} if unread is None else unread
    key = f"{where}{fld.name}"
    if fld.kind in (Kind.NODE, Kind.NODES):
        return _read_nodes(graph, fld, objects, unread, key)
    if fld.kind in (Kind.TEXT, Kind.CODE):
        if fld.translatable:
            return _read_translatable(fld, objects, {} if record is None else record, partners,
                                      unread, key)
        if not fld.multiple:
            return best_literal(objects, fld.lang)
    values = [(o, _plain(graph, fld, o)) for o in objects]
    _note(unread, key, [o for o, v in values if v is None])
    found = sorted({v for _, v in values if v is not None})
    if fld.multiple:
        return found or None
    return found[0] if found else None


def _read_nodes(graph: Graph, fld: Field, objects: list[Node], unread: Unread,
                key: str) -> Any | None:
    subs = []
    for node in objects:
        if isinstance(node, Literal):
            _note(unread, key, [node])
            continue
        sub = read_node(graph, node, SUB_FIELDS[fld.name], unread, f"{key}.")
        if sub:
            subs.append(sub)
    subs.sort(key=lambda s: json.dumps(s, sort_keys=True, ensure_ascii=False))
    if fld.kind is Kind.NODE:
        return subs[0] if subs else None
    return subs or None


def read_node(graph: Graph, node: Node, fields: tuple[Field, ...], unread: Unread,
              where: str = "") -> Record:
    sub: Record = {}
    read_fields(graph, node, fields, sub, unread, where)
    own = next((f for f in fields if f.kind is Kind.SELF), None)
    if own is not None and isinstance(node, URIRef):
        sub[own.name] = str(node)
    return sub


def read_fields(graph: Graph, subject: Node, fields: Iterable[Field], record: Record,
                unread: Unread | None = None, where: str = "") -> None:
    table = tuple(fields)
    for fld in table:
        value = read_field(graph, subject, fld, record=record, unread=unread,
                           partners=partner_tags(fld, table), where=where)
        if value is not None:
            record[fld.name] = value
