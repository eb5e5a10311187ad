"""The queries and the written grading rules of the relevance set.

The rules stand in for a person judging each pooled entry against what the searcher meant, and
are written per query, independently of any search system (they are not the synonym list of
``vocab/schemes/synonyms.ttl`` and use no system's score). A query has one or more *aspects*;
an aspect is met when any of its terms — the words a person accepts as meaning it — occurs in
the text (after folding full-width and traditional characters). ``related`` terms show an entry
that is about something near the query.

An aspect's terms after ``"|"`` are *broader*: a person accepts them (大学 for 学校, 处罚 for
违法) but prefers the exact ones.

Grades (0–3), on an entry's title and its *body* (description, keywords, department):

- 3 — highly relevant: every aspect is met in the title by an exact term;
- 2 — relevant: every aspect is met in the title (some by a broader term only); or met in
  title + body, at least one of them in the title
  (single-aspect queries: the aspect in the department name, which a searcher takes as being
  about it, e.g. 公积金 → a dataset of the 住房公积金管理中心);
- 1 — marginal: every aspect met, but only in the body; or some aspect in the title but not
  all met; or a ``related`` term in the title;
- 0 — not relevant; also any entry whose title holds an ``exclude`` term.

"Relevant" for Recall@50 means grade 2 or 3.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from search.analysis import fold


@dataclass(frozen=True)
class Rule:
    qid: str
    query: str
    aspects: tuple[tuple[str, ...], ...]
    related: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    kind: str = "plain"  # "vocabulary": the searcher's words differ from the usual titles


def R(qid: str, query: str, *aspects: tuple[str, ...] | str, related: tuple[str, ...] = (),
      exclude: tuple[str, ...] = (), kind: str = "plain") -> Rule:
    groups = tuple((a,) if isinstance(a, str) else a for a in aspects)
    return Rule(qid, query, groups, related, exclude, kind)


V = "vocabulary"
COMPANY = ("企业", "公司", "|", "市场主体", "商事主体", "经营主体")
RULES: tuple[Rule, ...] = (
    # the searcher's word is not the one the titles use
    R("q01", "户口", ("户籍", "户口"), related=("人口", "迁移", "落户", "居住证"), kind=V),
    R("q02", "公司", COMPANY, related=("个体工商户", "工商"), kind=V),
    R("q03", "低保", ("低保", "最低生活保障"), related=("特困", "救助"), kind=V),
    R("q04", "营业执照", ("营业执照", "工商登记", "企业登记", "设立登记", "注册登记"),
      related=("证照", "市场主体"), kind=V),
    R("q05", "社保", ("社保", "社会保险", "|", "养老保险", "失业保险", "工伤保险", "参保"),
      related=("社会保障",), kind=V),
    R("q06", "医保", ("医保", "医疗保险", "|", "医疗保障", "新农合"), related=("定点医疗", "定点药店"),
      kind=V),
    R("q07", "公积金", ("公积金",), related=("住房",), kind=V),
    R("q08", "学校", ("学校", "小学", "中学", "中小学", "|", "高校", "大学", "学院", "职业院校"),
      related=("幼儿园", "教育", "学生", "教师"), kind=V),
    R("q09", "企业信用", COMPANY, ("信用", "|", "失信", "守信", "红名单", "黑名单"), kind=V),
    R("q10", "违法", ("违法", "违规", "违章", "|", "处罚"), related=("失信", "执法"), kind=V),
    R("q11", "驾照", ("驾驶证", "驾照", "驾驶人", "驾驶员"), related=("驾校", "驾驶培训", "机动车"),
      kind=V),
    R("q12", "汽车", ("汽车", "机动车", "|", "车辆", "客车", "货车"), related=("出租车", "公交", "停车", "充电"),
      kind=V),
    R("q13", "残障人士", ("残疾人", "残障", "|", "残疾"), kind=V),
    R("q14", "退伍军人", ("退役军人", "退伍", "复员"), related=("军人", "优抚", "拥军"), kind=V),
    R("q15", "老赖", ("失信被执行人", "老赖"), related=("失信", "被执行人"), kind=V),
    R("q16", "个体户", ("个体工商户", "个体户", "个体经营"), related=("市场主体",), kind=V),
    R("q17", "罚款", ("罚款", "罚没", "行政处罚", "|", "处罚"), related=("违法",), kind=V),
    R("q18", "房产证", ("不动产登记", "不动产权", "房产", "房屋产权", "房屋登记", "|", "不动产", "产权"), related=("住房", "房地产"),
      kind=V),
    R("q19", "身份证", ("身份证", "居民身份"), related=("户籍",), kind=V),
    R("q20", "公租房", ("公租房", "公共租赁住房", "保障性住房", "廉租房", "保障房"), related=("住房",),
      kind=V),
    R("q21", "养老院", ("养老院", "养老机构", "敬老院", "福利院", "养老服务"), related=("养老",), kind=V),
    R("q22", "药店", ("药店", "药房", "药品零售", "药品经营"), related=("药品",), kind=V),
    R("q23", "交税", ("纳税", "缴税", "税收", "|", "税务", "税"), related=("财政",), kind=V),
    R("q24", "打疫苗", ("疫苗", "接种"), related=("疾控", "免疫"), kind=V),
    # the searcher's words are the titles' words
    R("q25", "空气质量", ("空气质量", "环境空气", "空气污染", "AQI", "PM2.5"), related=("大气", "气象")),
    R("q26", "公交线路", ("公交", "公共汽车", "巴士"), ("线路", "路线", "站点", "站台"),
      related=("客运",)),
    R("q27", "医院", ("医院", "|", "卫生院", "医疗机构", "诊所"), related=("门诊", "床位", "医疗")),
    R("q28", "停车场", ("停车场", "停车位", "|", "泊位", "停车"),),
    R("q29", "旅游景区", ("景区", "景点", "旅游区", "|", "A级"), related=("旅游",)),
    R("q30", "食品安全", ("食品安全", "食品抽检", "食品检验", "食品生产", "食品经营"),
      related=("食品",)),
    R("q31", "招标", ("招标", "投标", "中标", "招投标"), related=("采购", "公共资源交易")),
    R("q32", "行政许可", ("行政许可", "|", "许可"), related=("审批",)),
    R("q33", "人口普查", ("人口普查",), related=("人口",)),
    R("q34", "天然气价格", ("天然气", "燃气"), ("价格", "收费", "气价"), related=("天然气", "燃气")),
    R("q35", "出租车", ("出租车", "出租汽车", "网约车", "的士"), related=("客运",)),
    R("q36", "图书馆", ("图书馆",), related=("图书", "阅读")),
    R("q37", "专利", ("专利", "知识产权"), related=("商标",)),
    R("q38", "水质监测", ("水质", "水环境质量", "饮用水"), ("监测", "检测", "状况", "质量"),
      related=("水质", "水源")),
    R("q39", "消防", ("消防", "火灾"), related=("安全",)),
    R("q40", "就业", ("就业", "|", "招聘", "失业", "岗位"), related=("人才",)),
    R("q41", "婚姻登记", ("婚姻", "结婚", "离婚"),),
    R("q42", "农业补贴", ("农业", "农机", "种粮", "耕地", "农民", "惠农", "农村"),
      ("补贴", "补助", "奖补"), related=("补贴",)),
    R("q43", "文物", ("文物", "文保", "历史建筑"), related=("博物馆", "非遗")),
    R("q44", "垃圾分类", ("垃圾分类", "|", "垃圾"), related=("环卫",)),
    R("q45", "危险化学品", ("危险化学品", "危化品"), related=("危险品", "安全生产")),
    R("q46", "特困人员", ("特困", "五保"), related=("救助", "低保")),
    R("q47", "律师", ("律师", "律所"), related=("法律服务", "法律援助")),
    R("q48", "幼儿园", ("幼儿园", "托育", "学前"), related=("学校",)),
    R("q49", "企业年报", COMPANY, ("年报", "年度报告"), related=("年报",)),
    R("q50", "扶贫", ("扶贫", "脱贫", "|", "贫困"), related=("救助",)),
    R("q51", "加油站", ("加油站", "加气站"), related=("成品油",)),
    R("q52", "电梯", ("电梯", "特种设备"),),
    R("q53", "高新技术企业", ("高新技术企业", "高新企业", "科技型企业", "高新技术"),
      related=("科技",)),
    R("q54", "医院 床位", ("医院", "卫生院", "医疗机构"), ("床位", "病床"), related=("医院",)),
    R("q55", "学校 食堂", ("学校", "小学", "中学", "校园"), ("食堂", "餐饮", "食品"),
      related=("学校",)),
)
BY_QID: dict[str, Rule] = {r.qid: r for r in RULES}


def _fields(entry: Mapping[str, Any]) -> tuple[str, str, str]:
    title = fold(entry["title"])
    body = fold(" ".join([entry.get("description") or "", " ".join(entry.get("keywords") or [])]))
    return title, body, fold(entry.get("department") or "")


def _met(terms: tuple[str, ...], text: str) -> bool:
    return any(fold(t) in text for t in terms if t != "|")


def exact(terms: tuple[str, ...]) -> tuple[str, ...]:
    return terms[:terms.index("|")] if "|" in terms else terms


def grade(rule: Rule, entry: Mapping[str, Any]) -> int:
    """The grade (0–3) of one entry for one query, by the rules in the module docstring."""
    title, body, department = _fields(entry)
    if any(_met((x,), title) for x in rule.exclude):
        return 0
    in_title = [_met(a, title) for a in rule.aspects]
    anywhere = [t or _met(a, body) or _met(a, department) for a, t in zip(rule.aspects, in_title,
                                                                          strict=True)]
    if all(in_title):
        return 3 if all(_met(exact(a), title) for a in rule.aspects) else 2
    if all(anywhere):
        if any(in_title):
            return 2
        if len(rule.aspects) == 1 and _met(rule.aspects[0], department):
            return 2
        return 1
    if any(in_title) or _met(rule.related, title):
        return 1
    return 0
