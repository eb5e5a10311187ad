"""What the profiles share: the profile type and reading/writing one field value by its kind.

Every kind of the field table is read and written here, once: plain values, concepts, dates,
IRIs, language-tagged texts (with their ``translations``), and sub-records (``Kind.NODE`` /
``Kind.NODES``: a node whose sub-fields come from ``vocab.fields.SUB_FIELDS``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from collections.abc import Set as AbstractSet
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
from vocab.profiles import extra
from vocab.profiles.extra import Ledger, value_key
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
    # ``ledger``: what the dataset node says that the profiles have read (vocab.profiles.extra)
    read: Callable[[Graph, Subject, Record, Unread, Ledger], None]
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

def term_for(graph: Graph | None, fld: Field, value: Any, predicate: URIRef) -> Node:
    """The term a field writes for ``value`` (its side triples, such as a concept's labels, go
    into ``graph``; None: the term alone)."""
    if fld.kind is Kind.CONCEPT:
        concept = concept_of(fld, str(value))
        iri = concept_iri(concept, predicate)
        if iri == concept.uri and graph is not None:
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


def _format_term(graph: Graph | None, name: str) -> Node:
    known = file_type(name)
    fmt: Node = known if known is not None else BNode()
    if graph is None:
        return fmt
    if known is None:
        graph.add((fmt, RDFS.label, Literal(name)))
    graph.add((fmt, RDF.type, DCT.MediaTypeOrExtent))
    return fmt


def _media_type_term(graph: Graph | None, text: str) -> Node:
    term = IANA_MEDIA_TYPE[text] if _MEDIA_TYPE.match(text) else URIRef(text)
    if graph is not None:
        graph.add((term, RDF.type, DCT.MediaType))
    return term


def _geometry_term(_: Graph | None, text: str) -> Node:
    return Literal(text, datatype=GSP.geoJSONLiteral if text.startswith("{") else GSP.wktLiteral)


_WRITERS: dict[Kind, Callable[[Graph | None, str], Node]] = {
    Kind.URL: lambda _, text: URIRef(text),
    Kind.IRI: lambda _, text: URIRef(text),
    Kind.LANGUAGE: lambda _, text: URIRef(text),
    Kind.EMAIL: lambda _, text: MAILTO[text],
    Kind.PHONE: lambda _, text: TEL[quote(text, safe="+-().")],  # read back as it was
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


def literal_terms(graph: Graph, subject: Node, fld: Field, record: Mapping[str, Any],
                  predicate: URIRef, partners: frozenset[str]) -> list[Node]:
    """The terms of the field's values; a value the record keeps in its source's form
    (``extra``) is written so, at once, and not among the terms returned."""
    formed = extra.forms(record, fld.name, predicate)
    values: list[tuple[Any, str | None]] = \
        list(text_variants(record, fld, partners)) if fld.translatable else \
        [(value, None) for value in values_of(record, fld.name)]
    terms: list[Node] = []
    for value, tag in values:
        entries = formed.get(value_key(value)) if formed else None
        if entries:
            for entry in entries:
                extra.write_form(graph, subject, entry)
        elif fld.translatable:
            terms.append(Literal(value, lang=tag or None))
        else:
            terms.append(term_for(graph, fld, value, predicate))
    return terms


def write_field(graph: Graph, subject: Node, fld: Field, record: Mapping[str, Any],
                predicate: URIRef | None = None, partners: frozenset[str] = frozenset()) -> None:
    predicate = predicate or fld.predicate
    if fld.kind is Kind.EXTRA:
        extra.write_verbatim(graph, subject, record)
        return
    if fld.kind in (Kind.NODE, Kind.NODES):
        formed = extra.forms(record, fld.name, predicate)
        for sub in values_of(record, fld.name):
            entries = formed.get(value_key(sub)) if formed else None
            if entries and "o" in entries[0]:  # an IRI the sub-table has no field for
                extra.write_form(graph, subject, entries[0])
                continue
            link = URIRef(entries[0]["p"]) if entries else predicate
            graph.add((subject, link, write_node(graph, fld, sub)))
        return
    if fld.kind in (Kind.SELF, Kind.TRANSLATIONS):
        return
    terms = literal_terms(graph, subject, fld, record, predicate, partners)
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
        if fld.node_class is not None and not isinstance(term, Literal):
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


Found = list[tuple[URIRef, Node, Node]]  # (property, the source's object, the node read)


def _objects(graph: Graph, subject: Node, fld: Field, predicate: URIRef) -> Found:
    found: Found = [(predicate, o, o) for o in graph.objects(subject, predicate)]
    for other in fld.also:
        found.extend((other, o, o) for o in graph.objects(subject, other))
    if fld.label_node is not None:  # a dct:RightsStatement node: its labels are the value
        found = [(p, o, label) for p, o, _ in found for label in _labels(graph, o)]
    return found


def _labels(graph: Graph, node: Node) -> list[Node]:
    """The texts of a label node; an IRI, or a node that says more, is kept in ``extra``."""
    if isinstance(node, Literal):
        return [node]
    if isinstance(node, BNode) and all(p in (RDFS.label, RDF.type)
                                       for p, _ in graph.predicate_objects(node)):
        return list(graph.objects(node, RDFS.label))
    return []


def _note(unread: Unread, key: str, nodes: Iterable[Node]) -> None:
    texts = [str(n).strip() for n in nodes if isinstance(n, URIRef | Literal) and str(n).strip()]
    if texts:
        unread[key] = "; ".join(sorted(set(texts)))[:2000]


_AS_IRI = frozenset({Kind.URL, Kind.IRI, Kind.SELF})  # written as URIRef(value)


@cache
def _written(fld: Field, value: Any, predicate: URIRef) -> Node:
    return term_for(None, fld, value, predicate)


def _same(graph: Graph, fld: Field, obj: Node, value: Any, predicate: URIRef) -> bool:
    """Whether the field writes ``value`` back as ``obj`` (dates by day: the field keeps days)."""
    if fld.kind is Kind.DATE:
        return date_string(obj) == value
    if fld.translatable:
        if fld.label_node is not None:
            return isinstance(obj, BNode)
        return isinstance(obj, Literal) and obj.datatype is None
    if fld.kind in _AS_IRI:  # (the common case, without building the term)
        return type(obj) is URIRef and str(obj) == value
    if fld.kind is Kind.GEOMETRY and fld.node_class is not None:
        inner = [o for p, o in graph.predicate_objects(obj) if p != RDF.type] \
            if isinstance(obj, BNode) else []
        return inner == [_geometry_term(None, str(value))]
    try:
        written = _written(fld, value, predicate) if fld.kind is Kind.CONCEPT else \
            term_for(None, fld, value, predicate)
    except ValueError:
        return False
    if type(written) is URIRef:  # rdflib's ``==`` of two IRIs, without its Python call
        return type(obj) is URIRef and str(obj) == str(written)
    if isinstance(written, BNode):  # a format the EU table lacks: a node with its name
        return isinstance(obj, BNode) and all(
            p == RDF.type or (p == RDFS.label and o == Literal(str(value)))
            for p, o in graph.predicate_objects(obj)) and graph.value(obj, RDFS.label) is not None
    return obj == written


def account(graph: Graph, ledger: Ledger | None, fld: Field, predicate: URIRef,
            found: list[tuple[URIRef, Node, Any]], chosen: Iterable[Any]) -> None:
    """Mark in ``ledger`` how the field keeps the source's objects of each chosen value: seen
    where it writes them back so, else the first as a form entry; the rest stay for ``extra``."""
    if ledger is None:
        return
    wanted = set(chosen)
    exact: set[Any] = set()
    other: dict[Any, tuple[URIRef, Node]] = {}
    for p, o, v in found:
        if v not in wanted:
            continue
        if p is predicate and _same(graph, fld, o, v, predicate):  # (``_objects`` keeps it)
            ledger.see(p, o)
            exact.add(v)
        else:
            other.setdefault(v, (p, o))
    for value, (p, o) in other.items():
        if value not in exact:
            ledger.form(p, o, fld.name, value, predicate)


def _read_translatable(graph: Graph, fld: Field, found: Found, record: Record,
                       partners: frozenset[str], unread: Unread, key: str,
                       ledger: Ledger | None, predicate: URIRef) -> Any | None:
    """The display text (all texts of a list field), keeping each variant's language in the
    record's ``translations`` where writing the value alone would not give the same tags."""
    literals = [(p, o, lit) for p, o, lit in found if isinstance(lit, Literal) and str(lit).strip()]
    _note(unread, key, [lit for _, _, lit in literals if not _fits(fld, str(lit))])
    literals = [item for item in literals if _fits(fld, str(item[2]))]
    pairs = sorted({(lit.language or "", str(lit)) for _, _, lit in literals})  # type: ignore[attr-defined]
    if not pairs:
        return None
    if fld.multiple:
        texts = sorted({text for _, text in pairs})
        variants: dict[str, Any] = {}
        for tag, text in pairs:
            variants.setdefault(tag, []).append(text)
        needed = any(detected_language(text) != tag for tag, text in pairs)
        value: Any = texts
        kept = set(pairs)
    else:
        variants = {}
        for tag, text in pairs:
            variants.setdefault(tag, text)
        value = variants[display_tag(variants)]
        own = {t: v for t, v in variants.items() if t not in partners}
        needed = own != {detected_language(value): value}
        kept = set(own.items())
    if needed:
        record.setdefault(TRANSLATIONS, {})[fld.name] = variants
    if ledger is not None:
        _account_texts(graph, ledger, fld, predicate, found, kept)
    return value


