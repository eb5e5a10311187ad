"""The administration pages (issue 11): users, departments, the working-day calendar and the
publishers. Thin views: each parses a form, calls the service the API calls (which refuses
what the actor may not do and audits every change) and renders what it returns."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from catalog import policy
from catalog.accounts import UserView, assignable_clearances, effective_clearance
from catalog.actors import ROLES
from catalog.api.auth import current_actor, services
from catalog.errors import FieldErrors, InvalidInput, Message, NotFound
from catalog.paging import Paged
from catalog.sharing import calendar_sources
from catalog.web.forms import FormErrors
from catalog.web.i18n import message, t
from catalog.web.pages import _int_arg, bp, login_required, notify
from vocab.concepts import scheme

PAGE_SIZE = 50
USER_FIELDS = ("username", "display_name", "password", "role", "department_code", "clearance")
DEPARTMENT_FIELDS = ("code", "name", "short_name", "name_en", "level", "parent_code")
DAY_FIELDS = ("day", "kind", "name", "notice")


# -- helpers ------------------------------------------------------------------------------------


def _form(names: tuple[str, ...]) -> dict[str, str]:
    return {name: request.form.get(name, "").strip() for name in names}


def _placed(errors: FieldErrors, prefix: str, known: tuple[str, ...]) -> FormErrors:
    """A service's field errors on an admin form: by field, and a summary linking to it."""
    placed = FormErrors()
    for key, found in errors.items():
        name = key.partition(".")[0]
        name = name if name in known else "_form"
        placed.fields.setdefault(name, []).extend(found)
        label = t(f"admin.{prefix}.{name}") if name in known else ""
        placed.summary.extend((f"{prefix}-{name}" if name in known else f"{prefix}-form",
                               label, m) for m in found)
    return placed


def _refused(note: Message, prefix: str) -> FormErrors:
    return FormErrors(summary=[(f"{prefix}-form", "", note)])


def _filters() -> tuple[str, int]:
    return request.args.get("q", "").strip()[:100], _int_arg("page", 1)


def _pager_args(q: str) -> dict[str, str]:
    return {"q": q} if q else {}


# -- users --------------------------------------------------------------------------------------


def _users_page(values: Mapping[str, str] | None = None, errors: FormErrors | None = None,
                status: int = 200) -> tuple[str, int]:
    q, page = _filters()
    users: Paged[UserView] = services().accounts.page_users(current_actor(), page, PAGE_SIZE,
                                                            q or None)
    choices = _user_choices()
    return render_template(
        "admin_users.html", users=users, q=q, args=_pager_args(q),
        values=values or {"clearance": choices["effective"]("internal")},
        errors=errors or FormErrors(), **choices), status


def _user_choices() -> dict[str, Any]:
    ceiling = services().settings.security_ceiling
    departments = services().departments.list()
    return {"roles": ROLES, "departments": departments,
            "department_names": {d.code: d.name for d in departments},
            "clearances": assignable_clearances(ceiling), "ceiling": ceiling,
            "effective": lambda code: effective_clearance(code, ceiling)}


@bp.get("/admin/users")
@login_required(*policy.roles_of("user.manage"))
def admin_users() -> Any:
    return _users_page()


@bp.post("/admin/users")
@login_required(*policy.roles_of("user.manage"))
def admin_user_create() -> Any:
    values = _form(USER_FIELDS)
    values["password"] = request.form.get("password", "")  # kept as typed
    try:
        user = services().accounts.create_user(
            current_actor(), values["username"], values["password"], values["role"],
            department_code=values["department_code"] or None,
            display_name=values["display_name"], clearance=values["clearance"] or "internal")
    except InvalidInput as exc:
        return _users_page({**values, "password": ""}, _placed(exc.errors, "user", USER_FIELDS),
                           422)
    notify(Message(f"已创建用户 {user.username}。", f"User {user.username} created."))
    return redirect(url_for("pages.admin_user", username=user.username))


