"""The harvest pages (issue 11 "Harvest"): the sources a viewer may see, register / edit /
approve / disable / run a source, a job's report with its problems by error type, its items
with their raw payloads, and the progress of a running job (the page refreshes itself: no
script).

Every page calls the harvest service the API calls (``harvesters.service.HarvestService``):
who may see a source, a job or an item's payload is decided there (``items`` applies the
visibility rule of ``GET /api/harvest/jobs/<id>/items``), and which controls a page shows by
``harvesters.rights`` through ``SourceView.actions``."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from math import ceil
from typing import Any

from flask import redirect, render_template, request, url_for
from marshmallow import ValidationError

from catalog import policy
from catalog.api.auth import current_actor, services
from catalog.api.harvest_schemas import OUTCOMES, JsonObject
from catalog.api.imports import allow_spreadsheet_bodies, read_upload
from catalog.errors import (
    Conflict,
    FieldErrors,
    Forbidden,
    InvalidInput,
    Message,
    MuluError,
    NotFound,
)
from catalog.web.forms import FormErrors
from catalog.web.i18n import local_time, message, t
from catalog.web.pages import _int_arg, bp, login_required, notify
from harvesters.jobs import ACTIVE, SCHEDULES
from harvesters.registry import TYPES
from harvesters.service import SourceView
from harvesters.uploads import SpreadsheetUpload, UploadTooLarge

REFRESH_SECONDS = 2
SOURCES_PAGE = 20
ITEMS_PAGE = 50
FORM_FIELDS = ("type", "url", "file", "name", "schedule", "department_code", "config")
UPLOAD_PATHS = re.compile(r"^/harvest/(?:new|sources/\d+/edit)$")


@bp.before_app_request
def _allow_upload() -> None:
    """A source's form may carry a spreadsheet as large as the import's (the one rule:
    ``allow_spreadsheet_bodies``); app-wide, so it runs before the pages' CSRF check."""
    if request.method == "POST" and UPLOAD_PATHS.match(request.path):
        allow_spreadsheet_bodies()


@bp.app_template_filter("harvest_time")
def harvest_time(value: str | None) -> str:
    """An ISO time of the harvest service as Beijing time."""
    return local_time(datetime.fromisoformat(value)) if value else ""


# -- the form of a source -----------------------------------------------------------------------


@dataclass
class SourceForm:
    """What the register / edit form shows and sends back."""

    type: str = "ckan"
    url: str = ""
    name: str = ""
    schedule: str = "manual"
    department_code: str = ""
    config: str = ""

    @classmethod
    def posted(cls) -> SourceForm:
        values = {name: request.form.get(name, "").strip() for name in
                  ("type", "url", "name", "schedule", "department_code")}
        return cls(**values, config=request.form.get("config", ""))

    @classmethod
    def of(cls, view: SourceView) -> SourceForm:
        http = view.url.startswith(("http://", "https://"))
        return cls(view.type, view.url if http else "", view.name, view.schedule,
                   view.department_code, _config_text(view.config))

    def parsed_config(self) -> dict[str, Any]:
        """The configuration text as an object (the API's multipart rule, ``JsonObject``)."""
        if not self.config.strip():
            return {}
        try:
            loaded: dict[str, Any] = JsonObject().deserialize(self.config)
        except ValidationError:
            raise InvalidInput({"config": [message("harvest.config_json")]}) from None
        return loaded


@dataclass
class Placed:
    """Service errors placed on the source form."""

    errors: FormErrors = field(default_factory=FormErrors)

    @classmethod
    def of(cls, errors: FieldErrors, fields: tuple[str, ...] = FORM_FIELDS) -> Placed:
        """``fields``: the form's controls (a message on another key goes to the summary)."""
        placed = FormErrors()
        for key, messages in errors.items():
            name = key.partition(".")[0]
            known = name in fields
            placed.fields.setdefault(name if known else "form", []).extend(messages)
            label = t(f"harvest.field.{name}") if known else ""
            placed.summary.extend((f"f-{name}" if known else "source-form",
                                   f"{label} ({key})" if known and key != name else label, m)
                                  for m in messages)
        return cls(placed)

    @classmethod
    def single(cls, name: str, note: Message) -> Placed:
        return cls.of({name: [note]})


