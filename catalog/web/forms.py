"""Web forms: the CSRF token, and the dataset form generated from the field table.

Widgets, options, parsing, error placement and the detail display all follow the field table
(``vocab.fields``): ``FIELDS``, the DCAT elements of ``FORM_DCAT_FIELDS`` and, for the repeatable
groups (data items, distributions, contact points), the sub-fields of ``ROW_COLUMNS``. Nothing
else here knows a field by name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import Any

from werkzeug.datastructures import MultiDict

from catalog.api.auth import CSRF_FIELD, csrf_matches
from catalog.api.auth import csrf_token as csrf_token  # the pages and tests take it from here
from catalog.errors import FieldErrors, Message
from catalog.web.i18n import UI, concept_label, field_label, get_lang, label_of, t
from vocab.concepts import scheme
from vocab.fields import DATA_ITEM_FIELDS, FIELDS, RECORD_BY_NAME, SUB_FIELDS, Field, Kind
from vocab.namespaces import EU_LANGUAGE
from vocab.profiles.base import ISO_639_1

# -- CSRF ---------------------------------------------------------------------------------------


def csrf_ok(form: Mapping[str, Any]) -> bool:
    """The form carries this session's CSRF token (``catalog.api.auth``)."""
    return csrf_matches(form.get(CSRF_FIELD))


# -- widgets ------------------------------------------------------------------------------------

LONG_TEXT = 300          # text longer than this gets a textarea
BLANK_ROWS = 2           # empty rows of a repeatable group offered without JavaScript
ROW_INDEX = "_row"       # hidden cell: which stored sub-record a row edits
_SEPARATORS = re.compile(r"[,，、;；\r\n]+")
_LINK = re.compile(r"^https?://", re.IGNORECASE)

# the full-DCAT elements (``vocab.fields.DCAT_FIELDS``) the form has widgets for, and the
# sub-fields a repeatable group shows as its columns; labels, kinds and lengths all come from
# the field table, and every value the form does not show is carried over on an edit
FORM_DCAT_FIELDS = ("license", "version", "languages", "distributions", "contact_points")
ROW_COLUMNS: dict[str, tuple[str, ...]] = {
    "data_items": tuple(f.name for f in DATA_ITEM_FIELDS),
    "distributions": ("title", "access_url", "download_url", "format", "media_type", "byte_size",
                      "license"),
    "contact_points": ("name", "email", "phone"),
}


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    depth: int = 0


@dataclass(frozen=True)
class Widget:
    """One form control derived from one field-table entry; a repeatable group (``rows``: data
    items, distributions, contact points) has one column widget per shown sub-field."""

    field: Field
    kind: str  # text | textarea | list | select | date | url | iri | email | tel | integer | rows
    columns: tuple[Widget, ...] = ()
    keeps_index: bool = False  # rows say which stored sub-record they edit (its unshown values)

    @property
    def name(self) -> str:
        return self.field.name

    @property
    def label(self) -> str:
        return label_of(self.field)

    @property
    def help(self) -> str:
        """The form's own words for the widget (``form.help.<name>``), else the table's."""
        key = f"form.help.{self.name}"
        return t(key) if key in UI else self.field.help_zh

    @property
    def prefix(self) -> str:
        """The input names of a row's cells: ``distributions-access_url`` …"""
        return f"{self.name}-"

    @property
    def anchor(self) -> str:
        """The id prefix of a row's cells (``item-1-name`` for data items)."""
        return "item" if self.name == "data_items" else self.name

    def options(self) -> list[Option]:
        assert self.field.scheme
        return concept_options(self.field.scheme)


# the <input type> of each one-line widget kind (novalidate: the schema checks, the browser
# only offers the right keyboard)
INPUT_TYPES = {"url": "url", "iri": "url", "email": "email", "tel": "tel", "integer": "text"}
_KINDS = {Kind.CONCEPT: "select", Kind.DATE: "date", Kind.URL: "url", Kind.IRI: "iri",
          Kind.EMAIL: "email", Kind.PHONE: "tel", Kind.INTEGER: "integer"}


def widget_kind(f: Field) -> str:
    if f.kind in (Kind.DATA_ITEMS, Kind.NODES):
        return "rows"
    if f.kind is Kind.CONCEPT:
        return "select"
    if f.multiple:
        return "list"
    if f.kind in _KINDS:
        return _KINDS[f.kind]
    if f.max_length and f.max_length > LONG_TEXT:
        return "textarea"
    return "text"


_SUB_TABLES: dict[str, tuple[Field, ...]] = {**SUB_FIELDS, "data_items": DATA_ITEM_FIELDS}


def _widget(f: Field) -> Widget:
    kind = widget_kind(f)
    if kind != "rows":
        return Widget(f, kind)
    table = _SUB_TABLES[f.name]
    by_name = {sub.name: sub for sub in table}
    columns = tuple(Widget(by_name[name], _cell_kind(by_name[name]))
                    for name in ROW_COLUMNS[f.name])
    return Widget(f, kind, columns, keeps_index=len(columns) < len(table))


