"""Chinese analysis: folding, segmentation, bigrams, synonyms, query plans, highlighting."""

from __future__ import annotations

from rdflib import Graph

from search import analysis
from search.analysis import Alternative, analyze, analyze_query, fold, grams, highlight, words
from vocab.concepts import SCHEME_DIR, scheme
from vocab.namespaces import SKOS


def test_fold_traditional_full_width_and_case() -> None:
    assert fold("戶籍遷移證明") == "户籍迁移证明"
    assert fold("ＧＢ／Ｔ　２１０６３") == "gb/t 21063"
    assert fold("社會保險") == "社会保险"
    folded, origin = analysis.fold_with_offsets("①戶Ａ")
    assert folded == "1户a" and origin == [0, 1, 2]


def test_words_and_grams() -> None:
    assert words("全省常住人口户籍信息") == ["全省", "常住人口", "户籍", "信息"]
    assert words("GB/T 21063.3 目录2023年") == ["gb", "t", "21063", "3", "目录", "2023", "年"]
    assert grams("常住人口") == ["常住", "住人", "人口", "口"]
    assert grams("年 a 税") == ["年", "税"]
    text = analyze(["户籍信息", "企业"])
    assert text.words == "户籍 信息 企业"
    assert text.grams == "户籍 籍信 信息 息 企业 业"


def test_synonym_terms_are_words_of_the_segmenter() -> None:
    assert "最低生活保障" in words("最低生活保障对象")
    assert "市场主体" in words("市场主体登记")


def test_synonym_scheme_is_a_proper_skos_scheme() -> None:
    synonyms = scheme("synonyms")
    assert synonyms.label_zh and synonyms.label_en
    graph = Graph().parse(SCHEME_DIR / "synonyms.ttl", format="turtle")
    for concept in synonyms.concepts.values():
        assert concept.code.startswith("S") and concept.label_zh and concept.label_en
        assert concept.alt_labels
        assert all(label.language == "zh" for label in graph.objects(concept.uri, SKOS.altLabel))
    groups = {group[0]: set(group) for group in analysis.synonym_groups()}
    assert {"户籍", "户口"} <= groups["户籍"]
    assert {"企业", "公司", "市场主体"} <= groups["企业"]
    assert {"法人", "单位"} <= groups["法人"]
    assert {"最低生活保障", "低保"} <= groups["最低生活保障"]
    assert {"营业执照", "工商登记"} <= groups["营业执照"]
    assert {"社会保险", "社保"} <= groups["社会保险"]


def test_query_plan() -> None:
    plan = analyze_query("户口的信息")
    assert [[a.surface for a in c.alternatives] for c in plan] == [["户口", "户籍"], ["信息"]]
    assert plan[0].alternatives[1] == Alternative("户籍", ("户籍",), ("户籍",))
    single = analyze_query("税")[0].alternatives[0]
    assert single.prefix and single.grams == ("税",)
    latin = analyze_query("GB")[0].alternatives[0]
    assert latin.words == ("gb",) and latin.grams == ()
    # synonyms are found before segmenting, longest first
    plan = analyze_query("最低生活保障对象")
    assert {a.surface for a in plan[0].alternatives} == {"最低生活保障", "低保"}
    assert analyze_query("戶口")[0].alternatives[0].surface == "户口"
    assert analyze_query("的 和 ，。") == ()
    assert len(analyze_query("户籍 户籍 户口")) == 1


def test_highlight_marks_the_original_text() -> None:
    assert highlight("戶籍遷移", ["户籍"]) == ["<em>戶籍</em>遷移"]
    assert highlight("a<b>户籍", ["户籍"]) == ["a&lt;b&gt;<em>户籍</em>"]
    assert highlight("没有", ["户籍"]) == []
    long = "前" * 200 + "户籍" + "后" * 200
    fragment = highlight(long, ["户籍"], fragment_size=40)
    assert len(fragment) == 1 and fragment[0].startswith("…") and fragment[0].endswith("…")
    assert "<em>户籍</em>" in fragment[0]
    overlapping = highlight("户籍人口", ["户籍", "籍人", "人口"])
    assert overlapping == ["<em>户籍人口</em>"]


def test_analysis_is_fast_after_start() -> None:
    import time

    analysis.words("预热")
    start = time.perf_counter()
    for _ in range(200):
        analysis.analyze(["全省常住人口基本信息", "包括姓名、公民身份号码、性别、出生日期、户籍地址。" * 4])
    assert time.perf_counter() - start < 1.0
