"""Department use cases: list (anyone), create and change (administrators)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from catalog import audit, policy
from catalog.actors import Actor
from catalog.credit_code import valid_credit_code
from catalog.db import Department
from catalog.errors import Forbidden, InvalidInput, Message, field_error
from catalog.messages import invalid_from_marshmallow
from catalog.paging import Paged, bounds, text_filter
from catalog.schemas import Text
from catalog.store import Store
from vocab.concepts import scheme


class DepartmentInput(Schema):
    class Meta:
        unknown = RAISE

    code = Text(required=True, validate=validate.Length(equal=18),
                metadata={"description": "统一社会信用代码 / unified social credit code"})
    name = Text(required=True, validate=validate.Length(min=2, max=100))
    short_name = Text(load_default="", validate=validate.Length(max=50))
    name_en = Text(load_default="", validate=validate.Length(max=200))
    level = fields.String(required=True, validate=validate.OneOf(scheme("admin-level").codes))
    parent_code = Text(load_default=None, allow_none=True, validate=validate.Length(equal=18))


@dataclass
class DepartmentView:
    id: int
    code: str
    name: str
    short_name: str
    name_en: str
    level: str
    parent_code: str | None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class DepartmentService:
    def __init__(self, store: Store):
        self.store = store

    def list(self) -> list[DepartmentView]:
        with self.store.reading() as session:
            rows = session.scalars(select(Department).order_by(Department.id)).all()
            codes = {d.id: d.code for d in rows}
            return [_view(d, codes) for d in rows]

    def page(self, page: int = 1, page_size: int = 50, q: str | None = None
             ) -> Paged[DepartmentView]:
        """One page of the departments, by id; ``q`` matches a name, short name or code."""
        offset, limit = bounds(page, page_size)
        parent = aliased(Department)
        where = text_filter(q, Department.name, Department.short_name, Department.code)
        with self.store.reading() as session:
            total = session.scalar(select(func.count(Department.id)).where(*where)) or 0
            rows = session.execute(select(Department, parent.code).outerjoin(
                parent, parent.id == Department.parent_id).where(*where)
                .order_by(Department.id).offset(offset).limit(limit)).all()
            return Paged([_view(d, {d.parent_id: code} if d.parent_id is not None and code else {})
                          for d, code in rows],
                         int(total), max(1, page), limit)

    def by_code(self, code: str) -> DepartmentView | None:
        return next((d for d in self.list() if d.code == code), None)

    def create(self, actor: Actor, data: Any) -> DepartmentView:
        policy.check(actor, "department.manage")
        try:
            values = DepartmentInput().load(data if isinstance(data, dict) else {})
        except ValidationError as exc:
            raise invalid_from_marshmallow(exc.messages) from None
        if not valid_credit_code(values["code"]):
            raise field_error("code", "不是有效的统一社会信用代码。", "Not a valid unified social credit code.")
        with self.store.transaction() as session:
            parent_id = None
            if values["parent_code"]:
                parent = session.scalar(select(Department).where(Department.code == values["parent_code"]))
                if parent is None:
                    raise field_error("parent_code", "上级部门不存在。", "Unknown parent department.")
                parent_id = parent.id
            department = Department(code=values["code"], name=values["name"],
                                    short_name=values["short_name"], name_en=values["name_en"],
                                    level=values["level"], parent_id=parent_id)
            session.add(department)
            try:
                session.flush()
            except IntegrityError:
                raise InvalidInput({"code": [Message("部门代码或名称已存在。",
                                                     "A department with this code or name exists.")]}) from None
            audit.record(session, actor, "department.create", "department", department.code,
                         name=department.name, level=department.level)
            return _view(department, {parent_id: values["parent_code"]} if parent_id else {})


def writable_department(session: Session, actor: Actor, code: str | None, *,
                        own_only: Message) -> Department:
    """The department an actor writes for: administrators name one; everyone else writes for
    their own (``own_only`` is the refusal when they name another)."""
    if policy.may(actor, "write.for_any_department"):
        if not code:
            raise field_error("department_code", "管理员登记时必须指定部门。",
                              "An administrator must name the department.")
        department = session.scalar(select(Department).where(Department.code == code))
        if department is None:
            raise field_error("department_code", "部门不存在。", "Unknown department.")
        return department
    if actor.department_id is None:
        raise Forbidden(own_only)
    department = session.get_one(Department, actor.department_id)
    if code and code != department.code:
        raise Forbidden(own_only)
    return department


def _view(department: Department, codes: dict[int, str]) -> DepartmentView:
    return DepartmentView(department.id, department.code, department.name, department.short_name,
                          department.name_en, department.level,
                          codes.get(department.parent_id) if department.parent_id else None)
