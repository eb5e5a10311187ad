"""Web forms: the CSRF token, and the dataset form generated from the field table.

Nothing here knows a field by name: widgets, options, parsing, error placement and the detail
display all follow ``vocab.fields.FIELDS`` and ``DATA_ITEM_FIELDS``.
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
from catalog.web.i18n import concept_label, field_label, get_lang, item_label, label_of, t
from vocab.concepts import scheme
from vocab.fields import DATA_ITEM_FIELDS, FIELDS, Field, Kind

# -- CSRF ---------------------------------------------------------------------------------------


def csrf_ok(form: Mapping[str, Any]) -> bool:
    """The form carries this session's CSRF token (``catalog.api.auth``)."""
    return csrf_matches(form.get(CSRF_FIELD))


# -- widgets ------------------------------------------------------------------------------------

LONG_TEXT = 300          # text longer than this gets a textarea
ITEMS_PREFIX = "data_items-"
BLANK_ITEM_ROWS = 2      # empty data-item rows offered without JavaScript
_SEPARATORS = re.compile(r"[,，、;；\r\n]+")


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    depth: int = 0


@dataclass(frozen=True)
class Widget:
    """One form control derived from one field-table entry."""

    field: Field
    kind: str  # text | textarea | list | select | date | url | items

    @property
    def name(self) -> str:
        return self.field.name

    @property
    def label(self) -> str:
        return label_of(self.field)

    @property
    def help(self) -> str:
        return self.field.help_zh

    def options(self) -> list[Option]:
        assert self.field.scheme
        return concept_options(self.field.scheme)


def widget_kind(f: Field) -> str:
    if f.kind is Kind.DATA_ITEMS:
        return "items"
    if f.kind is Kind.CONCEPT:
        return "select"
    if f.multiple:
        return "list"
    if f.kind is Kind.DATE:
        return "date"
    if f.kind is Kind.URL:
        return "url"
    if f.max_length and f.max_length > LONG_TEXT:
        return "textarea"
    return "text"


WIDGETS: tuple[Widget, ...] = tuple(Widget(f, widget_kind(f)) for f in FIELDS)
ITEM_WIDGETS: tuple[Widget, ...] = tuple(Widget(f, widget_kind(f)) for f in DATA_ITEM_FIELDS)


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


@dataclass
class FormData:
    """What the form shows: every value as typed, and the data-item rows."""

    values: dict[str, str] = field(default_factory=dict)
    items: list[dict[str, str]] = field(default_factory=list)

    def item_rows(self) -> list[dict[str, str]]:
        """The rows to render: the given ones, then a few blank ones."""
        blank = {w.name: "" for w in ITEM_WIDGETS}
        return [*self.items, *([blank] * BLANK_ITEM_ROWS)]


def split_list(text: str) -> list[str]:
    return [part.strip() for part in _SEPARATORS.split(text) if part.strip()]


def keep_unshown(previous: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    """The edited record with the values the form has no widget for (distributions, contact
    points, translations … of ``vocab.fields.DCAT_FIELDS``) carried over from ``previous``."""
    shown = {f.name for f in FIELDS}
    return {**{k: v for k, v in previous.items() if k not in shown}, **record}


def parse_dataset_form(form: MultiDict[str, str]) -> tuple[dict[str, Any], FormData]:
    """The record the service expects (empty inputs left out), and the values as typed."""
    record: dict[str, Any] = {}
    data = FormData()
    for widget in WIDGETS:
        if widget.kind == "items":
            data.items = _item_rows(form)
            items = [{k: v.strip() for k, v in row.items() if v.strip()} for row in data.items]
            if items:
                record[widget.name] = items
            continue
        raw = form.get(widget.name, "")
        data.values[widget.name] = raw
        if widget.kind == "list":
            values = split_list(raw)
            if values:
                record[widget.name] = values
        elif raw.strip():
            record[widget.name] = raw.strip()
    return record, data


def _item_rows(form: MultiDict[str, str]) -> list[dict[str, str]]:
    columns = [form.getlist(ITEMS_PREFIX + w.name) for w in ITEM_WIDGETS]
    rows = []
    for cells in zip_longest(*columns, fillvalue=""):
        row = {w.name: cell for w, cell in zip(ITEM_WIDGETS, cells, strict=True)}
        if any(cell.strip() for cell in cells):
            rows.append(row)
    return rows


def form_from_record(record: Mapping[str, Any]) -> FormData:
    data = FormData()
    for widget in WIDGETS:
        value = record.get(widget.name)
        if widget.kind == "items":
            data.items = [{w.name: str(item.get(w.name) or "") for w in ITEM_WIDGETS}
                          for item in value or []]
        elif widget.kind == "list":
            data.values[widget.name] = "\n".join(str(v) for v in value or [])
        else:
            data.values[widget.name] = "" if value is None else str(value)
    return data


# -- errors -------------------------------------------------------------------------------------


@dataclass
class FormErrors:
    """Service errors placed on the form: by field, by data-item cell, and a summary."""

    fields: dict[str, list[Message]] = field(default_factory=dict)
    items: dict[int, dict[str, list[Message]]] = field(default_factory=dict)
    summary: list[tuple[str, str, Message]] = field(default_factory=list)  # (anchor, label, msg)

    def __bool__(self) -> bool:
        return bool(self.summary)


def place_errors(errors: FieldErrors) -> FormErrors:
    """``{"title": [...], "data_items.1.name": [...], "related.0": [...]}`` -> FormErrors."""
    placed = FormErrors()
    for key, messages in errors.items():
        name, _, rest = key.partition(".")
        index, _, sub = rest.partition(".")
        if name == "data_items" and index.isdigit() and sub:
            row = int(index)
            placed.items.setdefault(row, {}).setdefault(sub, []).extend(messages)
            anchor = f"item-{row}-{sub}"
            text = f"{t('form.item', n=row + 1)} · {item_label(sub)}"
        else:
            placed.fields.setdefault(name, []).extend(messages)
            anchor, text = f"f-{name}", field_label(name)
        placed.summary.extend((anchor, text, m) for m in messages)
    return placed


# -- display ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One field of a record, ready to show."""

    widget: Widget
    value: Any  # str, list[str], or for data items list[dict[str, str]]

    @property
    def label(self) -> str:
        return self.widget.label

    @property
    def empty(self) -> bool:
        return self.value in ("", [], None)


def display_rows(record: Mapping[str, Any]) -> list[Row]:
    """Every field of the table, in table order, with concept codes shown as labels."""
    return [Row(w, display_value(w.field, record.get(w.name))) for w in WIDGETS]


def display_value(f: Field, value: Any) -> Any:
    if value is None:
        return ""
    if f.kind is Kind.DATA_ITEMS:
        return [{sub.name: display_value(sub, item.get(sub.name)) for sub in DATA_ITEM_FIELDS}
                for item in value]
    if isinstance(value, list):
        return [display_value(f, v) for v in value]
    if f.kind is Kind.CONCEPT and f.scheme:
        label = concept_label(f.scheme, str(value))
        return f"{value} {label}" if f.scheme == "classification" else label
    return str(value)
