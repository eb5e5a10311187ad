"""Build the Anhui demo catalog (departments.json, datasets.json) from real open-data exports.

Run once by developers; the output is committed, so a fresh clone needs no corpus::

    python -m catalog.demo.build_demo_data /work/shared/corpus

The corpus directory holds the crawled portal exports ``cn-opendata-cqsss/*.json`` and
``cn-opendata-cnpds/*.json`` (lists of dicts with Chinese keys).  Every dataset below is one real
corpus row, named by file and title in ``PICKS``: its title, summary, update cycle, open type,
dates, formats and detail-page address come from the row (mapped to concept codes through the SKOS
schemes); rows whose values do not map are skipped and reported.  Rows from other provinces'
portals are re-homed to an Anhui department, with the place names in title and summary replaced
(``renames``).  What the portals do not publish is added here from fixed rules: the department,
the classification, the 信息项 (from the title), the sharing attributes and the security level.
One rule overrides the portals: a record that is not shared (不予共享) or not public (内部) is
not opened either, so its open type becomes ``closed``.
The output is deterministic: no randomness, fixed order, stable codes.
"""

from __future__ import annotations

import ast
import json
import re
import sys
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from catalog.credit_code import make_credit_code, make_organization_code
from vocab.concepts import scheme
from vocab.fields import BY_NAME, FIELDS, SHARE_METHODS_BY_FORM

OUT_DIR = Path(__file__).parent
CORPUS_DIRS = ("cn-opendata-cqsss", "cn-opendata-cnpds")

# ---------------------------------------------------------------------------------------------
# departments
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Department:
    key: str
    name: str
    short_name: str
    name_en: str
    level: str            # admin-level concept code
    region: str           # GB/T 2260 code of the registering authority's region
    org_body: str         # first 8 characters of the organization code (check char is computed)
    parent: str | None = None

    @property
    def code(self) -> str:
        """统一社会信用代码: 1 (机构编制) + 1 (机关) + region + organization code + check."""
        return make_credit_code("11" + self.region + make_organization_code(self.org_body))


# The codes are structurally valid (GB 32100 / GB 11714 check characters) but made up:
# they are not the departments' real registered codes.
DEPARTMENTS: tuple[Department, ...] = (
    Department("police", "安徽省公安厅", "省公安厅",
               "Anhui Provincial Department of Public Security", "province", "340000", "00300101"),
    Department("market", "安徽省市场监督管理局", "省市场监管局",
               "Anhui Provincial Administration for Market Regulation", "province", "340000",
               "00300102"),
    Department("justice", "安徽省司法厅", "省司法厅", "Anhui Provincial Department of Justice",
               "province", "340000", "00300103"),
    Department("statistics", "安徽省统计局", "省统计局", "Anhui Provincial Bureau of Statistics",
               "province", "340000", "00300104"),
    Department("civil", "安徽省民政厅", "省民政厅", "Anhui Provincial Department of Civil Affairs",
               "province", "340000", "00300105"),
    Department("hrss", "安徽省人力资源和社会保障厅", "省人力资源和社会保障厅",
               "Anhui Provincial Department of Human Resources and Social Security", "province",
               "340000", "00300106"),
    Department("health", "安徽省卫生健康委员会", "省卫生健康委员会",
               "Anhui Provincial Health Commission", "province", "340000", "00300107"),
    Department("land", "安徽省自然资源厅", "省自然资源厅",
               "Anhui Provincial Department of Natural Resources", "province", "340000",
               "00300108"),
    Department("hefei", "合肥市人民政府", "合肥市政府", "Hefei Municipal People's Government",
               "city", "340100", "00310001"),
    Department("hefei_data", "合肥市数据资源局", "合肥市数据资源局",
               "Hefei Municipal Data Resources Bureau", "city", "340100", "00310002", "hefei"),
    Department("hefei_police", "合肥市公安局", "合肥市公安局", "Hefei Municipal Public Security Bureau",
               "city", "340100", "00310003", "hefei"),
)

DEPT_BY_KEY: dict[str, Department] = {d.key: d for d in DEPARTMENTS}


def department_dicts() -> list[dict[str, Any]]:
    return [{
        "code": d.code,
        "name": d.name,
        "short_name": d.short_name,
        "name_en": d.name_en,
        "level": d.level,
        "parent": DEPT_BY_KEY[d.parent].code if d.parent else None,
    } for d in DEPARTMENTS]


# ---------------------------------------------------------------------------------------------
# corpus rows
# ---------------------------------------------------------------------------------------------

# the portals' own keys for each value, as found across the export files
ROW_KEYS: dict[str, tuple[str, ...]] = {
    "title": ("标题", "名称", "目录名称", "subjectBaseName"),
    "summary": ("摘要信息", "数据摘要", "摘要描述", "描述", "摘要", "简介", "服务描述", "tableRemark"),
    "publisher": ("提供单位", "数据提供方", "来源部门", "所属部门", "数据来源", "数源单位", "orgName"),
    "open": ("开放属性", "开放条件", "开放类型", "开放方式", "openTypeName"),
    "cycle": ("更新频率", "更新周期", "frequency"),
    "issued": ("发布日期", "发布时间", "创建时间", "releaseTime"),
    "modified": ("更新日期", "更新时间", "数据更新时间", "updateTime"),
    "formats": ("数据格式", "资源格式", "格式类型", "dataType"),
    "url": ("url", "详情页网址"),
}


@dataclass(frozen=True)
class Row:
    source: str                 # file stem, e.g. "anhui_anhui"
    values: Mapping[str, Any]   # normalized key -> raw value
    url_unique: bool            # the detail-page address identifies this row in its file

    def get(self, key: str) -> str:
        value = self.values.get(key)
        return "" if value is None else str(value).strip()


def _pick_value(raw: Mapping[str, Any], keys: Iterable[str]) -> Any:
    return next((raw[key] for key in keys if key in raw), None)


