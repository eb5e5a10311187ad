"""Signed-in browser sessions kept in the store, so they can be ended from the server.

The session cookie carries a random key; the store keeps its SHA-256 digest, when it began
and when it was last seen. A session ends at sign-out, when its user's password or role
changes, after ``session_idle_minutes`` without a request and ``session_max_hours`` after
sign-in. "Last seen" (like a token's ``last_used_at``) is written at most once a minute
(``touch_due``), so reading with a session does not take the store's write lock every time.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from catalog.config import Settings
from catalog.db import UserSession, as_utc
from catalog.passwords import token_digest

TOUCH_INTERVAL = timedelta(minutes=1)


def touch_due(last: datetime | None, now: datetime) -> bool:
    """Whether a last-used time is stale enough to write again (at most once a minute)."""
    return last is None or now - as_utc(last) >= TOUCH_INTERVAL


def open_session(session: Session, settings: Settings, user_id: int, now: datetime) -> str:
    """A new session of ``user_id``; returns the key for the cookie (stored only as digest).
    The user's ended and expired sessions are removed, so the table stays small."""
    oldest = now - timedelta(hours=settings.session_max_hours)
    session.execute(delete(UserSession).where(
        UserSession.user_id == user_id,
        or_(UserSession.revoked_at.is_not(None), UserSession.created_at < oldest)))
    key = secrets.token_urlsafe(32)
    session.add(UserSession(user_id=user_id, key_hash=token_digest(key), created_at=now,
                            last_seen_at=now))
    return key


def live_session(session: Session, settings: Settings, key: str,
                 now: datetime) -> UserSession | None:
    """The session of ``key`` if it is neither ended nor expired."""
    row = session.scalar(select(UserSession).where(UserSession.key_hash == token_digest(key)))
    if row is None or row.revoked_at is not None:
        return None
    if now - as_utc(row.created_at) > timedelta(hours=settings.session_max_hours):
        return None
    if now - as_utc(row.last_seen_at) > timedelta(minutes=settings.session_idle_minutes):
        return None
    return row


def touch(session: Session, session_id: int, now: datetime) -> None:
    session.execute(update(UserSession).where(UserSession.id == session_id,
                                              UserSession.revoked_at.is_(None))
                    .values(last_seen_at=now))


def end_session(session: Session, key: str, now: datetime, because: str) -> None:
    session.execute(update(UserSession).where(UserSession.key_hash == token_digest(key),
                                              UserSession.revoked_at.is_(None))
                    .values(revoked_at=now, revoked_because=because))


def end_sessions_of(session: Session, user_id: int, now: datetime, because: str) -> int:
    """End every open session of a user; the number ended."""
    result = session.execute(update(UserSession).where(UserSession.user_id == user_id,
                                                       UserSession.revoked_at.is_(None))
                             .values(revoked_at=now, revoked_because=because))
    return int(result.rowcount)  # type: ignore[attr-defined]
