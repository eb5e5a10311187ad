"""The search contract, run against both backends over the same catalog (tests/search/catalog.py):
Chinese analysis and synonyms, facets, sorts, cursor paging, highlights, suggestions, rejected
queries, and visibility — nothing the actor may not see, in any part of the answer."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.actors import ANONYMOUS, Actor
from search.base import InvalidQuery, Query, Result, SearchBackend
from search.documents import FACETS
from search.service import SearchService
from tests.factories import JUSTICE, MARKET, PUBLIC_SECURITY
from tests.search.catalog import CIVIL, DEPARTMENTS, HEFEI, Catalog, Reference
from vocab.concepts import security_rank


@pytest.fixture(scope="module")
def reference(catalog: Catalog) -> Reference:
    return catalog.reference()


def staff(catalog: Catalog, department: str = MARKET, clearance: str = "internal") -> Actor:
    return catalog.actor("staff", department, clearance)


def titles(result: Result) -> list[str]:
    return [h.title for h in result.hits]


def search(backend: SearchBackend, actor: Actor, text: str = "", **options: Any) -> Result:
    options.setdefault("page_size", 100)
    return backend.search(Query(actor, text, **options))


def all_pages(backend: SearchBackend, query: Query) -> tuple[list[str], int]:
    seen: list[str] = []
    result = backend.search(query)
    total = result.total
    seen.extend(h.doc_id for h in result.hits)
    pages = 1
    while result.next_cursor:
        assert len(result.hits) == query.page_size
        result = backend.search(Query(**{**query.__dict__, "cursor": result.next_cursor}))
        assert result.total == total
        seen.extend(h.doc_id for h in result.hits)
        pages += 1
        assert pages < 100
    return seen, total


# -- Chinese analysis ------------------------------------------------------------------------
def test_synonym_hukou_finds_huji(indexed: SearchBackend, catalog: Catalog) -> None:
    found = titles(search(indexed, staff(catalog), "户口"))
    assert "户籍人口基本信息" in found
    assert "流动人口居住登记信息" in found  # 户籍 in its description only
    assert "戶籍遷移證明信息" in found     # traditional characters in the record


@pytest.mark.parametrize(("query", "expected"), [
    ("公司", "企业登记信息"),
    ("市场主体", "企业登记信息"),
    ("企业", "市场主体年度报告"),
    ("低保", "最低生活保障对象名单"),
    ("社保", "社会保险参保信息"),
    ("工商登记", "营业执照电子证照"),
    ("单位", "法人单位基本信息"),
])
def test_government_synonyms(indexed: SearchBackend, catalog: Catalog, query: str,
                             expected: str) -> None:
    assert expected in titles(search(indexed, staff(catalog), query))


def test_traditional_query_finds_simplified_records(indexed: SearchBackend, catalog: Catalog) -> None:
    found = titles(search(indexed, staff(catalog), "戶籍"))
    assert "户籍人口基本信息" in found
    assert titles(search(indexed, staff(catalog), "户籍迁移证明")) == ["戶籍遷移證明信息"]


def test_words_inside_longer_words_are_found(indexed: SearchBackend, catalog: Catalog) -> None:
    # 人口 inside 常住人口 / 流动人口, whatever the segmenter made of them
    found = titles(search(indexed, staff(catalog), "人口"))
    assert {"户籍人口基本信息", "流动人口居住登记信息", "常住人口统计年鉴"} <= set(found)
    assert titles(search(indexed, staff(catalog), "罚")) == ["行政处罚决定书"]


def test_every_word_must_match(indexed: SearchBackend, catalog: Catalog) -> None:
    assert titles(search(indexed, staff(catalog), "户籍 居住登记")) == ["流动人口居住登记信息"]
    assert search(indexed, staff(catalog), "户籍 排污").total == 0


def test_query_syntax_is_plain_text(indexed: SearchBackend, catalog: Catalog) -> None:
    for text in ('"', 'AND OR NOT', "户籍*", "{title_words}: x", "NEAR(a b)", "'; DROP", "（）"):
        search(indexed, staff(catalog), text)  # never an error


# -- ranking and sorting ---------------------------------------------------------------------
def test_title_matches_rank_first(indexed: SearchBackend, catalog: Catalog) -> None:
    found = titles(search(indexed, staff(catalog, PUBLIC_SECURITY), "户籍"))
    assert found.index("户籍人口基本信息") < found.index("流动人口居住登记信息")
    scores = [h.score for h in search(indexed, staff(catalog), "户籍").hits]
    assert all(s is not None for s in scores) and scores == sorted(scores, reverse=True)


def test_sort_by_title_and_modified(indexed: SearchBackend, catalog: Catalog) -> None:
    by_title = search(indexed, staff(catalog), sort="title")
    keys = [h.title for h in by_title.hits]
    from search.analysis import fold

    assert [fold(k) for k in keys] == sorted(fold(k) for k in keys)
    by_date = search(indexed, staff(catalog), "数据", sort="modified")
    dates = [h.modified for h in by_date.hits]
    assert dates == sorted(dates, reverse=True) and by_date.total > 5
    # relevance without free text means most recently modified first
    assert [h.modified for h in search(indexed, staff(catalog)).hits][:3] == \
        sorted(h.modified for h in search(indexed, staff(catalog)).hits)[::-1][:3]


@pytest.mark.parametrize(("text", "sort"), [("", "relevance"), ("数据", "relevance"),
                                            ("", "title"), ("户籍", "modified")])
def test_cursor_paging_returns_every_record_once(indexed: SearchBackend, catalog: Catalog,
                                                 text: str, sort: str) -> None:
    actor = catalog.actor("admin", None, "confidential")
    seen, total = all_pages(indexed, Query(actor, text, sort=sort, page_size=4))  # type: ignore[arg-type]
    assert len(seen) == len(set(seen)) == total
    everything = {h.doc_id for h in search(indexed, actor, text, sort=sort).hits}
    assert set(seen) == everything


def test_cursor_belongs_to_its_query(indexed: SearchBackend, catalog: Catalog) -> None:
    first = search(indexed, staff(catalog), page_size=2)
    assert first.next_cursor
    for bad in ("garbage!", "eyJ4IjoxfQ", first.next_cursor[:-3]):
        with pytest.raises(InvalidQuery):
            search(indexed, staff(catalog), page_size=2, cursor=bad)
    with pytest.raises(InvalidQuery):  # another actor, or another query, may not reuse it
        search(indexed, staff(catalog, JUSTICE), page_size=2, cursor=first.next_cursor)
    with pytest.raises(InvalidQuery):
        search(indexed, staff(catalog), "户籍", page_size=2, cursor=first.next_cursor)


# -- facets ----------------------------------------------------------------------------------
def facet_map(result: Result) -> dict[str, dict[str, int]]:
    return {name: {v.value: v.count for v in values} for name, values in result.facets.items()}


@pytest.mark.parametrize("filters", [
    {},
    {"share_type": ("unconditional",)},
    {"share_type": ("unconditional",), "department": (MARKET, PUBLIC_SECURITY)},
    {"format": ("CSV",), "classification": ("1",)},
    {"level": ("city",), "update_cycle": ("daily", "monthly")},
    {"security_level": ("public",), "open_type": ("closed",), "resource_form": ("database",)},
])
def test_facet_counts_respect_the_other_filters(indexed: SearchBackend, catalog: Catalog,
                                                reference: Reference,
                                                filters: dict[str, tuple[str, ...]]) -> None:
    actor = staff(catalog, PUBLIC_SECURITY)
    visible = reference.visible(actor)
    result = search(indexed, actor, filters=filters)
    expected = Reference.facet_counts(visible, filters)
    assert facet_map(result) == expected
    matching = [d for d in visible
                if all(set(d["facets"].get(n, ())) & set(v) for n, v in filters.items())]
    assert result.total == len(matching)
    assert sorted(h.doc_id for h in result.hits) == sorted(d["doc_id"] for d in matching)


def test_facets_are_labelled_and_complete(indexed: SearchBackend, catalog: Catalog) -> None:
    result = search(indexed, staff(catalog))
    assert set(result.facets) == set(FACETS)
    labels = {v.value: v.label for v in result.facets["department"]}
    assert labels[MARKET] == "安徽省市场监督管理局"
    assert {v.value: v.label for v in result.facets["share_type"]}["unconditional"] == "无条件共享"
    assert {v.value: v.label for v in result.facets["level"]}["city"] == "市级"
    for values in result.facets.values():
        counts = [v.count for v in values]
        assert counts == sorted(counts, reverse=True)


def test_facet_counts_with_text(indexed: SearchBackend, catalog: Catalog) -> None:
    result = search(indexed, staff(catalog), "户籍", filters={"security_level": ("public",)})
    counts = facet_map(result)
    assert counts["security_level"] == {"public": 2, "internal": 1}
    assert result.total == 2


def test_unknown_facet_values_are_rejected(catalog: Catalog, indexed: SearchBackend) -> None:
    service = SearchService(catalog.store, indexed, None)  # type: ignore[arg-type]
    actor = staff(catalog)
    for filters in ({"share_type": ["sometimes"]}, {"colour": ["red"]},
                    {"department": ["91340000MA00000000"]}, {"classification": ["9"]},
                    {"format": ["x" * 101]}, {"level": ["village"]}):
        with pytest.raises(InvalidQuery) as bad:
            service.query(actor, filters=filters)
        assert bad.value.field == next(iter(filters))
    for options in ({"text": "户" * 201}, {"page_size": 0}, {"page_size": 101},
                    {"sort": "random"}):
        with pytest.raises(InvalidQuery):
            service.query(actor, **options)  # type: ignore[arg-type]
    assert service.query(actor, filters={"format": ["csv"]}).filters == {"format": ("CSV",)}


# -- highlights and suggestions --------------------------------------------------------------
def test_highlights(indexed: SearchBackend, catalog: Catalog) -> None:
    hits = {h.title: h for h in search(indexed, staff(catalog), "户口").hits}
    assert hits["户籍人口基本信息"].highlights["title"] == ["<em>户籍</em>人口基本信息"]
    assert "<em>户籍</em>地址" in hits["流动人口居住登记信息"].highlights["description"][0]
    assert hits["戶籍遷移證明信息"].highlights["title"] == ["<em>戶籍</em>遷移證明信息"]
    assert "<em>戶口</em>" in hits["戶籍遷移證明信息"].highlights["description"][0]
    plain = search(indexed, staff(catalog), "户口", highlight=False)
    assert all(h.highlights == {} for h in plain.hits)


def test_suggestions(indexed: SearchBackend, catalog: Catalog) -> None:
    actor = staff(catalog)
    assert [s.text for s in indexed.suggest("户籍", actor)] == ["户籍人口基本信息", "戶籍遷移證明信息"]
    assert [s.text for s in indexed.suggest("戶籍遷", actor)] == ["戶籍遷移證明信息"]
    found = indexed.suggest("人口", actor)  # from the start of a word inside the title
    assert {"户籍人口基本信息"} <= {s.text for s in found if s.kind == "title"}
    departments = indexed.suggest("安徽省市", actor)
    assert [(s.kind, s.text, s.value) for s in departments][0] == \
        ("department", "安徽省市场监督管理局", MARKET)
    assert [s.text for s in indexed.suggest("省民政", actor) if s.kind == "department"] == \
        ["安徽省民政厅"]
    assert indexed.suggest("", actor) == [] and indexed.suggest("无此前缀", actor) == []
    assert len(indexed.suggest("道路", actor, limit=2)) == 2
    title = next(s for s in indexed.suggest("企业登记", actor) if s.kind == "title")
    assert title.value == catalog.ids["企业登记信息"]


# -- security --------------------------------------------------------------------------------
SECRET_TITLES = ("重点人员户籍核查记录", "涉密户籍档案", "户籍变更机密汇总", "常住人口统计年鉴（涉密修订）")


def test_other_departments_never_see_unpublished_or_secret(indexed: SearchBackend,
                                                           catalog: Catalog) -> None:
    for actor in (staff(catalog), staff(catalog, JUSTICE, "secret"), ANONYMOUS,
                  catalog.actor("reviewer", None, "internal")):
        for text in ("", "户籍", "涉密", "核查", "机密"):
            result = search(indexed, actor, text)
            assert not set(titles(result)) & set(SECRET_TITLES), (actor, text)
            assert "secret" not in facet_map(result)["security_level"]
            assert "confidential" not in facet_map(result)["security_level"]
        assert not [s for s in indexed.suggest("涉密", actor) if s.kind == "title"]
        assert not indexed.suggest("重点人员", actor)


def test_each_sees_the_revision_visibility_gives_them(indexed: SearchBackend,
                                                      catalog: Catalog) -> None:
    owner = staff(catalog, HEFEI, "secret")
    assert titles(search(indexed, owner, "年鉴")) == ["常住人口统计年鉴（涉密修订）"]
    assert titles(search(indexed, staff(catalog, HEFEI), "年鉴")) == ["常住人口统计年鉴"]
    assert titles(search(indexed, staff(catalog), "年鉴")) == ["常住人口统计年鉴"]
    assert titles(search(indexed, catalog.actor("reviewer", None, "confidential"), "年鉴")) \
        == ["常住人口统计年鉴（涉密修订）"]
    # own department's drafts and withdrawn records; nobody else's
    assert "个体工商户名录" in titles(search(indexed, staff(catalog, MARKET), "名录"))
    assert search(indexed, staff(catalog, CIVIL), "名录").total == 0
    assert "已撤销的户籍统计" in titles(search(indexed, staff(catalog, PUBLIC_SECURITY), "统计"))
    assert "已撤销的户籍统计" not in titles(search(indexed, staff(catalog), "统计"))
    # the confidential published record: by clearance only
    assert "户籍变更机密汇总" in titles(search(indexed, staff(catalog, CIVIL, "confidential"),
                                              "户籍"))


ROLES = ("anonymous", "staff", "steward", "reviewer", "admin")
CLEARANCES = ("public", "internal", "secret", "confidential", "top_secret")
WORDS = ("", "户籍", "户口", "企业", "公司", "人口", "数据", "许可", "涉密", "戶籍", "信息",
         "核查", "低保", "年鉴", "法人", "道路 运输")


# (role, department code or None, clearance); anonymous is ANONYMOUS whatever the rest
PEOPLE = st.tuples(st.sampled_from(ROLES), st.sampled_from((None, *DEPARTMENTS)),
                   st.sampled_from(CLEARANCES))


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(person=PEOPLE, text=st.sampled_from(WORDS),
       filters=st.dictionaries(st.sampled_from(["security_level", "share_type", "department"]),
                               st.lists(st.sampled_from(["public", "internal", "secret",
                                                         "unconditional", "conditional",
                                                         MARKET, PUBLIC_SECURITY, HEFEI]),
                                        min_size=1, max_size=2), max_size=2),
       prefix=st.sampled_from(["户", "涉密", "常住", "安徽", "重点", "企业", "合肥", "道"]))
def test_nothing_above_clearance_or_outside_visibility(indexed: SearchBackend, catalog: Catalog,
                                                       reference: Reference,
                                                       person: tuple[str, str | None, str],
                                                       text: str, filters: dict[str, list[str]],
                                                       prefix: str) -> None:
    role, department, clearance = person
    actor = ANONYMOUS if role == "anonymous" else catalog.actor(role, department, clearance)
    rank = actor.clearance_rank
    visible = reference.visible(actor)
    by_doc = {d["doc_id"]: d for d in visible}
    wanted = {n: tuple(v) for n, v in filters.items()}
    result = search(indexed, actor, text, filters=wanted)
    # hits: exactly the view catalog.visibility gives, never above clearance
    for h in result.hits:
        assert h.doc_id in by_doc, (h.title, actor)
        assert security_rank(h.security_level) <= rank
    # totals and facet counts: never more than the visible documents
    matching = [d for d in visible
                if all(set(d["facets"].get(n, ())) & set(v) for n, v in wanted.items())]
    assert result.total <= len(matching)
    assert result.total == len(result.hits)
    levels = {v.value for v in result.facets["security_level"]}
    assert all(security_rank(level) <= rank for level in levels)
    expected = Reference.facet_counts(visible, wanted)
    for name, values in result.facets.items():
        for value in values:
            assert value.count <= expected[name].get(value.value, 0), (name, value)
    if not text:  # without free text the answer is exactly the reference
        assert facet_map(result) == expected
        assert result.total == len(matching)
    # suggestions: titles and departments of visible documents only
    titles_seen = {d["title"] for d in visible}
    departments_seen = {d["department_code"] for d in visible}
    for suggestion in indexed.suggest(prefix, actor):
        if suggestion.kind == "title":
            assert suggestion.text in titles_seen
        else:
            assert suggestion.value in departments_seen


def test_reference_is_not_trivial(catalog: Catalog, reference: Reference) -> None:
    """The property above is only as good as the catalog: it must hold every case."""
    states = {d.state for d in reference.datasets.values()}
    assert states == {"draft", "submitted", "published", "returned", "withdrawn"}
    ranks = {d["rank"] for d in reference.docs}
    assert ranks == {0, 1, 2, 3}
    assert len(reference.visible(staff(catalog))) < len(reference.visible(
        catalog.actor("admin", None, "confidential")))