def load_corpus(root: Path) -> dict[str, list[Row]]:
    """All list-shaped export files under the corpus directories, keyed by file stem."""
    corpus: dict[str, list[Row]] = {}
    for directory in CORPUS_DIRS:
        for path in sorted((root / directory).glob("*.json")):
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, list):
                continue  # mapping files, portal lists
            normalized = [{k: _pick_value(raw, keys) for k, keys in ROW_KEYS.items()}
                          for raw in data if isinstance(raw, dict)]
            url_counts: dict[str, int] = {}
            for values in normalized:
                url = str(values.get("url") or "")
                url_counts[url] = url_counts.get(url, 0) + 1
            corpus[path.stem] = [Row(path.stem, values, url_counts[str(values.get("url") or "")] == 1)
                                 for values in normalized]
    return corpus


def find_row(corpus: Mapping[str, list[Row]], pick: Pick) -> Row | None:
    """The first row of the pick's file with its exact title (and publisher, when given)."""
    for row in corpus.get(pick.source, ()):
        if row.get("title") == pick.title and (pick.publisher is None
                                               or row.get("publisher") == pick.publisher):
            return row
    return None


# ---------------------------------------------------------------------------------------------
# value mapping
# ---------------------------------------------------------------------------------------------

_DATE = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})")


def to_date(value: str) -> str | None:
    match = _DATE.match(value)
    if not match:
        return None
    year, month, day = match.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}"


def concept_code(scheme_name: str, label: str) -> str | None:
    concept = scheme(scheme_name).lookup(label) if label else None
    return concept.code if concept else None


def parse_formats(value: Any) -> list[str]:
    """Format lists come as Python reprs, bracketed or comma-separated strings, or lists."""
    if isinstance(value, list):
        items = [str(v) for v in value]
    else:
        text = str(value or "").strip()
        if text.startswith("[") and "'" in text:
            items = [str(v) for v in ast.literal_eval(text)]
        else:
            items = [part for part in re.split(r"[,，\s]+", text.strip("[]")) if part]
    seen: list[str] = []
    for item in items:
        fmt = item.strip().strip("'\"").lower()
        if fmt and fmt != "其他" and fmt not in seen:
            seen.append(fmt)
    return seen


DATABASE_FORMATS = frozenset({"mysql", "db", "sqlserver", "access", "oracle"})
SHEET_FORMATS = frozenset({"xls", "xlsx", "csv", "et"})
DOCUMENT_FORMATS = frozenset({"doc", "docx", "pdf", "wps"})
IMAGE_FORMATS = frozenset({"jpg", "jpeg", "png"})


def resource_form(formats: Sequence[str]) -> str:
    found = set(formats)
    if "api" in found:
        return "self_describing"
    if found & DATABASE_FORMATS:
        return "database"
    if found == {"json"}:
        return "self_describing"   # JSON-only entries on these portals are interface services
    if found & SHEET_FORMATS:
        return "spreadsheet"
    if found & DOCUMENT_FORMATS:
        return "file"
    if found & IMAGE_FORMATS:
        return "image"
    return "other"


def share_method(form: str, cycle: str) -> str:
    if form == "database":
        return "interface" if cycle in {"realtime", "daily"} else "database"
    if form == "self_describing":
        return "interface"
    return "file"


# ---------------------------------------------------------------------------------------------
# sharing presets (the portals publish open attributes only; sharing is the catalog's own)
# ---------------------------------------------------------------------------------------------

BASIS_51 = "《政务信息资源共享管理暂行办法》（国发〔2016〕51号）第九条"
BASIS_PIPL = "《中华人民共和国个人信息保护法》第三十四条"


@dataclass(frozen=True)
class Sharing:
    share_type: str
    security_level: str = "public"
    condition: str = ""
    basis: str = ""


SHARING: dict[str, Sharing] = {
    "open": Sharing("unconditional"),
    "identity": Sharing(
        "conditional", "internal",
        "仅向依法履行人口管理、社会保障、民政救助等法定职责的政务部门提供；申请时须说明用途、"
        "所需信息项和使用期限，不得向第三方提供或用于其他目的",
        f"《中华人民共和国居民身份证法》第六条、第十九条；{BASIS_PIPL}；{BASIS_51}"),
    "entity_person": Sharing(
        "conditional", "public",
        "登记信息无条件共享；法定代表人、经办人证件号码及联系电话等个人信息项仅向依法履行"
        "市场监管、税务、社会保障等职责的部门提供",
        f"《企业信息公示暂行条例》第六条；{BASIS_PIPL}；{BASIS_51}"),
    "social_insurance": Sharing(
        "conditional", "internal",
        "仅向依法办理社会保险、救助核查的政务部门提供，按需核验，不批量提供个人明细",
        f"《中华人民共和国社会保险法》第八十一条；{BASIS_PIPL}"),
    "health_person": Sharing(
        "conditional", "internal",
        "仅向公安户籍、民政、医保等依法履职部门提供核验服务，申请须说明用途并限定信息项",
        f"《中华人民共和国基本医疗卫生与健康促进法》第九十二条；{BASIS_PIPL}"),
    "real_estate": Sharing(
        "conditional", "internal",
        "仅向依法履行职责的政务部门按宗查询提供，查询目的须载明，不得用于其他用途",
        f"《不动产登记暂行条例》第二十七条、第二十八条；{BASIS_51}"),
    "duty": Sharing(
        "conditional", "public",
        "向相关业务主管部门提供，申请时须说明用途和使用期限",
        BASIS_51),
    "sensitive": Sharing(
        "none", "internal",
        "不予共享：含特定身份、行踪轨迹等敏感个人信息；确需使用的部门须另行依法报批",
        f"《中华人民共和国个人信息保护法》第二十八条；{BASIS_51}"),
}

OPEN_CONDITION = "依申请开放：申请人须实名注册并说明数据用途和使用范围，经提供部门审核同意后获取"

# ---------------------------------------------------------------------------------------------
# 信息项 (data items), inferred from the title
# ---------------------------------------------------------------------------------------------

Item = tuple[str, str, str]   # name, data-type code, description