def _account_texts(graph: Graph, ledger: Ledger, fld: Field, predicate: URIRef, found: Found,
                   kept: set[tuple[str, str]]) -> None:
    """A literal (or a label node all of whose texts are kept) is seen; a node holding a kept
    text among others is kept whole as the form of that text."""
    by_object: dict[tuple[URIRef, Node], list[tuple[str, str]]] = {}
    for p, o, lit in found:
        if isinstance(lit, Literal):
            by_object.setdefault((p, o), []).append((lit.language or "", str(lit)))
    for (p, o), texts in by_object.items():
        mine = [text for text in texts if text in kept]
        if not mine:
            continue
        if p is predicate and len(mine) == len(texts) and _same(graph, fld, o, mine[0][1], p):
            ledger.see(p, o)
        else:
            ledger.form(p, o, fld.name, mine[0][1], predicate)


def read_field(graph: Graph, subject: Node, fld: Field, predicate: URIRef | None = None, *,
               record: Record | None = None, unread: Unread | None = None,
               partners: frozenset[str] = frozenset(), where: str = "",
               ledger: Ledger | None = None) -> Any | None:
    """The field's value from ``subject`` (a sorted list for ``multiple`` fields), or None;
    what cannot be read as a value of the field is noted in ``unread`` under its name, and how
    the value was read is marked in ``ledger`` (see ``vocab.profiles.extra``)."""
    if fld.kind in (Kind.SELF, Kind.TRANSLATIONS, Kind.EXTRA):
        return None
    predicate = predicate or fld.predicate
    objects = _objects(graph, subject, fld, predicate)
    if not objects:
        return None
    unread = {} if unread is None else unread
    key = f"{where}{fld.name}"
    if fld.kind in (Kind.NODE, Kind.NODES):
        return _read_nodes(graph, fld, objects, unread, key, ledger, predicate)
    if fld.kind in (Kind.TEXT, Kind.CODE):
        if fld.translatable:
            return _read_translatable(graph, fld, objects, {} if record is None else record,
                                      partners, unread, key, ledger, predicate)
        if not fld.multiple:
            text = best_literal([n for _, _, n in objects], fld.lang)
            if text is not None:
                account(graph, ledger, fld, predicate,
                        [(p, o, str(n)) for p, o, n in objects if isinstance(n, Literal)
                         and _literal_rank(n, fld.lang) is not None], [text])
            return text
    values = [(p, o, _plain(graph, fld, n)) for p, o, n in objects]
    _note(unread, key, [o for _, o, v in values if v is None])
    found = sorted({v for _, _, v in values if v is not None})
    chosen = found if fld.multiple else found[:1]
    account(graph, ledger, fld, predicate, values, chosen)
    if fld.multiple:
        return found or None
    return found[0] if found else None


