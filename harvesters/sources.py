"""A harvest source's input: what a steward registers and the reviewer approves."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate

from catalog.schemas import Text
from harvesters.http import Limits
from harvesters.jobs import SCHEDULES
from harvesters.placement import DEFAULTABLE
from harvesters.registry import TYPES
from vocab.concepts import scheme
from vocab.fields import BY_NAME

SYNTAXES = ("turtle", "xml", "json-ld", "nt", "n3", "trig")


class LimitsSchema(Schema):
    class Meta:
        unknown = RAISE

    request_timeout = fields.Float(validate=validate.Range(min=0.01, max=3600))
    connect_timeout = fields.Float(validate=validate.Range(min=0.01, max=600))
    max_bytes = fields.Integer(validate=validate.Range(min=1024, max=1024 ** 3))
    retries = fields.Integer(validate=validate.Range(min=0, max=10))
    backoff = fields.Float(validate=validate.Range(min=0, max=600))
    max_redirects = fields.Integer(validate=validate.Range(min=0, max=30))
    job_seconds = fields.Float(validate=validate.Range(min=0.1, max=7 * 24 * 3600))
    page_size = fields.Integer(validate=validate.Range(min=1, max=1000))
    max_pages = fields.Integer(validate=validate.Range(min=1, max=1_000_000))


def _check_defaults(values: dict[str, Any]) -> None:
    for name, value in values.items():
        if name not in DEFAULTABLE:
            raise ValidationError(f"'{name}' cannot have a default; allowed: {', '.join(DEFAULTABLE)}")
        fld = BY_NAME[name]
        if fld.scheme and scheme(fld.scheme).lookup(str(value)) is None:
            raise ValidationError(f"'{value}' is not a value of {fld.label_en}")


def _check_fields(values: dict[str, Any]) -> None:
    unknown = sorted(set(values.values()) - set(BY_NAME))
    if unknown:
        raise ValidationError(f"unknown fields: {', '.join(unknown)}")


class ConfigSchema(Schema):
    class Meta:
        unknown = RAISE

    defaults = fields.Dict(keys=fields.String(), values=Text(), validate=_check_defaults,
                           metadata={"description": "source defaults (share type, security level, "
                                                    "classification …) for what it lacks"})
    organizations = fields.Dict(keys=Text(), values=Text(validate=validate.Length(equal=18)),
                                metadata={"description": "organization name -> department code"})
    extras = fields.Dict(keys=Text(), values=Text(), validate=_check_fields,
                         metadata={"description": "CKAN extra -> field"})
    columns = fields.Dict(keys=Text(), values=Text(), validate=_check_fields,
                          metadata={"description": "spreadsheet header -> field"})
    q = Text(validate=validate.Length(max=500))
    fq = Text(validate=validate.Length(max=500))
    format = fields.String(validate=validate.OneOf(SYNTAXES))
    limits = fields.Nested(LimitsSchema)

    @post_load
    def _codes(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        """Defaults may name concepts by label (无条件共享); they are kept as codes."""
        for name, value in (data.get("defaults") or {}).items():
            fld = BY_NAME[name]
            if fld.scheme:
                concept = scheme(fld.scheme).lookup(str(value))
                assert concept is not None
                data["defaults"][name] = concept.code
        return data


class SourceInput(Schema):
    class Meta:
        unknown = RAISE

    type = fields.String(required=True, validate=validate.OneOf(TYPES))
    url = Text(load_default=None, validate=validate.Length(min=1, max=1000),
               metadata={"description": "http(s) address; none when a file is uploaded"})
    department_code = Text(load_default=None, allow_none=True, validate=validate.Length(equal=18))
    name = Text(load_default="", validate=validate.Length(max=200))
    schedule = fields.String(load_default="manual", validate=validate.OneOf(tuple(SCHEDULES)))
    config = fields.Nested(ConfigSchema, load_default=dict)


class SourceChanges(Schema):
    """What an edit may change; a field left out keeps its value (``config`` is replaced whole)."""

    class Meta:
        unknown = RAISE

    type = fields.String(validate=validate.OneOf(TYPES))
    url = Text(validate=validate.Length(min=1, max=1000))
    name = Text(validate=validate.Length(max=200))
    schedule = fields.String(validate=validate.OneOf(tuple(SCHEDULES)))
    config = fields.Nested(ConfigSchema)


# a change of any of these is a new source to the reviewer: it needs approval again
REVIEWED = ("type", "url", "config")


def limits_of(config: dict[str, Any]) -> Limits:
    return Limits.from_config(config.get("limits"))