_ID = ("公民身份号码", "string", "18位公民身份号码")
_NAME = ("姓名", "string", "")
_SEX = ("性别", "string", "GB/T 2261.1 性别代码")
_CREDIT = ("统一社会信用代码", "string", "18位统一社会信用代码")
_YEAR = ("统计年度", "integer", "")
_AREA = ("行政区划代码", "string", "GB/T 2260 行政区划代码")
_AREA_NAME = ("地区名称", "string", "市、县（市、区）名称")
_ADDRESS = ("地址", "string", "")
_PHONE = ("联系电话", "string", "")

TEMPLATES: dict[str, tuple[Item, ...]] = {
    "household": (_NAME, _ID, _SEX, ("民族", "string", "GB 3304 民族代码"),
                  ("出生日期", "date", ""), ("户籍地址", "string", ""),
                  ("户号", "string", ""), ("与户主关系", "string", ""),
                  ("登记日期", "date", "")),
    "residence_permit": (_NAME, _ID, _SEX, ("民族", "string", "GB 3304 民族代码"),
                         ("出生日期", "date", ""), ("户籍地址", "string", ""),
                         ("居住地址", "string", ""), ("受理日期", "date", ""),
                         ("受理单位", "string", "")),
    "death": (_NAME, _ID, _SEX, ("出生日期", "date", ""), ("死亡日期", "date", ""),
              ("户籍地址", "string", ""), ("户口注销日期", "date", ""),
              ("注销原因", "string", "")),
    "birth": (("出生医学证明编号", "string", ""), ("新生儿姓名", "string", ""), _SEX,
              ("出生日期", "datetime", ""), ("出生地址", "string", ""),
              ("母亲姓名", "string", ""), ("母亲公民身份号码", "string", ""),
              ("接生机构名称", "string", "")),
    "population": (_YEAR, _AREA, _AREA_NAME, ("户数", "integer", "单位：户"),
                   ("总人口", "integer", "单位：人"), ("男性人口", "integer", "单位：人"),
                   ("女性人口", "integer", "单位：人"), ("性别比", "number", "女性=100")),
    "population_age": (_YEAR, _AREA_NAME, ("年龄组", "string", "如 0-14岁、15-64岁、65岁及以上"),
                       ("人口数", "integer", "单位：人"), ("男性", "integer", "单位：人"),
                       ("女性", "integer", "单位：人"), ("占总人口比重", "number", "单位：%")),
    "urbanization": (_YEAR, _AREA_NAME, ("常住人口", "number", "单位：万人"),
                     ("城镇人口", "number", "单位：万人"), ("乡村人口", "number", "单位：万人"),
                     ("城镇化率", "number", "单位：%")),
    "death_cause": (_YEAR, _AREA_NAME, ("顺位", "integer", ""),
                    ("死因名称", "string", "ICD-10 疾病分类"), ("死亡人数", "integer", "单位：人"),
                    ("死亡率", "number", "单位：1/10万"), ("构成比", "number", "单位：%")),
    "maternal_child": (_YEAR, _AREA_NAME, ("孕产妇系统管理率", "number", "单位：%"),
                       ("住院分娩率", "number", "单位：%"),
                       ("孕产妇死亡率", "number", "单位：1/10万"),
                       ("婴儿死亡率", "number", "单位：‰"),
                       ("5岁以下儿童死亡率", "number", "单位：‰"),
                       ("3岁以下儿童系统管理率", "number", "单位：%")),
    "population_rate": (_YEAR, _AREA_NAME, ("常住人口", "number", "单位：万人"),
                        ("出生率", "number", "单位：‰"), ("死亡率", "number", "单位：‰"),
                        ("自然增长率", "number", "单位：‰")),
    "enterprise": (_CREDIT, ("企业名称", "string", ""), ("企业类型", "string", ""),
                   ("法定代表人", "string", ""), ("注册资本", "currency", "单位：万元"),
                   ("成立日期", "date", ""), ("住所", "string", ""),
                   ("经营范围", "memo", ""), ("登记机关", "string", ""),
                   ("登记状态", "string", "存续、在业、吊销、注销等")),
    "individual": (_CREDIT, ("个体工商户名称", "string", ""), ("经营者姓名", "string", ""),
                   ("组成形式", "string", "个人经营、家庭经营"),
                   ("经营场所", "string", ""), ("经营范围", "memo", ""),
                   ("资金数额", "currency", "单位：万元"), ("注册日期", "date", ""),
                   ("登记机关", "string", "")),
    "deregistration": (_CREDIT, ("名称", "string", "企业或个体工商户名称"),
                       ("法定代表人", "string", "法定代表人或经营者"),
                       ("注销日期", "date", ""), ("注销原因", "string", ""),
                       ("登记机关", "string", "")),
    "annual_report": (_CREDIT, ("名称", "string", ""), ("年报年度", "integer", ""),
                      ("年报日期", "date", ""), ("经营状态", "string", ""),
                      ("从业人数", "integer", ""), ("联系电话", "string", "")),
    "pledge": (("股权出质登记编号", "string", ""), ("出质人名称", "string", ""),
               ("出质股权所在公司名称", "string", ""), ("质权人名称", "string", ""),
               ("质权人证件号码", "string", ""), ("出质股权数额", "number", "单位：万股或万元"),
               ("登记日期", "date", ""), ("状态", "string", "有效、注销")),
    "abnormal": (_CREDIT, ("名称", "string", ""), ("列入原因", "string", ""),
                 ("列入日期", "date", ""), ("作出决定机关", "string", ""),
                 ("移出原因", "string", ""), ("移出日期", "date", "")),
    "penalty": (("行政处罚决定书文号", "string", ""), ("案件名称", "string", ""),
                ("当事人名称", "string", ""), _CREDIT, ("违法事实", "memo", ""),
                ("处罚依据", "string", ""), ("处罚种类", "string", ""),
                ("罚款金额", "currency", "单位：万元"), ("处罚决定日期", "date", ""),
                ("处罚机关", "string", "")),
    "social_org": (_CREDIT, ("社会组织名称", "string", ""),
                   ("社会组织类型", "string", "社会团体、民办非企业单位、基金会"),
                   ("法定代表人", "string", ""), ("业务主管单位", "string", ""),
                   ("住所", "string", ""), ("注册资金", "currency", "单位：万元"),
                   ("成立登记日期", "date", ""), ("登记管理机关", "string", "")),
    "social_org_check": (_CREDIT, ("社会组织名称", "string", ""), ("社会组织类型", "string", ""),
                         ("年度", "integer", "年检或评估年度"),
                         ("结论", "string", "年检结论或评估等级"),
                         ("登记管理机关", "string", "")),
    "law": (("法规名称", "string", ""), ("发文字号", "string", ""), ("发布机关", "string", ""),
            ("发布日期", "date", ""), ("施行日期", "date", ""),
            ("效力级别", "string", "法律、行政法规、地方性法规、规章、规范性文件"),
            ("时效性", "string", "现行有效、已修改、已废止"), ("全文", "memo", "")),
    "normative": (("文件名称", "string", ""), ("发文字号", "string", ""),
                  ("制定机关", "string", ""), ("发布日期", "date", ""),
                  ("报送备案日期", "date", ""), ("审查结论", "string", ""),
                  ("有效状态", "string", "有效、失效、废止")),
    "policy": (("政策名称", "string", ""), ("补贴或支持项目", "string", ""),
               ("适用对象", "string", ""), ("支持标准", "memo", ""),
               ("责任部门", "string", ""), ("政策依据", "string", "文件名称及文号"),
               ("发布日期", "date", "")),
    "law_firm": (_CREDIT, ("机构名称", "string", ""), ("负责人", "string", ""),
                 ("组织形式", "string", "合伙、个人、国资"),
                 ("执业许可证号", "string", ""), ("住所", "string", ""),
                 ("批准日期", "date", ""), ("执业人员数", "integer", ""), _PHONE),
    "legal_aid": (("机构名称", "string", ""), _CREDIT, ("负责人", "string", ""),
                  ("所属区县", "string", ""), _ADDRESS, _PHONE, ("服务时间", "string", "")),
    "appraisal": (_CREDIT, ("机构名称", "string", ""), ("许可证号", "string", ""),
                  ("鉴定业务范围", "memo", ""), ("法定代表人", "string", ""),
                  ("住所", "string", ""), ("有效期至", "date", "")),
    "licence": (_NAME, ("执业证号", "string", ""), ("执业类别", "string", ""),
                ("执业机构", "string", ""), ("发证日期", "date", ""),
                ("有效期至", "date", ""), ("发证机关", "string", "")),
    "arbitration": (_CREDIT, ("仲裁委员会名称", "string", ""),
                    ("登记事项", "string", "设立、变更、注销"), ("住所", "string", ""),
                    ("主任", "string", ""), ("登记日期", "date", "")),
    "correction": (_NAME, _ID, ("户籍地", "string", ""), ("居住地", "string", ""),
                   ("矫正类别", "string", "管制、缓刑、假释、暂予监外执行"),
                   ("矫正起始日期", "date", ""), ("矫正终止日期", "date", "")),
    "location": (("人员编号", "string", ""), _NAME, ("经度", "double", "WGS84"),
                 ("纬度", "double", "WGS84"), ("定位时间", "datetime", "")),
    "institution": (("机构名称", "string", ""), _CREDIT, ("机构类别", "string", ""),
                    ("级别等次", "string", ""), _ADDRESS, ("床位数", "integer", "单位：张"),
                    ("执业许可证号", "string", ""), _PHONE),
    "qualified": (("机构名称", "string", ""), _CREDIT, _ADDRESS, ("邮政编码", "string", ""),
                  ("资质级别", "string", ""), ("批准项目", "memo", ""), ("批准日期", "date", ""),
                  _PHONE),
    "directory": (("名称", "string", ""), ("所属区县", "string", ""), _ADDRESS, _PHONE,
                  ("办公时间", "string", ""), ("经度", "double", "WGS84"),
                  ("纬度", "double", "WGS84")),
    "premises": (("单位名称", "string", ""), _CREDIT, ("法定代表人", "string", ""), _ADDRESS,
                 ("所属派出所", "string", ""), ("特种行业许可证号", "string", ""),
                 ("核定规模", "integer", "房间数或终端数")),
    "insurance": (_YEAR, _AREA_NAME, ("参保人数", "number", "单位：万人"),
                  ("领取待遇人数", "number", "单位：万人"), ("基金收入", "currency", "单位：亿元"),
                  ("基金支出", "currency", "单位：亿元"), ("累计结余", "currency", "单位：亿元")),
    "insurance_person": (_NAME, _ID, ("险种", "string", ""), ("户籍所在地址", "string", ""),
                         ("注销日期", "date", ""), ("注销原因", "string", "")),
    "employment": (_YEAR, _AREA_NAME, ("行业", "string", "GB/T 4754 国民经济行业门类"),
                   ("就业人员数", "number", "单位：万人"),
                   ("平均工资", "currency", "单位：元"),
                   ("城镇登记失业人数", "number", "单位：万人"),
                   ("城镇登记失业率", "number", "单位：%")),
    "recruitment": (("单位名称", "string", ""), _CREDIT, ("岗位名称", "string", ""),
                    ("招聘人数", "integer", ""), ("学历要求", "string", ""),
                    ("薪酬待遇", "string", ""), ("登记日期", "date", ""), _PHONE),
    "contract": (("用人单位名称", "string", ""), _CREDIT, ("合同类型", "string", ""),
                 ("覆盖职工人数", "integer", ""), ("报送日期", "date", ""),
                 ("审查结果", "string", ""), ("审查日期", "date", "")),
    "land": (("宗地编号", "string", ""), ("土地坐落", "string", ""),
             ("土地用途", "string", "GB/T 21010 土地利用现状分类"),
             ("面积", "number", "单位：公顷"), ("供地方式", "string", "出让、划拨"),
             ("成交价款", "currency", "单位：万元"), ("受让人", "string", ""),
             ("批准日期", "date", "")),
    "real_estate": (("不动产权证号", "string", ""), ("不动产单元号", "string", ""),
                    ("权利人名称", "string", ""), ("证件号码", "string", ""),
                    ("坐落", "string", ""), ("权利类型", "string", ""),
                    ("面积", "number", "单位：平方米"), ("登记日期", "date", "")),
    "mining": (("许可证号", "string", ""), ("采矿权人", "string", ""), ("矿山名称", "string", ""),
               ("开采矿种", "string", ""), ("开采方式", "string", ""),
               ("矿区面积", "number", "单位：平方千米"), ("有效期起", "date", ""),
               ("有效期止", "date", "")),
    "survey": (("成果名称", "string", ""), ("成果类型", "string", ""),
               ("比例尺", "string", ""), ("覆盖范围", "string", ""),
               ("生产单位", "string", ""), ("完成日期", "date", ""),
               ("保密等级", "string", "")),
    "disclosure": (("公开事项", "string", ""), ("公开内容", "memo", "要素"),
                   ("公开依据", "string", "法律法规及政策文件"),
                   ("公开时限", "string", ""), ("公开主体", "string", ""),
                   ("公开方式", "string", "政府网站、政务服务平台、公开查阅点等"),
                   ("公开层级", "string", "省、市、县、乡")),
    "approval": (("项目名称", "string", ""), ("申请单位", "string", ""), _CREDIT,
                 ("批准文号", "string", ""), ("批准内容", "memo", ""),
                 ("批准日期", "date", ""), ("批准机关", "string", "")),
    "price_index": (_YEAR, _AREA_NAME, ("指标名称", "string", ""),
                    ("上年同期=100", "number", ""), ("上月=100", "number", ""),
                    ("计量单位", "string", "")),
    "statistics": (_YEAR, _AREA_NAME, ("指标名称", "string", ""), ("计量单位", "string", ""),
                   ("指标值", "number", ""), ("数据来源", "string", "")),
    "health_stats": (_YEAR, _AREA_NAME, ("指标名称", "string", ""),
                     ("机构数", "integer", "单位：个"), ("床位数", "integer", "单位：张"),
                     ("卫生技术人员数", "integer", "单位：人"), ("计量单位", "string", "")),
}

