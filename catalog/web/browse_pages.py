"""Browsing (issue 11): home as "my work", the dataset list (sorting, 分类 filter, numbered
pages), department pages, the 目录 tree by 分类, and what the dataset page shows of revisions
(old → new values) and sharing / open badges.

Thin views on the domain services: every list and count comes from a service that applies the
access policy (``catalog.visibility``); nothing here decides who may see what.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice
from math import ceil
from typing import Any

from flask import g, render_template, request

from catalog import policy
from catalog.actors import Actor
from catalog.api.auth import current_actor, services
from catalog.datasets import LIST_SORTS, STATES, Page, RevisionView
from catalog.departments import DepartmentView
from catalog.errors import Message, NotFound
from catalog.sharing.grants import EXPIRING
from catalog.visibility import may_see_department_work
from catalog.web.forms import WIDGETS, display_value
from catalog.web.i18n import field_label, get_lang
from catalog.web.pages import PAGE_SIZE, _int_arg, bp, own_department
from vocab.concepts import scheme
from vocab.fields import RECORD_BY_NAME

WORK_ITEMS = 8          # rows of each "my work" list on the home page
PAGER_SPAN = 2          # numbered pages either side of the current one
TREE_SCHEME = "classification"
_WIDGETS = {w.name: w for w in WIDGETS}


# -- template helpers ---------------------------------------------------------------------------


@bp.app_context_processor
def _browse_helpers() -> dict[str, Any]:
    return {"department_label": department_label, "revision_diffs": revision_diffs,
            "page_numbers": page_numbers}


def _departments() -> dict[str, DepartmentView]:
    if "browse_departments" not in g:
        g.browse_departments = {d.code: d for d in services().departments.list()}
    return g.browse_departments


def department_label(code: str | None, name: str = "") -> str:
    """A department's name in the page's language (its ``name_en`` in English, when it has
    one), from its code; ``name`` when the code is unknown."""
    found = _departments().get(code or "")
    if found is None:
        return name or code or ""
    return found.name_en if get_lang() == "en" and found.name_en else found.name


def page_numbers(page: int, pages: int) -> list[int | None]:
    """The numbered links of a pager: the first, the last and ``PAGER_SPAN`` either side of
    ``page``; None where numbers are left out (shown as …)."""
    wanted = {1, pages, *range(max(1, page - PAGER_SPAN), min(pages, page + PAGER_SPAN) + 1)}
    out: list[int | None] = []
    for number in sorted(wanted):
        if out and out[-1] is not None and number - out[-1] > 1:
            out.append(None)
        out.append(number)
    return out


# -- revisions: old → new -----------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One field of a revision: its value before and after, as shown on the page."""

    name: str
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class RevisionDiff:
    number: int
    changes: list[Change] = field(default_factory=list)


def shown_value(name: str, value: Any) -> str:
    """A record value as one line of text: code-list values as labels, rows by their first
    column, lists joined."""
    if value in (None, "", [], {}):
        return ""
    widget = _WIDGETS.get(name)
    if widget is not None:
        shown = display_value(widget, value)
        if widget.kind == "rows":
            return "；".join(" ".join(str(v) for v in row.values() if v) for row in shown)
        if isinstance(shown, list):
            return ("、" if get_lang() != "en" else ", ").join(map(str, shown))
        return str(shown)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)[:300]
    return str(value)


def revision_diffs(revisions: list[RevisionView]) -> dict[int, RevisionDiff]:
    """Each revision after the first against the one before it (the revisions the actor may
    see, from ``DatasetService.revisions``): the changed fields' old and new values."""
    out: dict[int, RevisionDiff] = {}
    for before, after in zip(revisions, revisions[1:], strict=False):
        names = after.changed_fields or sorted(
            n for n in set(before.record) | set(after.record)
            if before.record.get(n) != after.record.get(n))
        out[after.number] = RevisionDiff(after.number, [
            Change(n, field_label(n) if n in RECORD_BY_NAME else n,
                   shown_value(n, before.record.get(n)), shown_value(n, after.record.get(n)))
            for n in names if before.record.get(n) != after.record.get(n)])
    return out


