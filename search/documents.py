"""The one serializer from a stored dataset to its index documents, and the visibility filter.

A dataset has up to two documents (catalog/visibility.py decides who sees which revision):

- ``<id>:current`` — the working copy, for its department, administrators and (once it left
  the department, i.e. is not a draft) governance reviewers;
- ``<id>:published`` — the published revision, for everyone else, when there is one and the
  dataset is not withdrawn.

Both carry the dataset's department, state and current security rank, so the filter built by
``actor_filter`` can say "the published document, unless this actor sees the working copy" — the
same rule as ``catalog.visibility.view_of``, which ``tests/search`` checks against it. The text
and facet fields come from the field table (``searchable`` → text, ``facet`` → keywords).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from catalog import policy
from catalog.actors import Actor
from catalog.conditions import Cond, Eq, Not, all_of, any_of, renamed
from catalog.errors import Message
from search import analysis
from search.base import MAX_FILTER_VALUES, Hit, InvalidQuery
from vocab.concepts import scheme
from vocab.fields import BY_NAME, FIELDS, Field, Kind
from vocab.namespaces import DCT

CURRENT = "current"
PUBLISHED = "published"


# -- facets ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class FacetSpec:
    """A facet: its query parameter, where its values come from, how they are labelled."""

    name: str                 # query parameter and facet key (``format`` for ``formats``)
    label_zh: str
    label_en: str
    field: str | None = None  # the record field, when it is one
    scheme: str | None = None

    def label(self, value: str, labels: Mapping[str, str] | None = None) -> str:
        if self.scheme is not None and value in scheme(self.scheme):
            return scheme(self.scheme).get(value).label_zh
        return (labels or {}).get(value, value)

    def valid(self, value: str) -> bool:
        if self.scheme is not None:
            return value in scheme(self.scheme)
        return 0 < len(value) <= 100


_PARAMETER = {"formats": "format", "publisher_name": "publisher"}


def _facet_of(f: Field) -> FacetSpec:
    return FacetSpec(_PARAMETER.get(f.name, f.name), f.label_zh, f.label_en, field=f.name,
                     scheme=f.scheme if f.kind is Kind.CONCEPT else None)


FACETS: dict[str, FacetSpec] = {
    "department": FacetSpec("department", "部门", "Department"),
    **{spec.name: spec for spec in (_facet_of(f) for f in FIELDS if f.facet)},
    "level": FacetSpec("level", "行政层级", "Administrative level", scheme="admin-level"),
}

# the searchable fields that name the record go to the weighted title text, the others to body
TITLE_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.searchable and f.predicate == DCT.title)
BODY_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.searchable and f.name not in TITLE_FIELDS)


def _classification_path(code: str) -> list[str]:
    """The code and its broader concepts (filtering by 101 finds 101001 too)."""
    classification = scheme("classification")
    path: list[str] = []
    current: str | None = code
    while current and current not in path:
        path.append(current)
        current = classification.get(current).broader if current in classification else None
    return path


def _values(record: Mapping[str, Any], name: str) -> list[str]:
    value = record.get(name)
    if value in (None, ""):
        return []
    items = value if isinstance(value, list) else [value]
    return [str(v).strip() for v in items if str(v).strip()]


def _text_values(record: Mapping[str, Any], name: str) -> list[str]:
    field = BY_NAME[name]
    if field.kind is Kind.DATA_ITEMS:
        out: list[str] = []
        for item in record.get(name) or []:
            if isinstance(item, Mapping):
                out.extend(str(item[k]) for k in ("name", "description") if item.get(k))
        return out
    return _values(record, name)


# -- documents -------------------------------------------------------------------------------
@dataclass(frozen=True)
class DatasetState:
    """What the serializer needs of a stored dataset (catalog.db.Dataset has these columns)."""

    id: str
    state: str
    resource_code: str
    security_rank: int
    current_revision: int
    published_revision: int | None
    published_security_rank: int | None
    department_id: int


@dataclass(frozen=True)
class DepartmentInfo:
    id: int
    code: str
    name: str
    short_name: str
    level: str


def doc_id(dataset_id: str, view: str) -> str:
    return f"{dataset_id}:{view}"


def all_doc_ids(dataset_id: str) -> list[str]:
    return [doc_id(dataset_id, CURRENT), doc_id(dataset_id, PUBLISHED)]


def document(dataset: DatasetState, department: DepartmentInfo, view: str,
             record: Mapping[str, Any]) -> dict[str, Any]:
    """The index document of one view (current | published) of a dataset."""
    revision = dataset.current_revision if view == CURRENT else dataset.published_revision
    rank = dataset.security_rank if view == CURRENT else dataset.published_security_rank
    assert revision is not None and rank is not None
    facets: dict[str, list[str]] = {
        "department": [department.code],
        "level": [department.level] if department.level else [],
    }
    for spec in FACETS.values():
        if spec.field is None:
            continue
        values = _values(record, spec.field)
        if spec.field == "classification":
            values = [c for v in values for c in _classification_path(v)]
        elif spec.field == "formats":
            values = [v.upper() for v in values]
        facets[spec.name] = list(dict.fromkeys(values))
    title_text = analysis.analyze(v for name in TITLE_FIELDS for v in _values(record, name))
    body_text = analysis.analyze([*(v for name in BODY_FIELDS for v in _text_values(record, name)),
                                  department.name, department.short_name])
    title = str(record.get("title") or "")
    return {
        "doc_id": doc_id(dataset.id, view),
        "dataset_id": dataset.id,
        "view": view,
        "version": f"{revision}/{dataset.state}/{dataset.published_revision or 0}",
        # visibility (see actor_filter)
        "department_id": dataset.department_id,
        "state": dataset.state,
        "security_rank": dataset.security_rank,
        "rank": rank,
        # shown in hits
        "resource_code": dataset.resource_code,
        "source_identifier": str(record.get("source_identifier") or ""),
        "title": title,
        "title_en": str(record.get("title_en") or ""),
        "description": str(record.get("description") or ""),
        "keywords": _values(record, "keywords"),
        "department_code": department.code,
        "department_name": department.name,
        "security_level": str(record.get("security_level") or ""),
        "modified": str(record.get("modified") or record.get("issued") or ""),
        "title_sort": analysis.fold(title),
        # analysed text
        "title_words": title_text.words,
        "title_grams": title_text.grams,
        "body_words": body_text.words,
        "body_grams": body_text.grams,
        "facets": facets,
        # suggestions as you type: the title from each of its words on, the department names
        "suggest_title": _title_prefixes(record),
        "suggest_department": list(dict.fromkeys(
            analysis.fold(n) for n in (department.name, department.short_name) if n)),
    }


def _title_prefixes(record: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    for name in TITLE_FIELDS:
        for value in _values(record, name):
            folded = analysis.fold(value)
            out.append(folded)
            position = 0
            for token in analysis.segmenter().cut(folded, True):
                if position and analysis.pieces(token):
                    out.append(folded[position:])
                position += len(token)
    return list(dict.fromkeys(out))[:40]


def documents(dataset: DatasetState, department: DepartmentInfo,
              revisions: Mapping[int, Mapping[str, Any]], *,
              ceiling_rank: int | None = None) -> list[dict[str, Any]]:
    """The documents a dataset should have in the index now (zero, one or two).

    ``revisions`` maps revision numbers to their records (the current and published ones).
    A view above ``ceiling_rank`` (the network's ceiling) is never indexed.
    """
    out = []
    views = [(CURRENT, dataset.current_revision, dataset.security_rank)]
    if dataset.published_revision is not None and dataset.state != "withdrawn":
        views.append((PUBLISHED, dataset.published_revision,
                      dataset.published_security_rank or 0))
    made: dict[int, dict[str, Any]] = {}
    for view, number, rank in views:
        if ceiling_rank is not None and rank > ceiling_rank:
            continue
        if number in made:  # the published revision is the working copy: analyse it once
            out.append({**made[number], "doc_id": doc_id(dataset.id, view), "view": view,
                        "rank": rank})
            continue
        made[number] = document(dataset, department, view, revisions[number])
        out.append(made[number])
    return out


# -- visibility ------------------------------------------------------------------------------
# The rule is catalog.policy's (one rule for the store, the index and single reads), read over
# the documents' fields: both documents carry the dataset's department, state and current
# security rank; ``rank`` is the level of the document's own revision.
FILTER_FIELDS = frozenset({"view", "department_id", "state", "security_rank", "rank"})
_PUBLISHED_FIELDS = {"published_rank": "rank"}


def actor_filter(actor: Actor) -> Cond:
    """The documents ``actor`` may see: each dataset's working copy or its published revision,
    exactly as ``catalog.visibility.view_of`` chooses, never above the actor's clearance."""
    working = policy.dataset_working_copy(actor)
    return any_of(
        all_of(Eq("view", CURRENT), working),
        all_of(Eq("view", PUBLISHED),
               renamed(policy.dataset_published(actor), _PUBLISHED_FIELDS), Not(working)))


# -- hits ------------------------------------------------------------------------------------
# what a backend keeps of a document to answer with (besides the analysed text and facets)
STORED_FIELDS: tuple[str, ...] = (
    "doc_id", "dataset_id", "view", "version", "state", "resource_code", "source_identifier",
    "title", "title_en", "description", "keywords", "department_code", "department_name",
    "security_level", "modified")

DESCRIPTION_FRAGMENT = 120


def highlights(source: Mapping[str, Any], terms: list[str]) -> dict[str, list[str]]:
    """Marked fragments of the displayed fields that contain a query term (both backends)."""
    out: dict[str, list[str]] = {}
    for name, size in (("title", 0), ("title_en", 0), ("description", DESCRIPTION_FRAGMENT)):
        fragments = analysis.highlight(str(source.get(name) or ""), terms, fragment_size=size)
        if fragments:
            out[name] = fragments
    keywords = [f for k in source.get("keywords") or [] for f in analysis.highlight(k, terms)]
    if keywords:
        out["keywords"] = keywords
    return out


def hit(source: Mapping[str, Any], *, score: float | None, terms: list[str] | None) -> Hit:
    """A search hit from a document's stored fields; highlights when ``terms`` are given."""
    return Hit(
        id=source["dataset_id"], doc_id=source["doc_id"], view=source["view"],
        source_identifier=source.get("source_identifier") or "",
        resource_code=source.get("resource_code") or "", title=source.get("title") or "",
        department_code=source.get("department_code") or "",
        department_name=source.get("department_name") or "",
        state=source["state"] if source["view"] == CURRENT else PUBLISHED,
        modified=source.get("modified") or "", security_level=source.get("security_level") or "",
        highlights=highlights(source, terms) if terms else {}, score=score)


def stored(doc: Mapping[str, Any]) -> dict[str, Any]:
    return {name: doc.get(name) for name in STORED_FIELDS}


def validate_filters(filters: Mapping[str, Iterable[str]]) -> dict[str, tuple[str, ...]]:
    """Known facets and (for scheme facets) known codes; InvalidQuery otherwise."""
    out: dict[str, tuple[str, ...]] = {}
    for name, values in filters.items():
        spec = FACETS.get(name)
        if spec is None:
            raise InvalidQuery(name, Message(f"未知的筛选项：{name}。", f"Unknown facet: {name}."))
        values = tuple(dict.fromkeys(str(v).strip() for v in values if str(v).strip()))
        if len(values) > MAX_FILTER_VALUES:
            raise InvalidQuery(name, Message(f"“{spec.label_zh}”最多选择 {MAX_FILTER_VALUES} 项。",
                                             f"At most {MAX_FILTER_VALUES} values of {name}."))
        if name == "format":
            values = tuple(v.upper() for v in values)
        for value in values:
            if not spec.valid(value):
                raise InvalidQuery(name, Message(
                    f"“{spec.label_zh}”没有取值“{value[:40]}”。",
                    f"'{value[:40]}' is not a value of {name}."))
        if values:
            out[name] = values
    return out