# (title pattern, template), first match wins
TEMPLATE_RULES: tuple[tuple[str, str], ...] = (
    (r"居住证受理信息", "residence_permit"),
    (r"人口死亡信息|死亡注销", "death"),
    (r"出生人口医学证明", "birth"),
    (r"户籍信息$", "household"),
    (r"年龄", "population_age"),
    (r"死因", "death_cause"),
    (r"出生率", "population_rate"),
    (r"城镇化率|城镇人口", "urbanization"),
    (r"社矫", "correction"),
    (r"历史位置", "location"),
    (r"政务公开", "disclosure"),
    (r"人口|户数", "population"),
    (r"养老保险注销", "insurance_person"),
    (r"仲裁委员会", "arbitration"),
    (r"法律援助机构", "legal_aid"),
    (r"律师事务所", "law_firm"),
    (r"个体工商户年报", "annual_report"),
    (r"注销登记|注销信息", "deregistration"),
    (r"个体工商户", "individual"),
    (r"股权出质", "pledge"),
    (r"经营异常|异常名录", "abnormal"),
    (r"行政处罚", "penalty"),
    (r"年检|评估等级", "social_org_check"),
    (r"社会组织|民办非企业|募捐", "social_org"),
    (r"企业基本信息|市场主体|营业执照|企业注销", "enterprise"),
    (r"规范性文件", "normative"),
    (r"政策清单|政策引导|政策汇总|政策目录", "policy"),
    (r"法规|法律", "law"),
    (r"司法鉴定机构", "appraisal"),
    (r"执业证", "licence"),
    (r"保险", "insurance"),
    (r"就业|失业|工资", "employment"),
    (r"招聘", "recruitment"),
    (r"集体合同", "contract"),
    (r"卫生保健", "maternal_child"),
    (r"医疗卫生机构|床位", "health_stats"),
    (r"检查机构", "qualified"),
    (r"医疗机构名录", "institution"),
    (r"不动产", "real_estate"),
    (r"采矿", "mining"),
    (r"测绘", "survey"),
    (r"批准结果|审批结果", "approval"),
    (r"土地出让", "land"),
    (r"旅馆|网吧", "premises"),
    (r"派出所|受理网点|单位名录|目录信息", "directory"),
    (r"价格指数", "price_index"),
)