# -- home: my work ------------------------------------------------------------------------------


@dataclass
class Work:
    """What waits for the signed-in actor, each from the service that owns it."""

    answer: list[dict[str, Any]] = field(default_factory=list)     # sharing requests to decide
    answer_total: int = 0
    review: Page | None = None                                      # datasets to review
    incomplete: Page | None = None                                  # 待完善 of my department
    returned: Page | None = None                                    # returned by review
    failed_sources: list[Any] = field(default_factory=list)         # harvest sources failing
    sees_harvests: bool = False                                      # registers or reviews them
    expiring: list[dict[str, Any]] = field(default_factory=list)    # grants about to end
    completion: list[tuple[DepartmentView, Figures]] = field(default_factory=list)  # 待完善
    own_counts: dict[str, int] = field(default_factory=dict)        # my department, per state


def my_work(actor: Actor, department: DepartmentView | None) -> Work:
    work = Work()
    if not actor.is_authenticated:
        return work
    found = services()
    sharing = found.sharing.list(actor, filter="to_review", page_size=WORK_ITEMS)
    work.answer, work.answer_total = sharing["items"], sharing["total"]
    expiring: Iterable[dict[str, Any]] = found.sharing.grants(actor, status=EXPIRING)
    work.expiring = list(islice(expiring, WORK_ITEMS))
    if policy.may(actor, "dataset.review"):
        work.review = found.datasets.list(actor, state="submitted", page_size=WORK_ITEMS)
        names = _departments()
        work.completion = [(names[code], figures) for code, states
                           in found.datasets.state_counts_by_department(actor).items()
                           if (figures := Figures.of(states)).incomplete and code in names]
    if department is not None:
        work.own_counts = found.datasets.state_counts(actor, department_code=department.code)
        if policy.may(actor, "dataset.edit", policy.Subject(department.id)):
            work.incomplete = found.datasets.list(actor, department_code=department.code,
                                                  state="incomplete", page_size=WORK_ITEMS)
            work.returned = found.datasets.list(actor, department_code=department.code,
                                              state="returned", page_size=WORK_ITEMS)
    work.sees_harvests = policy.may(actor, "source.change") or policy.may(actor, "source.review")
    if work.sees_harvests:
        work.failed_sources = [s for s in found.harvest.list_sources(actor)
                               if s.last_job and s.last_job.get("status") in ("failed", "partial")]
    return work


@bp.get("/")
def home() -> str:
    actor = current_actor()
    department = own_department(actor) if actor.has_role("steward", "staff") else None
    recent = services().datasets.list(actor, page_size=5)
    return render_template("home.html", total=recent.total, recent=recent.items,
                           department=department, work=my_work(actor, department))


# -- the dataset list ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ListArgs:
    """The list's query string, checked: unknown values fall back to no filter."""

    q: str = ""
    department: str = ""
    state: str = ""
    classification: str = ""
    sort: str = "updated"

    @classmethod
    def from_request(cls) -> ListArgs:
        arg = lambda name: request.args.get(name, "").strip()  # noqa: E731
        classification = arg("classification")
        return cls(q=arg("q")[:200], department=arg("department"),
                   state=arg("state") if arg("state") in STATES else "",
                   classification=classification if classification in scheme(TREE_SCHEME)
                   else "",
                   sort=arg("sort") if arg("sort") in LIST_SORTS else "updated")

    def filters(self) -> dict[str, str]:
        """What the pager's links carry over."""
        return {k: v for k, v in self.__dict__.items() if v and not (k == "sort" and
                                                                    v == "updated")}


