"""Domain checks of requests and decisions, all problems at once, in Chinese and English."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from catalog.actors import Actor
from catalog.db import SharingRequest
from catalog.errors import FieldErrors, Message
from catalog.sharing.inputs import MAX_PERIOD_DAYS

NARROWING = ("data_items", "period_start", "period_end")


def is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _add(errors: FieldErrors, name: str, zh: str, en: str) -> None:
    errors.setdefault(name, []).append(Message(zh, en))


def _duplicates(items: list[str]) -> list[str]:
    seen: set[str] = set()
    return [i for i in items if i in seen or seen.add(i)]  # type: ignore[func-returns-value]


def check_request(values: dict[str, Any], record: dict[str, Any], today: date) -> FieldErrors:
    """The requested items exist in the dataset's 信息项 (at least one of them, when it lists
    any; none of a dataset without 信息项: the whole resource, or what ``needed`` describes);
    the period makes sense."""
    errors: FieldErrors = {}
    names = [item.get("name") for item in record.get("data_items") or []]
    unknown = [i for i in values["data_items"] if i not in names]
    if names and not values["data_items"]:
        _add(errors, "data_items", "请选择所需信息项。", "Choose the data items you need.")
    if names and values.get("needed"):
        _add(errors, "needed", "该信息资源已登记信息项，请直接选择所需信息项。",
             "This dataset lists its data items: choose among them.")
    if unknown and not names:
        _add(errors, "data_items", "该信息资源未登记信息项：请申请整个信息资源，或说明所需内容。",
             "This dataset lists no data items: request the whole resource, or describe "
             "what you need.")
    elif unknown:
        _add(errors, "data_items", f"以下信息项不属于该信息资源：{'、'.join(unknown)}。",
             f"Not data items of this dataset: {', '.join(unknown)}.")
    repeated = _duplicates(values["data_items"])
    if repeated:
        _add(errors, "data_items", f"信息项重复：{'、'.join(repeated)}。",
             f"Repeated data items: {', '.join(repeated)}.")
    start, end = values["period_start"] or today, values["period_end"]
    if values["period_start"] and start < today:
        _add(errors, "period_start", "使用期限不能早于今天。", "The period cannot start in the past.")
    if end < start:
        _add(errors, "period_end", "使用期限止不能早于起始日期。", "The period ends before it starts.")
    elif end - start > timedelta(days=MAX_PERIOD_DAYS):
        _add(errors, "period_end", "使用期限不得超过五年。", "The period may not exceed five years.")
    if values["kind"] == "dispute":
        if record.get("share_type") != "none":
            _add(errors, "kind", "只有不予共享的信息资源可以提出异议，其他资源请直接申请。",
                 "Only a 'not shared' dataset can be disputed; request the others.")
        if not values["reason"]:
            _add(errors, "reason", "提出异议必须说明理由。", "A dispute needs its grounds.")
    return errors


def check_decision(action: str, values: dict[str, Any], request: SharingRequest,
                   errors: FieldErrors) -> tuple[list[str] | None, date | None, date | None]:
    """Items and period a decision approves (narrowed, or as requested); errors collected."""
    given = [name for name in NARROWING if values.get(name) is not None]
    if action != "narrow":
        for name in given:
            _add(errors, name, "只有 narrow（缩小范围批准）可以调整信息项或期限。",
                 "Only 'narrow' changes the items or the period.")
        return list(request.data_items), request.period_start, request.period_end
    if not given:
        _add(errors, "data_items", "缩小范围批准须给出批准的信息项或期限。",
             "'narrow' needs the approved items or period.")
        return None, None, None
    items = values.get("data_items") or list(request.data_items)
    start = values.get("period_start") or request.period_start
    end = values.get("period_end") or request.period_end
    outside = [i for i in items if i not in request.data_items]
    if outside:
        _add(errors, "data_items", f"以下信息项不在申请范围内：{'、'.join(outside)}。",
             f"Not among the requested items: {', '.join(outside)}.")
    if _duplicates(items):
        _add(errors, "data_items", "信息项重复。", "Repeated data items.")
    if start < request.period_start or start > request.period_end:
        _add(errors, "period_start", "批准期限须在申请期限之内。",
             "The approved period must lie within the requested one.")
    if end > request.period_end or end < start:
        _add(errors, "period_end", "批准期限须在申请期限之内，且不早于起始日期。",
             "The approved period must lie within the requested one and end after it starts.")
    if set(items) == set(request.data_items) and (start, end) == (request.period_start,
                                                                  request.period_end):
        _add(errors, "data_items", "缩小范围批准须少于申请的信息项或期限；全部同意请用 approve。",
             "'narrow' must approve less than requested; use 'approve' for all of it.")
    return items, start, end


def refusal(actor: Actor, request: SharingRequest, action: str, roles: set[str]) -> Message:
    """Why the actor may not take an action that someone may take now (403)."""
    department = actor.department_id
    own_target = Message("提供部门不能审批自己的共享目标。",
                         "A provider cannot approve its own sharing target.")
    if "reviewer" in roles and actor.role in ("reviewer", "admin"):
        if actor.user_id == request.requester_id:
            return Message("不能决定自己提交的申请。", "You cannot decide a request you filed.")
        if department == request.requester_department_id:
            return Message("不能审核本部门提出的申请。",
                           "You cannot review your own department's request.")
        if department == request.provider_department_id:
            return own_target if action == "approve_target" else Message(
                "不能审核涉及本部门所提供数据的申请。",
                "You cannot review a request for your own department's data.")
    if "reviewer" in roles and action == "approve_target" \
            and department == request.provider_department_id:
        return own_target
    if "provider" in roles:
        return Message("只有提供部门的数据管理员可以答复该申请。",
                       "Only a data steward of the providing department answers this request.")
    if "reviewer" in roles:
        return Message("只有治理审核员可以执行此操作。", "Only governance reviewers do this.")
    if "requester" in roles:
        return Message("只有申请部门可以执行此操作。", "Only the requesting department does this.")
    return Message(f"逾期申请由系统自动执行 {action}。", f"'{action}' is done by the scheduler.")
