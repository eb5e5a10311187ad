"""/api/harvest: harvest sources (register by URL or with an uploaded spreadsheet, edit,
approve, disable), jobs (queue, list) and job reports (problems grouped by error type;
per-record outcomes with the raw payload). Schemas: ``catalog.api.harvest_schemas``."""

from __future__ import annotations

from typing import Any

import flask
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema

from catalog import policy
from catalog.api.auth import current_actor, require, services
from catalog.api.contract import may_answer
from catalog.api.harvest_schemas import (
    ItemPageSchema,
    ItemQuerySchema,
    JobBriefSchema,
    JobWriteSchema,
    ProvenanceSchema,
    ReportSchema,
    SourceFileEditSchema,
    SourceReviewSchema,
    SourceSchema,
    SourceUploadSchema,
)
from catalog.api.imports import _MultipartParser, allow_spreadsheet_bodies, read_upload
from harvesters.sources import SourceChanges, SourceInput
from harvesters.uploads import SpreadsheetUpload

blp = Blueprint("harvest", __name__, url_prefix="/api/harvest",
                description="数据采集 / harvest sources, jobs and reports")

PARSER = _MultipartParser()
blp.before_request(allow_spreadsheet_bodies)


def _body(form_schema: Schema) -> tuple[Any, SpreadsheetUpload | None]:
    """A JSON body (validated once, by the service's own schema), or a multipart form whose
    ``file`` is a spreadsheet (read up to the import limit plus one byte, so a larger file is
    refused as too large)."""
    if flask.request.mimetype == "multipart/form-data":
        form = dict(PARSER.parse(form_schema, flask.request, location="files"))
        upload = form.pop("file")
        return form, SpreadsheetUpload(read_upload(upload.stream), upload.filename or "")
    return flask.request.get_json(), None


def _request_body(json_schema: type[Schema], form_schema: type[Schema]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": json_schema},
        "multipart/form-data": {"schema": form_schema}}}}


@blp.route("/sources")
class Sources(MethodView):
    @require()
    @blp.response(200, SourceSchema(many=True))
    def get(self) -> list[dict[str, Any]]:
        """Sources you may see (your department's; every one for reviewers and administrators)."""
        return [s.as_dict() for s in services().harvest.list_sources(current_actor())]

    @require(*policy.roles_of("source.register"))
    @blp.doc(**_request_body(SourceInput, SourceUploadSchema))
    @blp.response(201, SourceSchema)
    def post(self) -> dict[str, Any]:
        """Register a source of your department: JSON with an http(s) ``url``, or a multipart
        form with a spreadsheet ``file`` (kept by Mulu). It runs once approved."""
        payload, upload = _body(SourceUploadSchema())
        return services().harvest.add_source(current_actor(), payload, upload=upload).as_dict()


@blp.route("/sources/<int:source_id>")
class Source(MethodView):
    @require()
    @blp.response(200, SourceSchema)
    def get(self, source_id: int) -> dict[str, Any]:
        """One source, with its last job."""
        return services().harvest.get_source(current_actor(), source_id).as_dict()

    @require(*policy.roles_of("source.change"))
    @blp.doc(**_request_body(SourceChanges, SourceFileEditSchema))
    @blp.response(200, SourceSchema)
    def patch(self, source_id: int) -> dict[str, Any]:
        """Change a source (the fields given; ``config`` replaced whole), or replace its file.
        A new type, url, file or config sends it back for approval; a new name or schedule does
        not. A running job finishes with what it read; the change applies from the next run."""
        return _edit(source_id)

    @require(*policy.roles_of("source.change"))
    @blp.doc(**_request_body(SourceChanges, SourceFileEditSchema))
    @blp.response(200, SourceSchema)
    def put(self, source_id: int) -> dict[str, Any]:
        """The same as PATCH: the fields given change, the others keep their values."""
        return _edit(source_id)


def _edit(source_id: int) -> dict[str, Any]:
    changes, upload = _body(SourceFileEditSchema())
    return services().harvest.edit_source(current_actor(), source_id, changes,
                                          upload=upload).as_dict()


@blp.route("/datasets/<dataset_id>/provenance", methods=["GET"])
@require()
@blp.response(200, ProvenanceSchema(many=True))
def dataset_provenance(dataset_id: str) -> list[dict[str, Any]]:
    """The harvest sources that list the dataset (primary first), with its identifier at each;
    a source's address only for those who may see the source."""
    return services().harvest.provenance(current_actor(), dataset_id)


@blp.route("/sources/<int:source_id>/disable", methods=["POST"])
@require(*policy.roles_of("source.change"))
@may_answer(409)
@blp.response(200, SourceSchema)
def disable_source(source_id: int) -> dict[str, Any]:
    """Stop a source: it never runs (scheduled or asked) and its queued job is cancelled."""
    return services().harvest.set_enabled(current_actor(), source_id, False).as_dict()


@blp.route("/sources/<int:source_id>/enable", methods=["POST"])
@require(*policy.roles_of("source.change"))
@may_answer(409)
@blp.response(200, SourceSchema)
def enable_source(source_id: int) -> dict[str, Any]:
    """Let a disabled source run again: approved if it was, else pending approval."""
    return services().harvest.set_enabled(current_actor(), source_id, True).as_dict()


@blp.route("/sources/<int:source_id>/review", methods=["POST"])
@require(*policy.roles_of("source.review"))
@may_answer(409)
@blp.arguments(SourceReviewSchema)
@blp.response(200, SourceSchema)
def review_source(args: dict[str, Any], source_id: int) -> dict[str, Any]:
    """Approve a source before its first run (or reject it, with a reason)."""
    return services().harvest.review_source(current_actor(), source_id, args["action"],
                                            args["note"]).as_dict()


@blp.route("/sources/<int:source_id>/jobs")
class SourceJobs(MethodView):
    @require()
    @blp.response(200, JobBriefSchema(many=True))
    def get(self, source_id: int) -> list[dict[str, Any]]:
        """The source's jobs, newest first."""
        return services().harvest.jobs(current_actor(), source_id)

    @require(*policy.roles_of("source.run"))
    @may_answer(409)
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
