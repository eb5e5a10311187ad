"""From a mapped remote record to a catalog record: which department, the source's defaults,
and the clean-ups every harvester needs (resource code, resource form, sharing method)."""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from catalog.credit_code import valid_credit_code
from catalog.problems import UNCLASSIFIED
from catalog.resource_codes import CODE_PATTERN, check_code
from vocab.concepts import scheme
from vocab.fields import BY_NAME, SHARE_METHODS_BY_FORM, Kind
from vocab.profiles import set_aside

# what a source that says nothing about a field gets, unless its config says otherwise
DEFAULTS: dict[str, str] = {
    "classification": UNCLASSIFIED,  # 部门信息资源 / 其他部门
    "share_type": "unconditional",
    "open_type": "open",
    "update_cycle": "irregular",
    "security_level": "public",
}
DEFAULTABLE = ("classification", "resource_form", "share_type", "share_method", "share_basis",
               "share_condition", "open_type", "update_cycle", "security_level")

FORMS_BY_FORMAT: dict[str, str] = {
    **dict.fromkeys(("CSV", "TSV", "XLS", "XLSX", "ODS"), "spreadsheet"),
    **dict.fromkeys(("PDF", "DOC", "DOCX", "TXT", "HTML", "ODT", "RTF", "ZIP"), "file"),
    **dict.fromkeys(("JSON", "XML", "RDF", "RDF/XML", "Turtle", "JSON-LD", "API", "WMS", "WFS",
                     "GEOJSON"), "self_describing"),
    **dict.fromkeys(("JPEG", "PNG", "GIF", "TIFF", "SHP", "KML", "KMZ"), "image"),
    **dict.fromkeys(("MP4", "AVI", "MPEG", "MP3", "WAV"), "stream"),
    **dict.fromkeys(("SQL", "MDB", "DBF", "MYSQL"), "database"),
}


@dataclass
class Mapped:
    """What a harvester read from one remote record."""

    record: dict[str, Any]
    publisher: str | None = None        # provider name at the source
    publisher_key: str | None = None    # e.g. a CKAN organization's name (mapping rules key)
    publisher_code: str | None = None
    identifiers: tuple[str, ...] = ()   # other ids naming the same dataset (IRI, dct:identifier)
    notes: list[str] = field(default_factory=list)
    # what the source gave for a field that could not be read as a value of that field (an
    # unknown code-list value, a date that is no date): field name -> the source's text. The
    # record is kept; each of these becomes one of its problems (待完善), never a refusal.
    unread: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DepartmentRow:
    id: int
    code: str
    name: str
    short_name: str


def fold(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).lower()


@dataclass
class Placement:
    department_id: int
    known: bool


class Normalizer:
    """Applies one source's mapping rules and defaults; collects unknown providers."""

    def __init__(self, config: Mapping[str, Any], source_department: DepartmentRow,
                 departments: Sequence[DepartmentRow]):
        self.source_department = source_department
        self.defaults = {**DEFAULTS, **{k: v for k, v in (config.get("defaults") or {}).items()
                                        if k in DEFAULTABLE and v}}
        self.by_key: dict[str, DepartmentRow] = {}
        by_code = {d.code: d for d in departments}
        self.by_name: dict[str, DepartmentRow] = {}
        for department in departments:
            for name in (department.name, department.short_name, department.code):
                if name:
                    self.by_name.setdefault(fold(name), department)
        for key, code in (config.get("organizations") or {}).items():
            if code in by_code:
                self.by_key[fold(str(key))] = by_code[code]
        self.unknown_providers: Counter[str] = Counter()

    def place(self, mapped: Mapped) -> tuple[DepartmentRow, bool]:
        for key in (mapped.publisher_key, mapped.publisher):
            if key and fold(key) in self.by_key:
                return self.by_key[fold(key)], True
        for key in (mapped.publisher_code, mapped.publisher):
            if key and fold(key) in self.by_name:
                return self.by_name[fold(key)], True
        return self.source_department, False

    def apply(self, mapped: Mapped) -> tuple[dict[str, Any], DepartmentRow, list[str]]:
        record = {k: v for k, v in mapped.record.items() if v not in (None, "", [])}
        notes = list(mapped.notes)
        department, known = self.place(mapped)
        if known:
            record["publisher_name"], record["publisher_code"] = department.name, department.code
        elif mapped.publisher:
            record["publisher_name"] = mapped.publisher[:BY_NAME["publisher_name"].max_length or 100]
            code = mapped.publisher_code
            if code and valid_credit_code(code):
                record["publisher_code"] = code
            else:
                record.pop("publisher_code", None)
            self.unknown_providers[mapped.publisher] += 1
            notes.append(f"未知提供方“{mapped.publisher}”，记入本数据源部门 / unknown provider "
                         f"'{mapped.publisher}' kept under the source's department")
        else:
            record.pop("publisher_name", None)
            record.pop("publisher_code", None)
        for name, value in self.defaults.items():
            record.setdefault(name, value)
        record.setdefault("resource_form", guess_form(record.get("formats", [])))
        _fit_share_method(record, self.defaults.get("share_method"))
        formats = record.get("formats") or []
        if any(len(f) > 20 for f in formats):
            notes.append("过长的格式名已略去 / format names over 20 characters were left out")
            record["formats"] = [f for f in formats if len(f) <= 20]
            if not record["formats"]:
                record.pop("formats")
        related = record.get("related") or []
        kept = [r for r in related if CODE_PATTERN.match(r)]
        if len(kept) < len(related):
            notes.append("非本目录代码的关联资源已略去 / related resources that are not resource "
                         f"codes were left out: {', '.join(r for r in related if r not in kept)}"[:500])
            set_aside(record, "related", [r for r in related if r not in kept])  # still exported
            record["related"] = kept
            if not kept:
                record.pop("related")
        code = record.get("resource_code")
        if code and check_code(code, record.get("classification")) is not None:
            set_aside(record, "resource_code", [code])  # the source's identifier, still exported
            record.pop("resource_code")
            notes.append(f"来源标识“{code}”不是本目录的信息资源代码，已另行编码 / '{code}' is not "
                         "a resource code of this catalog; a new code is assigned")
        return record, department, notes


def guess_form(formats: Sequence[str]) -> str:
    forms = [FORMS_BY_FORMAT[f] for f in formats if f in FORMS_BY_FORMAT]
    return Counter(forms).most_common(1)[0][0] if forms else "other"


def _fit_share_method(record: dict[str, Any], default: str | None) -> None:
    if record.get("share_type") == "none" or record.get("share_method"):
        return
    allowed = SHARE_METHODS_BY_FORM.get(record.get("resource_form", "other"), frozenset())
    if default and default in allowed:
        record["share_method"] = default
    elif allowed:
        record["share_method"] = "file" if "file" in allowed else sorted(allowed)[0]


def concept(scheme_name: str, value: Any) -> str | None:
    """The code of a concept named by code, label or alternative label; None when unknown."""
    if value is None or not str(value).strip():
        return None
    found = scheme(scheme_name).lookup(str(value).strip())
    return found.code if found else None


def concept_field(name: str, value: Any, notes: list[str]) -> str | None:
    fld = BY_NAME[name]
    assert fld.kind is Kind.CONCEPT and fld.scheme
    code = concept(fld.scheme, value)
    if code is None and value not in (None, ""):
        notes.append(f"{fld.label_zh}“{value}”无法识别，使用默认值 / unknown {fld.label_en} "
                     f"'{value}', the source's default applies")
    return code
