"""Reading one RDF page safely: pick the syntax, refuse unsafe XML before any parser sees the
bytes, resolve JSON-LD remote contexts through the bounded fetcher (rdflib would fetch them
itself, unbounded), and find Hydra's next page.

Turtle, N-Triples and RDF/XML are read by pyoxigraph into a ``fastrdf.TripleIndex`` (several
times faster than rdflib); a page pyoxigraph refuses is read again by rdflib, which is more
lenient and whose message names the problem, so what rdflib accepted is still accepted."""

from __future__ import annotations

import json
import xml.parsers.expat
from typing import Any

from rdflib import Graph, Literal, URIRef

from harvesters import errors, fastrdf
from harvesters.http import Fetcher, Page
from vocab.namespaces import HYDRA

ACCEPT = ("text/turtle, application/rdf+xml;q=0.9, application/ld+json;q=0.9, "
          "application/n-triples;q=0.8, */*;q=0.1")
BY_MEDIA_TYPE = {
    "text/turtle": "turtle", "application/x-turtle": "turtle", "text/n3": "n3",
    "application/rdf+xml": "xml", "application/xml": "xml", "text/xml": "xml",
    "application/ld+json": "json-ld", "application/json": "json-ld",
    "application/n-triples": "nt", "application/trig": "trig",
}
BY_SUFFIX = {".ttl": "turtle", ".rdf": "xml", ".xml": "xml", ".owl": "xml", ".jsonld": "json-ld",
             ".json": "json-ld", ".nt": "nt", ".n3": "n3"}
GENERIC = ("", "text/plain", "application/octet-stream", "binary/octet-stream")
MAX_CONTEXTS = 10


def syntax_of(page: Page, forced: str | None = None) -> str:
    if forced:
        return forced
    media = page.media_type
    if media in BY_MEDIA_TYPE:
        return BY_MEDIA_TYPE[media]
    if media not in GENERIC:
        raise errors.WrongContentType(f"内容类型 {media} 不是 RDF。",
                                      f"The content type {media} is not RDF.", detail=page.url)
    path = page.url.split("?", 1)[0].lower()
    for suffix, syntax in BY_SUFFIX.items():
        if path.endswith(suffix):
            return syntax
    head = page.body.lstrip()[:200]
    if head.startswith((b"{", b"[")):
        return "json-ld"
    if head.startswith(b"<") and not head.startswith(b"<http"):
        return "xml"
    return "turtle"  # N-Triples is Turtle too


class _Stop(Exception):
    pass


def screen_xml(body: bytes) -> None:
    """Refuse entity declarations (billion laughs, XXE) and external DTDs; stops scanning at
    the root element, since a DTD can only come before it."""

    def refuse(*_: Any) -> None:
        raise errors.UnsafeXml("XML 中含实体声明或外部 DTD，已拒绝（防 XXE 与实体膨胀攻击）。",
                               "XML with entity declarations or an external DTD is refused "
                               "(XXE and entity-expansion attacks).")

    def doctype(_name: str, system_id: str | None, public_id: str | None, _internal: int) -> None:
        if system_id or public_id:
            refuse()

    def stop(*_: Any) -> None:
        raise _Stop

    parser = xml.parsers.expat.ParserCreate()
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.StartDoctypeDeclHandler = doctype
    parser.StartElementHandler = stop
    try:
        parser.Parse(body, True)
    except _Stop:
        return
    except xml.parsers.expat.ExpatError as exc:
        raise errors.InvalidRdf("XML 格式错误。", "Malformed XML.", detail=str(exc)) from None


RdfPage = Graph | fastrdf.TripleIndex


def parse_page(page: Page, fetcher: Fetcher, forced: str | None = None) -> RdfPage:
    syntax = syntax_of(page, forced)
    if syntax == "xml":
        screen_xml(page.body)
    if fastrdf.supports(syntax):
        try:
            return fastrdf.parse(page.body, syntax, page.url)
        except (SyntaxError, ValueError):
            pass  # rdflib reads it again: it accepts more, and says what is wrong
    graph = Graph()
    try:
        if syntax == "xml":
            graph.parse(data=page.body, format="xml", publicID=page.url)
        elif syntax == "json-ld":
            document = _json(page)
            _resolve_contexts(document, fetcher, {})
            graph.parse(data=json.dumps(document), format="json-ld", base=page.url)
        else:
            graph.parse(data=page.body, format=syntax, publicID=page.url)
    except errors.HarvestError:
        raise
    except Exception as exc:  # noqa: BLE001 (rdflib raises many kinds on bad input)
        text = str(exc).replace("\n", " ")
        raise errors.InvalidRdf(f"无法解析 RDF（{syntax}）。", f"Cannot parse the RDF ({syntax}).",
                                detail=f"{page.url}: {type(exc).__name__}: {text[:400]}") from None
    return graph


def _json(page: Page) -> Any:
    try:
        return json.loads(page.body)
    except ValueError as exc:
        raise errors.InvalidRdf("JSON-LD 不是有效的 JSON。", "The JSON-LD is not valid JSON.",
                                detail=f"{page.url}: {exc}") from None


def _resolve_contexts(node: Any, fetcher: Fetcher, cache: dict[str, Any]) -> None:
    """Replace every remote ``@context`` IRI by the context it names (bounded fetches)."""
    if isinstance(node, list):
        for item in node:
            _resolve_contexts(item, fetcher, cache)
        return
    if not isinstance(node, dict):
        return
    if "@context" in node:
        node["@context"] = _context(node["@context"], fetcher, cache)
    for key, value in node.items():
        if key != "@context":
            _resolve_contexts(value, fetcher, cache)


def _context(value: Any, fetcher: Fetcher, cache: dict[str, Any]) -> Any:
    if isinstance(value, list):
        return [_context(v, fetcher, cache) for v in value]
    if not isinstance(value, str):
        return value
    if value not in cache:
        if len(cache) >= MAX_CONTEXTS:
            raise errors.InvalidRdf("JSON-LD 远程上下文过多。", "Too many remote JSON-LD contexts.")
        page = fetcher.get(value, accept="application/ld+json, application/json")
        document = _json(page)
        context = document.get("@context", {}) if isinstance(document, dict) else {}
        cache[value] = context
        _resolve_contexts({"@context": context}, fetcher, cache)
    return cache[value]


def next_page(graph: RdfPage, current: str) -> str | None:
    """Hydra's next page (``hydra:next`` of a PartialCollectionView, or the older
    ``hydra:nextPage`` of a PagedCollection), as an IRI or a literal."""
    for predicate in (HYDRA.next, HYDRA.nextPage):
        for value in graph.objects(None, predicate):
            if isinstance(value, URIRef | Literal) and str(value).strip() \
                    and str(value) != current:
                return str(value).strip()
    return None


def total_items(graph: RdfPage) -> int | None:
    for value in graph.objects(None, HYDRA.totalItems):
        try:
            return int(value)
        except (TypeError, ValueError):
            continue
    return None