def _cell_kind(f: Field) -> str:
    """A cell is one line: no textareas in a table row."""
    kind = widget_kind(f)
    return "text" if kind == "textarea" else kind


WIDGETS: tuple[Widget, ...] = tuple(_widget(f) for f in (
    *FIELDS, *(RECORD_BY_NAME[name] for name in FORM_DCAT_FIELDS)))
SHOWN: frozenset[str] = frozenset(w.name for w in WIDGETS)
ROW_WIDGETS: dict[str, Widget] = {w.name: w for w in WIDGETS if w.kind == "rows"}
ITEM_WIDGETS: tuple[Widget, ...] = ROW_WIDGETS["data_items"].columns
ITEMS_PREFIX = ROW_WIDGETS["data_items"].prefix


def concept_options(scheme_name: str) -> list[Option]:
    """A scheme's concepts in the current language; hierarchies indented, ranked ones in rank
    order; classification options also show their code (the code prefix of 信息资源代码)."""
    concepts = list(scheme(scheme_name).concepts.values())
    if all(c.rank is not None for c in concepts):
        concepts.sort(key=lambda c: c.rank or 0)
    by_code = {c.code: c for c in concepts}
    lang = get_lang()
    options = []
    for concept in concepts:
        depth, parent = 0, concept.broader
        while parent in by_code:
            depth, parent = depth + 1, by_code[parent].broader
        text = concept.label(lang)
        if scheme_name == "classification":
            text = f"{concept.code} {text}"
        options.append(Option(concept.code, text, depth))
    return options


# -- form values <-> record ---------------------------------------------------------------------

TypedRow = dict[str, str]  # a row's cells as typed, by sub-field name


@dataclass
class FormData:
    """What the form shows: every value as typed, and the rows of each repeatable group."""

    values: dict[str, str] = field(default_factory=dict)
    rows: dict[str, list[TypedRow]] = field(default_factory=dict)

    @property
    def items(self) -> list[TypedRow]:
        return self.rows.get("data_items", [])

    def rows_of(self, name: str) -> list[TypedRow]:
        """The rows to render: the given ones, then a few blank ones."""
        widget = ROW_WIDGETS[name]
        blank = {w.name: "" for w in widget.columns} | {ROW_INDEX: ""}
        return [*self.rows.get(name, []), *([blank] * BLANK_ROWS)]

    def item_rows(self) -> list[TypedRow]:
        return self.rows_of("data_items")


def split_list(text: str) -> list[str]:
    return [part.strip() for part in _SEPARATORS.split(text) if part.strip()]


_EU_LANGUAGE_CODES = {str(EU_LANGUAGE[eu]): iso for iso, eu in ISO_639_1.items()}


def _value(f: Field, text: str) -> Any:
    """A typed value as the record holds it: byte sizes as integers, ISO 639-1 language codes
    as the EU language IRIs the profiles read them as; anything else as typed (the schema says
    what is wrong with it)."""
    if f.kind is Kind.INTEGER and text.isdecimal():
        return int(text)
    if f.kind is Kind.LANGUAGE and text.lower() in ISO_639_1:
        return str(EU_LANGUAGE[ISO_639_1[text.lower()]])
    return text


def _typed(f: Field, value: Any) -> str:
    if f.kind is Kind.LANGUAGE:
        return _EU_LANGUAGE_CODES.get(str(value), str(value))
    return "" if value is None else str(value)


def parse_dataset_form(form: MultiDict[str, str], previous: Mapping[str, Any] | None = None
                       ) -> tuple[dict[str, Any], FormData]:
    """The record the service expects (empty inputs left out), and the values as typed.

    Editing (``previous``: the stored record), what the form has no widget for is carried over:
    the record's other DCAT values (spatial, temporal, translations …) and, for a row that edits
    a stored sub-record, that sub-record's unshown values (its IRI, checksum, description …).
    """
    previous = previous or {}
    record: dict[str, Any] = {k: v for k, v in previous.items() if k not in SHOWN}
    data = FormData()
    for widget in WIDGETS:
        if widget.kind == "rows":
            rows, values = _rows(form, widget, previous.get(widget.name) or [])
            data.rows[widget.name] = rows
            if values:
                record[widget.name] = values
            continue
        raw = form.get(widget.name, "")
        data.values[widget.name] = raw
        if widget.kind == "list":
            values = [_value(widget.field, v) for v in split_list(raw)]
            if values:
                record[widget.name] = values
        elif raw.strip():
            record[widget.name] = _value(widget.field, raw.strip())
    return record, data


def _rows(form: MultiDict[str, str], widget: Widget, stored: list[Any]
          ) -> tuple[list[TypedRow], list[dict[str, Any]]]:
    """The rows as typed (empty ones dropped) and their sub-records, one for one."""
    names = [w.name for w in widget.columns] + ([ROW_INDEX] if widget.keeps_index else [])
    columns = [form.getlist(widget.prefix + name) for name in names]
    rows, values, edited_rows = [], [], set()
    for cells in zip_longest(*columns, fillvalue=""):
        row = dict(zip(names, cells, strict=True))
        shown = {w.name: _value(w.field, row[w.name].strip())
                 for w in widget.columns if row[w.name].strip()}
        index = row.get(ROW_INDEX, "")
        edited = None if index in edited_rows else _stored_row(stored, index)
        edited_rows.add(index)   # a stored sub-record is edited by one row at most
        if not shown and (edited is None or any(k in edited for k in ROW_COLUMNS[widget.name])):
            continue  # a blank row, or a stored one whose every shown value was cleared
        unshown = {k: v for k, v in (edited or {}).items() if k not in ROW_COLUMNS[widget.name]}
        rows.append(row)
        values.append({**unshown, **shown})
    return rows, values


