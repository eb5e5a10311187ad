"""待完善 for the people who finish it: a department's to-do list, the counts governance sees,
and the organisations (publishers) an administrator links to registered departments.

Every read goes through the one visibility rule (``catalog.visibility.visible``): counts are of
the datasets the actor may see, so they never reveal records above a clearance.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import Select, case, func, select, update
from sqlalchemy.orm import Session

from catalog import audit, policy
from catalog.actors import Actor
from catalog.bulk import insert_rows
from catalog.db import Dataset, DatasetRevision, Department, Organization, OutboxEvent, utcnow
from catalog.errors import Message, NotFound
from catalog.paging import Paged, bounds, text_filter
from catalog.store import Store
from catalog.visibility import visible
from catalog.writes import change_event


@dataclass
class DepartmentCompletion:
    """One department's catalog as far as completion goes."""

    department_code: str
    department_name: str
    datasets: int
    incomplete: int
    by_problem: dict[str, int] = field(default_factory=dict)  # "kind field" -> datasets


@dataclass
class OrganizationView:
    id: int
    key: str
    name: str
    code: str
    department_code: str | None
    datasets: int


class CompletionService:
    def __init__(self, store: Store):
        self.store = store

    def counts(self, actor: Actor) -> list[DepartmentCompletion]:
        """Per department: datasets (not withdrawn), 待完善 ones and their problems."""
        seen = visible(actor)
        with self.store.reading() as session:
            totals = session.execute(
                select(Department.code, Department.name, func.count(Dataset.id),
                       func.sum(case((Dataset.state == "incomplete", 1), else_=0)))
                .join(Dataset, Dataset.department_id == Department.id)
                .where(seen, Dataset.state != "withdrawn")
                .group_by(Department.code, Department.name).order_by(Department.code)).all()
            problems: dict[str, Counter[str]] = {}
            for code, found in session.execute(
                    select(Department.code, DatasetRevision.problems)
                    .join(Dataset, Dataset.department_id == Department.id)
                    .join(DatasetRevision, (DatasetRevision.dataset_id == Dataset.id)
                          & (DatasetRevision.number == Dataset.current_revision))
                    .where(seen, Dataset.state == "incomplete")):
                problems.setdefault(code, Counter()).update(
                    {f"{p['kind']} {str(p['field']).split('.', 1)[0]}" for p in found or []})
        return [DepartmentCompletion(code, name, int(total), int(incomplete or 0),
                                     dict(problems.get(code, Counter()).most_common()))
                for code, name, total, incomplete in totals]

    def organizations(self, actor: Actor) -> list[OrganizationView]:
        """Every publisher the catalog knows, with its department link and its datasets."""
        policy.check(actor, "publisher.list")
        with self.store.reading() as session:
            return _organizations(session, actor, select(Organization, Department.code))

    def organizations_page(self, actor: Actor, page: int = 1, page_size: int = 50,
                           q: str | None = None) -> Paged[OrganizationView]:
        """One page of the publishers (by name); ``q`` matches a name or a credit code."""
        policy.check(actor, "publisher.list")
        offset, limit = bounds(page, page_size)
        where = text_filter(q, Organization.name, Organization.code)
        with self.store.reading() as session:
            total = session.scalar(select(func.count(Organization.id)).where(*where)) or 0
            found = _organizations(session, actor, select(Organization, Department.code)
                                   .where(*where).offset(offset).limit(limit), one_page=True)
        return Paged(found, int(total), max(1, page), limit)

    def link(self, actor: Actor, organization_id: int, department_code: str) -> OrganizationView:
        """Link a publisher to a registered department: its datasets become that
        department's (the stewards there complete and answer for them)."""
        policy.check(actor, "publisher.link")
        with self.store.transaction() as session:
            organization = session.get(Organization, organization_id) \
                if 0 < organization_id < 2 ** 31 else None
            department = session.scalar(select(Department).where(
                Department.code == department_code))
            if organization is None or department is None:
                raise NotFound(Message("提供方或部门不存在。", "No such publisher or department."))
            organization.department_id = department.id
            moving = session.execute(select(Dataset.id, Dataset.state, Dataset.current_revision,
                                            Dataset.published_revision).where(
                Dataset.publisher_key == organization.key,
                Dataset.department_id != department.id)).all()
            if moving:
                session.execute(update(Dataset).where(Dataset.id.in_([m[0] for m in moving]))
                                .values(department_id=department.id, updated_at=utcnow()))
                now = utcnow()
                insert_rows(session, OutboxEvent, [{**change_event(*m), "created_at": now}
                                                   for m in moving])
            audit.record(session, actor, "organization.link", "organization",
                         str(organization.id), department=department.code, datasets=len(moving))
            held = session.scalar(select(func.count(Dataset.id)).where(
                Dataset.publisher_key == organization.key)) or 0
            return OrganizationView(organization.id, organization.key, organization.name,
                                    organization.code, department.code, int(held))


def _organizations(session: Session, actor: Actor, query: Select[Organization, str],
                   one_page: bool = False) -> list[OrganizationView]:
    """The publishers ``query`` selects (by name), each with the datasets the actor may see
    (counted for the selected publishers only when ``one_page``)."""
    rows = session.execute(query.outerjoin(
        Department, Department.id == Organization.department_id)
        .order_by(Organization.name, Organization.id)).all()
    counted = select(Dataset.publisher_key, func.count(Dataset.id)).where(visible(actor))
    if one_page:
        counted = counted.where(Dataset.publisher_key.in_([o.key for o, _ in rows]))
    held = dict(session.execute(counted.group_by(Dataset.publisher_key)).all()) \
        if rows else {}
    return [OrganizationView(o.id, o.key, o.name, o.code, code, int(held.get(o.key, 0)))
            for o, code in rows]
