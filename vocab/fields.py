"""The field table: every catalog field declared once.

The marshmallow schema (catalog.schemas), the RDF profiles (vocab.profiles), the spreadsheet
columns (catalog.spreadsheet), the index documents (search.documents) and the UI labels are all
derived from ``FIELDS``. Add a field here and it appears everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from rdflib import URIRef

from vocab.namespaces import ADMS, DCAT, DCT, MULU


class Kind(str, Enum):  # noqa: UP042 (StrEnum would change str(Kind.X))
    TEXT = "text"            # a plain string
    CODE = "code"            # a string following a code rule (validated elsewhere)
    CONCEPT = "concept"      # a code of a SKOS concept in ``scheme``
    DATE = "date"            # ISO date
    URL = "url"              # an http(s) address
    DATA_ITEMS = "data_items"  # list of {name, data_type, description}


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    predicate: URIRef
    label_zh: str
    label_en: str
    required: bool = False
    multiple: bool = False
    scheme: str | None = None
    max_length: int | None = None
    lang: str | None = None           # language tag of a literal (title zh / en)
    searchable: bool = False          # goes into the full-text index
    facet: bool = False               # offered as a search facet
    column_aliases: tuple[str, ...] = ()  # other spreadsheet headers seen in real exports
    help_zh: str = ""

    @property
    def columns(self) -> tuple[str, ...]:
        """Spreadsheet headers that map to this field, the template's header first."""
        return (self.label_zh, *self.column_aliases, self.label_en, self.name)


F = Field
K = Kind

FIELDS: tuple[Field, ...] = (
    F("title", K.TEXT, DCT.title, "信息资源名称", "Title", required=True, max_length=200, lang="zh",
      searchable=True, column_aliases=("资源名称", "数据名称", "数据集名称", "标题", "目录名称")),
    F("title_en", K.TEXT, DCT.title, "英文名称", "English title", max_length=300, lang="en",
      searchable=True),
    F("resource_code", K.CODE, DCT.identifier, "信息资源代码", "Resource code", max_length=40,
      column_aliases=("资源代码", "目录代码", "资源编码", "标识符"),
      help_zh="分类码/顺序码，如 101001/000001；留空则按编码规则自动生成"),
    F("classification", K.CONCEPT, MULU.classification, "信息资源分类", "Classification",
      required=True, scheme="classification", facet=True,
      column_aliases=("资源分类", "所属分类", "分类", "所属领域", "主题分类")),
    F("publisher_name", K.TEXT, DCT.publisher, "信息资源提供方", "Provider", max_length=100,
      searchable=True, column_aliases=("提供方", "数据提供方", "来源部门", "提供单位", "数源单位",
                                       "提供部门", "资源提供方", "所属部门")),
    F("publisher_code", K.CODE, DCT.publisher, "提供方代码", "Provider code", max_length=18,
      column_aliases=("提供方统一社会信用代码", "统一社会信用代码", "部门代码")),
    F("description", K.TEXT, DCT.description, "信息资源摘要", "Summary", required=True,
      max_length=4000, searchable=True, column_aliases=("摘要", "资源摘要", "摘要信息", "数据摘要",
                                                         "资源描述", "描述", "简介")),
    F("resource_form", K.CONCEPT, MULU.resourceForm, "信息资源格式", "Resource form", required=True,
      scheme="resource-form", facet=True, column_aliases=("资源格式", "资源形态", "格式类型")),
    F("formats", K.TEXT, DCT["format"], "数据格式", "Formats", multiple=True, max_length=20,
      facet=True, column_aliases=("文件格式", "格式", "资源格式类型")),
    F("data_items", K.DATA_ITEMS, MULU.dataItem, "信息项", "Data items", multiple=True,
      searchable=True, column_aliases=("信息项信息", "数据项", "字段")),
    F("share_type", K.CONCEPT, MULU.shareType, "共享类型", "Sharing type", required=True,
      scheme="share-type", facet=True, column_aliases=("共享属性",)),
    F("share_condition", K.TEXT, MULU.shareCondition, "共享条件", "Sharing condition",
      max_length=1000),
    F("share_method", K.CONCEPT, MULU.shareMethod, "共享方式", "Sharing method",
      scheme="share-method", column_aliases=("共享方式类型",)),
    F("share_basis", K.TEXT, MULU.shareBasis, "共享依据", "Legal basis for sharing",
      max_length=1000, help_zh="有条件共享、不予共享必须注明法律法规或政策依据"),
    F("open_type", K.CONCEPT, MULU.openType, "开放属性", "Open type", required=True,
      scheme="open-type", facet=True, column_aliases=("开放类型", "开放条件属性", "公开属性",
                                                       "是否开放")),
    F("open_condition", K.TEXT, MULU.openCondition, "开放条件", "Open condition", max_length=1000,
      column_aliases=("开放条件说明",)),
    F("update_cycle", K.CONCEPT, DCT.accrualPeriodicity, "更新周期", "Update cycle", required=True,
      scheme="update-cycle", facet=True, column_aliases=("更新频率", "更新频次")),
    F("issued", K.DATE, DCT.issued, "发布日期", "Issued", column_aliases=("发布时间", "上线日期",
                                                                          "创建日期", "上架日期")),
    F("modified", K.DATE, DCT.modified, "更新日期", "Modified", column_aliases=("更新时间",
                                                                                "最后更新时间")),
    F("related", K.CODE, DCT.relation, "关联资源代码", "Related resources", multiple=True,
      max_length=40, column_aliases=("关联资源",)),
    F("security_level", K.CONCEPT, MULU.securityLevel, "密级", "Security level", required=True,
      scheme="security-level", facet=True, column_aliases=("保密级别", "涉密等级")),
    F("keywords", K.TEXT, DCAT.keyword, "关键字", "Keywords", multiple=True, max_length=50,
      searchable=True, column_aliases=("关键词", "标签")),
    F("landing_page", K.URL, DCAT.landingPage, "详情页", "Landing page", max_length=500,
      column_aliases=("详情页网址", "url", "链接")),
    F("source_identifier", K.TEXT, ADMS.identifier, "来源标识", "Identifier at source",
      max_length=500, column_aliases=("来源标识符", "原始标识")),
)

BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}
REQUIRED: tuple[str, ...] = tuple(f.name for f in FIELDS if f.required)
FACETS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.facet)
SEARCHABLE: tuple[str, ...] = tuple(f.name for f in FIELDS if f.searchable)

# the sub-fields of one data item (信息项)
DATA_ITEM_FIELDS: tuple[Field, ...] = (
    F("name", K.TEXT, DCT.title, "信息项名称", "Data item name", required=True, max_length=100),
    F("data_type", K.CONCEPT, MULU.dataType, "数据类型", "Data type", required=True,
      scheme="data-type"),
    F("description", K.TEXT, DCT.description, "信息项描述", "Data item description",
      max_length=500),
)

# share types that must cite a legal or policy basis (共享依据)
SHARE_TYPES_NEEDING_BASIS = frozenset({"conditional", "none"})

# which sharing methods suit which resource forms (a file resource is shared as files,
# a database resource as a database exchange or an interface)
SHARE_METHODS_BY_FORM: dict[str, frozenset[str]] = {
    "file": frozenset({"file"}),
    "spreadsheet": frozenset({"file"}),
    "image": frozenset({"file"}),
    "stream": frozenset({"file"}),
    "database": frozenset({"database", "interface"}),
    "self_describing": frozenset({"interface", "file"}),
    "other": frozenset({"file", "database", "interface"}),
}


def label(name: str, lang: str = "zh") -> str:
    field = BY_NAME.get(name) or next((f for f in DATA_ITEM_FIELDS if f.name == name), None)
    if field is None:
        return name
    return field.label_en if lang == "en" else field.label_zh
