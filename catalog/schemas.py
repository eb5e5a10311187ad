"""Marshmallow schemas derived from the field table (vocab.fields) — never written by hand."""

from __future__ import annotations

import re
from datetime import date
from functools import cache, lru_cache
from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate

from vocab.concepts import scheme
from vocab.fields import (
    CONTROL_CHARACTERS,
    DATA_ITEM_FIELDS,
    LANGUAGE_TAG,
    MAX_EXTRA,
    MAX_EXTRA_DEPTH,
    MAX_EXTRA_TEXT,
    RECORD_FIELDS,
    SUB_FIELDS,
    VALUE_PATTERNS,
    Field,
    Kind,
)

MAX_LIST_ITEMS = 200
_CONTROL = CONTROL_CHARACTERS


def refuse_control_characters(value: str) -> None:
    """Validator: no control characters (NUL …) and no lone surrogates."""
    if isinstance(value, str) and _CONTROL.search(value):
        raise ValidationError("Must not contain control characters.")


class Text(fields.String):
    """A string with surrounding whitespace removed; control characters refused."""

    default_error_messages = {"control": "Must not contain control characters."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if _CONTROL.search(text):
            raise self.make_error("control")
        return text


class IsoDate(Text):
    """A calendar date kept as its ISO ``YYYY-MM-DD`` string."""

    default_error_messages = {"invalid_date": "Not a valid date (YYYY-MM-DD)."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return date.fromisoformat(text[:10] if len(text) > 10 and text[10] in "T " else text).isoformat()
        except ValueError as exc:
            raise self.make_error("invalid_date") from exc


class Translations(fields.Field):
    """``{field name: {language tag or "": text}}`` (a list of texts for list fields), for the
    translatable fields of one table."""

    default_error_messages = {"invalid": "Not a map of field names to texts by language."}

    def __init__(self, table: tuple[Field, ...], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.table = {f.name: f for f in table if f.translatable}

    def _deserialize(self, value: Any, attr: str | None, data: Any,
                     **kwargs: Any) -> dict[str, dict[str, Any]]:
        if not isinstance(value, dict):
            raise self.make_error("invalid")
        return {str(name): self._variants(name, variants) for name, variants in value.items()}

    def _variants(self, name: Any, variants: Any) -> dict[str, Any]:
        field = self.table.get(name)
        if field is None or not isinstance(variants, dict) or len(variants) > MAX_LIST_ITEMS:
            raise self.make_error("invalid")
        return {self._tag(tag): self._texts(field, text) for tag, text in variants.items()}

    def _tag(self, tag: Any) -> str:
        if not isinstance(tag, str) or not LANGUAGE_TAG.match(tag) or len(tag) > 35:
            raise self.make_error("invalid")
        return tag

    def _texts(self, field: Field, text: Any) -> Any:
        texts = text if field.multiple and isinstance(text, list) else [text]
        limit = field.max_length or 4000
        if len(texts) > MAX_LIST_ITEMS or not all(
                isinstance(t, str) and not _CONTROL.search(t) and len(t) <= limit for t in texts):
            raise self.make_error("invalid")
        return texts if field.multiple else texts[0]


class Extra(fields.Field):
    """A node's ``extra`` (vocab.profiles.extra): entries ``{"p": IRI, "o": term}``, or the
    source's form of a value of one of the table's fields (``"field"``, ``"value"``, ``"via"``;
    ``"o"`` left out for a sub-record)."""

    default_error_messages = {"invalid": "Not a list of RDF properties and terms."}

    def __init__(self, table: tuple[Field, ...], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.names = frozenset(f.name for f in table if f.kind not in (Kind.EXTRA, Kind.SELF))

    def _deserialize(self, value: Any, attr: str | None, data: Any,
                     **kwargs: Any) -> list[dict[str, Any]]:
        if not isinstance(value, list) or len(value) > MAX_EXTRA:
            raise self.make_error("invalid")
        return [self._entry(entry, 0) for entry in value]

    def _iri(self, value: Any) -> str:
        if not isinstance(value, str) or len(value) > 2000 or \
                not VALUE_PATTERNS[Kind.IRI].match(value):
            raise self.make_error("invalid")
        return value

    def _entry(self, entry: Any, depth: int) -> dict[str, Any]:
        if not isinstance(entry, dict) or not set(entry) <= {"p", "o", "field", "value", "via"}:
            raise self.make_error("invalid")
        checked: dict[str, Any] = {"p": self._iri(entry.get("p"))}
        if "o" in entry:
            checked["o"] = self._term(entry["o"], depth)
        if depth == 0 and "field" in entry:
            if entry["field"] not in self.names or "value" not in entry:
                raise self.make_error("invalid")
            checked["field"], checked["value"] = entry["field"], entry["value"]
            if "via" in entry:
                checked["via"] = self._iri(entry["via"])
        elif "o" not in entry or {"value", "via"} & set(entry):
            raise self.make_error("invalid")
        return checked

    def _term(self, term: Any, depth: int) -> dict[str, Any]:
        if not isinstance(term, dict) or depth > MAX_EXTRA_DEPTH:
            raise self.make_error("invalid")
        if "literal" in term:
            text = term["literal"]
            if not set(term) <= {"literal", "lang", "datatype"} or not isinstance(text, str) \
                    or len(text) > MAX_EXTRA_TEXT or _CONTROL.search(text):
                raise self.make_error("invalid")
            checked: dict[str, Any] = {"literal": text}
            if "lang" in term:
                if not isinstance(term["lang"], str) or not LANGUAGE_TAG.match(term["lang"]):
                    raise self.make_error("invalid")
                checked["lang"] = term["lang"]
            elif "datatype" in term:
                checked["datatype"] = self._iri(term["datatype"])
            return checked
        if not set(term) <= {"iri", "node"} or not term:
            raise self.make_error("invalid")
        checked = {"iri": self._iri(term["iri"])} if "iri" in term else {}
        if "node" in term:
            inner = term["node"]
            if not isinstance(inner, list) or len(inner) > MAX_EXTRA:
                raise self.make_error("invalid")
            checked["node"] = [self._entry(e, depth + 1) for e in inner]
        return checked


def _pattern(pattern: re.Pattern[str], what: str) -> validate.Regexp:
    return validate.Regexp(pattern, error=f"Not a valid {what}.")


def _scalar(field: Field, *, required: bool) -> fields.Field:
    options: dict[str, Any] = {"metadata": {"description": f"{field.label_zh} / {field.label_en}"}}
    checks: list[Any] = []
    if field.max_length:
        checks.append(validate.Length(max=field.max_length))
    if required and field.kind is not Kind.CONCEPT:
        checks.append(validate.Length(min=1, error="Missing data for required field."))
    if field.kind is Kind.CONCEPT:
        assert field.scheme
        checks.append(validate.OneOf(scheme(field.scheme).codes))
        options["metadata"]["enum"] = scheme(field.scheme).codes
    if field.kind is Kind.DATE:
        return IsoDate(validate=checks, **options)
    if field.kind is Kind.URL:
        return fields.Url(schemes={"http", "https"}, validate=[refuse_control_characters, *checks],
                          **options)
    if field.kind is Kind.INTEGER:
        return fields.Integer(strict=True, validate=validate.Range(min=0), **options)
    if field.kind in VALUE_PATTERNS:
        checks.append(_pattern(VALUE_PATTERNS[field.kind], field.kind.value.replace("_", " ")))
    return Text(validate=checks, **options)


@cache
def sub_record_schema(name: str) -> type[Schema]:
    """The sub-records of a NODE / NODES field (a distribution, a contact point …)."""
    table = SUB_FIELDS[name]
    attrs = {field.name: _field(field, partial=False, table=table) for field in table}
    return Schema.from_dict(attrs, name="".join(p.title() for p in name.split("_")))


@cache
def data_item_schema() -> type[Schema]:
    attrs: dict[str, fields.Field] = {}
    for field in DATA_ITEM_FIELDS:
        attrs[field.name] = _scalar(field, required=field.required)
        attrs[field.name].required = field.required
        attrs[field.name].allow_none = not field.required
    return Schema.from_dict(attrs, name="DataItem")


def _field(field: Field, *, partial: bool,
           table: tuple[Field, ...] = RECORD_FIELDS) -> fields.Field:
    required = field.required and not partial
    if field.kind is Kind.TRANSLATIONS:
        built: fields.Field = Translations(table)
    elif field.kind is Kind.EXTRA:
        built = Extra(table)
    elif field.kind is Kind.NODES:
        built = fields.List(fields.Nested(sub_record_schema(field.name), unknown=RAISE),
                            validate=validate.Length(max=MAX_LIST_ITEMS))
    elif field.kind is Kind.NODE:
        built = fields.Nested(sub_record_schema(field.name), unknown=RAISE)
    elif field.kind is Kind.DATA_ITEMS:
        built = fields.List(fields.Nested(data_item_schema(), unknown=RAISE),
                                          validate=validate.Length(max=MAX_LIST_ITEMS))
    elif field.multiple:
        built = fields.List(_scalar(field, required=False),
                            validate=validate.Length(max=MAX_LIST_ITEMS))
    else:
        built = _scalar(field, required=required)
    built.required = required
    built.allow_none = not required
    return built


@cache
def record_schema(partial: bool = False) -> type[Schema]:
    """The dataset record: one marshmallow field per field-table entry."""
    attrs = {field.name: _field(field, partial=partial) for field in RECORD_FIELDS}
    return Schema.from_dict(attrs, name="DatasetRecordPartial" if partial else "DatasetRecord")


def load_record(data: Any, *, partial: bool = False) -> dict[str, Any]:
    """Validate a record; return it with unset values (None, "", []) removed.

    Raises marshmallow.ValidationError whose ``messages`` map field names to English messages.
    """
    if not isinstance(data, dict):
        raise ValidationError({"_schema": ["Invalid input type."]})
    names = _REQUIRED[partial].union(name for name in data if name in _NAMES)
    loaded = _record_loader(partial, names).load(data)
    return clean_record(loaded)


_NAMES = frozenset(f.name for f in RECORD_FIELDS)
_REQUIRED = {partial: frozenset(f.name for f in RECORD_FIELDS if f.required and not partial)
             for partial in (False, True)}


@lru_cache(maxsize=512)
def _record_loader(partial: bool, names: frozenset[str]) -> Schema:
    """A schema instance of the record's fields that are given or required, reused for every
    record with those keys: the same checks as the whole schema (no field has a default),
    without marshmallow walking the thirty-odd absent ones; building an instance (a deep copy
    of every field) costs three times what loading a record does, so it is built once per set
    of keys. Loading keeps no state on the instance."""
    return record_schema(partial)(unknown=RAISE, only=names)


def clean_record(record: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for name, value in record.items():
        if isinstance(value, list):
            value = [v for v in (clean_record(v) if isinstance(v, dict) else v for v in value)
                     if v not in (None, "", {})]
        elif isinstance(value, dict):
            value = clean_record(value)
        if value in (None, "", [], {}):
            continue
        cleaned[name] = value
    return cleaned


__all__ = ["EXCLUDE", "Extra", "IsoDate", "Text", "Translations", "clean_record", "data_item_schema",
           "load_record", "record_schema", "sub_record_schema"]
