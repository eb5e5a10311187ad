"""The 信息资源代码 rule: 分类码 (类 1 + 项 2 + 目 3 digits, 细目 optional) "/" 顺序码 (6 digits).

A classification above 目 level is padded with zeros (项 ``101`` -> ``101000``).
"""

from __future__ import annotations

import re

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from catalog.db import CodeSequence, Dataset
from catalog.errors import Message

CODE_PATTERN = re.compile(r"^(?P<prefix>[1-3]\d{5}(?:\d{1,6})?)/(?P<sequence>\d{6})$")


def prefix_for(classification: str) -> str:
    return classification.ljust(6, "0") if len(classification) < 6 else classification


def check_code(code: str, classification: str | None) -> Message | None:
    """Why ``code`` breaks the rule for ``classification``, or None when it follows it."""
    match = CODE_PATTERN.match(code)
    if not match:
        return Message(
            "信息资源代码格式应为“分类码/六位顺序码”，如 101001/000001。",
            "A resource code is 'classification code/six-digit sequence', e.g. 101001/000001.",
        )
    if classification and match["prefix"] != prefix_for(classification):
        expected = prefix_for(classification)
        return Message(f"信息资源代码的分类码应为 {expected}（与信息资源分类一致）。",
                       f"The code's classification part must be {expected}, matching the classification.")
    if int(match["sequence"]) == 0:
        return Message("顺序码不能为 000000。", "The sequence number cannot be 000000.")
    return None


def next_code(session: Session, classification: str) -> str:
    """Hand out the next unused code for the classification (the row lock serializes writers)."""
    prefix = prefix_for(classification)
    while True:
        number = _bump(session, prefix)
        code = f"{prefix}/{number:06d}"
        taken = session.scalar(select(Dataset.id).where(Dataset.resource_code == code))
        if taken is None:
            return code


def _bump(session: Session, prefix: str) -> int:
    result = session.execute(
        update(CodeSequence).where(CodeSequence.prefix == prefix)
        .values(last=CodeSequence.last + 1).returning(CodeSequence.last))
    number = result.scalar()
    if number is not None:
        return number
    try:
        with session.begin_nested():
            session.add(CodeSequence(prefix=prefix, last=1))
        return 1
    except IntegrityError:
        return _bump(session, prefix)
