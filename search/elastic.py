"""The Elasticsearch backend: the official ``elasticsearch`` 8.x client, standard ES 8 API only.

Documents are the same pre-analysed documents as the embedded backend's (search.analysis):
the word and bigram fields use a whitespace analyzer, so both backends match the same records.
The live index is reached through an alias; a rebuild fills a new index and swaps the alias in
one ``_aliases`` call. Facets are ``terms`` aggregations, each under a ``filter`` of the other
facets' selections, with the selections themselves in ``post_filter``; deep paging is
``search_after`` (point-in-time from the second page on); suggestions are ``prefix`` queries
on keyword fields, under the same visibility filter as every search.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from elastic_transport import TransportError
from elasticsearch import ApiError, Elasticsearch, NotFoundError, helpers

from catalog.actors import Actor
from catalog.conditions import And, Cond, Const, Eq, Le, Not, Or
from search import analysis
from search.base import (
    FACET_SIZE,
    MAX_PREFIX_LENGTH,
    FacetValue,
    Query,
    Result,
    SearchUnavailable,
    Suggestion,
    cursor_after,
    decode_cursor,
    encode_cursor,
)
from search.documents import (
    FACETS,
    STORED_FIELDS,
    actor_filter,
    hit,
)

log = logging.getLogger("mulu.search")
T = TypeVar("T")

DEFAULT_ALIAS = "mulu-datasets"
PIT_KEEP_ALIVE = "2m"
LONG_MAX = 9223372036854775807
BULK_CHUNK = 500
WORD_FIELDS = (("title_words", 2.0), ("body_words", 0.5))  # = search.sqlite.WEIGHTS
GRAM_FIELDS = (("title_grams", 3.0), ("body_grams", 0.5))

_KEYWORD = {"type": "keyword"}
_TOKENS = {"type": "text", "analyzer": "mulu_tokens"}
SETTINGS: dict[str, Any] = {
    "number_of_shards": 1,
    "number_of_replicas": 0,
    "analysis": {"analyzer": {"mulu_tokens": {
        "type": "custom", "tokenizer": "whitespace", "filter": ["lowercase"]}}},
}
MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        **{name: _KEYWORD for name in ("doc_id", "dataset_id", "view", "version", "state",
                                       "department_code", "department_name", "title_sort",
                                       "modified", "suggest_title", "suggest_department")},
        "department_id": {"type": "long"},
        "security_rank": {"type": "integer"},
        "rank": {"type": "integer"},
        **{name: _TOKENS for name, _ in (*WORD_FIELDS, *GRAM_FIELDS)},
        "facets": {"properties": {name: _KEYWORD for name in FACETS}},
        "stored": {"type": "object", "enabled": False},
    },
}
INDEXED_FIELDS = tuple(n for n in MAPPINGS["properties"] if n != "stored")


def compile_filter(cond: Cond) -> dict[str, Any]:
    """A visibility filter as Elasticsearch query DSL."""
    match cond:
        case Const(value):
            return {"match_all": {}} if value else {"match_none": {}}
        case Eq(name, value):
            return {"term": {name: value}}
        case Le(name, value):
            return {"range": {name: {"lte": value}}}
        case Not(part):
            return {"bool": {"must_not": [compile_filter(part)]}}
        case And(parts):
            return {"bool": {"filter": [compile_filter(p) for p in parts]}}
        case Or(parts):
            return {"bool": {"should": [compile_filter(p) for p in parts],
                             "minimum_should_match": 1}}
    raise TypeError(f"not a filter: {cond!r}")


def text_clauses(clauses: Sequence[analysis.Clause]) -> list[dict[str, Any]]:
    """The query plan as ``bool.must`` clauses (each a ``should`` of its alternatives)."""
    must = []
    for clause in clauses:
        should: list[dict[str, Any]] = []
        for alt in clause.alternatives:
            for name, boost in WORD_FIELDS:
                should.append({"match_phrase": {name: {"query": " ".join(alt.words),
                                                       "boost": boost}}})
            if alt.grams:
                for name, boost in GRAM_FIELDS:
                    if alt.prefix:
                        should.append({"prefix": {name: {"value": alt.grams[0], "boost": boost}}})
                    else:
                        should.append({"match_phrase": {name: {"query": " ".join(alt.grams),
                                                               "boost": boost}}})
        must.append({"bool": {"should": should, "minimum_should_match": 1}})
    return must


def facet_filter(name: str, values: Sequence[str]) -> dict[str, Any]:
    return {"terms": {f"facets.{name}": list(values)}}


def _sort(sort: str, *, pit: bool) -> list[Any]:
    primary = {"relevance": {"_score": "desc"}, "modified": {"modified": "desc"},
               "title": {"title_sort": "asc"}}[sort]
    return [primary, {"doc_id": "asc"}, *([{"_shard_doc": "asc"}] if pit else [])]


def search_body(query: Query, clauses: Sequence[analysis.Clause], sort: str,
                after: list[Any] | None = None, *, pit: bool = False) -> dict[str, Any]:
    """The request body of one search (unit-tested: the stand-in accepts unknown keys)."""
    filters = {name: values for name, values in query.filters.items() if values}
    body: dict[str, Any] = {
        "query": {"bool": {"must": text_clauses(clauses) or [{"match_all": {}}],
                           "filter": [compile_filter(actor_filter(query.actor))]}},
        "sort": _sort(sort, pit=pit),
        "size": query.page_size + 1,
        "track_total_hits": True,
        "_source": ["stored"],
    }
    if filters:
        body["post_filter"] = {"bool": {"filter": [facet_filter(n, v) for n, v in filters.items()]}}
    if query.facets:
        aggs: dict[str, Any] = {}
        for name in FACETS:
            others = [facet_filter(n, v) for n, v in filters.items() if n != name]
            values: dict[str, Any] = {"terms": {"field": f"facets.{name}", "size": FACET_SIZE,
                                                "order": [{"_count": "desc"}, {"_key": "asc"}]}}
            if name == "department":
                values["aggs"] = {"name": {"terms": {"field": "department_name", "size": 1}}}
            aggs[name] = {"filter": {"bool": {"filter": others}} if others else {"match_all": {}},
                          "aggs": {"values": values}}
        body["aggs"] = aggs
    if after is not None:
        body["search_after"] = [*after, LONG_MAX] if pit else after
    return body


def suggest_bodies(term: str, actor: Actor, limit: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Request bodies for department and title suggestions starting with ``term`` (folded)."""
    visible = compile_filter(actor_filter(actor))
    departments = {
        "size": 0,
        "query": {"bool": {"filter": [visible, {"prefix": {"suggest_department": term}}]}},
        "aggs": {"departments": {
            "terms": {"field": "department_name", "size": min(3, limit), "order": {"_key": "asc"}},
            "aggs": {"code": {"terms": {"field": "department_code", "size": 1}}}}},
    }
    titles = {
        "size": limit,
        "query": {"bool": {"filter": [visible, {"prefix": {"suggest_title": term}}]}},
        "sort": [{"title_sort": "asc"}, {"doc_id": "asc"}],
        "_source": ["stored"],
    }
    return departments, titles