def infer_template(title: str) -> str:
    return next((name for pattern, name in TEMPLATE_RULES if re.search(pattern, title)),
                "statistics")


def data_items(template: str) -> list[dict[str, str]]:
    items = []
    for name, data_type, description in TEMPLATES[template]:
        item = {"name": name, "data_type": data_type}
        if description:
            item["description"] = description
        items.append(item)
    return items


# keyword for each template, added to the classification labels
TEMPLATE_KEYWORDS: dict[str, str] = {
    "household": "户籍", "residence_permit": "居住证", "death": "死亡注销", "birth": "出生医学证明",
    "population": "人口", "population_age": "年龄结构", "population_rate": "人口变动",
    "enterprise": "企业登记", "individual": "个体工商户", "deregistration": "注销登记",
    "annual_report": "年度报告", "pledge": "股权出质", "abnormal": "异常名录",
    "penalty": "行政处罚", "social_org": "社会组织", "social_org_check": "社会组织年检",
    "law": "法律法规", "normative": "规范性文件", "policy": "惠企惠民政策",
    "law_firm": "法律服务", "appraisal": "司法鉴定", "licence": "执业证", "arbitration": "仲裁",
    "correction": "社区矫正", "location": "定位", "institution": "医疗卫生机构",
    "directory": "办事网点", "premises": "特种行业", "insurance": "社会保险",
    "insurance_person": "养老保险", "employment": "就业", "recruitment": "招聘",
    "contract": "集体合同", "land": "土地", "real_estate": "不动产登记", "mining": "矿业权",
    "survey": "测绘成果", "approval": "行政审批", "price_index": "价格指数",
    "statistics": "统计数据", "health_stats": "卫生统计", "disclosure": "政务公开",
    "urbanization": "城镇化", "death_cause": "死因监测", "maternal_child": "妇幼保健",
    "legal_aid": "法律援助", "qualified": "资质机构",
}


