"""The access policy: who may see what and who may do what — one module, every path.

Two kinds of rule live here and nowhere else:

- **Visibility rules**, written once as conditions (``catalog.conditions``) over an object's
  fields, so that the same rule filters a single read (``evaluate``), a list query
  (``to_sql``) and the search index (each backend compiles it):
  ``dataset_working_copy`` / ``dataset_published`` (DESIGN §4: which revision of a dataset an
  actor sees), ``department_work`` (a department's harvest sources, jobs, import jobs and their
  reports), ``sharing_request_seen`` and ``request_relations`` (the relations of the sharing
  workflow's transition table), ``grant_seen``.
- **Actions**: ``may(actor, action, subject)`` answers whether an actor may do something to an
  object; ``check`` raises ``Forbidden`` with the rule's own reason. Every service calls
  ``check`` before it changes anything, the web pages call ``may`` to decide which controls to
  show, and the API's route guards read each action's roles (``roles_of``).

Nobody sees anything above their clearance (the actor's clearance is already capped at the
network's ceiling when the actor is made).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from catalog.actors import Actor
from catalog.conditions import FALSE, TRUE, And, Cond, Eq, In, Le, Not, all_of, any_of
from catalog.errors import Forbidden, Message

GOVERNANCE = ("reviewer", "admin")          # see every department's work
DEPARTMENT_MEMBERS = ("steward", "staff")   # see their own department's work


# -- visibility rules ---------------------------------------------------------------------------
# dataset fields: department_id, state, security_rank (the working copy's level),
# published_rank (the published revision's level; None when nothing is published)


def dataset_working_copy(actor: Actor) -> Cond:
    """Who sees a dataset's working copy: its own department (stewards, staff, a reviewer who
    belongs to it), governance reviewers once it has left the department (not a draft), and
    administrators — never above their clearance."""
    department = actor.department_id
    return all_of(Le("security_rank", actor.clearance_rank), any_of(
        TRUE if actor.role == "admin" else FALSE,
        Eq("department_id", department)
        if department is not None and actor.role in ("steward", "staff", "reviewer") else FALSE,
        Not(Eq("state", "draft")) if actor.role == "reviewer" else FALSE))


def dataset_published(actor: Actor) -> Cond:
    """Who sees a dataset's published revision: everyone within its level, unless withdrawn."""
    return And((Not(Eq("state", "withdrawn")), Le("published_rank", actor.clearance_rank)))


def department_work(actor: Actor) -> Cond:
    """A department's sources, jobs and their reports (field: department_id): its stewards and
    staff, governance reviewers and administrators."""
    if actor.role in GOVERNANCE:
        return TRUE
    if actor.department_id is None or actor.role not in DEPARTMENT_MEMBERS:
        return FALSE
    return Eq("department_id", actor.department_id)


def sharing_request_seen(actor: Actor) -> Cond:
    """Both departments of a request, governance and the deadline run see it (fields:
    requester_department_id, provider_department_id)."""
    if actor.role in (*GOVERNANCE, "system"):
        return TRUE
    return _either_department(actor)


def grant_seen(actor: Actor) -> Cond:
    """The grantee and provider departments and governance (fields: department_id,
    provider_department_id)."""
    if actor.role in GOVERNANCE:
        return TRUE
    if actor.department_id is None:
        return FALSE
    return any_of(Eq("department_id", actor.department_id),
                  Eq("provider_department_id", actor.department_id))