def es_document(doc: dict[str, Any]) -> dict[str, Any]:
    return {**{name: doc[name] for name in INDEXED_FIELDS},
            "stored": {name: doc.get(name) for name in STORED_FIELDS}}


class ElasticSearch:
    """SearchBackend over Elasticsearch 8 (or the noida-db stand-in in tests)."""

    name = "elasticsearch"

    def __init__(self, url: str, *, alias: str = DEFAULT_ALIAS, timeout: float = 10.0,
                 client: Elasticsearch | None = None):
        self.url = url
        self.alias = alias
        self.client = client or Elasticsearch(url, request_timeout=timeout, max_retries=1,
                                              retry_on_timeout=False)
        self._ready = False
        self._lock = threading.Lock()

    # -- plumbing ---------------------------------------------------------------------------
    def _call(self, action: Callable[[], T]) -> T:
        try:
            return action()
        except ApiError as exc:
            if exc.meta.status >= 500 or exc.meta.status == 429:
                raise SearchUnavailable(f"Elasticsearch answered {exc.meta.status}: {exc}") from exc
            if exc.meta.status == 404 and exc.error == "index_not_found_exception":
                self._ready = False  # the alias went away: create it again on the next call
                raise SearchUnavailable(f"no index behind the alias {self.alias}") from exc
            raise
        except (TransportError, helpers.BulkIndexError) as exc:
            raise SearchUnavailable(f"Elasticsearch unreachable at {self.url}: {exc}") from exc

    def _new_index(self) -> str:
        name = f"{self.alias}-{time.time_ns()}"
        self.client.indices.create(index=name, settings=SETTINGS, mappings=MAPPINGS)
        return name

    def _ensure(self) -> None:
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return

            def create() -> None:
                if not self.client.indices.exists_alias(name=self.alias):
                    name = self._new_index()
                    self.client.indices.put_alias(index=name, name=self.alias)

            self._call(create)
            self._ready = True

    def _live_indices(self) -> list[str]:
        try:
            return list(self.client.indices.get_alias(name=self.alias))
        except NotFoundError:
            return []

    def close(self) -> None:
        self.client.close()

    # -- writes -----------------------------------------------------------------------------
    def _bulk(self, actions: list[dict[str, Any]], index: str, refresh: Any) -> None:
        if not actions:
            return
        for action in actions:
            action["_index"] = index

        def run() -> None:
            _, errors = helpers.bulk(self.client, actions, chunk_size=BULK_CHUNK,
                                     raise_on_error=False, refresh=refresh)
            failed = [e for e in errors if not (
                "delete" in e and e["delete"].get("status") == 404)]
            if failed:
                first = next(iter(failed[0].values()))
                raise SearchUnavailable(f"{len(failed)} index writes refused, first: "
                                        f"{first.get('status')} {first.get('error')}")

        self._call(run)

    def index(self, docs: Sequence[dict[str, Any]]) -> None:
        self._ensure()
        self._bulk([{"_op_type": "index", "_id": d["doc_id"], "_source": es_document(d)}
                    for d in docs], self.alias, "wait_for")

    def delete(self, doc_ids: Sequence[str]) -> None:
        self._ensure()
        self._bulk([{"_op_type": "delete", "_id": i} for i in doc_ids], self.alias, "wait_for")

    def rebuild(self, docs: Iterable[dict[str, Any]]) -> int:
        self._ensure()
        new = self._call(self._new_index)
        count = 0
        try:
            batch: list[dict[str, Any]] = []
            for doc in docs:
                batch.append({"_op_type": "index", "_id": doc["doc_id"],
                              "_source": es_document(doc)})
                if len(batch) >= BULK_CHUNK:
                    self._bulk(batch, new, False)
                    count += len(batch)
                    batch = []
            self._bulk(batch, new, False)
            count += len(batch)
            self._call(lambda: self.client.indices.refresh(index=new))
            old = self._call(self._live_indices)
            actions = [{"remove": {"index": name, "alias": self.alias}} for name in old]
            actions.append({"add": {"index": new, "alias": self.alias}})
            self._call(lambda: self.client.indices.update_aliases(actions=actions))
        except BaseException:
            try:
                self.client.options(ignore_status=404).indices.delete(index=new)
            except (ApiError, TransportError):
                log.warning("could not drop the unfinished index %s", new)
            raise
        for name in old:
            self._call(lambda n=name: self.client.options(ignore_status=404).indices.delete(index=n))
        log.info("search index rebuilt: %d documents (%s)", count, new)
        return count

    # -- reads ------------------------------------------------------------------------------
    def count(self) -> int:
        self._ensure()
        return int(self._call(lambda: self.client.count(index=self.alias))["count"])

    def versions(self) -> dict[str, str]:
        self._ensure()
        return {d["doc_id"]: d["version"] for d in self._scan(["doc_id", "version"])}

    def _scan(self, fields: list[str]) -> Iterator[dict[str, Any]]:
        after: list[Any] | None = None
        while True:
            body: dict[str, Any] = {"size": 1000, "sort": [{"doc_id": "asc"}],
                                    "query": {"match_all": {}}, "_source": fields}
            if after is not None:
                body["search_after"] = after
            hits = self._call(lambda b=body: self.client.search(index=self.alias, body=b))["hits"]["hits"]
            if not hits:
                return
            yield from (h["_source"] for h in hits)
            after = hits[-1]["sort"]

    def search(self, query: Query) -> Result:
        self._ensure()
        clauses = analysis.analyze_query(query.text) if query.text.strip() else ()
        sort = query.sort_for(clauses)
        cursor = decode_cursor(query)
        after = cursor_after(cursor, sort)
        pit_id = cursor.get("p") if cursor else None
        if after is not None:
            response, pit_id = self._paged(query, clauses, sort, after, pit_id)
        else:
            response = self._call(lambda: self.client.search(
                index=self.alias, body=search_body(query, clauses, sort)))
        rows = response["hits"]["hits"]
        terms = analysis.query_terms(clauses) if query.highlight else []
        hits = [hit(r["_source"]["stored"],
                    score=r.get("_score") if clauses and sort == "relevance" else None,
                    terms=terms) for r in rows[:query.page_size]]
        next_cursor = None
        if len(rows) > query.page_size:
            last = rows[query.page_size - 1]["sort"][:2]
            next_cursor = encode_cursor(query, last, **({"p": pit_id} if pit_id else {}))
        return Result(int(response["hits"]["total"]["value"]), hits,
                      _facets(response.get("aggregations", {})) if query.facets else {},
                      next_cursor)

    def _paged(self, query: Query, clauses: Sequence[analysis.Clause], sort: str,
               after: list[Any], pit_id: str | None) -> tuple[dict[str, Any], str]:
        """A page after the first: search_after within a point in time (opened on page 2)."""
        body = search_body(query, clauses, sort, after, pit=True)
        for attempt in range(2):
            if not pit_id:
                pit_id = self._call(lambda: self.client.open_point_in_time(
                    index=self.alias, keep_alive=PIT_KEEP_ALIVE))["id"]
            try:
                response = self._call(lambda p=pit_id: self.client.search(
                    body={**body, "pit": {"id": p, "keep_alive": PIT_KEEP_ALIVE}}))
                return response, response.get("pit_id") or pit_id
            except ApiError as exc:  # the point in time expired or is not ours
                if attempt or exc.meta.status not in (400, 404):
                    raise
                pit_id = None
        raise AssertionError("unreachable")

    def suggest(self, prefix: str, actor: Actor, limit: int = 10) -> list[Suggestion]:
        self._ensure()
        term = analysis.fold(prefix).strip()[:MAX_PREFIX_LENGTH]
        if not term or limit <= 0:
            return []
        departments, titles = suggest_bodies(term, actor, limit)
        found = self._call(lambda: self.client.search(index=self.alias, body=departments))
        out = [Suggestion(bucket["key"], "department", bucket["code"]["buckets"][0]["key"])
               for bucket in found["aggregations"]["departments"]["buckets"]
               if bucket["code"]["buckets"]]
        found = self._call(lambda: self.client.search(index=self.alias, body=titles))
        out.extend(Suggestion(h["_source"]["stored"]["title"], "title",
                              h["_source"]["stored"]["dataset_id"]) for h in found["hits"]["hits"])
        return out[:limit]


def _facets(aggregations: dict[str, Any]) -> dict[str, list[FacetValue]]:
    out: dict[str, list[FacetValue]] = {}
    for name, spec in FACETS.items():
        buckets = aggregations.get(name, {}).get("values", {}).get("buckets", [])
        values = []
        for bucket in buckets:
            value = str(bucket["key"])
            names = bucket.get("name", {}).get("buckets", [])
            labels = {value: names[0]["key"]} if names else {}
            values.append(FacetValue(value, spec.label(value, labels), int(bucket["doc_count"])))
        values.sort(key=lambda v: (-v.count, v.value))
        out[name] = values
    return out