def _user_page(username: str, values: Mapping[str, str] | None = None,
               errors: FormErrors | None = None, status: int = 200) -> tuple[str, int]:
    user = services().accounts.user(current_actor(), username)
    return render_template("admin_user.html", user=user, values=values or {},
                           errors=errors or FormErrors(), **_user_choices()), status


@bp.get("/admin/users/<username>")
@login_required(*policy.roles_of("user.manage"))
def admin_user(username: str) -> Any:
    return _user_page(username)


@bp.post("/admin/users/<username>")
@login_required(*policy.roles_of("user.manage"))
def admin_user_update(username: str) -> Any:
    values = _form(("display_name", "role", "department_code", "clearance"))
    changes: dict[str, Any] = {**values, "department_code": values["department_code"] or None}
    password = request.form.get("password", "")
    if password:
        changes["password"] = password
    try:
        services().accounts.update_user(current_actor(), username, changes)
    except InvalidInput as exc:
        return _user_page(username, values, _placed(exc.errors, "user", USER_FIELDS), 422)
    notify(message("admin.user.saved"))
    return redirect(url_for("pages.admin_user", username=username))


@bp.post("/admin/users/<username>/active")
@login_required(*policy.roles_of("user.manage"))
def admin_user_active(username: str) -> Response:
    active = request.form.get("active") == "1"
    services().accounts.update_user(current_actor(), username, {"active": active})
    notify(message("admin.user.reactivated" if active else "admin.user.deactivated"))
    return redirect(url_for("pages.admin_user", username=username))


@bp.post("/admin/users/<username>/unlock")
@login_required(*policy.roles_of("user.manage"))
def admin_user_unlock(username: str) -> Response:
    address = request.form.get("address", "").strip()[:64] or None
    result = services().accounts.unlock(current_actor(), username, address)
    notify(message("admin.user.unlocked" if result.unlocked else "admin.user.not_locked"))
    return redirect(url_for("pages.admin_user", username=username))


# -- departments --------------------------------------------------------------------------------


def _departments_page(values: Mapping[str, str] | None = None,
                      errors: FormErrors | None = None, status: int = 200) -> tuple[str, int]:
    q, page = _filters()
    departments = services().departments
    every = departments.list()
    return render_template(
        "admin_departments.html", found=departments.page(page, PAGE_SIZE, q or None), q=q,
        args=_pager_args(q), values=values or {}, errors=errors or FormErrors(),
        all_departments=every, names={d.code: d.name for d in every},
        levels=scheme("admin-level").codes), status


@bp.get("/admin/departments")
@login_required(*policy.roles_of("department.manage"))
def admin_departments() -> Any:
    return _departments_page()


@bp.post("/admin/departments")
@login_required(*policy.roles_of("department.manage"))
def admin_department_create() -> Any:
    values = _form(DEPARTMENT_FIELDS)
    payload = {**values, "parent_code": values["parent_code"] or None}
    try:
        created = services().departments.create(current_actor(), payload)
    except InvalidInput as exc:
        return _departments_page(values, _placed(exc.errors, "department", DEPARTMENT_FIELDS),
                                 422)
    notify(Message(f"已创建部门 {created.name}。", f"Department {created.name} created."))
    return redirect(url_for("pages.admin_departments", q=created.code))


# -- the working-day calendar -------------------------------------------------------------------


@bp.get("/admin/calendar")
@login_required(*policy.roles_of("calendar.manage"))
def admin_calendar() -> Any:
    if "year" in request.args:  # the "open a year" form
        return redirect(url_for("pages.admin_calendar_year", year=_int_arg("year", 2000)))
    calendar = services().calendar
    return render_template("admin_calendar.html", status=calendar.status(),
                           this_year=calendar.today().year)