def request_relations(actor: Actor) -> dict[str, Cond]:
    """The actor's possible relations to a sharing request (the roles of
    ``catalog.sharing.machine.TRANSITIONS``), each as a condition over the request's fields
    requester_department_id, provider_department_id and requester_id:

    - ``requester``: a member of the requesting department;
    - ``provider``: a data steward of the providing department;
    - ``reviewer``: a governance reviewer or administrator of neither department who did not
      file the request (separation of duties);
    - ``system``: the deadline run.
    """
    if actor.role == "system":
        return {"system": TRUE}
    department = actor.department_id
    out: dict[str, Cond] = {}
    if department is not None and actor.role in ("staff", "steward", "reviewer"):
        out["requester"] = Eq("requester_department_id", department)
    if department is not None and actor.role == "steward":
        out["provider"] = Eq("provider_department_id", department)
    if actor.role in GOVERNANCE:
        out["reviewer"] = all_of(
            Not(Eq("requester_id", actor.user_id)),
            Not(Eq("requester_department_id", department)) if department is not None else TRUE,
            Not(Eq("provider_department_id", department)) if department is not None else TRUE)
    return out


def _either_department(actor: Actor) -> Cond:
    if actor.department_id is None:
        return FALSE
    return any_of(Eq("requester_department_id", actor.department_id),
                  Eq("provider_department_id", actor.department_id))


def in_states(relation: Cond, states: tuple[str, ...]) -> Cond:
    """A relation restricted to the request states it can act in."""
    return all_of(relation, In("state", states))