def keywords(template: str, classification: str) -> list[str]:
    concepts = scheme("classification")
    concept = concepts.get(classification)
    words = [TEMPLATE_KEYWORDS[template], concept.label_zh]
    if concept.broader and concepts.get(concept.broader).broader:   # skip the top level (基础/主题/部门)
        words.append(concepts.get(concept.broader).label_zh)
    return list(dict.fromkeys(words))[:4]


# ---------------------------------------------------------------------------------------------
# the picks: which corpus row becomes which Anhui dataset
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pick:
    source: str                        # corpus file stem
    title: str                         # exact title in that file
    department: str                    # Department.key
    classification: str                # classification concept code
    sharing: str = "open"              # key of SHARING
    new_title: str | None = None       # replaces the title outright
    renames: tuple[tuple[str, str], ...] = ()   # replacements in title and summary
    publisher: str | None = None       # disambiguates repeated titles
    template: str | None = None        # overrides the inferred data-item template


AH, LZ, NN, GY, XM, MS, ABA, SZ = ("anhui_anhui", "guangxi_liuzhou", "guangxi_nanning",
                                   "guizhou_guiyang", "fujian_xiamen", "sichuan_meishan",
                                   "sichuan_aba", "anhui_suzhou")


def _to_province(*names: str) -> tuple[tuple[str, str], ...]:
    return tuple((name, "安徽省") for name in names)


def _to_whole(*names: str) -> tuple[tuple[str, str], ...]:
    return tuple((name, "全省") for name in names)


