"""Serializing graphs to the four RDF formats Mulu offers, and reading them back."""

from __future__ import annotations

from rdflib import Graph

from vocab.namespaces import PREFIXES

# our format name -> (rdflib format, media type)
FORMATS: dict[str, tuple[str, str]] = {
    "ttl": ("turtle", "text/turtle"),
    "rdf": ("xml", "application/rdf+xml"),
    "jsonld": ("json-ld", "application/ld+json"),
    "nt": ("nt", "application/n-triples"),
}


def new_graph() -> Graph:
    graph = Graph()
    bind_prefixes(graph)
    return graph


def bind_prefixes(graph: Graph) -> None:
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True, replace=True)


def _format(fmt: str) -> tuple[str, str]:
    try:
        return FORMATS[fmt]
    except KeyError:
        raise ValueError(f"unknown RDF format {fmt!r}; expected one of {sorted(FORMATS)}") from None


def serialize(graph: Graph, fmt: str) -> tuple[bytes, str]:
    """``graph`` as ``fmt`` ("ttl", "rdf", "jsonld" or "nt"): (UTF-8 bytes, media type)."""
    rdflib_format, mimetype = _format(fmt)
    bind_prefixes(graph)
    options: dict[str, object] = {}
    if fmt == "jsonld":
        options = {"context": {p: str(ns) for p, ns in PREFIXES.items()}, "auto_compact": True}
    return graph.serialize(format=rdflib_format, encoding="utf-8", **options), mimetype


def parse_graph(data: bytes | str, fmt: str) -> Graph:
    """Read ``data`` in one of ``FORMATS`` into a new graph (no network access for JSON-LD
    contexts given inline)."""
    graph = new_graph()
    graph.parse(data=data, format=_format(fmt)[0])
    return graph
