"""SHACL validation of Mulu graphs against the official DCAT-AP 3.0.1 shapes and our own."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from pyshacl import validate as shacl_validate
from rdflib import Graph, Literal
from rdflib.term import Node

from vocab.namespaces import RDF, SH
from vocab.profiles import bind_prefixes
from vocab.shapes import DCAT_AP_SHAPES_FILES, MULU_SHAPES_FILE

SHAPE_SETS: dict[str, tuple[Path, ...]] = {
    "dcat-ap": DCAT_AP_SHAPES_FILES,
    "mulu": (MULU_SHAPES_FILE,),
}
DEFAULT_SHAPES: tuple[str, ...] = ("dcat-ap", "mulu")


@dataclass(frozen=True)
class ValidationReport:
    conforms: bool
    messages: list[str] = field(default_factory=list)


@cache
def shapes_graph(names: tuple[str, ...] = DEFAULT_SHAPES) -> Graph:
    """The union of the named shape sets (parsed once per process)."""
    graph = Graph()
    for name in names:
        try:
            paths = SHAPE_SETS[name]
        except KeyError:
            raise ValueError(f"unknown shapes {name!r}; known: {sorted(SHAPE_SETS)}") from None
        for path in paths:
            graph.parse(path, format="turtle")
    _drop_undefined_property_shapes(graph)
    return graph


def _drop_undefined_property_shapes(graph: Graph) -> None:
    """The official DCAT-AP 3.0.1 file lists one property shape of ``dcat:DataServiceShape``
    (``…/dc08f4dc…``) that it never defines; pyshacl refuses any data service with it ("not a
    well-formed SHACL PropertyShape"). A shape that says nothing constrains nothing: leave the
    reference out (the file itself stays as published)."""
    for shape, prop in list(graph.subject_objects(SH.property)):
        if next(iter(graph.predicate_objects(prop)), None) is None:
            graph.remove((shape, SH.property, prop))


def _short(graph: Graph, node: Node | None, limit: int = 80) -> str:
    if node is None:
        return ""
    text = repr(str(node)) if isinstance(node, Literal) else node.n3(graph.namespace_manager)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _message(results: Graph, result: Node) -> str:
    texts = {m.language: str(m) for m in results.objects(result, SH.resultMessage)
             if isinstance(m, Literal)}
    text = " / ".join(t for t in (texts.get("zh"), texts.get("en")) if t) or \
        next(iter(texts.values()), "constraint violated")
    severity = results.value(result, SH.resultSeverity)
    where = " ".join(p for p in (_short(results, results.value(result, SH.focusNode)),
                                 _short(results, results.value(result, SH.resultPath))) if p)
    value = results.value(result, SH.value)
    if value == results.value(result, SH.focusNode):
        value = None
    prefix = "" if severity == SH.Violation else f"[{_short(results, severity)}] "
    suffix = f" (value {_short(results, value)})" if value is not None else ""
    return f"{prefix}{where}: {text}{suffix}"


def validate(graph: Graph, shapes: Sequence[str] = DEFAULT_SHAPES) -> ValidationReport:
    """Validate ``graph`` (no inference); messages are sorted, Chinese first."""
    conforms, results, _ = shacl_validate(graph, shacl_graph=shapes_graph(tuple(shapes)),
                                          inference="none", advanced=False, meta_shacl=False)
    assert isinstance(results, Graph)
    bind_prefixes(results)
    messages = sorted(_message(results, r)
                      for r in results.subjects(RDF.type, SH.ValidationResult))
    return ValidationReport(bool(conforms), messages)
