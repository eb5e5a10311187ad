"""SHACL shapes: ours, generated from the field table, and the official DCAT-AP 3.0.1 ones.

``mulu_shapes()`` builds a node shape for ``dcat:Dataset`` and one for ``mulu:DataItem`` with one
property shape per constraint (so each violation carries its own message), plus the cross-field
rules. ``python -m vocab.shapes`` writes the result to ``mulu-shapes.ttl``, which ships; a test
checks that the file still equals the generated graph.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from vocab.concepts import scheme
from vocab.fields import (
    DATA_ITEM_FIELDS,
    RECORD_BY_NAME,
    RECORD_FIELDS,
    SHARE_METHODS_BY_FORM,
    SHARE_TYPES_NEEDING_BASIS,
    SUB_FIELDS,
    Field,
    Kind,
)
from vocab.namespaces import DCAT, DCT, MULU, MULU_SHAPE, RDF, SH, XSD
from vocab.profiles import bind_prefixes, value_path
from vocab.profiles.base import concept_iri
from vocab.profiles.dcat_ap import PATHS

SHAPES_DIR = Path(__file__).parent
MULU_SHAPES_FILE = SHAPES_DIR / "mulu-shapes.ttl"
DCAT_AP_SHAPES_FILES: tuple[Path, ...] = (SHAPES_DIR / "dcat-ap-3.0.1" / "dcat-ap-SHACL.ttl",)
NODE_VALUED = frozenset({"formats"})  # values are IRIs checked by the DCAT-AP shapes
UNSHAPED = frozenset({Kind.SELF, Kind.TRANSLATIONS})  # record-side fields, not written as such
IRI_KINDS = frozenset({Kind.URL, Kind.IRI, Kind.LANGUAGE, Kind.EMAIL, Kind.PHONE})
NODE_KINDS = frozenset({Kind.NODE, Kind.NODES, Kind.FORMAT, Kind.MEDIA_TYPE})

SOURCE_NAMING = frozenset({DCT.title, DCT.description})  # what an export says of a source
CATALOG_PROPERTIES = frozenset({DCT.publisher, DCT.language})  # a dcat:Catalog's too
HEADER = ("# Generated from vocab/fields.py by `python -m vocab.shapes` -- do not edit by hand.\n"
          "# Mulu SHACL shapes: field-table constraints and the cross-field catalog rules.\n")


def _list(graph: Graph, items: Iterable[Node]) -> BNode:
    head = BNode()
    Collection(graph, head, list(items))
    return head


def _messages(graph: Graph, node: Node, zh: str, en: str) -> None:
    graph.add((node, SH.message, Literal(zh, lang="zh")))
    graph.add((node, SH.message, Literal(en, lang="en")))


class _Builder:
    """Adds the property shapes of one node shape, one constraint per shape."""

    def __init__(self, graph: Graph, shape: URIRef, prefix: str) -> None:
        self.graph, self.shape, self.prefix = graph, shape, prefix

    def prop(self, fld: Field, suffix: str, path: Sequence[URIRef], zh: str, en: str,
             constraints: Iterable[tuple[URIRef, Node]]) -> None:
        g = self.graph
        node = MULU_SHAPE[f"{self.prefix}-{fld.name}-{suffix}"]
        g.add((self.shape, SH.property, node))
        g.add((node, RDF.type, SH.PropertyShape))
        g.add((node, SH.path, path[0] if len(path) == 1 else _list(g, path)))
        g.add((node, SH.name, Literal(fld.label_zh, lang="zh")))
        g.add((node, SH.name, Literal(fld.label_en, lang="en")))
        _messages(g, node, f"{fld.label_zh}（{fld.name}）{zh}", f"{fld.label_en} ({fld.name}) {en}")
        for predicate, obj in constraints:
            g.add((node, predicate, obj))

    def field(self, fld: Field, path: Sequence[URIRef]) -> None:
        def count(bound: URIRef, qualified: URIRef) -> list[tuple[URIRef, Node]]:
            if fld.lang is None:
                return [(bound, Literal(1))]
            return [(SH.qualifiedValueShape, _in_language(self.graph, fld.lang)),
                    (qualified, Literal(1))]

        if fld.kind in UNSHAPED:
            return
        if fld.required:
            self.prop(fld, "required", path, "必填", "is required",
                      count(SH.minCount, SH.qualifiedMinCount))
        if fld.translatable and not fld.multiple:
            self.prop(fld, "single", path, "每种语言只能有一个值", "takes one value per language",
                      [(SH.uniqueLang, Literal(True))])
        elif not fld.multiple:
            self.prop(fld, "single", path, "只能有一个值", "takes one value",
                      count(SH.maxCount, SH.qualifiedMaxCount))
        if fld.name not in NODE_VALUED:
            self.values(fld, path)

    def values(self, fld: Field, path: Sequence[URIRef]) -> None:
        g = self.graph
        if fld.kind is Kind.CONCEPT:
            assert fld.scheme is not None
            sch = scheme(fld.scheme)
            allowed = _list(g, [concept_iri(c, path[-1]) for c in sch.concepts.values()])
            self.prop(fld, "concept", path, f"须取自“{sch.label_zh}”代码表",
                      f"must be a concept of the scheme '{sch.label_en}'",
                      [(SH.nodeKind, SH.IRI), (SH["in"], allowed)])
        elif fld.kind is Kind.DATE:
            self.prop(fld, "date", path, "须为日期（xsd:date）", "must be an xsd:date",
                      [(SH.datatype, XSD.date)])
        elif fld.kind in IRI_KINDS:
            self.prop(fld, "iri", path, "须为网址（IRI）", "must be an IRI", [(SH.nodeKind, SH.IRI)])
        elif fld.kind is Kind.DATA_ITEMS:
            self.prop(fld, "class", path, "须为信息项（mulu:DataItem）",
                      "must be a mulu:DataItem", [(SH["class"], MULU.DataItem)])
        elif fld.kind is Kind.INTEGER:
            self.prop(fld, "integer", path, "须为非负整数", "must be a non-negative integer",
                      [(SH.datatype, XSD.nonNegativeInteger)])
        elif fld.kind in NODE_KINDS or fld.label_node is not None or fld.node_class is not None:
            cls = fld.label_node or fld.node_class
            if cls is not None and fld.kind not in IRI_KINDS:
                self.prop(fld, "class", path, f"须为 {cls.n3()} 节点", f"must be a {cls.n3()}",
                          [(SH["class"], cls)])
            return
        else:
            self.prop(fld, "literal", path, "须为文本", "must be a literal",
                      [(SH.nodeKind, SH.Literal)])
        if fld.max_length and fld.kind is not Kind.CONCEPT and fld.label_node is None:
            self.max_length(fld, path)

    def max_length(self, fld: Field, path: Sequence[URIRef]) -> None:
        g = self.graph
        limit = (SH.maxLength, Literal(fld.max_length))
        constraints: list[tuple[URIRef, Node]] = [limit]
        if fld.lang is not None:  # only the values in this field's language
            other = _node(g, (SH["not"], _in_language(g, fld.lang)))
            constraints = [(SH["or"], _list(g, [other, _node(g, limit)]))]
        self.prop(fld, "length", path, f"不能超过 {fld.max_length} 个字符",
                  f"must be at most {fld.max_length} characters long", constraints)


def _node(graph: Graph, *constraints: tuple[URIRef, Node]) -> BNode:
    node = BNode()
    for predicate, obj in constraints:
        graph.add((node, predicate, obj))
    return node


def _in_language(graph: Graph, lang: str) -> BNode:
    return _node(graph, (SH.languageIn, _list(graph, [Literal(lang)])))


def _node_shape(graph: Graph, name: str, target: URIRef) -> URIRef:
    shape = MULU_SHAPE[name]
    graph.add((shape, RDF.type, SH.NodeShape))
    graph.add((shape, SH.targetClass, target))
    return shape


def _dataset_shape(graph: Graph) -> URIRef:
    """The catalog's datasets: every node with a property that only datasets have in the field
    table (not a title, nor a date that a distribution has too, nor a catalog's publisher). Not ``sh:targetClass dcat:Dataset``: the dataset a record was harvested
    from (``dct:source``) is a dcat:Dataset of the export too, only named there (as
    ``vocab.profiles.dataset_subjects`` reads it), and no catalog rule holds for it."""
    shape = MULU_SHAPE["Dataset"]
    graph.add((shape, RDF.type, SH.NodeShape))
    elsewhere = {f.predicate for table in (*SUB_FIELDS.values(), DATA_ITEM_FIELDS)
                 for f in table} | {p for path in PATHS.values() for p in path[1:]} | \
        CATALOG_PROPERTIES
    for predicate in sorted({value_path(f.name)[0] for f in RECORD_FIELDS
                             if f.kind not in UNSHAPED} - SOURCE_NAMING - elsewhere):
        graph.add((shape, SH.targetSubjectsOf, predicate))
    return shape


def _when_then(graph: Graph, name: str, path: URIRef, when: tuple[URIRef, Node], then: BNode,
               zh: str, en: str) -> None:
    """A rule on datasets: if ``path`` has a value and ``when`` holds, the ``then`` shape must."""
    shape = _node_shape(graph, name, DCAT.Dataset)
    condition = _node(graph, (SH.path, path), (SH.minCount, Literal(1)), when)
    unless = _node(graph, (SH["not"], _node(graph, (SH.property, condition))))
    graph.add((shape, SH["or"], _list(graph, [unless, _node(graph, (SH.property, then))])))
    _messages(graph, shape, zh, en)


def _rules(graph: Graph) -> None:
    share_types = scheme("share-type")
    needing = [share_types.get(code) for code in sorted(SHARE_TYPES_NEEDING_BASIS)]
    basis = _node(graph, (SH.path, MULU.shareBasis), (SH.minCount, Literal(1)),
                  (SH.minLength, Literal(1)))
    _when_then(graph, "ShareBasisRule", MULU.shareType, (SH["in"], _list(graph, [c.uri for c in needing])), basis,
               f"共享类型为{'、'.join(c.label_zh for c in needing)}时必须注明共享依据（share_basis）",
               f"share_basis is required when the sharing type is "
               f"{' or '.join(c.label_en for c in needing)}")
    forms, methods = scheme("resource-form"), scheme("share-method")
    for form, allowed in sorted(SHARE_METHODS_BY_FORM.items()):
        if set(allowed) == set(methods.codes):
            continue
        ok = sorted(allowed)
        then = _node(graph, (SH.path, MULU.shareMethod),
                     (SH["in"], _list(graph, [methods.get(c).uri for c in ok])))
        label = forms.get(form)
        _when_then(graph, f"ShareMethodRule-{form}", MULU.resourceForm, (SH.hasValue, label.uri), then,
                   f"信息资源格式为“{label.label_zh}”时，共享方式须为"
                   f"{'或'.join(methods.get(c).label_zh for c in ok)}",
                   f"a resource of form '{label.label_en}' must be shared by "
                   f"{' or '.join(methods.get(c).label_en for c in ok)}")


def _sub_classes() -> dict[str, URIRef]:
    """The node class of each sub-field that has its own sub-table (checksum, access_service)."""
    return {f.name: f.node_class for fields in SUB_FIELDS.values() for f in fields
            if f.name in SUB_FIELDS and f.node_class is not None}


_SUB_CLASSES = _sub_classes()


def mulu_shapes() -> Graph:
    graph = Graph()
    bind_prefixes(graph)
    graph.bind("sh", SH)
    graph.bind("mulushape", MULU_SHAPE)
    dataset = _dataset_shape(graph)
    builder = _Builder(graph, dataset, "Dataset")
    for fld in RECORD_FIELDS:
        builder.field(fld, value_path(fld.name))
    for name, fields in SUB_FIELDS.items():
        cls = RECORD_BY_NAME[name].node_class if name in RECORD_BY_NAME else _SUB_CLASSES[name]
        assert cls is not None
        shape_name = cls.n3().split("#")[-1].split("/")[-1].rstrip(">")
        sub_builder = _Builder(graph, _node_shape(graph, shape_name, cls), shape_name)
        for fld in fields:
            sub_builder.field(fld, (fld.predicate,))
    item = _node_shape(graph, "DataItem", MULU.DataItem)
    item_builder = _Builder(graph, item, "DataItem")
    for fld in DATA_ITEM_FIELDS:
        item_builder.field(fld, (fld.predicate,))
    order = Field("order", Kind.TEXT, MULU.order, "顺序号", "Order", required=True)
    item_builder.prop(order, "integer", (MULU.order,), "必填，且为一个整数",
                      "is required: one integer",
                      [(SH.minCount, Literal(1)), (SH.maxCount, Literal(1)),
                       (SH.datatype, XSD.integer)])
    _rules(graph)
    return graph


def write_mulu_shapes(path: Path = MULU_SHAPES_FILE) -> Path:
    path.write_bytes(HEADER.encode() + mulu_shapes().serialize(format="turtle", encoding="utf-8"))
    return path
