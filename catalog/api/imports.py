"""/api/datasets/import and /api/datasets/template.*: spreadsheet bulk registration.

``POST /api/datasets/import`` imports a small file inside the request (up to
``MULU_INLINE_SHEET_BYTES``, under the inline budget of rows, cells and seconds) and answers
with the whole report; a larger file is refused with 413 naming ``POST /api/imports``, which
imports files of any size as a background job (``catalog.api.import_jobs``).

Static paths: Werkzeug matches them before ``/api/datasets/<dataset_id>``, whatever the
registration order (tests/api/test_import_api.py checks it).
"""

from __future__ import annotations

import io
from typing import IO, Any

import flask
from flask import Response, send_file
from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate
from webargs.flaskparser import FlaskParser
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import CombinedMultiDict

from catalog import policy, spreadsheet
from catalog.api.auth import current_actor, require, services
from catalog.errors import Message, MuluError
from catalog.schemas import Text


class TooLargeForRequest(MuluError):
    """A file larger than what a request parses inline: import it as a job."""

    status = 413


class _MultipartParser(FlaskParser):
    """The "files" location reads the whole multipart body: the file and the form fields."""

    def load_files(self, req: flask.Request, schema: Schema) -> Any:
        return MultiDictProxy(CombinedMultiDict([req.files, req.form]), schema)


class _UploadBlueprint(Blueprint):
    ARGUMENTS_PARSER = _MultipartParser()


blp = _UploadBlueprint("imports", __name__, url_prefix="/api/datasets",
                       description="信息资源批量导入 / spreadsheet bulk registration")

FORM_OVERHEAD = 64 * 1024   # a multipart body's boundaries, part headers and form fields


def allow_spreadsheet_bodies() -> None:
    """A multipart request may carry a spreadsheet of up to ``Settings.max_sheet_bytes``
    (other bodies keep the application's smaller limit)."""
    if flask.request.mimetype == "multipart/form-data":
        flask.request.max_content_length = services().settings.max_sheet_bytes + FORM_OVERHEAD


def read_upload(stream: IO[bytes]) -> bytes:
    """An uploaded file's bytes, up to the spreadsheet limit and one byte more (so that a
    larger file is refused as too large)."""
    return stream.read(services().settings.max_sheet_bytes + 1)


blp.before_request(allow_spreadsheet_bodies)


class ImportFormSchema(Schema):
    file = Upload(required=True, metadata={"description": "目录表 .xlsx 或 .csv（UTF-8 / GB18030）"})
    department_code = Text(load_default=None, allow_none=True, validate=validate.Length(max=18),
                           metadata={"description": "administrators: the owning department"})
    submit = fields.Boolean(load_default=False,
                            metadata={"description": "提交审核 / submit every row for review"})
    mode = fields.String(load_default="all", validate=validate.OneOf(("all", "keep")), metadata={
        "description": "all: every row or none (422 lists the rows to fix); keep: keep and "
                       "flag — every row stored, 待完善 with its problems where it lacks "
                       "something; only rows unsafe to keep are refused"})


class ImportedRowSchema(Schema):
    row = fields.Integer()
    id = fields.String()
    resource_code = fields.String()
    title = fields.String()
    problems = fields.Integer(metadata={"description": "kept as 待完善 with this many problems"})


class RefusedRowSchema(Schema):
    row = fields.Integer(allow_none=True)
    field = fields.String()
    sheet = fields.String()
    zh = fields.String()
    en = fields.String()


class ImportResultSchema(Schema):
    created = fields.Integer()
    flagged = fields.Integer(metadata={"description": "rows kept as 待完善"})
    items = fields.List(fields.Nested(ImportedRowSchema))
    refused = fields.List(fields.Nested(RefusedRowSchema),
                          metadata={"description": "keep mode: rows unsafe to keep, and why"})
    ignored_columns = fields.List(fields.String(),
                                  metadata={"description": "headers matching no field"})


@blp.route("/import", methods=["POST"])
@require(*policy.roles_of("import.start"))
@blp.arguments(ImportFormSchema, location="files")
@blp.response(201, ImportResultSchema)
@blp.alt_response(413, description="larger than MULU_INLINE_SHEET_BYTES: use POST /api/imports")
def import_spreadsheet(form: dict[str, Any]) -> dict[str, Any]:
    """Register every row of a small catalog spreadsheet, or none (422 lists the rows to fix),
    inside the request; files above ``MULU_INLINE_SHEET_BYTES`` (2 MB) are imported as a job
    (``POST /api/imports``, 202)."""
    upload = form["file"]
    settings = services().settings
    data = upload.stream.read(settings.inline_sheet_bytes + 1)
    if len(data) > settings.inline_sheet_bytes:
        mb = settings.inline_sheet_bytes / (1024 * 1024)
        raise TooLargeForRequest(Message(
            f"文件超过 {mb:g} MB，请通过导入任务导入（POST /api/imports）。",
            f"The file is larger than {mb:g} MB: import it as a job (POST /api/imports)."))
    return spreadsheet.import_file(
        services().datasets, current_actor(), data, upload.filename or "",
        department_code=form.get("department_code"), submit=form["submit"],
        keep=form["mode"] == "keep",
        meter=spreadsheet.Meter(spreadsheet.Budget.inline(settings))).as_dict()


_BINARY = {"schema": {"type": "string", "format": "binary"}}


@blp.route("/template.xlsx", methods=["GET"])
@blp.doc(security=[], responses={"200": {"description": "Excel template",
                                         "content": {spreadsheet.XLSX_TYPE: _BINARY}}})
def template_xlsx() -> Response:
    """The catalog spreadsheet template (drop-downs for controlled values)."""
    return send_file(io.BytesIO(spreadsheet.template_xlsx()), mimetype=spreadsheet.XLSX_TYPE,
                     as_attachment=True, download_name="信息资源目录模板.xlsx")


@blp.route("/template.csv", methods=["GET"])
@blp.doc(security=[], responses={"200": {"description": "CSV template (UTF-8 with BOM)",
                                         "content": {"text/csv": _BINARY}}})
def template_csv() -> Response:
    """The catalog spreadsheet template as CSV (UTF-8 with BOM, opens in Excel)."""
    return send_file(io.BytesIO(spreadsheet.template_csv()), mimetype=spreadsheet.CSV_TYPE,
                     as_attachment=True, download_name="信息资源目录模板.csv")