def _stored_row(stored: list[Any], index: str) -> dict[str, Any] | None:
    if not index.isdigit() or int(index) >= len(stored) or not isinstance(stored[int(index)], dict):
        return None
    return stored[int(index)]


def form_from_record(record: Mapping[str, Any]) -> FormData:
    data = FormData()
    for widget in WIDGETS:
        value = record.get(widget.name)
        if widget.kind == "rows":
            data.rows[widget.name] = [
                {w.name: _typed(w.field, row.get(w.name)) for w in widget.columns}
                | ({ROW_INDEX: str(index)} if widget.keeps_index else {})
                for index, row in enumerate(value or [])]
        elif widget.kind == "list":
            data.values[widget.name] = "\n".join(_typed(widget.field, v) for v in value or [])
        else:
            data.values[widget.name] = _typed(widget.field, value)
    return data


# -- errors -------------------------------------------------------------------------------------


@dataclass
class FormErrors:
    """Service errors placed on the form: by field, by row cell, and a summary."""

    fields: dict[str, list[Message]] = field(default_factory=dict)
    rows: dict[str, dict[int, dict[str, list[Message]]]] = field(default_factory=dict)
    summary: list[tuple[str, str, Message]] = field(default_factory=list)  # (anchor, label, msg)

    def __bool__(self) -> bool:
        return bool(self.summary)

    @property
    def items(self) -> dict[int, dict[str, list[Message]]]:
        return self.rows.get("data_items", {})

    def row(self, name: str, index: int) -> dict[str, list[Message]]:
        return self.rows.get(name, {}).get(index, {})


def place_errors(errors: FieldErrors) -> FormErrors:
    """``{"title": [...], "data_items.1.name": [...], "distributions.0.email": [...],
    "related.0": [...]}`` -> FormErrors."""
    placed = FormErrors()
    for key, messages in errors.items():
        name, _, rest = key.partition(".")
        index, _, sub = rest.partition(".")
        widget = ROW_WIDGETS.get(name)
        if widget is not None and index.isdigit() and sub:
            row = int(index)
            placed.rows.setdefault(name, {}).setdefault(row, {}).setdefault(sub, []).extend(messages)
            shown = any(w.name == sub for w in widget.columns)
            cell = sub if shown else widget.columns[0].name   # an unshown value: the row
            anchor = f"{widget.anchor}-{row}-{cell}"
            text = f"{t('form.row.' + name, n=row + 1)} · {_sub_label(name, sub)}"
        else:
            placed.fields.setdefault(name, []).extend(messages)
            anchor, text = f"f-{name}", field_label(name)
        placed.summary.extend((anchor, text, m) for m in messages)
    return placed


def _sub_label(group: str, key: str) -> str:
    """``checksum.value`` of a distribution -> 校验和 (the sub-field the message is about)."""
    found = next((f for f in _SUB_TABLES[group] if f.name == key.partition(".")[0]), None)
    return label_of(found) if found else key


# -- display ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One field of a record, ready to show."""

    widget: Widget
    value: Any  # str, list[str], or for repeatable groups list[dict[str, str]]

    @property
    def label(self) -> str:
        return self.widget.label

    @property
    def empty(self) -> bool:
        return self.value in ("", [], None)


def in_form_order(errors: Mapping[str, Any]) -> dict[str, Any]:
    """Field messages in the order of the form's fields (the list of what a draft lacks)."""
    order = {w.name: n for n, w in enumerate(WIDGETS)}
    return dict(sorted(errors.items(), key=lambda kv: order.get(kv[0].split(".")[0], len(order))))


def display_rows(record: Mapping[str, Any]) -> list[Row]:
    """Every field the form has, in form order, with concept codes shown as labels."""
    return [Row(w, display_value(w, record.get(w.name))) for w in WIDGETS]


def display_value(widget: Widget, value: Any) -> Any:
    f = widget.field
    if value is None:
        return ""
    if widget.kind == "rows":
        return [{w.name: display_value(w, row.get(w.name)) for w in widget.columns}
                for row in value if isinstance(row, dict)]
    if isinstance(value, list):
        return [display_value(widget, v) for v in value]
    if f.kind is Kind.LANGUAGE:
        return _typed(f, value)
    if f.kind is Kind.CONCEPT and f.scheme:
        label = concept_label(f.scheme, str(value))
        return f"{value} {label}" if f.scheme == "classification" else label
    return str(value)


def is_link(value: Any) -> bool:
    """Only http(s) addresses become links on a page (an IRI may be any scheme)."""
    return isinstance(value, str) and bool(_LINK.match(value))
