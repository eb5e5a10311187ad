"""The field table: every catalog field declared once.

The marshmallow schema (catalog.schemas), the RDF profiles (vocab.profiles), the spreadsheet
columns (catalog.spreadsheet), the index documents (search.documents) and the UI labels are all
derived from ``FIELDS``. Add a field here and it appears everywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from rdflib import URIRef

from vocab.namespaces import (
    ADMS,
    DCAT,
    DCAT3,
    DCT,
    FOAF,
    LOCN,
    MULU,
    OWL,
    SCHEMA,
    SKOS,
    SPDX,
    VCARD,
    XSD,
)


class Kind(str, Enum):  # noqa: UP042 (StrEnum would change str(Kind.X))
    TEXT = "text"            # a plain string
    CODE = "code"            # a string following a code rule (validated elsewhere)
    CONCEPT = "concept"      # a code of a SKOS concept in ``scheme``
    DATE = "date"            # ISO date
    URL = "url"              # an http(s) address
    DATA_ITEMS = "data_items"  # list of {name, data_type, description}
    IRI = "iri"              # any absolute IRI (license, status, a place, a standard ...)
    INTEGER = "integer"      # a non-negative integer (byte size)
    EMAIL = "email"          # an e-mail address, written as a mailto: IRI
    PHONE = "phone"          # a telephone number, written as a tel: IRI
    MEDIA_TYPE = "media_type"  # an IANA media type such as text/csv
    FORMAT = "format"        # a format name ("CSV"), written as an EU file-type IRI where one is
    LANGUAGE = "language"    # a language IRI (EU authority); ISO 639-1 codes are read too
    GEOMETRY = "geometry"    # a WKT or GeoJSON literal (dcat:bbox, locn:geometry)
    NODE = "node"            # one sub-record: a node whose sub-fields are ``SUB_FIELDS[name]``
    NODES = "nodes"          # a list of such sub-records
    SELF = "self"            # the IRI of the node a sub-record describes (kept when not blank)
    TRANSLATIONS = "translations"  # {field: {language tag or "": text, or list of texts}}
    EXTRA = "extra"          # what the source says of the node that no field keeps as it came:
    #                          a list of ``{"p": IRI, "o": term}`` (see vocab.profiles.terms)


# what a value of these kinds looks like (the schema validates with them, the profiles read with
# them: a source's value that does not fit is noted as unread, not stored)
VALUE_PATTERNS: dict[Kind, re.Pattern[str]] = {
    Kind.IRI: re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+$"),
    Kind.EMAIL: re.compile(r"^[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+\.[A-Za-z0-9-]{2,}$"),
    Kind.MEDIA_TYPE: re.compile(r"^[\w.+-]+/[\w.+-]+$|^[A-Za-z][A-Za-z0-9+.-]*://\S+$"),
}
VALUE_PATTERNS[Kind.LANGUAGE] = VALUE_PATTERNS[Kind.SELF] = VALUE_PATTERNS[Kind.IRI]
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")  # never kept
LANGUAGE_TAG = re.compile(r"^(?:[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*)?$")  # "" is untagged


@dataclass(frozen=True, eq=False)   # identity: fields are constants, hashed in hot loops
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
    # the literals carry a language: every variant a source gives is kept in the table's
    # ``translations`` field; our own text is tagged @zh when it is Chinese, else untagged
    translatable: bool = False
    also: tuple[URIRef, ...] = ()     # other properties read as this field (never written)
    label_node: URIRef | None = None  # value written as a node of this class with rdfs:label
    node_class: URIRef | None = None  # NODE / NODES: the class of the node
    datatype: URIRef | None = None    # TEXT written as a literal of this datatype
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
    F("title", K.TEXT, DCT.title, "信息资源名称", "Title", required=True, max_length=200,
      translatable=True, searchable=True, column_aliases=("资源名称", "数据名称", "数据集名称", "标题", "目录名称")),
    F("title_en", K.TEXT, DCT.title, "英文名称", "English title", max_length=300, lang="en",
      searchable=True),
    F("resource_code", K.CODE, DCT.identifier, "信息资源代码", "Resource code", max_length=40,
      column_aliases=("资源代码", "目录代码", "资源编码", "标识符"),
      help_zh="分类码/顺序码，如 101001/000001；留空则按编码规则自动生成"),
    F("classification", K.CONCEPT, MULU.classification, "信息资源分类", "Classification",
      required=True, scheme="classification", facet=True,
      column_aliases=("资源分类", "所属分类", "分类", "所属领域", "主题分类")),
    F("publisher_name", K.TEXT, DCT.publisher, "信息资源提供方", "Provider", max_length=100,
      searchable=True, facet=True, column_aliases=("提供方", "数据提供方", "来源部门", "提供单位", "数源单位",
                                       "提供部门", "资源提供方", "所属部门")),
    F("publisher_code", K.CODE, DCT.publisher, "提供方代码", "Provider code", max_length=18,
      column_aliases=("提供方统一社会信用代码", "统一社会信用代码", "部门代码")),
    F("description", K.TEXT, DCT.description, "信息资源摘要", "Summary", required=True,
      max_length=4000, translatable=True, searchable=True, column_aliases=("摘要", "资源摘要", "摘要信息", "数据摘要",
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
      translatable=True, searchable=True, column_aliases=("关键词", "标签")),
    F("landing_page", K.URL, DCAT.landingPage, "详情页", "Landing page", max_length=500,
      column_aliases=("详情页网址", "url", "链接")),
    F("source_identifier", K.TEXT, ADMS.identifier, "来源标识", "Identifier at source",
      max_length=500, column_aliases=("来源标识符", "原始标识")),
)


def _translations(label_zh: str = "多语言文本", label_en: str = "Texts in every language") -> Field:
    """The table's language variants: {field name: {tag or "": text (list for lists)}}. The
    field's own value is the display text: Chinese if any, else untagged, else English, else
    any; so the variants also say which language the display text is in."""
    return F("translations", K.TRANSLATIONS, MULU.translations, label_zh, label_en)


def _extra(label_zh: str = "其他属性", label_en: str = "Other properties") -> Field:
    """The node's triples kept as they came (``Kind.EXTRA``): properties no field maps, values
    no field can hold (a foreign concept, a date that is no date), and the source's own form of
    a value a field holds (a literal where the field writes an IRI, an alias property); the
    profiles write them back, so a harvested record exports what its source said."""
    return F("extra", K.EXTRA, MULU.extra, label_zh, label_en)


# how many entries one node's ``extra`` keeps (and how deep blank nodes nest in them)
MAX_EXTRA = 500
MAX_EXTRA_DEPTH = 6
MAX_EXTRA_TEXT = 100_000   # characters of one literal


def _iri(name: str, predicate: URIRef, zh: str, en: str, **kw: object) -> Field:
    return F(name, K.IRI, predicate, zh, en, max_length=2000, **kw)  # type: ignore[arg-type]


def _self(zh: str, en: str) -> Field:
    return F("uri", K.SELF, MULU.node, zh, en, max_length=2000)


# the sub-fields of a checksum (spdx:Checksum)
CHECKSUM_FIELDS: tuple[Field, ...] = (
    _iri("algorithm", SPDX.algorithm, "校验算法", "Checksum algorithm", required=True,
         node_class=SPDX.ChecksumAlgorithm),
    F("value", K.TEXT, SPDX.checksumValue, "校验值", "Checksum value", required=True,
      max_length=200, datatype=XSD.hexBinary),
)

# the sub-fields of a data service a distribution is accessed through (dcat:DataService)
SERVICE_FIELDS: tuple[Field, ...] = (
    _self("服务标识", "Service IRI"),
    F("title", K.TEXT, DCT.title, "服务名称", "Service title", max_length=500, translatable=True),
    _iri("endpoint_url", DCAT.endpointURL, "服务地址", "Endpoint URL"),
    _iri("endpoint_description", DCAT.endpointDescription, "服务说明", "Endpoint description"),
    _translations(),
    _extra(),
)

# the sub-fields of one distribution (挂接资源: a file, an interface, a table)
DISTRIBUTION_FIELDS: tuple[Field, ...] = (
    _self("资源标识", "Distribution IRI"),
    F("title", K.TEXT, DCT.title, "资源名称", "Distribution title", max_length=500,
      translatable=True),
    F("description", K.TEXT, DCT.description, "资源描述", "Distribution description",
      max_length=4000, translatable=True),
    _iri("access_url", DCAT.accessURL, "访问地址", "Access URL"),
    _iri("download_url", DCAT.downloadURL, "下载地址", "Download URL"),
    F("format", K.FORMAT, DCT["format"], "格式", "Format", max_length=100),
    F("media_type", K.MEDIA_TYPE, DCAT.mediaType, "媒体类型", "Media type", max_length=200),
    F("byte_size", K.INTEGER, DCAT.byteSize, "大小（字节）", "Size in bytes"),
    F("checksum", K.NODE, SPDX.checksum, "校验和", "Checksum", node_class=SPDX.Checksum),
    _iri("license", DCT.license, "许可", "Licence", node_class=DCT.LicenseDocument),
    F("rights", K.TEXT, DCT.rights, "权利声明", "Rights", max_length=4000, translatable=True,
      label_node=DCT.RightsStatement),
    _iri("status", ADMS.status, "状态", "Status", node_class=SKOS.Concept),
    F("issued", K.DATE, DCT.issued, "发布日期", "Issued"),
    F("modified", K.DATE, DCT.modified, "更新日期", "Modified"),
    F("languages", K.LANGUAGE, DCT.language, "语言", "Languages", multiple=True,
      max_length=2000, node_class=DCT.LinguisticSystem),
    _iri("conforms_to", DCT.conformsTo, "遵循标准", "Conforms to", multiple=True,
         node_class=DCT.Standard),
    F("access_service", K.NODE, DCAT.accessService, "访问服务", "Access service",
      node_class=DCAT.DataService),
    _translations(),
    _extra(),
)

# the sub-fields of one contact point (联系人: vcard:Kind)
CONTACT_FIELDS: tuple[Field, ...] = (
    _self("联系人标识", "Contact IRI"),
    F("name", K.TEXT, VCARD.fn, "联系人", "Name", max_length=200, translatable=True,
      also=(VCARD["organization-name"],)),
    F("email", K.EMAIL, VCARD.hasEmail, "电子邮箱", "E-mail", max_length=320),
    F("phone", K.PHONE, VCARD.hasTelephone, "电话", "Telephone", max_length=100),
    _iri("url", VCARD.hasURL, "联系网址", "Contact URL"),
    _translations(),
    _extra(),
)

# the sub-fields of the publisher as the source describes it (foaf:Agent); the record's
# ``publisher_name`` / ``publisher_code`` say who publishes it here, and the node is written
# when they still name it
PUBLISHER_FIELDS: tuple[Field, ...] = (
    _self("提供方标识", "Publisher IRI"),
    F("name", K.TEXT, FOAF.name, "提供方名称", "Publisher name", max_length=500,
      translatable=True),
    F("identifier", K.TEXT, DCT.identifier, "提供方标识符", "Publisher identifier", max_length=500),
    _translations(),
    _extra(),
)

# the sub-fields of a spatial coverage (dct:Location, or just a place IRI)
SPATIAL_FIELDS: tuple[Field, ...] = (
    _self("地点标识", "Place IRI"),
    F("bbox", K.GEOMETRY, DCAT.bbox, "范围框", "Bounding box", max_length=100_000),
    F("geometry", K.GEOMETRY, LOCN.geometry, "几何形状", "Geometry", max_length=100_000,
      node_class=LOCN.Geometry),
    F("centroid", K.GEOMETRY, DCAT.centroid, "中心点", "Centroid", max_length=10_000),
    _extra(),
)

# the sub-fields of a temporal coverage (dct:PeriodOfTime)
TEMPORAL_FIELDS: tuple[Field, ...] = (
    F("start_date", K.DATE, DCAT.startDate, "起始日期", "Start date", also=(SCHEMA.startDate,)),
    F("end_date", K.DATE, DCAT.endDate, "截止日期", "End date", also=(SCHEMA.endDate,)),
    _extra(),
)

# the elements of the full DCAT record: kept from DCAT and CKAN sources and exported, but no
# spreadsheet columns or form widgets (those follow ``FIELDS``)
DCAT_FIELDS: tuple[Field, ...] = (
    F("distributions", K.NODES, DCAT.distribution, "挂接资源", "Distributions", multiple=True,
      node_class=DCAT.Distribution),
    F("contact_points", K.NODES, DCAT.contactPoint, "联系人", "Contact points", multiple=True,
      node_class=VCARD.Kind, also=(ADMS.contactPoint,)),  # (DCAT-AP 1's, read as it came)
    _iri("license", DCT.license, "许可", "Licence", node_class=DCT.LicenseDocument),
    _iri("access_rights", DCT.accessRights, "访问权限", "Access rights",
         node_class=DCT.RightsStatement,
         help_zh="非本目录开放属性概念的访问权限（开放属性另有 open_type）"),
    F("spatial", K.NODES, DCT.spatial, "空间范围", "Spatial coverage", multiple=True,
      node_class=DCT.Location),
    F("temporal", K.NODES, DCT.temporal, "时间范围", "Temporal coverage", multiple=True,
      node_class=DCT.PeriodOfTime),
    F("languages", K.LANGUAGE, DCT.language, "语言", "Languages", multiple=True,
      max_length=2000, node_class=DCT.LinguisticSystem),
    _iri("conforms_to", DCT.conformsTo, "遵循标准", "Conforms to", multiple=True,
         node_class=DCT.Standard),
    F("version", K.TEXT, DCAT3.version, "版本", "Version", max_length=100,
      also=(OWL.versionInfo,)),
    _iri("source", DCT.source, "来源记录", "Source record", multiple=True,
         node_class=DCAT.Dataset, help_zh="本记录在来源目录中的 IRI"),
    F("publisher", K.NODE, DCT.publisher, "来源提供方", "Publisher at source",
      node_class=FOAF.Agent),
    _translations(),
    _extra(),
)

# every field of a record
RECORD_FIELDS: tuple[Field, ...] = FIELDS + DCAT_FIELDS

BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}   # the entry fields (widgets, columns)
RECORD_BY_NAME: dict[str, Field] = {f.name: f for f in RECORD_FIELDS}
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

# NODE / NODES field name -> the sub-fields of its sub-records (by the field's table)
SUB_FIELDS: dict[str, tuple[Field, ...]] = {
    "distributions": DISTRIBUTION_FIELDS,
    "contact_points": CONTACT_FIELDS,
    "spatial": SPATIAL_FIELDS,
    "temporal": TEMPORAL_FIELDS,
    "checksum": CHECKSUM_FIELDS,
    "access_service": SERVICE_FIELDS,
    "publisher": PUBLISHER_FIELDS,
}

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
    field = RECORD_BY_NAME.get(name) or next((f for table in (DATA_ITEM_FIELDS, *SUB_FIELDS.values())
                                       for f in table if f.name == name), None)
    if field is None:
        return name
    return field.label_en if lang == "en" else field.label_zh
