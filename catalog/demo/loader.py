"""Load the shipped demo departments, users and datasets into an empty store."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from catalog.actors import SYSTEM
from catalog.db import Department
from catalog.services import Services

DEMO_DIR = Path(__file__).parent


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    role: str
    department_index: int | None  # index into departments.json, None for province-wide roles
    clearance: str
    display_name: str


DEMO_USERS = (
    DemoUser("admin", "mulu-admin-2026", "admin", None, "confidential", "系统管理员"),
    DemoUser("reviewer", "mulu-review-2026", "reviewer", None, "internal", "治理审核员"),
    DemoUser("steward", "mulu-steward-2026", "steward", 0, "internal", "省公安厅数据管理员"),
    DemoUser("staff", "mulu-staff-2026", "staff", 1, "internal", "省市场监管局工作人员"),
)


def departments() -> list[dict]:
    return json.loads((DEMO_DIR / "departments.json").read_text(encoding="utf-8"))


def datasets() -> list[dict]:
    return json.loads((DEMO_DIR / "datasets.json").read_text(encoding="utf-8"))


def is_loaded(services: Services) -> bool:
    with services.store.reading() as session:
        return bool(session.scalar(select(func.count()).select_from(Department)))


def load(services: Services, *, limit: int | None = None) -> int:
    """Create departments, demo users and published demo datasets; returns datasets loaded."""
    depts = departments()
    for department in _parents_first(depts):
        services.departments.create(SYSTEM, {k: department.get(k) for k in (
            "code", "name", "short_name", "name_en", "level")} | {"parent_code": department.get("parent")})
    for user in DEMO_USERS:
        code = depts[user.department_index]["code"] if user.department_index is not None else None
        services.accounts.create_user(SYSTEM, user.username, user.password, user.role,
                                      department_code=code, display_name=user.display_name,
                                      clearance=user.clearance)
    reviewer = services.accounts.authenticate("reviewer", _password("reviewer"))
    loaded = 0
    for entry in datasets()[:limit]:
        view = services.datasets.register(SYSTEM, entry["record"], department_code=entry["department"],
                                          submit=True, note="demo data")
        services.datasets.review(reviewer, view.id, "publish", "示例数据 / demo data")
        loaded += 1
    return loaded


def _password(username: str) -> str:
    return next(u.password for u in DEMO_USERS if u.username == username)


def _parents_first(depts: list[dict]) -> list[dict]:
    done: set[str] = set()
    ordered: list[dict] = []
    pending = list(depts)
    while pending:
        ready = [d for d in pending if not d.get("parent") or d["parent"] in done]
        if not ready:
            raise ValueError("departments.json has a parent cycle or an unknown parent")
        for department in ready:
            ordered.append(department)
            done.add(department["code"])
            pending.remove(department)
    return ordered