def _year_page(year: int, values: Mapping[str, str] | None = None,
               errors: FormErrors | None = None, status: int = 200) -> tuple[str, int]:
    view = services().calendar.year(year)
    days = [{**d, "date": date.fromisoformat(d["day"])} for d in view["days"]]
    loaded_at = datetime.fromisoformat(view["loaded_at"]) if view.get("loaded_at") else None
    return render_template("admin_calendar_year.html", year=year, view=view, days=days,
                           loaded_at=loaded_at,
                           loaded=view["source"] == calendar_sources.LOADED,
                           values=values or {"kind": "holiday"},
                           errors=errors or FormErrors()), status


@bp.get("/admin/calendar/<year>")
@login_required(*policy.roles_of("calendar.manage"))
def admin_calendar_year(year: str) -> Any:
    return _year_page(_year(year))


@bp.post("/admin/calendar/<year>/days")
@login_required(*policy.roles_of("calendar.manage"))
def admin_calendar_add(year: str) -> Any:
    values = _form(DAY_FIELDS)
    try:
        view = services().calendar.add_day(current_actor(), values)
    except InvalidInput as exc:
        return _year_page(_year(year), values, _placed(exc.errors, "day", DAY_FIELDS), 422)
    notify(Message(f"已将 {values['day']} 加入 {view['year']} 年的安排。",
                   f"{values['day']} added to {view['year']}'s arrangement."))
    return redirect(url_for("pages.admin_calendar_year", year=view["year"]))


@bp.post("/admin/calendar/<year>/days/remove")
@login_required(*policy.roles_of("calendar.manage"))
def admin_calendar_remove(year: str) -> Any:
    number = _year(year)
    values = _form(("day", "notice"))
    try:
        services().calendar.remove_day(current_actor(), values)
    except InvalidInput as exc:
        return _year_page(number, {"kind": "holiday", "notice": values["notice"]},
                          _placed(exc.errors, "day", DAY_FIELDS), 422)
    notify(Message(f"已从 {number} 年的安排中删除 {values['day']}。",
                   f"{values['day']} removed from {number}'s arrangement."))
    return redirect(url_for("pages.admin_calendar_year", year=number))


@bp.post("/admin/calendar/<year>/remove")
@login_required(*policy.roles_of("calendar.manage"))
def admin_calendar_remove_year(year: str) -> Response:
    number = _year(year)
    services().calendar.remove_year(current_actor(), number)
    notify(message("admin.calendar.year_removed"))
    return redirect(url_for("pages.admin_calendar_year", year=number))


def _year(text: str) -> int:
    """A year in a page's path (four digits; the service checks its range)."""
    if not (len(text) == 4 and text.isascii() and text.isdigit()):
        raise NotFound(message("admin.calendar.no_such_year"))
    return int(text)


# -- publishers ---------------------------------------------------------------------------------


@bp.get("/admin/publishers")
@login_required(*policy.roles_of("publisher.list"))
def admin_publishers() -> Any:
    q, page = _filters()
    actor = current_actor()
    found = services().completion.organizations_page(actor, page, PAGE_SIZE, q or None)
    departments = services().departments.list()
    return render_template("admin_publishers.html", found=found, q=q, args=_pager_args(q),
                           departments=departments,
                           names={d.code: d.name for d in departments},
                           can_link=policy.may(actor, "publisher.link"))


@bp.post("/admin/publishers/link")
@login_required(*policy.roles_of("publisher.link"))
def admin_publisher_link() -> Response:
    organization = request.form.get("organization_id", "")
    if not (organization.isascii() and organization.isdigit() and len(organization) < 12):
        raise NotFound(message("admin.publisher.unknown"))
    code = request.form.get("department_code", "").strip()
    back = url_for("pages.admin_publishers", q=request.form.get("q") or None,
                   page=request.form.get("page") or None)
    if not code:
        notify(message("admin.publisher.choose"), "error")
        return redirect(back)
    linked = services().completion.link(current_actor(), int(organization), code)
    notify(Message(f"已将提供方“{linked.name}”关联到部门，{linked.datasets} 条信息资源随之归属该部门。",
                   f"Publisher “{linked.name}” linked; its {linked.datasets} datasets now belong "
                   "to that department."))
    return redirect(back)
