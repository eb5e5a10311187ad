"""Request and response schemas of /api/harvest (sources, uploads, edits, jobs, reports)."""

from __future__ import annotations

import json
from typing import Any

from flask_smorest.fields import Upload
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from catalog.api.paging import PagedQuerySchema, PageSchema
from catalog.schemas import Text
from harvesters.jobs import SCHEDULES
from harvesters.registry import TYPES

OUTCOMES = ("created", "updated", "unchanged", "withdrawn", "skipped", "failed")
STATES = ("pending", "approved", "rejected", "disabled")
CONFIG_HELP = ("defaults, organizations (name -> department code), extras, columns, q, fq, "
               "format, limits")


class JsonObject(fields.Field):
    """A JSON object sent as the text of a form field (multipart requests)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, dict):
            return value
        try:
            loaded = json.loads(value) if isinstance(value, str | bytes) else None
        except ValueError:
            loaded = None
        if not isinstance(loaded, dict):
            raise ValidationError("Not a valid mapping type.")
        return loaded


class SourceUploadSchema(Schema):
    """multipart/form-data: a spreadsheet source with its file (.xlsx, or .csv in UTF-8 or
    GB18030), kept by Mulu; the file name is shown, never used as a path."""

    class Meta:
        unknown = RAISE

    file = Upload(required=True, metadata={"description": "目录表 .xlsx 或 .csv（UTF-8 / GB18030）"})
    type = fields.String(load_default="spreadsheet", validate=validate.OneOf(TYPES))
    department_code = Text(load_default=None, allow_none=True, validate=validate.Length(max=18))
    name = Text(load_default="", validate=validate.Length(max=200))
    schedule = fields.String(load_default="manual", validate=validate.OneOf(SCHEDULES))
    config = JsonObject(load_default=dict, metadata={"description": f"JSON: {CONFIG_HELP}",
                                                     "type": "string"})


class SourceFileEditSchema(Schema):
    """multipart/form-data: a replacement spreadsheet file, and any other fields to change."""

    class Meta:
        unknown = RAISE

    file = Upload(required=True, metadata={"description": "目录表 .xlsx 或 .csv（UTF-8 / GB18030）"})
    type = fields.String(validate=validate.OneOf(TYPES))
    name = Text(validate=validate.Length(max=200))
    schedule = fields.String(validate=validate.OneOf(SCHEDULES))
    config = JsonObject(metadata={"description": f"JSON: {CONFIG_HELP}", "type": "string"})


class SourceSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    type = fields.String()
    url = fields.String(metadata={"description": "http(s) address, or upload:<id> for a file "
                                                 "kept by Mulu"})
    file_name = fields.String(metadata={"description": "the uploaded file's original name"})
    department_code = fields.String()
    department_name = fields.String()
    schedule = fields.String()
    state = fields.String(metadata={"enum": list(STATES)})
    config = fields.Dict()
    created_by = fields.String()
    approved_by = fields.String()
    approved_at = fields.String(allow_none=True)
    review_note = fields.String()
    next_run_at = fields.String(allow_none=True)
    created_at = fields.String()
    last_job = fields.Dict(allow_none=True)


class SourceReviewSchema(Schema):
    class Meta:
        unknown = RAISE

    action = fields.String(load_default="approve", validate=validate.OneOf(("approve", "reject")))
    note = Text(load_default="", validate=validate.Length(max=1000))


class JobWriteSchema(Schema):
    class Meta:
        unknown = RAISE

    dry_run = fields.Boolean(load_default=False)
    full = fields.Boolean(load_default=False)
    limit = fields.Integer(load_default=None, allow_none=True,
                           validate=validate.Range(min=1, max=10_000_000))


class JobBriefSchema(Schema):
    id = fields.Integer()
    status = fields.String(metadata={"enum": ["queued", "running", "succeeded", "partial",
                                              "failed"]})
    dry_run = fields.Boolean()
    created_at = fields.String()
    started_at = fields.String(allow_none=True)
    finished_at = fields.String(allow_none=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    listing_complete = fields.Boolean(allow_none=True)
    error = fields.String(allow_none=True)


class ReportSchema(Schema):
    job = fields.Integer()
    status = fields.String(metadata={"enum": ["queued", "running", "succeeded", "partial",
                                              "failed"]})
    dry_run = fields.Boolean()
    full = fields.Boolean()
    item_limit = fields.Integer(allow_none=True)
    requested_by = fields.String()
    source = fields.Dict()
    started_at = fields.String(allow_none=True)
    finished_at = fields.String(allow_none=True)
    duration_seconds = fields.Float(allow_none=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    listing = fields.Dict()
    kept_with_problems = fields.Dict(metadata={
        "description": "records kept as 待完善 (needs completion): count, and by_problem "
                       "('<kind> <field>' -> records)"})
    refused = fields.Dict(metadata={
        "description": "records refused as unsafe to keep (涉密不上网), of which nothing is "
                       "stored: count, by_reason (above_ceiling, unreadable_level) and lines "
                       "(\"N records refused: above the network's ceiling\")"})
    errors = fields.Dict(metadata={"description": "problems grouped by error type, with examples"})
    unknown_providers = fields.Dict(keys=fields.String(), values=fields.Integer())
    error = fields.String()
    progress = fields.Dict(metadata={
        "description": "records done, expected (what the source says it lists, or null), "
                       "percent, rate (records/s), seconds_left, elapsed_seconds — as of the "
                       "job's last heartbeat while it runs"})


class ProvenanceSchema(Schema):
    source_id = fields.Integer()
    source_name = fields.String()
    source_type = fields.String(metadata={"enum": list(TYPES)})
    source_department_code = fields.String()
    source_url = fields.String(allow_none=True, metadata={
        "description": "null unless you may see the source (its department, reviewers, admins)"})
    remote_id = fields.String(metadata={"description": "the record's identifier at the source"})
    identifier = fields.String()
    primary = fields.Boolean(metadata={"description": "the source whose content the dataset carries"})
    listed = fields.Boolean(metadata={"description": "false: missing from the source's last "
                                                     "complete listing (withdrawn)"})
    first_seen_at = fields.String()
    last_seen_at = fields.String()
    last_seen_job = fields.Integer(allow_none=True, metadata={
        "description": "the job that last saw the record; null unless you may see the source"})


class ItemQuerySchema(PagedQuerySchema):
    outcome = fields.String(validate=validate.OneOf(OUTCOMES))
    error_type = Text(validate=validate.Length(max=64))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class ItemSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    remote_id = fields.String()
    outcome = fields.String()
    error_type = fields.String()
    reason = fields.String()
    dataset_id = fields.String(allow_none=True)
    raw = fields.String(metadata={"description": "the payload, for those who may see the dataset "
                                                 "it became; a page's short escaped excerpt"})
    withheld = fields.Boolean(metadata={"description": "content withheld: you may not see the "
                                                       "dataset (or the record became none)"})


class ItemPageSchema(PageSchema):
    items = fields.List(fields.Nested(ItemSchema))
