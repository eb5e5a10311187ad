"""/api/harvest: harvest sources (register, approve), jobs (queue, list) and job reports
(problems grouped by error type; per-record outcomes with the raw payload)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate

from catalog.api.auth import current_actor, require, services
from catalog.schemas import Text

blp = Blueprint("harvest", __name__, url_prefix="/api/harvest",
                description="数据采集 / harvest sources, jobs and reports")

OUTCOMES = ("created", "updated", "unchanged", "withdrawn", "skipped", "failed")


class SourceWriteSchema(Schema):
    class Meta:
        unknown = RAISE

    type = fields.String(required=True, validate=validate.OneOf(("ckan", "dcat", "spreadsheet")))
    url = Text(required=True, validate=validate.Length(min=1, max=1000),
               metadata={"description": "http(s) address of the portal, catalog or spreadsheet"})
    department_code = Text(load_default=None, allow_none=True, validate=validate.Length(max=18))
    name = Text(load_default="", validate=validate.Length(max=200))
    schedule = fields.String(load_default="manual",
                             validate=validate.OneOf(("manual", "hourly", "daily", "weekly")))
    config = fields.Dict(load_default=dict, metadata={
        "description": "defaults, organizations (name -> department code), extras, columns, "
                       "q, fq, format, limits"})


class SourceSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    type = fields.String()
    url = fields.String()
    department_code = fields.String()
    department_name = fields.String()
    schedule = fields.String()
    state = fields.String(metadata={"enum": ["pending", "approved", "rejected"]})
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
    errors = fields.Dict(metadata={"description": "problems grouped by error type, with examples"})
    unknown_providers = fields.Dict(keys=fields.String(), values=fields.Integer())
    error = fields.String()


class ItemQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    outcome = fields.String(validate=validate.OneOf(OUTCOMES))
    error_type = Text(validate=validate.Length(max=64))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class ItemSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    remote_id = fields.String()
    outcome = fields.String()
    error_type = fields.String()
    reason = fields.String()
    dataset_id = fields.String(allow_none=True)
    raw = fields.String()


class ItemPageSchema(Schema):
    items = fields.List(fields.Nested(ItemSchema))
    total = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()


@blp.route("/sources")
class Sources(MethodView):
    @require()
    @blp.response(200, SourceSchema(many=True))
    def get(self) -> list[dict[str, Any]]:
        """Sources you may see (your department's; every one for reviewers and administrators)."""
        return [s.as_dict() for s in services().harvest.list_sources(current_actor())]

    @require("steward", "admin")
    @blp.arguments(SourceWriteSchema)
    @blp.response(201, SourceSchema)
    def post(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Register a source of your department; it runs once approved."""
        return services().harvest.add_source(current_actor(), payload).as_dict()


@blp.route("/sources/<int:source_id>", methods=["GET"])
@require()
@blp.response(200, SourceSchema)
def source(source_id: int) -> dict[str, Any]:
    """One source, with its last job."""
    return services().harvest.get_source(current_actor(), source_id).as_dict()


@blp.route("/sources/<int:source_id>/review", methods=["POST"])
@require("reviewer", "admin")
@blp.arguments(SourceReviewSchema)
@blp.response(200, SourceSchema)
def review_source(args: dict[str, Any], source_id: int) -> dict[str, Any]:
    """Approve a source before its first run (or reject it, with a reason)."""
    return services().harvest.review_source(current_actor(), source_id, args["action"],
                                            args["note"]).as_dict()


@blp.route("/sources/<int:source_id>/jobs")
class SourceJobs(MethodView):
    @require()
    @blp.response(200)
    def get(self, source_id: int) -> list[dict[str, Any]]:
        """The source's jobs, newest first."""
        return services().harvest.jobs(current_actor(), source_id)

    @require("steward", "admin")
    @blp.arguments(JobWriteSchema)
    @blp.response(202, ReportSchema)
    def post(self, args: dict[str, Any], source_id: int) -> dict[str, Any]:
        """Queue a job for the workers (``mulu worker``)."""
        return services().harvest.enqueue(current_actor(), source_id, dry_run=args["dry_run"],
                                          full=args["full"], limit=args["limit"])


@blp.route("/jobs/<int:job_id>", methods=["GET"])
@require()
@blp.response(200, ReportSchema)
def job_report(job_id: int) -> dict[str, Any]:
    """A job's report: counts per outcome, listing completeness, problems by error type."""
    return services().harvest.report(current_actor(), job_id)


@blp.route("/jobs/<int:job_id>/items", methods=["GET"])
@require()
@blp.arguments(ItemQuerySchema, location="query")
@blp.response(200, ItemPageSchema)
def job_items(query: dict[str, Any], job_id: int) -> dict[str, Any]:
    """Per-record outcomes with the raw payload and the reason."""
    return services().harvest.items(current_actor(), job_id, outcome=query.get("outcome"),
                                    error_type=query.get("error_type"), page=query["page"],
                                    page_size=query["page_size"])