PICKS: tuple[Pick, ...] = (
    # 省公安厅: population (户籍, 居住证, 死亡注销, 人口统计) and public-order registers
    Pick(LZ, "融水县居住证受理信息", "police", "101002", "identity", renames=(("融水县", ""),)),
    Pick(ABA, "理县户籍信息", "police", "101002", "identity", renames=_to_whole("理县")),
    Pick(ABA, "金川县死亡注销人员统计表", "police", "101002", "identity",
         renames=(("金川县", ""),)),
    Pick(MS, "实有人口统计表", "police", "101001", "duty", publisher="区公安分局"),
    Pick(MS, "重点年龄段户籍人口情况统计表", "police", "101003", "duty", publisher="市公安局"),
    Pick(MS, "人口及其变动情况分类统计", "police", "101003", publisher="区公安分局"),
    Pick(MS, "城镇人口增减情况统计表", "police", "101003", publisher="区公安分局"),
    Pick(ABA, "汶川县各乡镇户籍人口数据", "police", "101003", renames=(("汶川县", "全省"),)),
    Pick(ABA, "小金县户籍人口及其变动情况统计", "police", "101003", renames=_to_whole("小金县")),
    Pick(ABA, "户籍管理领域基层政务公开标准目录信息", "police", "301"),
    Pick(GY, "户政派出所信息", "police", "301"),
    Pick(NN, "治安-旅馆基本信息", "police", "301"),
    Pick(NN, "治安-网吧基本信息", "police", "301"),
    # 省市场监管局: market entities
    Pick(LZ, "柳州市柳东新区企业基本信息", "market", "102002", "entity_person",
         renames=_to_province("柳州市柳东新区")),
    Pick(LZ, "柳州市柳东新区个体工商户登记注册信息", "market", "102002",
         renames=_to_province("柳州市柳东新区")),
    Pick(LZ, "柳州市柳东新区个体工商户年报信息", "market", "102002", "entity_person",
         renames=_to_province("柳州市柳东新区")),
    Pick(LZ, "个体工商户变更登记", "market", "102002"),
    Pick(LZ, "个体工商户注销登记", "market", "102002"),
    Pick(LZ, "柳州市城中区市场监督管理局企业注销信息", "market", "102002",
         new_title="企业注销信息"),
    Pick(LZ, "股权出质设立登记", "market", "102002"),
    Pick(LZ, "股权出质注销", "market", "102002"),
    Pick(LZ, "融水县年度全县市场主体名单", "market", "102001", "entity_person",
         renames=(("融水县年度全县", "年度全省"),)),
    Pick(NN, "上林县工商营业执照登记注册信息", "market", "102002", renames=(("上林县", ""),)),
    Pick(NN, "隆安县市场主体经营异常名录信息公示", "market", "104",
         renames=_to_province("隆安县")),
    Pick(GY, "清镇市市场监督管理局行政处罚信息", "market", "303",
         renames=_to_province("清镇市")),
    # 省民政厅: social organizations and civil-affairs statistics
    Pick(LZ, "柳州市社会组织基本信息", "civil", "102003",
         renames=_to_province("柳州市")),
    Pick(LZ, "柳州市社会组织注销信息", "civil", "102003", renames=_to_province("柳州市")),
    Pick(LZ, "柳州市社会组织年检信息", "civil", "102003", "duty",
         renames=_to_province("柳州市")),
    Pick(LZ, "柳州市列入社会组织活动异常名录", "civil", "102003",
         renames=_to_province("柳州市")),
    Pick(LZ, "柳州市公益性社会组织名单", "civil", "102003", renames=_to_province("柳州市")),
    Pick(NN, "社会组织评估等级信息", "civil", "102003", renames=_to_province("南宁市")),
    Pick(GY, "清镇市社会组织成立登记信息", "civil", "102003", renames=(("清镇市", ""),)),
    Pick(GY, "全市性社会组织变更登记有关信息", "civil", "102003",
         renames=(("全市性", "全省性"),)),
    Pick(NN, "南宁经开区民办非企业单位登记", "civil", "102003",
         renames=(("南宁经开区", ""),)),
    Pick(XM, "具备公开募捐资格社会组织名单", "civil", "102003",
         renames=(("厦门市民政局", "安徽省民政厅"),)),
    Pick(AH, "婚姻服务情况信息", "civil", "304"),
    Pick(AH, "社会福利事业单位基本情况信息", "civil", "304"),
    Pick(AH, "城乡居民最低生活和社会保障网络基本情况信息", "civil", "203"),
    # 省司法厅: laws, regulations, normative documents; legal services
    Pick(XM, "厦门市政策法规文章列表信息", "justice", "302001",
         renames=_to_province("厦门市")),
    Pick(XM, "厦门市政策法规文章类型信息", "justice", "302001", renames=_to_province("厦门市")),
    Pick(XM, "厦门市政策法规指定文章信息", "justice", "302001",
         renames=_to_province("厦门市")),
    Pick(GY, "房屋安全相关法律法规信息", "justice", "302001"),
    Pick(GY, "便民查询法规案例文书统计", "justice", "302001"),
    Pick(ABA, "壤塘县司法局规范性文件合法性审查统计表", "justice", "302001", "duty",
         renames=(("壤塘县司法局", ""),)),
    Pick(MS, "仁寿县以县政府名义印发规范性文件报备登记信息", "justice", "302001",
         renames=(("仁寿县以县政府", "以省政府"),)),
    Pick(MS, "仁寿县以部门名义印发的规范性文件备案信息", "justice", "302001",
         renames=(("仁寿县", ""),)),
    Pick(MS, "眉山市住房和城乡局规范性文件目录", "justice", "302001",
         new_title="安徽省住房和城乡建设厅规范性文件目录"),
    Pick(NN, "武鸣区基本医疗保险相关政策目录", "justice", "302001", renames=(("武鸣区", ""),)),
    Pick(LZ, "柳州市科技政策引导", "justice", "302001", renames=_to_province("柳州市")),
    Pick(GY, "2023年开阳县惠民惠农财政补贴政策清单", "justice", "302001",
         renames=_to_province("开阳县")),
    Pick(LZ, "审计法以外的法律法规规定的审计信息", "justice", "302001"),
    Pick(AH, "律师事务所信息（接口）", "justice", "302", "duty"),
    Pick(AH, "司法鉴定机构信息（接口）", "justice", "302", "duty"),
    Pick(AH, "司法鉴定人执业证", "justice", "105", "duty"),
    Pick(AH, "仲裁委员会设立，注销登记（供省信用信息）", "justice", "302"),
    Pick(SZ, "法律援助机构信息", "justice", "302"),
    Pick(GY, "社矫人员_户籍和居住地相关信息", "justice", "302002", "sensitive"),
    Pick(GY, "贵阳市司法人员历史位置", "justice", "302002", "sensitive",
         renames=(("贵阳市", ""),)),
    # 省统计局: population statistics and other statistical tables (all real Anhui rows)
    Pick(AH, "六次全省人口普查基本情况信息", "statistics", "101003"),
    Pick(AH, "历年全省总人口、总户数信息", "statistics", "101003"),
    Pick(AH, "各市户数、人口数和性别比信息", "statistics", "101003"),
    Pick(AH, "按年龄和性别分人口数信息", "statistics", "101003"),
    Pick(AH, "各市人口年龄结构信息", "statistics", "101003"),
    Pick(AH, "各市常住人口出生率、死亡率信息", "statistics", "101003"),
    Pick(AH, "各市主要年份人口城镇化率信息", "statistics", "101003"),
    Pick(AH, "各市常住人口基本情况信息", "statistics", "101001"),
    Pick(SZ, "主要年份户籍人口指标信息", "statistics", "101003"),
    Pick(AH, "各市按注册类型分企业法人单位数信息", "statistics", "102001"),
    Pick(AH, "各市按三次产业和机构类型分法人单位数信息", "statistics", "102001"),
    Pick(AH, "地区能源消费与单位GDP能耗信息", "statistics", "207"),
    Pick(AH, "城镇居民收入信息", "statistics", "306"),
    # 省人力资源和社会保障厅
    Pick(AH, "城镇职工基本养老保险情况信息", "hrss", "203"),
    Pick(AH, "城乡居民基本养老保险情况信息", "hrss", "203"),
    Pick(XM, "失业保险参保及领取待遇人员情况", "hrss", "203"),
    Pick(LZ, "柳州市城中区城乡居民养老保险注销登记", "hrss", "203", "social_insurance",
         renames=(("柳州市城中区", ""),)),
    Pick(AH, "各市城镇登记失业人数及失业率信息", "hrss", "305"),
    Pick(AH, "城镇非私营单位就业人员年平均工资信息", "hrss", "305"),
    Pick(NN, "单位招聘登记信息", "hrss", "305"),
    Pick(NN, "集体合同审查信息", "hrss", "305", "duty"),
    # 省卫生健康委员会
    Pick(AH, "医疗卫生机构数信息", "health", "307"),
    Pick(AH, "各市医疗卫生机构床位数信息", "health", "307"),
    Pick(AH, "妇女卫生保健状况信息", "health", "202"),
    Pick(AH, "儿童卫生保健状况信息", "health", "202"),
    Pick(NN, "南宁市医疗机构名录", "health", "307", renames=_to_province("南宁市")),
    Pick(XM, "厦门市职业健康检查机构信息", "health", "202", renames=_to_province("厦门市")),
    Pick(XM, "厦门全市人口前十位死因统计分析（按年）", "health", "202",
         renames=(("厦门全市", "全省"), ("厦门", "全省"))),
    Pick(LZ, "融水县出生人口医学证明信息", "health", "101001", "health_person",
         renames=(("融水县", ""),)),
    # 省自然资源厅
    Pick(LZ, "柳州市自然资源和规划局不动产权利人信息", "land", "103", "real_estate",
         new_title="不动产权利人信息", renames=(("柳州市自然资源和规划局", "安徽省自然资源厅"),)),
    Pick(LZ, "柳州市采矿许可证信息", "land", "103", renames=_to_province("柳州市")),
    Pick(LZ, "柳州市土地出让信息", "land", "308", "duty", renames=_to_province("柳州市")),
    Pick(NN, "南宁市基础测绘成果目录", "land", "103", renames=_to_province("南宁市")),
    Pick(NN, "建设项目用地预审审批结果", "land", "308"),
    Pick(NN, "矿山地质环境保护与治理恢复方案批准结果", "land", "308"),
    Pick(GY, "贵阳市地质灾害防治单位名录", "land", "308", renames=_to_province("贵阳市"),
         template="directory"),
    Pick(AH, "各市土地利用情况信息", "land", "103"),
    # 合肥市 (city level)
    Pick(AH, "合肥市住宅销售价格指数(2021年)_2022", "hefei_data", "206"),
    Pick(AH, "合肥国家高新技术产业开发区企业经营状况信息", "hefei_data", "306"),
    Pick(GY, "派出所基本情况", "hefei_police", "301", renames=(("贵阳市", "合肥市"),),
         publisher="贵阳市公安局"),
    Pick(XM, "厦门市居住证受理网点", "hefei_police", "201", renames=(("厦门市", "合肥市"),)),
)

