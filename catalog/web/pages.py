"""The web UI (Chinese first): thin views that parse a form, call a service, render a page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from math import ceil
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, g, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from catalog import policy
from catalog.actors import ANONYMOUS, Actor
from catalog.api.auth import SESSION_KEY, current_actor, require, services
from catalog.datasets import STATES, DatasetView, RevisionView
from catalog.departments import DepartmentView
from catalog.errors import (
    Conflict,
    FieldErrors,
    Forbidden,
    InvalidInput,
    Message,
    MuluError,
    NotAuthenticated,
    NotFound,
)
from catalog.login_throttle import TooManyAttempts
from catalog.web.forms import (
    INPUT_TYPES,
    ROW_INDEX,
    WIDGETS,
    FormData,
    FormErrors,
    csrf_ok,
    csrf_token,
    display_rows,
    form_from_record,
    in_form_order,
    is_link,
    parse_dataset_form,
    place_errors,
)
from catalog.web.i18n import SESSION_KEY as LANG_KEY
from catalog.web.i18n import message, remember_lang, t, template_helpers

bp = Blueprint("pages", __name__)

PAGE_SIZE = 20
MAX_PAGE = 100_000
EXPORT_FORMATS = ("ttl", "rdf", "jsonld")
NOTICES_KEY = "notices"
F = TypeVar("F", bound=Callable[..., Any])


class BadForm(MuluError):
    """A POST without this session's CSRF token."""

    status = 400


# -- request hooks ------------------------------------------------------------------------------


@bp.record_once
def _tidy_templates(state: Any) -> None:
    """Block tags leave no blank lines behind in the rendered pages."""
    state.app.jinja_env.trim_blocks = True
    state.app.jinja_env.lstrip_blocks = True


@bp.before_app_request
def _language() -> None:
    if not request.path.startswith(("/api", "/static")):
        remember_lang()


@bp.before_request
def _check_csrf() -> None:
    if request.method == "POST" and not csrf_ok(request.form):
        raise BadForm(message("error.csrf"))


@bp.app_context_processor
def _template_context() -> dict[str, Any]:
    return {**template_helpers(), "actor": _actor_for_page(), "csrf_token": csrf_token,
            "may": policy.may,
            "notices": _pop_notices, "shown_state": shown_state, "states": STATES,
            "is_link": is_link}


def _actor_for_page() -> Actor:
    """The caller for the page header; error pages must render even when resolving fails."""
    if "actor" in g:
        return g.actor
    try:
        return current_actor()
    except Exception:  # noqa: BLE001 - the error page itself is being rendered
        return ANONYMOUS


# -- helpers ------------------------------------------------------------------------------------