def _config_text(config: dict[str, Any]) -> str:
    return json.dumps(config, ensure_ascii=False, indent=2) if config else ""


def _upload() -> SpreadsheetUpload | None:
    """The form's file, read up to the spreadsheet limit and one byte (``read_upload``)."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return None
    return SpreadsheetUpload(read_upload(upload.stream), upload.filename)


def _form_page(form: SourceForm, placed: Placed | None = None, *, view: SourceView | None = None,
               status: int = 200) -> tuple[str, int]:
    actor = current_actor()
    departments = services().departments.list() if policy.may(actor, "write.for_any_department") and view is None \
        else []
    return render_template("harvest_form.html", form=form, view=view,
                           errors=(placed or Placed()).errors, types=TYPES,
                           schedules=tuple(SCHEDULES), departments=departments), status


def _refused(error: MuluError) -> Placed:
    """A service refusal on the form: field messages where they belong, else in the summary."""
    if isinstance(error, InvalidInput):
        return Placed.of(error.errors)
    if isinstance(error, UploadTooLarge):
        return Placed.single("file", error.message)
    return Placed.single("form", error.message)


# -- the sources --------------------------------------------------------------------------------


@bp.get("/harvest")
@login_required()   # as the API: who may see what, the service decides
def harvest_sources() -> str:
    actor = current_actor()
    page = _int_arg("page", 1)
    result = services().harvest.page_sources(actor, page=page, page_size=SOURCES_PAGE)
    return render_template("harvest_sources.html", result=result,
                           pages=max(1, ceil(result.total / SOURCES_PAGE)),
                           can_register=policy.may(actor, "source.register"))


@bp.route("/harvest/new", methods=["GET", "POST"])
@login_required(*policy.roles_of("source.register"))
def harvest_new() -> Any:
    if request.method == "GET":
        return _form_page(SourceForm())
    form = SourceForm.posted()
    try:
        data: dict[str, Any] = {"type": form.type, "name": form.name,
                                "schedule": form.schedule or "manual",
                                "config": form.parsed_config()}
        if form.url:
            data["url"] = form.url
        if form.department_code:
            data["department_code"] = form.department_code
        view = services().harvest.add_source(current_actor(), data, upload=_upload())
    except (InvalidInput, UploadTooLarge, Forbidden) as exc:
        return _form_page(form, _refused(exc), status=exc.status)
    notify(message("harvest.registered"))
    return redirect(url_for("pages.harvest_source", source_id=view.id))


@bp.get("/harvest/sources/<int:source_id>")
@login_required()   # as the API: who may see what, the service decides
def harvest_source(source_id: int) -> tuple[str, int]:
    return _source_page(source_id)


def _source_page(source_id: int, review: Placed | None = None, problem: Message | None = None,
                 status: int = 200) -> tuple[str, int]:
    actor = current_actor()
    harvest = services().harvest
    view = harvest.get_source(actor, source_id)
    return render_template("harvest_source.html", view=view, actions=view.actions(actor),
                           jobs=harvest.jobs(actor, source_id), config=_config_text(view.config),
                           review_errors=(review or Placed()).errors, problem=problem,
                           note=request.form.get("note", "")), status


@bp.route("/harvest/sources/<int:source_id>/edit", methods=["GET", "POST"])
@login_required(*policy.roles_of("source.change"))
def harvest_edit(source_id: int) -> Any:
    harvest = services().harvest
    actor = current_actor()
    view = harvest.get_source(actor, source_id)   # NotFound for a source one may not see
    if request.method == "GET":
        return _form_page(SourceForm.of(view), view=view)
    form = SourceForm.posted()
    try:
        changes: dict[str, Any] = {"schedule": form.schedule or view.schedule}
        if form.name:
            changes["name"] = form.name
        if form.type and form.type != view.type:
            changes["type"] = form.type
        if form.url and form.url != view.url:
            changes["url"] = form.url
        config = form.parsed_config()
        if config != view.config:
            changes["config"] = config
        saved = harvest.edit_source(actor, source_id, changes, upload=_upload())
    except (InvalidInput, UploadTooLarge, Forbidden, Conflict) as exc:
        return _form_page(form, _refused(exc), view=view, status=exc.status)
    again = saved.state == "pending" and view.state != "pending"
    notify(message("harvest.saved_review" if again else "harvest.saved"))
    return redirect(url_for("pages.harvest_source", source_id=source_id))


@bp.post("/harvest/sources/<int:source_id>/review")
@login_required(*policy.roles_of("source.review"))
def harvest_review(source_id: int) -> Any:
    action = request.form.get("action", "")
    try:
        services().harvest.review_source(current_actor(), source_id, action,
                                         request.form.get("note", ""))
    except InvalidInput as exc:
        return _source_page(source_id, review=Placed.of(exc.errors, ("note", "action")),
                            status=exc.status)
    except (Conflict, Forbidden) as exc:
        return _source_page(source_id, problem=exc.message, status=exc.status)
    notify(message("harvest.approved" if action == "approve" else "harvest.rejected"))
    return redirect(url_for("pages.harvest_source", source_id=source_id))


@bp.post("/harvest/sources/<int:source_id>/<any(disable, enable):switch>")
@login_required(*policy.roles_of("source.change"))
def harvest_switch(source_id: int, switch: str) -> Any:
    try:
        services().harvest.set_enabled(current_actor(), source_id, switch == "enable")
    except (Conflict, Forbidden) as exc:
        return _source_page(source_id, problem=exc.message, status=exc.status)
    notify(message(f"harvest.{switch}d"))
    return redirect(url_for("pages.harvest_source", source_id=source_id))


@bp.post("/harvest/sources/<int:source_id>/run")
@login_required(*policy.roles_of("source.run"))
def harvest_run(source_id: int) -> Any:
    """Queue a job for the worker (as ``POST /api/harvest/sources/<id>/jobs``) and follow it."""
    try:
        job = services().harvest.enqueue(current_actor(), source_id)
    except (Conflict, Forbidden) as exc:
        return _source_page(source_id, problem=exc.message, status=exc.status)
    notify(message("harvest.queued"))
    return redirect(url_for("pages.harvest_job", job_id=job["job"]))


# -- jobs ---------------------------------------------------------------------------------------


@bp.get("/harvest/jobs/<int:job_id>")
@login_required()   # as the API: who may see what, the service decides
def harvest_job(job_id: int) -> str:
    actor = current_actor()
    harvest = services().harvest
    report = harvest.report(actor, job_id)
    outcome = request.args.get("outcome", "")
    outcome = outcome if outcome in OUTCOMES else ""
    error_type = request.args.get("error_type", "").strip()[:64]
    page = _int_arg("page", 1)
    items = harvest.items(actor, job_id, outcome=outcome or None, error_type=error_type or None,
                          page=page, page_size=ITEMS_PAGE)
    active = report["status"] in ACTIVE
    filters = {k: v for k, v in (("outcome", outcome), ("error_type", error_type)) if v}
    return render_template("harvest_job.html", report=report, items=items, active=active,
                           refresh=REFRESH_SECONDS if active else None, filters=filters,
                           outcomes=OUTCOMES, page=page, pager_args={"job_id": job_id, **filters},
                           pages=max(1, ceil(items["total"] / ITEMS_PAGE)))


@bp.get("/harvest/jobs/<int:job_id>/items/<int:item_id>")
@login_required()   # as the API: who may see what, the service decides
def harvest_item(job_id: int, item_id: int) -> str:
    """One item's raw payload: the same service call as the job's item list (its visibility
    rule decides what is shown), for that item only."""
    actor = current_actor()
    harvest = services().harvest
    found = harvest.items(actor, job_id, item_id=item_id, page_size=1)["items"]
    if not found:
        raise NotFound(Message("该条目不存在。", "No such item."))
    report = harvest.report(actor, job_id)
    return render_template("harvest_item.html", item=found[0], report=report)
