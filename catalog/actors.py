"""Who is acting: the explicit actor every service call takes."""

from __future__ import annotations

from dataclasses import dataclass

from vocab.concepts import security_rank

ROLES = ("steward", "staff", "reviewer", "admin")
ROLE_LABELS = {
    "steward": ("数据管理员", "Department data steward"),
    "staff": ("工作人员", "Staff"),
    "reviewer": ("治理审核员", "Governance reviewer"),
    "admin": ("系统管理员", "Administrator"),
}


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str
    role: str  # one of ROLES, or "anonymous"
    department_id: int | None
    clearance: str = "public"

    @property
    def clearance_rank(self) -> int:
        return security_rank(self.clearance)

    @property
    def is_authenticated(self) -> bool:
        return self.role != "anonymous"

    def has_role(self, *roles: str) -> bool:
        return self.role in roles


def may_administer(actor: Actor) -> bool:
    """Users, departments and the working-day calendar are administered by administrators."""
    return actor.role == "admin"


ANONYMOUS = Actor(None, "anonymous", "anonymous", None, "public")
SYSTEM = Actor(None, "system", "admin", None, "top_secret")
