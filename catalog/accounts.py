"""Users, passwords and API tokens; resolving a login, a session or a bearer token to an Actor."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from catalog import audit, login_sessions, login_throttle, policy
from catalog.actors import ANONYMOUS, ROLES, Actor
from catalog.config import Settings
from catalog.db import ApiToken, Department, User, utcnow
from catalog.errors import Forbidden, InvalidInput, Message, NotAuthenticated, NotFound, field_error
from catalog.login_throttle import Attempt
from catalog.paging import Paged, bounds, text_filter
from catalog.password_policy import password_problems
from catalog.passwords import check_password, hash_password, new_token, token_digest
from catalog.store import Store
from vocab.concepts import scheme, security_rank

log = logging.getLogger("mulu")
Clock = Callable[[], datetime]
# changing one of these ends the user's sessions: what they may do is no longer what it was
PRIVILEGE_FIELDS = ("password", "role", "department_code", "clearance", "active")
WRONG_PASSWORD = Message("用户名或密码错误。", "Wrong username or password.")


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


@dataclass(frozen=True)
class UnlockResult:
    username: str
    unlocked: bool          # there were failures or a lock to clear
    address: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def effective_clearance(clearance: str, ceiling: str) -> str:
    """What a user's clearance lets them see on a network whose ceiling is ``ceiling``: never
    more than the network may hold (涉密不上网)."""
    return clearance if security_rank(clearance) <= security_rank(ceiling) else ceiling


def assignable_clearances(ceiling: str) -> list[str]:
    """The clearances that mean something on this network (up to its ceiling), lowest first."""
    return sorted((code for code in scheme("security-level").codes
                   if security_rank(code) <= security_rank(ceiling)), key=security_rank)


def actor_of(user: User, ceiling: str) -> Actor:
    """The user as an actor; clearance capped at the network's ceiling (涉密不上网)."""
    return Actor(user.id, user.username, user.role, user.department_id,
                 effective_clearance(user.clearance, ceiling))


def _admin_only(actor: Actor, zh: str, en: str) -> None:
    policy.check(actor, "user.manage", refused=Message(zh, en))


def _check_user_fields(username: str, changes: dict[str, Any],
                       errors: dict[str, list[Message]] | None = None) -> None:
    """Every rule a user's fields follow, for a new user and for a change alike."""
    errors = dict(errors or {})
    if "password" in changes:
        problems = password_problems(changes["password"], username)
        if problems:
            errors["password"] = problems
    if "role" in changes and changes["role"] not in ROLES:
        errors["role"] = [Message("角色应为 steward、staff、reviewer 或 admin。",
                                  "The role is one of steward, staff, reviewer, admin.")]
    if "clearance" in changes and changes["clearance"] not in scheme("security-level"):
        errors["clearance"] = [Message("知悉范围（密级）无效。", "Unknown clearance level.")]
    if changes.get("role") in ("steward", "staff") and not changes.get("department_code"):
        errors["department_code"] = [Message("数据管理员和工作人员必须属于一个部门。",
                                             "Stewards and staff belong to a department.")]
    if errors:
        raise InvalidInput(errors)


