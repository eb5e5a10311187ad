"""Failed sign-ins, per account and per address: growing delays, then a temporary lock.

Every attempt is counted as a failure before the password is checked (so attempts sent in
parallel cannot slip past the count) and a successful sign-in clears the account's count and
takes its own attempt back from the address. After ``free`` failures in a row each further
one makes the next attempt wait twice as long (1 s, 2 s, 4 s … at most 5 minutes); at
``lock_after`` the account or address is locked for the lock period. Failures older than the
lock period are forgotten. An administrator may unlock at once (``AccountService.unlock``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from catalog.config import Settings
from catalog.db import LoginThrottle, as_utc
from catalog.errors import Message, TooManyRequests

MAX_DELAY = timedelta(minutes=5)
KEY_LENGTH = 64


class TooManyAttempts(TooManyRequests):
    """Sign-in refused without looking at the password: wait ``retry_after`` seconds."""


@dataclass(frozen=True)
class Limits:
    free: int        # failures in a row before delays begin
    lock_after: int  # failures in a row that lock
    lock_for: timedelta


@dataclass(frozen=True)
class Attempt:
    """One sign-in attempt's keys: the username as typed and the caller's address."""

    username: str
    address: str

    def keys(self) -> list[tuple[str, str]]:
        found = [("account", self.username[:KEY_LENGTH])]
        if self.address:
            found.append(("address", self.address[:KEY_LENGTH]))
        return found


def limits(settings: Settings, scope: str) -> Limits:
    lock_after = settings.login_lock_failures if scope == "account" \
        else settings.login_address_lock_failures
    return Limits(max(1, lock_after // 3), lock_after,
                  timedelta(minutes=settings.login_lock_minutes))


def _delay(failures: int, limit: Limits) -> timedelta:
    if failures < limit.free:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(failures - limit.free, 20)), MAX_DELAY)


def _refusal(row: LoginThrottle, now: datetime) -> TooManyAttempts | None:
    """Why this row refuses an attempt at ``now``, if it does."""
    locked = row.locked_until is not None and as_utc(row.locked_until) > now
    if row.locked_until is not None and locked:
        until: datetime | None = as_utc(row.locked_until)
    else:
        until = as_utc(row.next_attempt_at) if row.next_attempt_at else None
    if until is None or until <= now:
        return None
    wait = max(1, math.ceil((until - now).total_seconds()))
    if locked:
        minutes = max(1, math.ceil(wait / 60))
        who = ("该账号", "This account") if row.scope == "account" else \
            ("来自该地址的登录", "Sign-in from this address")
        return TooManyAttempts(Message(
            f"{who[0]}因多次登录失败已暂时锁定，请 {minutes} 分钟后再试，或联系系统管理员解锁。",
            f"{who[1]} is locked for now after repeated failed sign-ins; try again in "
            f"{minutes} minutes or ask an administrator to unlock it."), wait)
    return TooManyAttempts(Message(f"登录失败次数过多，请 {wait} 秒后再试。",
                                   f"Too many failed sign-ins; try again in {wait} seconds."), wait)


def _forget_stale(row: LoginThrottle, now: datetime, limit: Limits) -> None:
    if row.locked_until and as_utc(row.locked_until) <= now:
        row.failures, row.locked_until, row.next_attempt_at = 0, None, None
    elif row.last_failure_at and as_utc(row.last_failure_at) + limit.lock_for < now:
        row.failures, row.next_attempt_at = 0, None


def check(session: Session, attempt: Attempt, now: datetime) -> None:
    """Refuse (``TooManyAttempts``) when a key is locked or must still wait; reads only."""
    for scope, key in attempt.keys():
        row = session.scalar(select(LoginThrottle).where(LoginThrottle.scope == scope,
                                                         LoginThrottle.key == key))
        refusal = _refusal(row, now) if row else None
        if refusal:
            raise refusal


@dataclass(frozen=True)
class Reserved:
    """Failure counts after this attempt was counted, and the keys it locked."""

    failures: dict[str, int]
    locked: dict[str, datetime]


def reserve(session: Session, settings: Settings, attempt: Attempt, now: datetime) -> Reserved:
    """Count the attempt as a failure under the rows' locks (refusing when it must wait)."""
    failures: dict[str, int] = {}
    locked: dict[str, datetime] = {}
    for scope, key in attempt.keys():
        limit = limits(settings, scope)
        row = _locked_row(session, scope, key)
        _forget_stale(row, now, limit)
        refusal = _refusal(row, now)
        if refusal:
            raise refusal
        row.failures += 1
        row.last_failure_at = now
        row.next_attempt_at = now + _delay(row.failures, limit)
        if row.failures >= limit.lock_after:
            row.locked_until = now + limit.lock_for
            locked[scope] = row.locked_until
        failures[scope] = row.failures
    return Reserved(failures, locked)


def succeeded(session: Session, settings: Settings, attempt: Attempt, now: datetime) -> None:
    """A right password: the account starts over, the address gets its attempt back; rows
    whose failures are forgotten anyway (names an attacker made up) are removed."""
    forgotten = now - timedelta(minutes=settings.login_lock_minutes)
    session.execute(delete(LoginThrottle).where(
        LoginThrottle.last_failure_at < forgotten,
        or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < now)))
    for scope, key in attempt.keys():
        row = _locked_row(session, scope, key)
        if scope == "account":
            session.delete(row)
        else:
            row.failures = max(0, row.failures - 1)
            row.next_attempt_at = None


def clear(session: Session, scope: str, key: str) -> bool:
    """Forget a key's failures and lock; True when there was something to forget."""
    result = session.execute(delete(LoginThrottle).where(LoginThrottle.scope == scope,
                                                         LoginThrottle.key == key[:KEY_LENGTH]))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _locked_row(session: Session, scope: str, key: str) -> LoginThrottle:
    query = select(LoginThrottle).where(LoginThrottle.scope == scope,
                                        LoginThrottle.key == key).with_for_update()
    row = session.scalar(query)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            session.add(LoginThrottle(scope=scope, key=key, failures=0))
    except IntegrityError:  # a parallel attempt made it first
        pass
    return session.scalars(query).one()