def login_required(*roles: str) -> Callable[[F], F]:
    """Anonymous visitors go to the login page; a signed-in user without ``roles`` gets 403."""

    def decorate(view: F) -> F:
        guarded = require(*roles)(view)

        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_actor().is_authenticated:
                target = request.full_path.rstrip("?") if request.method == "GET" else None
                return redirect(url_for("pages.login", next=target))
            return guarded(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def safe_next(target: str | None) -> str | None:
    """Only local paths are followed after login or an action."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target


def notify(note: Message, category: str = "ok") -> None:
    notices = list(session.get(NOTICES_KEY, []))
    notices.append({"zh": note.zh, "en": note.en, "category": category})
    session[NOTICES_KEY] = notices


def _pop_notices() -> list[dict[str, str]]:
    return session.pop(NOTICES_KEY, []) if NOTICES_KEY in session else []


def _problem(error: MuluError) -> Message:
    """The most useful words of a service error for a one-line notice."""
    if isinstance(error, InvalidInput) and error.errors:
        found = [m for messages in error.errors.values() for m in messages]
        return Message(" ".join(m.zh for m in found), " ".join(m.en for m in found))
    return error.message


def _int_arg(name: str, default: int) -> int:
    try:
        return min(max(1, int(request.args.get(name, default))), MAX_PAGE)
    except ValueError:
        return default


def own_department(actor: Actor) -> DepartmentView | None:
    if actor.department_id is None:
        return None
    if "own_department" not in g:
        g.own_department = next((d for d in services().departments.list()
                                 if d.id == actor.department_id), None)
    return g.own_department


def shown_state(view: DatasetView) -> str:
    """Who sees the published revision sees a published dataset (待完善 when it has problems)."""
    return view.shown_state


def can_edit(actor: Actor, view: DatasetView) -> bool:
    return view.view == "current" and policy.may(actor, "dataset.edit", view.subject)


def can_review(actor: Actor, view: DatasetView) -> bool:
    return (view.view == "current" and view.state == "submitted"
            and policy.may(actor, "dataset.review", view.subject))


def _detail_url(dataset_id: str) -> str:
    return url_for("pages.dataset_detail", dataset_id=dataset_id)


# -- sign in and out ----------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET":
        return render_template("login.html", next=next_url, username="", error=None)
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    try:
        actor = services().accounts.authenticate(username, password,
                                                 address=request.remote_addr or "")
    except TooManyAttempts as exc:
        page = render_template("login.html", next=next_url, username=username,
                               error=exc.message)
        return page, 429, {"Retry-After": str(exc.retry_after)}
    except NotAuthenticated as exc:
        return render_template("login.html", next=next_url, username=username,
                               error=exc.message), 401
    _fresh_session()  # a fresh cookie (and CSRF token) for the signed-in user
    session[SESSION_KEY] = services().accounts.open_session(actor)
    notify(message("flash.logged_in"))
    return redirect(next_url or url_for("pages.home"))


def _fresh_session() -> None:
    """Empty the cookie but for the chosen language."""
    lang = session.get(LANG_KEY)
    session.clear()
    if lang:
        session[LANG_KEY] = lang


@bp.post("/logout")
def logout() -> Response:
    key = session.get(SESSION_KEY)
    if isinstance(key, str):
        services().accounts.end_session(key)  # a saved copy of the cookie signs in no more
    _fresh_session()
    notify(message("flash.logged_out"))
    return redirect(url_for("pages.home"))


# -- reading ------------------------------------------------------------------------------------


@bp.get("/datasets/<dataset_id>")
def dataset_detail(dataset_id: str) -> Any:
    return _detail_page(dataset_id)


def _detail_page(dataset_id: str, share: dict[str, Any] | None = None,
                 share_errors: FormErrors | None = None, status: int = 200) -> Any:
    actor = current_actor()
    view = services().datasets.get(actor, dataset_id)
    revisions: list[RevisionView] = services().datasets.revisions(actor, dataset_id)
    editable = can_edit(actor, view)
    return render_template(
        "dataset.html", view=view, revisions=revisions, formats=EXPORT_FORMATS,
        rows=display_rows({**view.record, "resource_code": view.resource_code}),
        can_edit=editable and view.state != "withdrawn",
        can_submit=editable and view.state in ("draft", "returned"),
        submit_needs=in_form_order(services().datasets.submit_check(actor, view.record))
        if editable and view.state in ("draft", "returned") else {},
        can_withdraw=editable and view.state != "withdrawn",
        can_review=can_review(actor, view),
        history=sharing_history(actor, dataset_id),
        sources=harvest_sources(actor, dataset_id),
        can_request=can_request_share(actor, view),
        held=held_grants(actor, view),
        share=share or {"data_items": []}, share_errors=share_errors or FormErrors(),
        deadline_days=services().sharing.settings.sharing_deadline_days), status


def harvest_sources(actor: Actor, dataset_id: str) -> list[dict[str, Any]]:
    """What GET /api/harvest/datasets/<id>/provenance gives a signed-in actor (nothing to
    anonymous visitors, as the API), with times as datetimes."""
    if actor.role == ANONYMOUS.role:
        return []
    return [{**entry, "last_seen_at": datetime.fromisoformat(entry["last_seen_at"])}
            for entry in services().harvest.provenance(actor, dataset_id)]


# -- sharing: the dataset's history and a request form ------------------------------------------

SHAREABLE = ("unconditional", "conditional")
SHARE_LABELS = {"needed": "sharing.needed_label", "reason": "sharing.dispute.reason"}
DISPUTABLE = ("none",)  # 不予共享: not requested, only disputed with governance
SHARE_FIELDS = ("purpose", "legal_duty", "target_system", "period_start", "period_end",
                "contact", "needed", "reason")


@dataclass(frozen=True)
class HistoryRow:
    """One audit entry of the dataset's sharing history, ready to show."""

    at: datetime
    actor: str
    action: str           # sharing.<action> or grant.<change>; sharing.dispute for disputes
    relation: str | None  # requester, provider, reviewer or system
    from_state: str | None
    to_state: str | None
    department: Any       # the requesting department (a DepartmentView or its code)
    reason: str
    items: list[str]
    target_system: str
    period: list[str | None]
    request_id: str | None = None  # the request the entry belongs to (its page)


def sharing_history(actor: Actor, dataset_id: str) -> list[HistoryRow] | None:
    """What GET /api/datasets/<id>/sharing-history gives the actor, newest first; None when
    that call refuses them (anonymous visitors)."""
    try:
        entries: list[dict[str, Any]] = services().sharing.history(actor, dataset_id)
    except (NotAuthenticated, Forbidden, NotFound):
        return None
    return history_rows(entries)


def history_rows(entries: list[dict[str, Any]]) -> list[HistoryRow]:
    """Sharing audit entries (of a dataset or of one request) as rows to show, newest first."""
    departments = {d.code: d for d in services().departments.list()}
    requester: dict[str, Any] = {}  # request id -> requesting department, from its filing
    rows = []
    for entry in entries:
        detail = entry["detail"]
        request_id = detail.get("request") if entry["object_type"] == "sharing_grant" \
            else entry["object_id"]
        action = entry["action"]
        if action == "sharing.file":
            code = detail.get("requester_department")
            requester[request_id] = departments.get(code, code)
            if detail.get("kind") == "dispute":
                action = "sharing.dispute"
        rows.append(HistoryRow(
            at=datetime.fromisoformat(entry["at"]), actor=entry["actor"], action=action,
            relation=detail.get("role"), from_state=detail.get("from"),
            to_state=detail.get("to"), department=requester.get(request_id),
            reason=detail.get("reason") or "", items=list(detail.get("items") or []),
            target_system=detail.get("target_system") or "",
            period=list(detail.get("period") or []), request_id=request_id))
    return rows[::-1]


def can_request_share(actor: Actor, view: DatasetView) -> bool:
    """Another department may request a published, shareable dataset (or dispute one that
    is not shared)."""
    return (policy.may(actor, "sharing.request", view.subject)
            and shown_state(view) == "published"
            and view.record.get("share_type") in (*SHAREABLE, *DISPUTABLE))


def held_grants(actor: Actor, view: DatasetView) -> list[dict[str, Any]]:
    """The live grants of the dataset the viewer's department holds (shown by the form)."""
    if not can_request_share(actor, view):
        return []
    return services().sharing.held_grants(actor, view.id)


@bp.post("/datasets/<dataset_id>/sharing-requests")
@login_required(*policy.roles_of("sharing.request"))
def dataset_request_share(dataset_id: str) -> Any:
    share: dict[str, Any] = {name: request.form.get(name, "").strip() for name in SHARE_FIELDS}
    share["data_items"] = request.form.getlist("data_items")
    payload = {k: v for k, v in share.items() if v} | {
        "dataset_id": dataset_id,
        "kind": "dispute" if request.form.get("kind") == "dispute" else "request"}
    if request.form.get("no_items") == "1":  # the form of a dataset without 信息项
        payload["data_items"] = share["data_items"]
    try:
        filed = services().sharing.file(current_actor(), payload)
    except InvalidInput as exc:
        return _detail_page(dataset_id, share, _share_errors(exc.errors), 422)
    except (Conflict, Forbidden) as exc:
        return _detail_page(dataset_id, share, FormErrors(summary=[("share-form", "", exc.message)]),
                            exc.status)
    notify(message("flash.share_granted" if filed["state"] == "granted"
                   else "sharing.flash.disputed" if filed["kind"] == "dispute"
                   else "flash.share_requested"))
    # a fragment of its own, or the browser keeps the form's (#share-form) on the new page
    return redirect(url_for("pages.sharing_request", request_id=filed["id"]) + "#main")


def _share_errors(errors: FieldErrors) -> FormErrors:
    """The service's per-field messages placed on the request form."""
    placed = FormErrors()
    for key, messages in errors.items():
        name = key.partition(".")[0]
        known = name in (*SHARE_FIELDS, "data_items")
        placed.fields.setdefault(name, []).extend(messages)
        label = t(SHARE_LABELS.get(name, f"share.{name}")) if known else ""
        placed.summary.extend((f"share-{name}" if known else "share-form", label, m)
                              for m in messages)
    return placed


# -- registering and changing -------------------------------------------------------------------


def _form_page(view: DatasetView | None, data: FormData, errors: FormErrors | None = None,
               status: int = 200) -> tuple[str, int]:
    actor = current_actor()
    departments = services().departments.list() \
        if policy.may(actor, "write.for_any_department") and view is None else []
    return render_template(
        "dataset_form.html", view=view, data=data, errors=errors or FormErrors(),
        widgets=WIDGETS, input_types=INPUT_TYPES, row_index=ROW_INDEX,
        departments=departments, department_code=request.form.get("department_code", ""),
        note=request.form.get("note", "")), status


def _saved(view: DatasetView, submit: bool) -> Response:
    notify(message("flash.submitted" if submit else "flash.saved"))
    return redirect(_detail_url(view.id))


@bp.route("/datasets/new", methods=["GET", "POST"])
@login_required(*policy.roles_of("dataset.register"))
def dataset_new() -> Any:
    actor = current_actor()
    if request.method == "GET":
        department = own_department(actor)
        defaults = {"publisher_name": department.name, "publisher_code": department.code} \
            if department else {}
        return _form_page(None, FormData(values=defaults))
    record, data = parse_dataset_form(request.form)
    submit = request.form.get("action") == "submit"
    try:
        view = services().datasets.register(
            actor, record, submit=submit, note=request.form.get("note", "").strip(),
            department_code=request.form.get("department_code") or None)
    except InvalidInput as exc:
        return _form_page(None, data, place_errors(exc.errors), 422)
    return _saved(view, submit)


@bp.route("/datasets/<dataset_id>/edit", methods=["GET", "POST"])
@login_required(*policy.roles_of("dataset.edit"))
def dataset_edit(dataset_id: str) -> Any:
    actor = current_actor()
    view = services().datasets.get(actor, dataset_id)
    if not can_edit(actor, view):
        raise Forbidden(Message("只能修改本部门的信息资源。",
                                "You can only change your own department's datasets."))
    if request.method == "GET":
        return _form_page(view, form_from_record({**view.record,
                                                  "resource_code": view.resource_code}))
    record, data = parse_dataset_form(request.form, previous=view.record)
    submit = request.form.get("action") == "submit"
    try:
        saved = services().datasets.update(actor, dataset_id, record, submit=submit,
                                           note=request.form.get("note", "").strip())
    except InvalidInput as exc:
        return _form_page(view, data, place_errors(exc.errors), 422)
    return _saved(saved, submit)


@bp.post("/datasets/<dataset_id>/submit")
@login_required(*policy.roles_of("dataset.edit"))
def dataset_submit(dataset_id: str) -> Any:
    actor = current_actor()
    try:
        services().datasets.submit(actor, dataset_id)
        notify(message("flash.submitted"))
    except InvalidInput as exc:   # an incomplete draft: the form again, with what it lacks
        view = services().datasets.get(actor, dataset_id)
        return _form_page(view, form_from_record({**view.record,
                                                  "resource_code": view.resource_code}),
                          place_errors(exc.errors), 422)
    except Conflict as exc:
        notify(exc.message, "error")
    return redirect(_detail_url(dataset_id))


@bp.post("/datasets/<dataset_id>/withdraw")
@login_required(*policy.roles_of("dataset.edit"))
def dataset_withdraw(dataset_id: str) -> Response:
    try:
        services().datasets.withdraw(current_actor(), dataset_id,
                                     request.form.get("reason", "").strip())
        notify(message("flash.withdrawn"))
    except Conflict as exc:
        notify(exc.message, "error")
    return redirect(_detail_url(dataset_id))


# -- review -------------------------------------------------------------------------------------


@bp.get("/review")
@login_required(*policy.roles_of("dataset.review"))
def review_queue() -> str:
    actor = current_actor()
    page = _int_arg("page", 1)
    result = services().datasets.list(actor, state="submitted", page=page, page_size=PAGE_SIZE)
    return render_template("review.html", result=result,
                           pages=max(1, ceil(result.total / PAGE_SIZE)),
                           reviewable={v.id for v in result.items if can_review(actor, v)})


@bp.post("/datasets/<dataset_id>/review")
@login_required(*policy.roles_of("dataset.review"))
def dataset_review(dataset_id: str) -> Response:
    action = request.form.get("action", "")
    back = safe_next(request.form.get("next")) or _detail_url(dataset_id)
    try:
        services().datasets.review(current_actor(), dataset_id, action,
                                   request.form.get("reason", ""))
    except (InvalidInput, Conflict) as exc:
        notify(_problem(exc), "error")
        return redirect(back)
    notify(message("flash.published" if action == "publish" else "flash.returned"))
    return redirect(back)


# -- search -------------------------------------------------------------------------------------


@bp.get("/search")
def search_page() -> tuple[str, int]:
    """Full-text and faceted search (search.service, as /api/search): what the caller may see."""
    from catalog.web.search_page import render_search

    return render_search(current_actor())