def _list_page(actor: Actor, args: ListArgs, department: str | None = None) -> Page:
    return services().datasets.list(
        actor, department_code=department or args.department or None,
        state=args.state or None, q=args.q or None,
        classification=args.classification or None, sort=args.sort,
        page=_int_arg("page", 1), page_size=PAGE_SIZE)


def classification_options() -> list[tuple[str, str, int]]:
    """(code, label, depth) of every 分类, in tree order, for the filter's select."""
    concepts = scheme(TREE_SCHEME).concepts
    lang = get_lang()
    return [(c.code, c.label(lang), {1: 0, 3: 1}.get(len(c.code), 2))
            for c in sorted(concepts.values(), key=lambda c: c.code)]


@bp.get("/datasets")
def dataset_list() -> str:
    actor = current_actor()
    args = ListArgs.from_request()
    result = _list_page(actor, args)
    return render_template("datasets.html", result=result,
                           pages=max(1, ceil(result.total / PAGE_SIZE)),
                           filters=args.filters(), args=args, sorts=LIST_SORTS,
                           classifications=classification_options(),
                           departments=list(_departments().values()),
                           show_state=actor.department_id is not None
                           or actor.has_role("reviewer", "admin"))


# -- departments --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """A department's datasets the actor may see (not withdrawn), and its 待完善 ones."""

    datasets: int
    incomplete: int

    @classmethod
    def of(cls, states: dict[str, int]) -> Figures:
        return cls(sum(n for state, n in states.items() if state != "withdrawn"),
                   states.get("incomplete", 0))


@bp.get("/departments")
def department_index() -> str:
    actor = current_actor()
    counts = {code: Figures.of(states) for code, states
              in services().datasets.state_counts_by_department(actor).items()}
    return render_template("browse_departments.html", departments=list(_departments().values()),
                           counts=counts)


@bp.get("/departments/<code>")
def department_page(code: str) -> str:
    actor = current_actor()
    department = _departments().get(code)
    if department is None:
        raise NotFound(Message("部门不存在。", "No such department."))
    args = ListArgs.from_request()
    result = _list_page(actor, args, department=code)
    found = services()
    works = may_see_department_work(actor, department.id)
    sources = [s for s in found.harvest.list_sources(actor) if s.department_code == code] \
        if works else []
    states = found.datasets.state_counts(actor, department_code=code)
    return render_template(
        "browse_department.html", department=department, result=result, args=args,
        pages=max(1, ceil(result.total / PAGE_SIZE)), filters=args.filters(), sorts=LIST_SORTS,
        state_counts=states if works else {}, completion=Figures.of(states), sources=sources,
        tree=catalog_tree(found.datasets.classification_counts(actor, department_code=code)),
        parent=_departments().get(department.parent_code or ""),
        show_state=works)


# -- the 目录 tree ------------------------------------------------------------------------------


@dataclass
class TreeNode:
    code: str
    label: str
    count: int
    children: list[TreeNode] = field(default_factory=list)


def catalog_tree(counts: dict[str, int], *, keep_empty: bool = False) -> list[TreeNode]:
    """The classification scheme as a tree (基础 / 主题 / 部门 at the top), each node with the
    datasets the actor may see under it; branches without any are left out unless
    ``keep_empty``."""
    concepts = scheme(TREE_SCHEME).concepts
    lang = get_lang()
    nodes = {code: TreeNode(code, c.label(lang), counts.get(code, 0))
             for code, c in sorted(concepts.items())}
    roots: list[TreeNode] = []
    for code, concept in sorted(concepts.items()):
        node = nodes[code]
        if not keep_empty and not node.count:
            continue
        parent = nodes.get(concept.broader or "")
        (parent.children if parent is not None else roots).append(node)
    return roots


@bp.get("/catalog")
def catalog_page() -> str:
    actor = current_actor()
    counts = services().datasets.classification_counts(actor)
    return render_template("browse_catalog.html", tree=catalog_tree(counts, keep_empty=True),
                           total=sum(counts.get(c, 0) for c in ("1", "2", "3")))

