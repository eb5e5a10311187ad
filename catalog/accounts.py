"""Users, passwords and API tokens; resolving a login or a bearer token to an Actor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from catalog import audit
from catalog.actors import ROLES, Actor
from catalog.db import ApiToken, Department, User, utcnow
from catalog.errors import Forbidden, InvalidInput, Message, NotAuthenticated, field_error
from catalog.passwords import check_password, hash_password, new_token, token_digest
from catalog.store import Store
from vocab.concepts import scheme, security_rank

MIN_PASSWORD_LENGTH = 8


@dataclass
class UserView:
    id: int
    username: str
    display_name: str
    role: str
    department_code: str | None
    clearance: str
    active: bool

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class AccountService:
    def __init__(self, store: Store):
        self.store = store

    def create_user(self, actor: Actor, username: str, password: str, role: str, *,
                    department_code: str | None = None, display_name: str = "",
                    clearance: str = "internal") -> UserView:
        if actor.role != "admin":
            raise Forbidden(Message("只有系统管理员可以创建用户。", "Only administrators create users."))
        errors: dict[str, list[Message]] = {}
        if not username or len(username) > 64 or not username.replace("-", "").replace("_", "").replace(".", "").isalnum():
            errors["username"] = [Message("用户名只能包含字母、数字、-、_、.。",
                                          "A username holds letters, digits, '-', '_' and '.'.")]
        if len(password) < MIN_PASSWORD_LENGTH:
            errors["password"] = [Message(f"密码至少 {MIN_PASSWORD_LENGTH} 位。",
                                          f"A password has at least {MIN_PASSWORD_LENGTH} characters.")]
        if role not in ROLES:
            errors["role"] = [Message("角色应为 steward、staff、reviewer 或 admin。",
                                      "The role is one of steward, staff, reviewer, admin.")]
        if clearance not in scheme("security-level"):
            errors["clearance"] = [Message("知悉范围（密级）无效。", "Unknown clearance level.")]
        if role in ("steward", "staff") and not department_code:
            errors["department_code"] = [Message("数据管理员和工作人员必须属于一个部门。",
                                                 "Stewards and staff belong to a department.")]
        if errors:
            raise InvalidInput(errors)
        with self.store.transaction() as session:
            department = None
            if department_code:
                department = session.scalar(select(Department).where(Department.code == department_code))
                if department is None:
                    raise field_error("department_code", "部门不存在。", "Unknown department.")
            if session.scalar(select(User.id).where(User.username == username)):
                raise field_error("username", "用户名已存在。", "This username is taken.")
            user = User(username=username, password_hash=hash_password(password),
                        display_name=display_name or username, role=role,
                        department_id=department.id if department else None, clearance=clearance)
            session.add(user)
            session.flush()
            audit.record(session, actor, "user.create", "user", username, role=role,
                         department=department_code, clearance=clearance)
            return _view(user, department)

    def authenticate(self, username: str, password: str) -> Actor:
        with self.store.transaction() as session:
            user = session.scalar(select(User).where(User.username == username))
            if not check_password(user.password_hash if user else None, password) or \
                    user is None or not user.active:
                raise NotAuthenticated(Message("用户名或密码错误。", "Wrong username or password."))
            actor = self._actor(user)
            audit.record(session, actor, "user.login", "user", user.username)
            return actor

    def create_token(self, actor: Actor, username: str, name: str = "") -> str:
        """A new bearer token for ``username``; returned once, stored only as its digest."""
        if actor.role != "admin" and actor.username != username:
            raise Forbidden(Message("只能为自己创建令牌。", "You can only create tokens for yourself."))
        token = new_token()
        with self.store.transaction() as session:
            user = session.scalar(select(User).where(User.username == username))
            if user is None:
                raise field_error("user", "用户不存在。", "Unknown user.")
            session.add(ApiToken(user_id=user.id, token_hash=token_digest(token),
                                 prefix=token[:9], name=name))
            audit.record(session, actor, "token.create", "user", username, prefix=token[:9], name=name)
        return token

    def actor_for_token(self, token: str) -> Actor:
        with self.store.transaction() as session:
            row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(token),
                                                        ApiToken.revoked_at.is_(None)))
            user = session.get(User, row.user_id) if row else None
            if row is None or user is None or not user.active:
                raise NotAuthenticated(Message("令牌无效或已撤销。", "Invalid or revoked token."))
            row.last_used_at = utcnow()
            return self._actor(user)

    def actor_for_user_id(self, user_id: int) -> Actor | None:
        with self.store.reading() as session:
            user = session.get(User, user_id)
            return self._actor(user) if user is not None and user.active else None

    def get_user(self, username: str) -> UserView | None:
        with self.store.reading() as session:
            user = session.scalar(select(User).where(User.username == username))
            if user is None:
                return None
            return _view(user, session.get(Department, user.department_id) if user.department_id else None)

    def _actor(self, user: User) -> Actor:
        """The user as an actor; clearance capped at the network's ceiling (涉密不上网)."""
        ceiling = self.store.settings.security_ceiling
        clearance = user.clearance if security_rank(user.clearance) <= security_rank(ceiling) \
            else ceiling
        return Actor(user.id, user.username, user.role, user.department_id, clearance)

    def list_users(self, actor: Actor) -> list[UserView]:
        if actor.role != "admin":
            raise Forbidden(Message("只有系统管理员可以查看用户。", "Only administrators list users."))
        with self.store.reading() as session:
            return [_view(u, session.get(Department, u.department_id) if u.department_id else None)
                    for u in session.scalars(select(User).order_by(User.id))]


def _view(user: User, department: Department | None) -> UserView:
    return UserView(user.id, user.username, user.display_name, user.role,
                    department.code if department else None, user.clearance, user.active)