def _read_nodes(graph: Graph, fld: Field, objects: Found, unread: Unread, key: str,
                ledger: Ledger | None, predicate: URIRef) -> Any | None:
    fields = SUB_FIELDS[fld.name]
    has_self = any(f.kind is Kind.SELF for f in fields)
    subs: list[tuple[URIRef, Node, Record]] = []
    for p, node, _ in objects:
        if isinstance(node, Literal):
            _note(unread, key, [node])
            continue
        sub = read_node(graph, node, fields, unread, f"{key}.", fld.node_class)
        if sub:
            subs.append((p, node, sub))
    subs.sort(key=lambda item: value_key(item[2]))
    if fld.kind is Kind.NODE:
        subs = subs[:1]
    for p, node, sub in subs:
        if ledger is None:
            continue
        if isinstance(node, URIRef) and not has_self:  # the IRI is kept as it came
            ledger.form(p, node, fld.name, sub, predicate)
        elif p == predicate:
            ledger.see(p, node)
        else:
            ledger.form(p, node, fld.name, sub, predicate, node=True)
    if fld.kind is Kind.NODE:
        return subs[0][2] if subs else None
    return [sub for _, _, sub in subs] or None


def read_node(graph: Graph, node: Node, fields: tuple[Field, ...], unread: Unread,
              where: str = "", node_class: URIRef | None = None) -> Record:
    """One sub-record; what the node says that its fields do not keep goes into its
    ``extra`` (when its table has one), except the type the writer gives it (``node_class``)."""
    sub: Record = {}
    ledger = Ledger(graph, node) if any(f.kind is Kind.EXTRA for f in fields) else None
    read_fields(graph, node, fields, sub, unread, where, ledger)
    own = next((f for f in fields if f.kind is Kind.SELF), None)
    if own is not None and isinstance(node, URIRef):
        sub[own.name] = str(node)
    if ledger is not None:
        left_out = ledger.finish(sub, (node_class,) if node_class is not None else ())
        if left_out:
            unread[f"{where}extra"] = f"{left_out} more properties"
    return sub