class AccountService:
    def __init__(self, store: Store, clock: Clock | None = None):
        self.store = store
        self.clock: Clock = clock or utcnow

    @property
    def settings(self) -> Settings:
        return self.store.settings

    def create_user(self, actor: Actor, username: str, password: str, role: str, *,
                    department_code: str | None = None, display_name: str = "",
                    clearance: str = "internal") -> UserView:
        _admin_only(actor, "只有系统管理员可以创建用户。", "Only administrators create users.")
        errors: dict[str, list[Message]] = {}
        if not username or len(username) > 64 or not username.replace("-", "").replace("_", "").replace(".", "").isalnum():
            errors["username"] = [Message("用户名只能包含字母、数字、-、_、.。",
                                          "A username holds letters, digits, '-', '_' and '.'.")]
        _check_user_fields(username, {"password": password, "role": role, "clearance": clearance,
                                      "department_code": department_code}, errors)
        with self.store.transaction() as session:
            department = self._department(session, department_code)
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

    def update_user(self, actor: Actor, username: str, changes: dict[str, Any]) -> UserView:
        """Change a user's role, department, clearance, active flag, name or password
        (administrators). A change of what the user may do ends the user's sessions."""
        _admin_only(actor, "只有系统管理员可以修改用户。", "Only administrators change users.")
        with self.store.transaction() as session:
            user = session.scalar(select(User).where(User.username == username))
            if user is None:
                raise NotFound(Message("用户不存在。", "Unknown user."))
            department = session.get(Department, user.department_id) if user.department_id \
                else None
            merged = {"role": user.role, "clearance": user.clearance,
                      "department_code": department.code if department else None, **changes}
            _check_user_fields(username, merged)
            department = self._department(session, merged["department_code"])
            changed = []
            for name, value in (("role", merged["role"]), ("clearance", merged["clearance"]),
                                ("display_name", changes.get("display_name", user.display_name)),
                                ("active", changes.get("active", user.active))):
                if getattr(user, name) != value:
                    setattr(user, name, value)
                    changed.append(name)
            department_id = department.id if department else None
            if user.department_id != department_id:
                user.department_id = department_id
                changed.append("department_code")
            if "password" in changes:
                user.password_hash = hash_password(changes["password"])
                changed.append("password")
            ended = 0
            if set(changed) & set(PRIVILEGE_FIELDS):
                ended = login_sessions.end_sessions_of(session, user.id, self.clock(),
                                                       "user changed")
            if changed:
                audit.record(session, actor, "user.update", "user", username,
                             changed=sorted(changed), role=user.role, clearance=user.clearance,
                             department=department.code if department else None,
                             active=user.active, sessions_ended=ended)
            return _view(user, department)

    def _department(self, session: Any, code: str | None) -> Department | None:
        if not code:
            return None
        department = session.scalar(select(Department).where(Department.code == code))
        if department is None:
            raise field_error("department_code", "部门不存在。", "Unknown department.")
        return department

    # -- signing in ------------------------------------------------------------------------

    def authenticate(self, username: str, password: str, address: str = "") -> Actor:
        """The user of a right password. Throttled per account and per ``address``
        (``login_throttle``): refused with ``TooManyAttempts`` while a key must wait or is
        locked; every wrong password is in the audit log."""
        attempt = Attempt(username, address)
        now = self.clock()
        with self.store.reading() as session:
            login_throttle.check(session, attempt, now)  # no write for a refused attempt
        with self.store.transaction() as session:
            reserved = login_throttle.reserve(session, self.settings, attempt, now)
        with self.store.reading() as session:
            found = session.execute(select(User.id, User.password_hash)
                                    .where(User.username == username)).first()
        right = check_password(found.password_hash if found else None, password)
        with self.store.transaction() as session:
            user = session.get(User, found.id) if found else None
            if right and user is not None and user.active:
                login_throttle.succeeded(session, self.settings, attempt, now)
                actor = self._actor(user)
                audit.record(session, actor, "user.login", "user", user.username)
                return actor
            audit.record(session, ANONYMOUS, "user.login_failed", "user", username[:64],
                         address=address, failures=reserved.failures["account"],
                         known_user=user is not None)
            for scope, until in reserved.locked.items():
                key = username[:64] if scope == "account" else address
                audit.record(session, ANONYMOUS, "user.lock", scope, key,
                             until=until.isoformat(), failures=reserved.failures[scope])
        if reserved.locked:
            log.warning("sign-in locked for %s after repeated failures",
                        ", ".join(reserved.locked))
        raise NotAuthenticated(WRONG_PASSWORD)

    def unlock(self, actor: Actor, username: str, address: str | None = None) -> UnlockResult:
        """Clear an account's failed sign-ins and lock (and an address's, when given)."""
        _admin_only(actor, "只有系统管理员可以解锁。", "Only administrators unlock sign-in.")
        with self.store.transaction() as session:
            if session.scalar(select(User.id).where(User.username == username)) is None:
                raise NotFound(Message("用户不存在。", "Unknown user."))
            unlocked = login_throttle.clear(session, "account", username)
            if address:
                unlocked = login_throttle.clear(session, "address", address) or unlocked
            audit.record(session, actor, "user.unlock", "user", username, address=address,
                         cleared=unlocked)
        return UnlockResult(username, unlocked, address)

    def open_session(self, actor: Actor) -> str:
        """A new browser session for a signed-in actor; the key for the cookie."""
        assert actor.user_id is not None
        with self.store.transaction() as session:
            return login_sessions.open_session(session, self.settings, actor.user_id,
                                              self.clock())

    def actor_for_session(self, key: str) -> Actor | None:
        """The actor of a live session key; None when it ended, expired or never was."""
        now = self.clock()
        with self.store.reading() as session:
            row = login_sessions.live_session(session, self.settings, key, now)
            user = session.get(User, row.user_id) if row else None
            if row is None or user is None or not user.active:
                return None
            actor, session_id, due = self._actor(user), row.id, \
                login_sessions.touch_due(row.last_seen_at, now)
        if due:
            with self.store.transaction() as session:
                login_sessions.touch(session, session_id, now)
        return actor

    def end_session(self, key: str) -> None:
        with self.store.transaction() as session:
            login_sessions.end_session(session, key, self.clock(), "signed out")

    # -- tokens ----------------------------------------------------------------------------

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
        """The token's user. ``last_used_at`` is written at most once a minute, so a token's
        reads do not queue behind writers for the store's write lock."""
        now = self.clock()
        with self.store.reading() as session:
            row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(token),
                                                        ApiToken.revoked_at.is_(None)))
            user = session.get(User, row.user_id) if row else None
            if row is None or user is None or not user.active:
                raise NotAuthenticated(Message("令牌无效或已撤销。", "Invalid or revoked token."))
            actor, token_id, due = self._actor(user), row.id, \
                login_sessions.touch_due(row.last_used_at, now)
        if due:
            with self.store.transaction() as session:
                session.execute(update(ApiToken).where(ApiToken.id == token_id)
                                .values(last_used_at=now))
        return actor

    # -- reading ---------------------------------------------------------------------------

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
        return actor_of(user, self.store.settings.security_ceiling)

    def list_users(self, actor: Actor) -> list[UserView]:
        _admin_only(actor, "只有系统管理员可以查看用户。", "Only administrators list users.")
        with self.store.reading() as session:
            return [_view(u, session.get(Department, u.department_id) if u.department_id else None)
                    for u in session.scalars(select(User).order_by(User.id))]

    def user(self, actor: Actor, username: str) -> UserView:
        """One user, for an administrator."""
        _admin_only(actor, "只有系统管理员可以查看用户。", "Only administrators list users.")
        found = self.get_user(username)
        if found is None:
            raise NotFound(Message("用户不存在。", "Unknown user."))
        return found

    def page_users(self, actor: Actor, page: int = 1, page_size: int = 50,
                   q: str | None = None) -> Paged[UserView]:
        """One page of the users (administrators), by id; ``q`` matches a username or display
        name."""
        _admin_only(actor, "只有系统管理员可以查看用户。", "Only administrators list users.")
        offset, limit = bounds(page, page_size)
        where = text_filter(q, User.username, User.display_name)
        with self.store.reading() as session:
            total = session.scalar(select(func.count(User.id)).where(*where)) or 0
            rows = session.execute(select(User, Department).outerjoin(
                Department, Department.id == User.department_id).where(*where)
                .order_by(User.id).offset(offset).limit(limit)).all()
            return Paged([_view(u, d) for u, d in rows], int(total), max(1, page), limit)


def _view(user: User, department: Department | None) -> UserView:
    return UserView(user.id, user.username, user.display_name, user.role,
                    department.code if department else None, user.clearance, user.active)
