"""The sharing pages (issue 11, Sharing and Inbox): the request lists (我的申请, 待我答复 /
待我审核, 已督办), one request with the decision forms its viewer may use, the grant register
(revoke, CSV) and the inbox. Thin views over ``SharingService``, as ``/api/sharing-requests``,
``/api/grants`` and ``/api/inbox``: the service decides who may see and do what; the pages show
the forms for the actions it lists in ``allowed_actions``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from math import ceil
from typing import Any

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from catalog.actors import Actor
from catalog.api.auth import current_actor, services
from catalog.errors import Conflict, FieldErrors, Forbidden, InvalidInput, Message, NotFound
from catalog.sharing import machine
from catalog.sharing import notify as notes
from catalog.sharing.grants import GRANT_STATUSES
from catalog.sharing.queries import review_role
from catalog.web.i18n import local_time, message, pick, t
from catalog.web.pages import _int_arg, bp, history_rows, login_required, notify, safe_next

PAGE_SIZE = 20
MAX_ID = 2**31 - 1  # the smallest store's integer range (PostgreSQL)
# the request lists: tab -> (service filter, sort)
TABS: dict[str, tuple[str, str]] = {
    "mine": ("mine", "newest"),
    "to_review": ("to_review", "deadline"),
    "escalated": ("escalated", "deadline"),
}
# the fields each decision form sends (besides the action and the version decided on)
DECISION_FIELDS: dict[str, tuple[str, ...]] = {
    "narrow": ("reason", "data_items", "period_start", "period_end"),
}
GRANT_FILTERS = ("dataset", "department", "provider", "status")


@bp.app_context_processor
def _sharing_context() -> dict[str, Any]:
    return {"unread_count": _unread_count, "when": _when, "note_kind": _note_kind}


def _unread_count(actor: Actor) -> int:
    """The header's count; an error page must render even when the store does not answer."""
    try:
        return services().sharing.unread_count(actor)
    except Exception:  # noqa: BLE001 - the error page itself may be being rendered
        return 0


def _when(value: str | None) -> str:
    """An ISO time of a service view as Beijing time."""
    return local_time(datetime.fromisoformat(value)) if value else ""


def _note_kind(kind: str) -> str:
    """A notification's kind in the page's language (the words of its e-mail subject)."""
    zh, en = notes.SUBJECTS.get(kind, (kind, kind))
    return pick(Message(zh, en))


# -- the request lists --------------------------------------------------------------------------


def _tabs() -> list[tuple[str, str]]:
    """(tab, label) of the lists this viewer has: 待我答复 for a provider's steward, 待我审核
    for governance (the relation ``to_review`` lists), none for staff."""
    role = review_role(current_actor())
    found = [("mine", t("sharing.tab.mine"))]
    if role is not None:
        found.append(("to_review", t(f"sharing.tab.to_review.{role}")))
    found.append(("escalated", t("sharing.tab.escalated")))
    return found


@bp.get("/sharing")
@login_required()
def sharing_home() -> Response:
    first = "to_review" if review_role(current_actor()) else "mine"
    return redirect(url_for("pages.sharing_list", tab=first))


@bp.get("/sharing/<any(mine, to_review, escalated):tab>")
@login_required()
def sharing_list(tab: str) -> Any:
    filter_, sort = TABS[tab]
    page = _int_arg("page", 1)
    result = services().sharing.list(current_actor(), filter=filter_, sort=sort, page=page,
                                     page_size=PAGE_SIZE)
    return render_template("sharing_list.html", tab=tab, tabs=_tabs(), result=result,
                           pages=max(1, ceil(result["total"] / PAGE_SIZE)))


# -- one request --------------------------------------------------------------------------------


@dataclass
class DecisionErrors:
    """What the service said of a decision: on which form, by field, and in one line."""

    action: str = ""
    fields: dict[str, list[Message]] = field(default_factory=dict)
    summary: list[Message] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.summary)


def _request_page(request_id: str, errors: DecisionErrors | None = None,
                  values: dict[str, Any] | None = None, status: int = 200) -> Any:
    sharing = services().sharing
    actor = current_actor()
    found = sharing.get(actor, request_id)
    rows = history_rows(sharing.request_history(actor, request_id))
    return render_template("sharing_request.html", r=found, history=rows,
                           errors=errors or DecisionErrors(), values=values or {},
                           reasoned=machine.NEEDS_REASON), status


@bp.get("/sharing/requests/<request_id>")
@login_required()
def sharing_request(request_id: str) -> Any:
    return _request_page(request_id)


