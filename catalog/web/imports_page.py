"""The import pages (issue 9 §4): upload a catalog spreadsheet, follow its import job (the page
refreshes itself while the job runs: no script), read the report. The job runs in the
background (``catalog.imports``), like ``POST /api/imports``."""

from __future__ import annotations

from typing import Any

import flask
from flask import redirect, render_template, request, url_for

from catalog import policy
from catalog.api.auth import current_actor, services
from catalog.api.imports import allow_spreadsheet_bodies
from catalog.errors import Forbidden, InvalidInput
from catalog.web.forms import FormErrors, place_errors
from catalog.web.i18n import message
from catalog.web.pages import _int_arg, bp, login_required, notify

REFRESH_SECONDS = 2
ROWS_PAGE = 50
UPLOAD_PATH = "/imports"


def allow_upload() -> None:
    """An upload to the import page may be as large as a spreadsheet may (app-wide hook: it
    must run before the page's CSRF check reads the form)."""
    if flask.request.path == UPLOAD_PATH and flask.request.method == "POST":
        allow_spreadsheet_bodies()


def _list_page(errors: FormErrors | None = None, status: int = 200) -> tuple[str, int]:
    actor = current_actor()
    jobs = services().imports.list(actor, page=_int_arg("page", 1), page_size=20)
    departments = services().departments.list() \
        if policy.may(actor, "write.for_any_department") else []
    return render_template("imports.html", jobs=jobs, errors=errors or FormErrors(),
                           departments=departments, can_start=policy.may(actor, "import.start"),
                           form=request.form), status


@bp.get(UPLOAD_PATH)
@login_required("steward", "staff", "reviewer", "admin")
def import_list() -> Any:
    return _list_page()


@bp.post(UPLOAD_PATH)
@login_required(*policy.roles_of("import.start"))
def import_start() -> Any:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _list_page(FormErrors(fields={"file": [message("import.no_file")]},
                                     summary=[("file", "", message("import.no_file"))]), 422)
    try:
        job = services().imports.start(
            current_actor(), upload.stream, upload.filename,
            department_code=request.form.get("department_code") or None,
            mode="keep" if request.form.get("mode") == "keep" else "all",
            submit=request.form.get("submit") == "1")
    except InvalidInput as exc:
        return _list_page(place_errors(exc.errors), 422)
    except Forbidden as exc:
        return _list_page(FormErrors(summary=[("file", "", exc.message)]), 403)
    notify(message("import.started"))
    return redirect(url_for("pages.import_detail", job_id=job["id"]))


@bp.get(f"{UPLOAD_PATH}/<int:job_id>")
@login_required("steward", "staff", "reviewer", "admin")
def import_detail(job_id: int) -> Any:
    imports = services().imports
    actor = current_actor()
    job = imports.view(actor, job_id)
    active = job["status"] in ("queued", "running")
    page = _int_arg("page", 1)
    rows: dict[str, Any] = imports.rows(actor, job_id, outcome="created", page=page, page_size=ROWS_PAGE) \
        if not active else {"items": [], "total": 0}
    pages = max(1, -(-rows["total"] // ROWS_PAGE))
    return render_template("import_job.html", job=job, active=active, rows=rows, page=page,
                           pages=pages, refresh=REFRESH_SECONDS if active else None)
