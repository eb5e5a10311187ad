"""Publishers (信息资源提供方) are organisations in their own right (DESIGN §3).

A publisher is known by its 统一社会信用代码 when it has a valid one, else by its name folded
(width, case, spaces): ``publisher_key``. Duplicate titles are a problem within one publisher
only, so two publishers with the same title hold two records. Every publisher a record names is
an ``Organization`` row; an administrator may link it to a registered department.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.bulk import insert_rows
from catalog.credit_code import valid_credit_code
from catalog.db import Organization, utcnow

KEY_LENGTH = 220


def fold(text: str) -> str:
    """A name with width, case and spaces folded."""
    return "".join(unicodedata.normalize("NFKC", text).split()).lower()


def publisher_key(name: str | None, code: str | None) -> str:
    """The key of the publisher with ``name`` and ``code`` ("" when neither is given)."""
    if code and valid_credit_code(code):
        return f"code:{code.upper()}"
    return f"name:{fold(name)}"[:KEY_LENGTH] if name and fold(name) else ""


def key_of(record: Mapping[str, Any]) -> str:
    return publisher_key(record.get("publisher_name"), record.get("publisher_code"))


def ensure_organizations(session: Session, records: Iterable[Mapping[str, Any]],
                         department_of: Mapping[str, int] | None = None) -> None:
    """Make sure every publisher the records name has its ``Organization`` row (one query,
    one insert). ``department_of``: publisher key -> the department it is known to be."""
    wanted: dict[str, dict[str, Any]] = {}
    for record in records:
        key = key_of(record)
        if key and key not in wanted:
            code = record.get("publisher_code") or ""
            wanted[key] = {"key": key, "name": str(record.get("publisher_name") or "")[:200],
                           "code": code if valid_credit_code(code) else "",
                           "department_id": (department_of or {}).get(key),
                           "created_at": utcnow()}
    if not wanted:
        return
    known = set(session.scalars(select(Organization.key).where(
        Organization.key.in_(list(wanted)))))
    insert_rows(session, Organization, [row for key, row in wanted.items() if key not in known])