def _decision(action: str) -> dict[str, Any]:
    """The decision form as the service's input: only what the form of ``action`` carries."""
    form = request.form
    values: dict[str, Any] = {"action": action, "reason": form.get("reason", "").strip()}
    version = form.get("version", "")
    if version.isdigit() and len(version) < 11:
        values["version"] = int(version)
    if action in DECISION_FIELDS:
        if "data_items" in form or form.get("has_items") == "1":
            values["data_items"] = form.getlist("data_items")
        for name in ("period_start", "period_end"):
            if form.get(name, "").strip():
                values[name] = form[name].strip()
    return values


@bp.post("/sharing/requests/<request_id>/decisions")
@login_required()
def sharing_decide(request_id: str) -> Any:
    action = request.form.get("action", "")
    values = _decision(action)
    try:
        decided = services().sharing.decide(current_actor(), request_id, values)
    except InvalidInput as exc:
        return _request_page(request_id, _placed(action, exc.errors), values, 422)
    except (Conflict, Forbidden) as exc:
        return _request_page(request_id, DecisionErrors(action, {}, [exc.message]), values,
                             exc.status)
    notify(message(f"sharing.flash.{action}" if action in machine.ACTIONS
                   else "sharing.flash.decided"))
    return redirect(url_for("pages.sharing_request", request_id=decided["id"]))


def _placed(action: str, errors: FieldErrors) -> DecisionErrors:
    placed = DecisionErrors(action)
    for key, found in errors.items():
        placed.fields.setdefault(key.partition(".")[0], []).extend(found)
        placed.summary.extend(found)
    return placed


# -- the grant register -------------------------------------------------------------------------


def _grant_filters() -> dict[str, str]:
    found = {name: request.args.get(name, "").strip()[:36] for name in GRANT_FILTERS}
    if found["status"] not in GRANT_STATUSES:
        found["status"] = ""
    return {k: v for k, v in found.items() if v}


def _register(errors: dict[str, Message] | None = None, status: int = 200) -> Any:
    filters = _grant_filters()
    page = _int_arg("page", 1)
    result = services().sharing.grants_page(current_actor(), page=page, page_size=PAGE_SIZE,
                                            **filters)
    return render_template("sharing_grants.html", result=result, filters=filters,
                           statuses=GRANT_STATUSES, departments=services().departments.list(),
                           pages=max(1, ceil(result["total"] / PAGE_SIZE)),
                           errors=errors or {}), status


@bp.get("/sharing/grants")
@login_required()
def sharing_grants() -> Any:
    return _register()


@bp.get("/sharing/grants.csv")
@login_required()
def sharing_grants_csv() -> Response:
    body = services().sharing.grants_csv(current_actor(), **_grant_filters())
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=grants.csv"})


@bp.post("/sharing/grants/<grant_id>/revoke")
@login_required()
def sharing_revoke(grant_id: str) -> Any:
    back = safe_next(request.form.get("next")) or url_for("pages.sharing_grants")
    try:
        services().sharing.revoke(current_actor(), grant_id,
                                  {"reason": request.form.get("reason", "")})
    except InvalidInput:
        notify(message("sharing.revoke_reason_needed"), "error")
        return redirect(back)
    except (Conflict, Forbidden, NotFound) as exc:
        notify(exc.message, "error")
        return redirect(back)
    notify(message("sharing.flash.revoked"))
    return redirect(back)


# -- the inbox ----------------------------------------------------------------------------------


@bp.get("/inbox")
@login_required()
def inbox() -> Any:
    unread = request.args.get("unread") == "1"
    page = _int_arg("page", 1)
    box = services().sharing.inbox(current_actor(), unread=unread, limit=PAGE_SIZE, page=page)
    return render_template("inbox.html", box=box, unread=unread, page=page,
                           pages=max(1, ceil(box["total"] / PAGE_SIZE)))


@bp.post("/inbox/read")
@login_required()
def inbox_read() -> Response:
    back = safe_next(request.form.get("next")) or url_for("pages.inbox")
    note = request.form.get("id", "")
    if not note.isdigit() or len(note) > 10 or int(note) > MAX_ID:
        raise NotFound(Message("通知不存在。", "No such notification."))
    services().sharing.mark_read(current_actor(), int(note))
    return redirect(back)


@bp.post("/inbox/read-all")
@login_required()
def inbox_read_all() -> Response:
    done = services().sharing.mark_all_read(current_actor())
    words = message("sharing.flash.all_read")
    notify(Message(words.zh.format(n=done), words.en.format(n=done)))
    return redirect(url_for("pages.inbox"))
