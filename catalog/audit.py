"""The append-only, hash-chained audit log: who, when, what and why."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.actors import Actor
from catalog.bulk import insert_rows
from catalog.db import AuditEntry, AuditHead

GENESIS = "0" * 64


def canonical(detail: dict[str, Any]) -> str:
    return json.dumps(detail, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def entry_hash(prev_hash: str, at: str, actor: str, action: str, object_type: str,
               object_id: str, detail: str) -> str:
    body = json.dumps([prev_hash, at, actor, action, object_type, object_id, detail],
                      ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def record(session: Session, actor: Actor, action: str, object_type: str, object_id: str,
           **detail: Any) -> AuditEntry:
    """Append one entry in the caller's transaction (locking the chain head)."""
    head = session.scalars(select(AuditHead).where(AuditHead.id == 1).with_for_update()).one()
    at = datetime.now(UTC).isoformat(timespec="microseconds")
    text = canonical(detail)
    digest = entry_hash(head.last_hash, at, actor.username, action, object_type, object_id, text)
    entry = AuditEntry(at=at, actor=actor.username, action=action, object_type=object_type,
                       object_id=str(object_id), detail=text, prev_hash=head.last_hash, hash=digest)
    session.add(entry)
    head.last_hash = digest
    return entry


@dataclass(frozen=True)
class Entry:
    """One entry to append with ``record_many``."""

    action: str
    object_type: str
    object_id: str
    detail: dict[str, Any]


def record_many(session: Session, actor: Actor, entries: list[Entry]) -> None:
    """Append ``entries`` in order in the caller's transaction: one lock of the chain head for
    all of them, the chain computed here, one multi-row INSERT."""
    if not entries:
        return
    session.flush()  # entries added one at a time before these keep their place in the chain
    head = session.scalars(select(AuditHead).where(AuditHead.id == 1).with_for_update()).one()
    previous, rows = head.last_hash, []
    for entry in entries:
        at = datetime.now(UTC).isoformat(timespec="microseconds")
        text = canonical(entry.detail)
        object_id = str(entry.object_id)
        digest = entry_hash(previous, at, actor.username, entry.action, entry.object_type,
                            object_id, text)
        rows.append({"at": at, "actor": actor.username, "action": entry.action,
                     "object_type": entry.object_type, "object_id": object_id, "detail": text,
                     "prev_hash": previous, "hash": digest})
        previous = digest
    insert_rows(session, AuditEntry, rows)
    head.last_hash = previous


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    reason: str = ""


def verify(session: Session) -> Verification:
    """Recompute the chain; report the first entry whose content or link was altered."""
    previous = GENESIS
    checked = 0
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.id)).yield_per(1000):
        if entry.prev_hash != previous:
            return Verification(False, checked, entry.id,
                                "link broken: an entry before it was changed or removed")
        expected = entry_hash(entry.prev_hash, entry.at, entry.actor, entry.action,
                              entry.object_type, entry.object_id, entry.detail)
        if expected != entry.hash:
            return Verification(False, checked, entry.id, "content does not match its hash")
        previous = entry.hash
        checked += 1
    head = session.get(AuditHead, 1)
    if head is not None and head.last_hash != previous:
        return Verification(False, checked, None, "the newest entries were removed")
    return Verification(True, checked)


def history(session: Session, object_type: str, object_id: str) -> list[AuditEntry]:
    return list(session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == object_type,
                                 AuditEntry.object_id == str(object_id))
        .order_by(AuditEntry.id)))