# place names of the other portals that must not survive re-homing
FOREIGN_PLACES = ("柳州", "柳城", "柳东", "融水", "城中区", "南宁", "上林", "隆安", "武鸣", "经开区",
                  "贵阳", "清镇", "开阳", "厦门", "眉山", "仁寿", "阿坝", "理县", "金川", "汶川",
                  "壤塘", "小金", "宿州", "广西", "贵州", "福建", "四川")


# ---------------------------------------------------------------------------------------------
# building records
# ---------------------------------------------------------------------------------------------


def rename(text: str, renames: Iterable[tuple[str, str]]) -> str:
    for old, new in renames:
        text = text.replace(old, new)
    return text


def build_record(pick: Pick, row: Row) -> dict[str, Any] | None:
    """The record for one pick, or None when the row's values do not map to the schemes."""
    cycle = concept_code("update-cycle", row.get("cycle"))
    open_type = concept_code("open-type", row.get("open"))
    if cycle is None or open_type is None:
        return None
    department = DEPT_BY_KEY[pick.department]
    sharing = SHARING[pick.sharing]
    title = pick.new_title or rename(row.get("title"), pick.renames)
    summary = row.get("summary")
    description = rename(summary, pick.renames) if summary and summary != "无" else title
    formats = parse_formats(row.values.get("formats"))
    form = resource_form(formats)
    template = pick.template or infer_template(title)
    if sharing.share_type == "none" or sharing.security_level != "public":
        # not shared with other departments, or not public: then not opened to the public either
        # (catalog.rules: an opened resource must be at level 'public')
        open_type = "closed"
    issued = to_date(row.get("issued"))
    modified = to_date(row.get("modified"))
    if issued and modified and modified < issued:
        modified = None        # some portals stamp a publication date after the last update
    url = row.get("url")
    values: dict[str, Any] = {
        "title": title,
        "classification": pick.classification,
        "publisher_name": department.name,
        "publisher_code": department.code,
        "description": description,
        "resource_form": form,
        "formats": formats,
        "data_items": data_items(template),
        "share_type": sharing.share_type,
        "share_condition": sharing.condition,
        "share_method": share_method(form, cycle) if sharing.share_type != "none" else None,
        "share_basis": sharing.basis,
        "open_type": open_type,
        "open_condition": OPEN_CONDITION if open_type == "conditional" else "",
        "update_cycle": cycle,
        "issued": issued,
        "modified": modified,
        "security_level": sharing.security_level,
        "keywords": keywords(template, pick.classification),
        "landing_page": url if url.startswith(("http://", "https://")) and row.url_unique else "",
    }
    return {f.name: values[f.name] for f in FIELDS if values.get(f.name) not in (None, "", [])}


def check_record(record: Mapping[str, Any]) -> list[str]:
    """Problems with a built record (an empty list when it is fine)."""
    problems = [f"unknown field {name}" for name in record if name not in BY_NAME]
    allowed = SHARE_METHODS_BY_FORM[record["resource_form"]]
    if record["share_type"] != "none" and record.get("share_method") not in allowed:
        problems.append(f"share method {record.get('share_method')} for {record['resource_form']}")
    if record["open_type"] == "open" and record["share_type"] != "unconditional":
        problems.append("open to the public without conditions but not shared without conditions")
    for text in (record["title"], record["description"]):
        problems += [f"foreign place {place} in {text!r}" for place in FOREIGN_PLACES
                     if place in text]
    return problems


def title_key(title: str) -> str:
    """A title folded for duplicate detection (width, case, spaces and punctuation ignored)."""
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", title)).lower()


def build_datasets(corpus: Mapping[str, list[Row]]) -> tuple[list[dict[str, Any]], list[str]]:
    """All dataset entries, sorted, and a report of the picks that were skipped."""
    order = {d.key: index for index, d in enumerate(DEPARTMENTS)}
    entries: list[tuple[tuple[int, str, str], dict[str, Any]]] = []
    skipped: list[str] = []
    for pick in PICKS:
        row = find_row(corpus, pick)
        record = build_record(pick, row) if row else None
        if record is None:
            skipped.append(f"{pick.source}: {pick.title} ({'no row' if row is None else 'unmapped'})")
            continue
        problems = check_record(record)
        if problems:
            raise ValueError(f"{pick.source}: {pick.title}: {'; '.join(problems)}")
        key = (order[pick.department], record["classification"], record["title"])
        entries.append((key, {"department": DEPT_BY_KEY[pick.department].code, "record": record}))
    titles = [title_key(entry["record"]["title"]) for _, entry in entries]
    duplicates = sorted({t for t in titles if titles.count(t) > 1})
    if duplicates:
        raise ValueError(f"duplicate titles: {duplicates}")
    return [entry for _, entry in sorted(entries, key=lambda item: item[0])], skipped


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or len(args) > 2:
        print("usage: python -m catalog.demo.build_demo_data CORPUS_DIR [OUT_DIR]", file=sys.stderr)
        return 2
    corpus_root = Path(args[0])
    out_dir = Path(args[1]) if len(args) == 2 else OUT_DIR
    corpus = load_corpus(corpus_root)
    if not corpus:
        print(f"no corpus files under {corpus_root}", file=sys.stderr)
        return 1
    datasets, skipped = build_datasets(corpus)
    write_json(out_dir / "departments.json", department_dicts())
    write_json(out_dir / "datasets.json", datasets)
    for line in skipped:
        print(f"skipped {line}", file=sys.stderr)
    print(f"wrote {len(DEPARTMENTS)} departments and {len(datasets)} datasets to {out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
