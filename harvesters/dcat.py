"""DCAT catalogs: RDF/XML, Turtle, JSON-LD, N-Triples; Hydra paging; DCAT-AP 2 and 3 through
the vocabulary's profiles (``vocab.profiles.parse_dataset``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rdflib import BNode, URIRef
from rdflib.term import Node

from harvesters import errors, fastrdf, rdf
from harvesters.base import Harvester, PageProblem, Remote
from harvesters.placement import Mapped
from vocab.namespaces import ADMS, DCT, FOAF, SKOS
from vocab.profiles import dataset_subjects, parse_dataset, set_aside
from vocab.profiles.base import best_literal

# the terms each record is read by, made once (a namespace attribute builds a new URIRef)
_IDENTIFIER, _MODIFIED, _PUBLISHER = DCT.identifier, DCT.modified, DCT.publisher
_ADMS_IDENTIFIER, _NOTATION, _NAME = ADMS.identifier, SKOS.notation, FOAF.name


def _written(names: dict[Node, str], term: Node) -> str:
    """``term`` in N-Triples, remembered in ``names``."""
    name = names[term] = term.n3()
    return name


def _closure(graph: rdf.RdfPage, subject: Node, names: dict[Node, str] | None = None) -> str:
    """The dataset's triples and those of the blank nodes it points at, as N-Triples
    (``names``: the page's terms already written, most of them shared by many datasets)."""
    names = {} if names is None else names
    lines, todo, seen = [], [subject], {subject}
    while todo:
        node = todo.pop()
        written = names.get(node) or _written(names, node)
        for predicate, obj in graph.predicate_objects(node):
            lines.append(f"{written} {names.get(predicate) or _written(names, predicate)} "
                         f"{names.get(obj) or _written(names, obj)} .")
            if isinstance(obj, BNode) and obj not in seen:
                seen.add(obj)
                todo.append(obj)
    return "\n".join(lines)


class DcatHarvester(Harvester):
    type = "dcat"

    def listing(self) -> Iterator[Remote | PageProblem]:
        url: str | None = self.source.url
        seen_pages: set[str] = set()
        expected: int | None = None
        listed = 0
        forced = self.source.config.get("format") or None
        while url:
            if url in seen_pages or len(seen_pages) >= self.source.limits.max_pages:
                yield PageProblem(url, errors.ListingChanged(
                    "分页链接循环或页数超过上限。", "The pages link back in a loop, or are too many."))
                return
            seen_pages.add(url)
            try:
                page = self.fetcher.get(url, accept=rdf.ACCEPT)
                graph = rdf.parse_page(page, self.fetcher, forced)
            except (errors.FetchError, errors.PayloadError) as exc:
                raw = ""
                if isinstance(exc, errors.PayloadError) and "page" in locals():
                    raw = page.text()[:4000]
                yield PageProblem(url, exc, raw=raw)
                return
            total = rdf.total_items(graph)
            if total is not None:
                if expected is not None and total != expected:
                    yield PageProblem(url, errors.ListingChanged(
                        "翻页期间列表发生变化。", "The listing changed between pages.",
                        detail=f"totalItems {expected} -> {total}"))
                expected = self.expected = total
            names: dict[Node, str] = {}
            with fastrdf.out_of_full_collections():
                for subject in dataset_subjects(graph):  # type: ignore[arg-type]
                    listed += 1
                    yield self._remote(graph, subject, url, names)
            url = rdf.next_page(graph, url)
        if expected is not None and listed < expected:
            yield PageProblem(self.source.url, errors.ListingChanged(
                "列表少于其声明的总数。", "The listing holds fewer records than it declares.",
                detail=f"{listed} of {expected}"))

    @staticmethod
    def _remote(graph: rdf.RdfPage, subject: Node, where: str,
                names: dict[Node, str]) -> Remote | PageProblem:
        identifier = best_literal(graph.objects(subject, _IDENTIFIER), None)
        if isinstance(subject, URIRef):
            remote_id = str(subject)
        elif identifier:
            remote_id = identifier
        else:
            return PageProblem(where, errors.NoIdentifier(
                "数据集既无 IRI 也无 dct:identifier，无法跟踪。",
                "A dataset with neither an IRI nor a dct:identifier cannot be tracked."),
                raw=_closure(graph, subject, names)[:4000], kind="record")
        modified = graph.value(subject, _MODIFIED)
        return Remote(remote_id, (graph, subject), modified=str(modified or ""),
                      raw=lambda: _closure(graph, subject, names))

    def map(self, remote: Remote) -> Mapped:
        graph, subject = remote.payload
        unread: dict[str, str] = {}
        record: dict[str, Any] = parse_dataset(graph, subject, unread=unread)
        if isinstance(subject, URIRef):  # provenance: the dataset at its source
            record["source"] = sorted({*record.get("source", ()), str(subject)})
        identifiers = [str(subject)] if isinstance(subject, URIRef) else []
        if record.get("resource_code"):
            identifiers.append(record["resource_code"])
        for node in graph.objects(subject, _ADMS_IDENTIFIER):
            value = best_literal(graph.objects(node, _NOTATION), None)
            if value:
                identifiers.append(value)
        said = record.get("source_identifier")
        if said and said != remote.remote_id[:500]:  # the source's own adms:identifier stays
            set_aside(record, "source_identifier", [said])
        record["source_identifier"] = remote.remote_id[:500]
        publisher = graph.value(subject, _PUBLISHER)
        name = best_literal(graph.objects(publisher, _NAME), None) if publisher else None
        code = best_literal(graph.objects(publisher, _IDENTIFIER), None) if publisher else None
        record.pop("publisher_name", None)
        record.pop("publisher_code", None)
        return Mapped(record, publisher=name, publisher_key=str(publisher) if publisher else None,
                      publisher_code=code, unread=unread,
                      identifiers=tuple(dict.fromkeys(i for i in identifiers
                                                      if i != remote.remote_id)))
