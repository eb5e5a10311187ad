"""SKOS concept schemes loaded from ``vocab/schemes/*.ttl`` (the only place their terms live)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from rdflib import Graph, Literal, URIRef

from vocab.namespaces import MULU, MULU_SCHEME, SKOS

SCHEME_DIR = Path(__file__).parent / "schemes"


@dataclass(frozen=True)
class Concept:
    code: str
    uri: URIRef
    label_zh: str
    label_en: str
    alt_labels: tuple[str, ...] = ()
    broader: str | None = None
    exact_match: URIRef | None = None
    rank: int | None = None
    ceiling: str | None = None

    def label(self, lang: str = "zh") -> str:
        return self.label_en if lang == "en" else self.label_zh


def _fold(text: str) -> str:
    """Normalize a label for lookup: NFKC, no spaces, lower case."""
    return "".join(unicodedata.normalize("NFKC", text).split()).lower()


@dataclass
class Scheme:
    name: str
    uri: URIRef
    label_zh: str
    label_en: str
    concepts: dict[str, Concept] = field(default_factory=dict)
    _by_label: dict[str, str] = field(default_factory=dict, repr=False)
    _by_uri: dict[str, str] = field(default_factory=dict, repr=False)   # plain IRI -> code

    @property
    def codes(self) -> list[str]:
        return list(self.concepts)

    def get(self, code: str) -> Concept:
        return self.concepts[code]

    def __contains__(self, code: object) -> bool:
        return code in self.concepts

    def lookup(self, value: str) -> Concept | None:
        """Find a concept by code, Chinese or English label, or alternative label."""
        if value in self.concepts:
            return self.concepts[value]
        code = self._by_label.get(_fold(value))
        return self.concepts[code] if code else None

    def by_uri(self, uri: URIRef) -> Concept | None:
        code = self._by_uri.get(str(uri))  # (a plain key: compared in C, not by rdflib)
        return self.concepts[code] if code else None

    def add(self, concept: Concept) -> None:
        self.concepts[concept.code] = concept
        self._by_uri[str(concept.uri)] = concept.code
        if concept.exact_match is not None:
            self._by_uri[str(concept.exact_match)] = concept.code
        for label in (concept.label_zh, concept.label_en, concept.code, *concept.alt_labels):
            self._by_label.setdefault(_fold(label), concept.code)


def _literal(graph: Graph, subject: URIRef, predicate: URIRef, lang: str) -> str:
    for value in graph.objects(subject, predicate):
        if isinstance(value, Literal) and value.language == lang:
            return str(value)
    return ""


def _load_scheme(path: Path) -> Scheme:
    graph = Graph().parse(path, format="turtle")
    uri = MULU_SCHEME[path.stem]
    scheme = Scheme(path.stem, uri, _literal(graph, uri, SKOS.prefLabel, "zh"),
                    _literal(graph, uri, SKOS.prefLabel, "en"))
    subjects = sorted(set(graph.subjects(SKOS.inScheme, uri)),
                      key=lambda s: str(graph.value(s, SKOS.notation)))
    for subject in subjects:
        broader = graph.value(subject, SKOS.broader)
        match = graph.value(subject, SKOS.exactMatch)
        rank = graph.value(subject, MULU.rank)
        ceiling = graph.value(subject, MULU.ceiling)
        scheme.add(Concept(
            code=str(graph.value(subject, SKOS.notation)),
            uri=URIRef(subject),
            label_zh=_literal(graph, subject, SKOS.prefLabel, "zh"),
            label_en=_literal(graph, subject, SKOS.prefLabel, "en"),
            alt_labels=tuple(sorted(str(a) for a in graph.objects(subject, SKOS.altLabel))),
            broader=str(graph.value(broader, SKOS.notation)) if broader is not None else None,
            exact_match=URIRef(match) if match is not None else None,
            rank=int(rank) if rank is not None else None,
            ceiling=str(ceiling).rsplit("/", 1)[-1] if ceiling is not None else None,
        ))
    return scheme


@cache
def all_schemes() -> dict[str, Scheme]:
    return {path.stem: _load_scheme(path) for path in sorted(SCHEME_DIR.glob("*.ttl"))}


def scheme(name: str) -> Scheme:
    return all_schemes()[name]


def security_rank(code: str) -> int:
    rank = scheme("security-level").get(code).rank
    assert rank is not None
    return rank


def network_ceiling(network: str) -> str:
    ceiling = scheme("network").get(network).ceiling
    assert ceiling is not None
    return ceiling