def read_fields(graph: Graph, subject: Node, fields: Iterable[Field], record: Record,
                unread: Unread | None = None, where: str = "",
                ledger: Ledger | None = None) -> None:
    table = tuple(fields)
    said = _predicates_of(graph, subject)
    for fld in table:
        if said.isdisjoint(_read_from(fld)):   # (most fields are absent: skip them cheaply)
            continue
        value = read_field(graph, subject, fld, record=record, unread=unread,
                           partners=partner_tags(fld, table), where=where, ledger=ledger)
        if value is not None:
            record[fld.name] = value


def _predicates_of(graph: Graph, subject: Node) -> AbstractSet[str]:
    """The properties ``subject`` has, as plain strings (a harvest's ``fastrdf.TripleIndex``
    keeps them so)."""
    keys = getattr(graph, "predicate_keys", None)
    if keys is not None:
        return keys(subject)  # type: ignore[no-any-return]
    return {str.__str__(p) for p in graph.predicates(subject)}


@cache
def _read_from(fld: Field) -> frozenset[str]:
    """The properties ``read_field`` reads the field from, as plain strings (an rdflib term
    hashes and compares in Python)."""
    if fld.kind in (Kind.SELF, Kind.TRANSLATIONS, Kind.EXTRA):
        return frozenset()
    return frozenset(str.__str__(p) for p in (fld.predicate, *fld.also))
