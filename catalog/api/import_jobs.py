"""/api/imports: catalog spreadsheet imports as background jobs (issue 9 §4).

``POST /api/imports`` keeps the file (after the cheap check only: size, type, a workbook's zip
directory) and answers 202 at once with the job and its ``status_url``; a worker reads and
stores the rows. ``GET /api/imports/<id>`` is the job's progress (share done, rows, rows/s,
time left) and, once it ended, its result (counts, the first problem lines; every line in
``GET /api/imports/<id>/rows``). ``POST /api/datasets/import`` stays the synchronous import of
small files (up to ``MULU_INLINE_SHEET_BYTES``)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from catalog import policy
from catalog.api.auth import current_actor, require, services
from catalog.api.imports import ImportFormSchema, _UploadBlueprint, allow_spreadsheet_bodies
from catalog.api.paging import PagedQuerySchema, PageSchema
from catalog.imports.service import OUTCOMES

blp = _UploadBlueprint("import_jobs", __name__, url_prefix="/api/imports",
                       description="导入任务 / spreadsheet imports as background jobs, with "
                                   "progress")
blp.before_request(allow_spreadsheet_bodies)

STATUSES = ("queued", "running", "succeeded", "failed")


class ProgressSchema(Schema):
    phase = fields.String(metadata={"description": "checking (all or none: reading and "
                                                   "validating every row), storing, done"})
    share = fields.Float(metadata={"description": "share of the whole import done, 0–1"})
    percent = fields.Integer()
    rows_done = fields.Integer(metadata={"description": "rows done in the current phase"})
    rows_total = fields.Integer(allow_none=True, metadata={
        "description": "rows of the file: exact once known, else estimated from how far "
                       "through the file the reading is; null when not known yet"})
    rows_per_second = fields.Float(allow_none=True)
    seconds_left = fields.Float(allow_none=True, metadata={"description": "estimate"})
    elapsed_seconds = fields.Float()


class ReportLineSchema(Schema):
    outcome = fields.String(metadata={"enum": list(OUTCOMES), "description":
                                      "created: stored; refused: a row unsafe to keep (keep "
                                      "mode); problem: what stopped an all-or-none import"})
    row = fields.Integer(allow_none=True)
    sheet = fields.String()
    field = fields.String()
    dataset_id = fields.String(allow_none=True)
    resource_code = fields.String()
    title = fields.String()
    problems = fields.Integer(metadata={"description": "kept as 待完善 with this many problems"})
    zh = fields.String()
    en = fields.String()
    withheld = fields.Boolean(metadata={"description": "what the row became is above what the "
                                        "caller may see: its title, code and messages are left out"})


class ImportJobSchema(Schema):
    id = fields.Integer()
    status = fields.String(metadata={"enum": list(STATUSES)})
    mode = fields.String(metadata={"enum": ["all", "keep"]})
    submit = fields.Boolean()
    file_name = fields.String()
    file_bytes = fields.Integer()
    department_code = fields.String()
    department_name = fields.String()
    requested_by = fields.String()
    created_at = fields.String()
    started_at = fields.String(allow_none=True)
    finished_at = fields.String(allow_none=True)
    progress = fields.Nested(ProgressSchema)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={
        "description": "created, flagged (待完善), refused (rows), problems (all or none)"})
    ignored_columns = fields.List(fields.String())
    error = fields.String(metadata={"description": "why the job failed (one line)"})
    problems = fields.List(fields.Nested(ReportLineSchema), metadata={
        "description": "the first problem and refused lines (all: GET …/rows)"})
    status_url = fields.String()


class ImportJobPageSchema(PageSchema):
    items = fields.List(fields.Nested(ImportJobSchema))


class ReportPageSchema(PageSchema):
    items = fields.List(fields.Nested(ReportLineSchema))


class JobListQuerySchema(PagedQuerySchema):
    status = fields.String(validate=validate.OneOf(STATUSES))


class ReportQuerySchema(PagedQuerySchema):
    outcome = fields.String(validate=validate.OneOf(OUTCOMES))


@blp.route("")
class ImportJobs(MethodView):
    @require()
    @blp.arguments(JobListQuerySchema, location="query")
    @blp.response(200, ImportJobPageSchema)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Import jobs you may see (your department's; every one for reviewers and
        administrators), newest first."""
        return services().imports.list(current_actor(), page=query["page"],
                                       page_size=query["page_size"],
                                       status=query.get("status"))

    @require(*policy.roles_of("import.start"))
    @blp.arguments(ImportFormSchema, location="files")
    @blp.response(202, ImportJobSchema)
    def post(self, form: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Start an import: the file is kept and a job queued; poll ``status_url``."""
        upload = form["file"]
        job = services().imports.start(current_actor(), upload.stream, upload.filename or "",
                                       department_code=form.get("department_code"),
                                       mode=form["mode"], submit=form["submit"])
        return job, 202, {"Location": job["status_url"]}


@blp.route("/<int:job_id>", methods=["GET"])
@require()
@blp.response(200, ImportJobSchema)
def import_job(job_id: int) -> dict[str, Any]:
    """An import job: status, progress (share, rows, rows/s, time left), counts, the first
    problem lines."""
    return services().imports.view(current_actor(), job_id)


@blp.route("/<int:job_id>/rows", methods=["GET"])
@require()
@blp.arguments(ReportQuerySchema, location="query")
@blp.response(200, ReportPageSchema)
def import_job_rows(query: dict[str, Any], job_id: int) -> dict[str, Any]:
    """The job's report row by row: stored rows, refused rows, problems."""
    return services().imports.rows(current_actor(), job_id, outcome=query.get("outcome"),
                                   page=query["page"], page_size=query["page_size"])
