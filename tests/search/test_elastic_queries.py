"""The Elasticsearch request bodies we generate, checked without a server.

The stand-in accepts unknown keys silently where Elasticsearch 8 answers 400 (DESIGN §9), so
every body is walked against the query DSL we use, key by key."""

from __future__ import annotations

from typing import Any

import pytest

from catalog.actors import ANONYMOUS, Actor
from search.analysis import analyze_query
from search.base import Query
from search.documents import FACETS, DatasetState, DepartmentInfo, actor_filter, documents
from search.elastic import (
    LONG_MAX,
    MAPPINGS,
    SETTINGS,
    compile_filter,
    es_document,
    search_body,
    suggest_bodies,
)
from tests.factories import record

MAPPED = set(MAPPINGS["properties"]) | {f"facets.{n}" for n in FACETS}
FIELD_QUERIES = {"term": None, "terms": None, "range": {"lte", "gte", "lt", "gt"},
                 "prefix": {"value", "boost"}, "match_phrase": {"query", "boost"}}


def check_query(node: Any) -> None:
    """Raise AssertionError on anything that is not the DSL we mean to send."""
    assert isinstance(node, dict) and len(node) == 1, node
    (kind, body), = node.items()
    if kind in ("match_all", "match_none"):
        assert body == {}
    elif kind == "bool":
        assert set(body) <= {"must", "filter", "should", "must_not", "minimum_should_match"}
        for key in ("must", "filter", "should", "must_not"):
            for child in body.get(key, []):
                check_query(child)
        if "should" in body:
            assert body.get("minimum_should_match") == 1
    elif kind in FIELD_QUERIES:
        (name, value), = body.items()
        assert name in MAPPED, name
        allowed = FIELD_QUERIES[kind]
        if kind == "terms":
            assert isinstance(value, list) and value
        elif allowed is not None and isinstance(value, dict):
            assert set(value) <= allowed, value
    else:
        raise AssertionError(f"unexpected query {kind}")


def check_aggs(aggs: dict[str, Any]) -> None:
    for agg in aggs.values():
        kinds = set(agg) - {"aggs"}
        assert len(kinds) == 1, agg
        kind = kinds.pop()
        if kind == "filter":
            check_query(agg["filter"])
        else:
            assert kind == "terms"
            assert set(agg["terms"]) <= {"field", "size", "order"}
            assert agg["terms"]["field"] in MAPPED
        check_aggs(agg.get("aggs", {}))


SEARCH_KEYS = {"query", "sort", "size", "track_total_hits", "_source", "post_filter", "aggs",
               "search_after"}


def check_search(body: dict[str, Any]) -> None:
    assert set(body) <= SEARCH_KEYS, set(body) - SEARCH_KEYS
    check_query(body["query"])
    if "post_filter" in body:
        check_query(body["post_filter"])
    check_aggs(body.get("aggs", {}))
    for key in body.get("sort", []):
        (name, order), = key.items()
        assert name in MAPPED | {"_score", "_shard_doc"} and order in ("asc", "desc")


STAFF = Actor(3, "staff", "staff", 2, "internal")


def test_search_body() -> None:
    query = Query(STAFF, "户口 信息", {"share_type": ("unconditional",),
                                      "department": ("11340000MB1234567D",)}, page_size=10)
    body = search_body(query, analyze_query(query.text), "relevance")
    check_search(body)
    must = body["query"]["bool"]["must"]
    assert len(must) == 2  # one clause per query word
    phrases = [c["match_phrase"] for c in must[0]["bool"]["should"] if "match_phrase" in c]
    assert {"title_words": {"query": "户籍", "boost": 2.0}} in phrases  # the synonym
    assert body["query"]["bool"]["filter"] == [compile_filter(actor_filter(STAFF))]
    assert body["size"] == 11 and body["track_total_hits"] is True
    assert body["sort"] == [{"_score": "desc"}, {"doc_id": "asc"}]
    # the selections filter hits only; each facet is counted under the others' selections
    assert body["post_filter"]["bool"]["filter"] == [
        {"terms": {"facets.share_type": ["unconditional"]}},
        {"terms": {"facets.department": ["11340000MB1234567D"]}}]
    share = body["aggs"]["share_type"]
    assert share["filter"] == {"bool": {"filter": [
        {"terms": {"facets.department": ["11340000MB1234567D"]}}]}}
    assert share["aggs"]["values"]["terms"]["field"] == "facets.share_type"
    assert body["aggs"]["classification"]["filter"]["bool"]["filter"] == \
        body["post_filter"]["bool"]["filter"]
    assert set(body["aggs"]) == set(FACETS)


def test_search_body_without_text_filters_or_facets() -> None:
    body = search_body(Query(ANONYMOUS, facets=False), (), "modified")
    check_search(body)
    assert body["query"]["bool"]["must"] == [{"match_all": {}}]
    assert "post_filter" not in body and "aggs" not in body
    assert body["sort"] == [{"modified": "desc"}, {"doc_id": "asc"}]


def test_single_character_is_a_bigram_prefix() -> None:
    body = search_body(Query(STAFF, "罚"), analyze_query("罚"), "relevance")
    check_search(body)
    should = body["query"]["bool"]["must"][0]["bool"]["should"]
    assert {"prefix": {"title_grams": {"value": "罚", "boost": 3.0}}} in should


def test_deep_pages_use_a_point_in_time() -> None:
    body = search_body(Query(STAFF, sort="title"), (), "title", ["a", "d1:current"], pit=True)
    check_search(body)
    assert body["sort"] == [{"title_sort": "asc"}, {"doc_id": "asc"}, {"_shard_doc": "asc"}]
    assert body["search_after"] == ["a", "d1:current", LONG_MAX]


def test_suggest_bodies() -> None:
    departments, titles = suggest_bodies("户籍", STAFF, 10)
    for body in (departments, titles):
        check_search(body)
        assert body["query"]["bool"]["filter"][0] == compile_filter(actor_filter(STAFF))
    assert {"prefix": {"suggest_department": "户籍"}} in departments["query"]["bool"]["filter"]
    assert {"prefix": {"suggest_title": "户籍"}} in titles["query"]["bool"]["filter"]
    assert departments["size"] == 0 and titles["size"] == 10


@pytest.mark.parametrize("actor", [ANONYMOUS, STAFF, Actor(1, "a", "admin", None, "top_secret"),
                                   Actor(2, "r", "reviewer", 4, "secret"),
                                   Actor(5, "x", "reviewer", None, "public")])
def test_visibility_filters_compile_to_known_dsl(actor: Actor) -> None:
    check_query(compile_filter(actor_filter(actor)))


def test_documents_fit_the_strict_mapping() -> None:
    department = DepartmentInfo(1, "11340000MB1234567D", "安徽省公安厅", "省公安厅", "province")
    dataset = DatasetState("d1", "published", "101001/000001", 1, 1, 1, 1, 1)
    for doc in documents(dataset, department, {1: record()}):
        body = es_document(doc)
        assert set(body) == set(MAPPINGS["properties"])
        assert set(body["facets"]) <= set(FACETS)
        assert body["stored"]["title"] == "全省常住人口基本信息"
    analyzer = SETTINGS["analysis"]["analyzer"]["mulu_tokens"]
    assert analyzer["tokenizer"] == "whitespace"
    for name in ("title_words", "body_words", "title_grams", "body_grams"):
        assert MAPPINGS["properties"][name]["analyzer"] == "mulu_tokens"