# -- actions ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """What an action is done to, as far as the policy cares: the department it belongs to and
    the user who made it (for separation of duties)."""

    department_id: int | None = None
    made_by: int | None = None


NOBODY = Subject()
Action = Literal[
    "dataset.register", "dataset.edit", "dataset.review", "write.for_any_department",
    "import.start", "source.register", "source.change", "source.run", "source.review",
    "grant.revoke", "publisher.list", "publisher.link", "department.manage",
    "user.manage", "calendar.manage", "sharing.request", "sharing.history.full",
]


@dataclass(frozen=True)
class Clause:
    holds: Callable[[Actor, Subject], bool]
    refusal: Message


@dataclass(frozen=True)
class Rule:
    roles: tuple[str, ...]        # who may ever (the API's route guard)
    refusal: Message              # said to everyone else
    clauses: tuple[Clause, ...] = ()  # what must also hold for the object at hand


def _own(actor: Actor, subject: Subject) -> bool:
    return actor.department_id is not None and actor.department_id == subject.department_id


def _governance_or_own(actor: Actor, subject: Subject) -> bool:
    return actor.role in GOVERNANCE or _own(actor, subject)


def _not_own_department(actor: Actor, subject: Subject) -> bool:
    return not _own(actor, subject)


def _not_made_by_self(actor: Actor, subject: Subject) -> bool:
    return subject.made_by is None or subject.made_by != actor.user_id


def _in_a_department(actor: Actor, _subject: Subject) -> bool:
    return actor.department_id is not None


def _admin_or_own(actor: Actor, subject: Subject) -> bool:
    return actor.role == "admin" or _own(actor, subject)


def _reviewer_not_of_own(actor: Actor, subject: Subject) -> bool:
    return actor.role != "reviewer" or not _own(actor, subject)


def _admin_only(zh: str, en: str) -> Rule:
    return Rule(("admin",), Message(zh, en))


RULES: dict[Action, Rule] = {
    "dataset.register": Rule(("steward", "admin"), Message(
        "只有部门数据管理员可以登记信息资源。", "Only department data stewards register datasets.")),
    "dataset.edit": Rule(("steward", "admin"), Message(
        "只能修改本部门的信息资源。", "You can only change your own department's datasets."),
        (Clause(_admin_or_own, Message("只能修改本部门的信息资源。",
                                       "You can only change your own department's datasets.")),)),
    "dataset.review": Rule(GOVERNANCE, Message(
        "只有治理审核员可以审核。", "Only governance reviewers review."), (
        Clause(_not_own_department, Message("不能审核本部门的信息资源。",
                                            "You cannot review your own department's entries.")),
        Clause(_not_made_by_self, Message("不能审核自己提交的内容。",
                                          "You cannot approve your own entry.")))),
    # an administrator names the department a write (dataset, import, source) is for;
    # everyone else writes for their own
    "write.for_any_department": _admin_only(
        "只能为本部门登记。", "You can only register for your own department."),
    "import.start": Rule(("steward", "admin"), Message(
        "只有部门数据管理员或管理员可以导入目录表。",
        "Only department data stewards and administrators import catalog spreadsheets.")),
    "source.register": Rule(("steward", "admin"), Message(
        "只有部门数据管理员可以登记采集数据源。",
        "Only department data stewards register harvest sources.")),
    "source.change": Rule(("steward", "admin"), Message(
        "只有本部门数据管理员或管理员可以修改采集数据源。",
        "Only the department's stewards and administrators change a source.")),
    "source.run": Rule(("steward", "admin"), Message(
        "只有本部门数据管理员或管理员可以运行采集。",
        "Only the department's stewards and administrators run harvests.")),
    "source.review": Rule(GOVERNANCE, Message(
        "只有治理审核员或管理员可以审批采集数据源。",
        "Only governance reviewers and administrators approve sources."), (
        Clause(_not_made_by_self, Message("不能审批自己登记的数据源。",
                                          "You cannot approve your own source.")),
        Clause(_reviewer_not_of_own, Message("不能审批本部门的数据源。",
                                             "You cannot approve your own department's source.")))),
    "grant.revoke": Rule(("steward", *GOVERNANCE), Message(
        "只有提供部门的数据管理员或治理审核员可以撤销授权。",
        "Only the provider's steward or governance revokes a grant."), (
        Clause(_governance_or_own, Message(
            "只有提供部门的数据管理员或治理审核员可以撤销授权。",
            "Only the provider's steward or governance revokes a grant.")),)),
    "publisher.list": Rule(GOVERNANCE, Message(
        "只有治理审核员和管理员可以查看提供方清单。",
        "Only governance reviewers and administrators list publishers.")),
    "publisher.link": _admin_only("只有管理员可以关联提供方与部门。",
                                  "Only administrators link publishers to departments."),
    "department.manage": _admin_only("只有系统管理员可以管理部门。",
                                     "Only administrators manage departments."),
    "user.manage": _admin_only("只有系统管理员可以管理用户。", "Only administrators manage users."),
    # official years and local days alike
    "calendar.manage": _admin_only("只有系统管理员可以调整工作日历。",
                                   "Only administrators change the calendar."),
    # a department asks another for its data (subject: the dataset)
    "sharing.request": Rule(("staff", "steward", "reviewer"), Message(
        "只有部门工作人员可以为本部门申请共享。",
        "Only department staff request data for their department."), (
        Clause(_in_a_department, Message("只有部门工作人员可以为本部门申请共享。",
                                         "Only department staff request data for their "
                                         "department.")),
        Clause(_not_own_department, Message("不能申请本部门的信息资源。",
                                            "Your department already holds this dataset.")))),
    # a dataset's whole sharing history (others see only their own department's part)
    "sharing.history.full": Rule(("staff", "steward", *GOVERNANCE), Message(
        "只能查看本部门相关的共享记录。", "You see only your department's part of the history."),
        (Clause(_governance_or_own, Message(
            "只能查看本部门相关的共享记录。",
            "You see only your department's part of the history.")),)),
}


def refusal(actor: Actor, action: Action, subject: Subject = NOBODY) -> Message | None:
    """Why ``actor`` may not do ``action`` to ``subject`` (None: they may)."""
    rule = RULES[action]
    if actor.role not in rule.roles:
        return rule.refusal
    return next((c.refusal for c in rule.clauses if not c.holds(actor, subject)), None)


def may(actor: Actor, action: Action, subject: Subject = NOBODY) -> bool:
    return refusal(actor, action, subject) is None


def check(actor: Actor, action: Action, subject: Subject = NOBODY,
          refused: Message | None = None) -> None:
    """Raise ``Forbidden`` (with the rule's reason, or ``refused``) unless the actor may."""
    reason = refusal(actor, action, subject)
    if reason is not None:
        raise Forbidden(refused or reason)


def roles_of(action: Action) -> tuple[str, ...]:
    """The account roles that may ever do ``action`` (the API's route guard)."""
    return RULES[action].roles
