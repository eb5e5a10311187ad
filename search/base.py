"""The search backend contract: one small protocol, the query and result types, the errors.

Two implementations: ``search.sqlite`` (FTS5, embedded default) and ``search.elastic``
(Elasticsearch 8 through the official client). ``search.open_backend`` picks one from the
settings at start-up. Every query carries the actor: results, totals, facet counts and
suggestions only ever count documents the actor may see (``search.documents.actor_filter``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from catalog.actors import Actor
from catalog.errors import Message

Sort = Literal["relevance", "modified", "title"]
SORTS: tuple[str, ...] = ("relevance", "modified", "title")
MAX_QUERY_LENGTH = 200
MAX_PAGE_SIZE = 100
MAX_PREFIX_LENGTH = 50
MAX_FILTER_VALUES = 20
FACET_SIZE = 50


class SearchError(Exception):
    """Base of the search errors."""


class InvalidQuery(SearchError):
    """Fix the query and retry (an API answers 400); ``field`` names the bad parameter."""

    def __init__(self, field: str, message: Message):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class SearchUnavailable(SearchError):
    """The backend cannot be reached or refused the write; retry later (nothing was lost)."""


@dataclass(frozen=True)
class Query:
    """One search as one actor asks it. ``filters`` maps a facet name to the values wanted
    (any of them; different facets all apply)."""

    actor: Actor
    text: str = ""
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sort: Sort = "relevance"
    page_size: int = 20
    cursor: str | None = None
    highlight: bool = True
    facets: bool = True

    def sort_for(self, clauses: Sequence[object]) -> str:
        """The sort to apply: relevance without query words means nothing, so by modified."""
        return self.sort if self.sort != "relevance" or clauses else "modified"

    def fingerprint(self) -> str:
        """What a cursor must belong to: the same actor, text, filters and sort."""
        material = json.dumps([self.actor.username, self.actor.role, self.actor.department_id,
                               self.actor.clearance, self.text.strip(),
                               sorted((k, sorted(v)) for k, v in self.filters.items() if v),
                               self.sort], ensure_ascii=False)
        return hashlib.sha256(material.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int


@dataclass(frozen=True)
class Hit:
    id: str                        # the Mulu dataset id
    doc_id: str                    # the index document (dataset id + view)
    view: str                      # "current" (working copy) or "published"
    source_identifier: str
    resource_code: str
    title: str
    department_code: str
    department_name: str
    state: str
    modified: str
    security_level: str
    highlights: dict[str, list[str]] = field(default_factory=dict)
    score: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "source_identifier": self.source_identifier,
                "resource_code": self.resource_code, "title": self.title,
                "department": self.department_name, "department_code": self.department_code,
                "state": self.state, "modified": self.modified,
                "security_level": self.security_level, "highlights": self.highlights}


@dataclass(frozen=True)
class Result:
    total: int
    hits: list[Hit]
    facets: dict[str, list[FacetValue]]
    next_cursor: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"total": self.total, "hits": [h.as_dict() for h in self.hits],
                "facets": {name: [v.__dict__ for v in values]
                           for name, values in self.facets.items()},
                "next_cursor": self.next_cursor}


@dataclass(frozen=True)
class Suggestion:
    text: str
    kind: Literal["title", "department"]
    value: str          # dataset id for a title, department code for a department

    def as_dict(self) -> dict[str, str]:
        return {"text": self.text, "kind": self.kind, "value": self.value}


@runtime_checkable
class SearchBackend(Protocol):
    """What both search backends do. Writes come only from the indexer."""

    name: str

    def index(self, docs: Sequence[dict[str, Any]]) -> None:
        """Add or replace documents (by ``doc_id``); raise SearchUnavailable on failure."""

    def delete(self, doc_ids: Sequence[str]) -> None:
        """Remove documents; ids not in the index are ignored."""

    def search(self, query: Query) -> Result:
        """Hits, total and facet counts over what ``query.actor`` may see."""

    def suggest(self, prefix: str, actor: Actor, limit: int = 10) -> list[Suggestion]:
        """Titles and departments starting with ``prefix``, among what the actor may see."""

    def rebuild(self, docs: Iterable[dict[str, Any]]) -> int:
        """Build a new index from ``docs`` and swap it in at once; return its size."""

    def count(self) -> int:
        """Documents in the live index."""

    def versions(self) -> dict[str, str]:
        """``doc_id`` → ``version`` of every document (to compare the index with the store)."""

    def close(self) -> None:
        """Release connections."""


# -- cursors ---------------------------------------------------------------------------------
def encode_cursor(query: Query, after: list[Any], **extra: Any) -> str:
    payload = {"f": query.fingerprint(), "a": after, **extra}
    raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(query: Query) -> dict[str, Any] | None:
    """The cursor's payload, or None on the first page; InvalidQuery when it is not ours."""
    if not query.cursor:
        return None
    bad = InvalidQuery("cursor", Message("翻页游标无效或不属于本次检索。",
                                         "The cursor is malformed or belongs to another search."))
    try:
        text = query.cursor + "=" * (-len(query.cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(text.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        raise bad from None
    if not isinstance(payload, dict) or payload.get("f") != query.fingerprint():
        raise bad
    after = payload.get("a")
    if not isinstance(after, list) or not all(isinstance(v, str | int | float) and
                                              not isinstance(v, bool) for v in after):
        raise bad
    return payload


def cursor_after(cursor: dict[str, Any] | None, sort: str) -> list[Any] | None:
    """The cursor's ``[sort value, doc_id]`` checked against the sort, or None on page one."""
    if cursor is None:
        return None
    after = cursor["a"]
    first_type = (int, float) if sort == "relevance" else (str,)
    pit = cursor.get("p")
    if (len(after) != 2 or not isinstance(after[0], first_type) or isinstance(after[0], bool)
            or not isinstance(after[1], str) or not (pit is None or isinstance(pit, str))):
        raise InvalidQuery("cursor", Message("翻页游标无效。", "The cursor is malformed."))
    return after
