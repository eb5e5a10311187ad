"""The 信息资源代码 rule: 分类码 (类 1 + 项 2 + 目 3 digits, 细目 optional) "/" 顺序码 (6 digits).

A classification above 目 level is padded with zeros (项 ``101`` -> ``101000``).
"""

from __future__ import annotations

import re
from collections.abc import Collection

from sqlalchemy import case, select, update
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


def reserve_codes(session: Session, classifications: list[str], *,
                  avoid: Collection[str] = ()) -> list[str]:
    """The next unused code for each classification, in order: one UPDATE bumps the sequence
    of every prefix for the whole list (a batch of harvested records), then one look-up of
    the codes taken."""
    prefixes = [prefix_for(c) for c in classifications]
    wanted: dict[str, int] = {}
    for prefix in prefixes:
        wanted[prefix] = wanted.get(prefix, 0) + 1
    numbers = {prefix: iter(range(last - wanted[prefix] + 1, last + 1))
               for prefix, last in _bump_many(session, wanted).items()}
    codes = [f"{prefix}/{next(numbers[prefix]):06d}" for prefix in prefixes]
    taken = set(session.scalars(select(Dataset.resource_code)
                                .where(Dataset.resource_code.in_(set(codes))))) | set(avoid)
    chosen: set[str] = set()
    for position, code in enumerate(codes):
        while code in taken or code in chosen:  # handed out by hand or by an older sequence
            code = next_code(session, classifications[position])
        codes[position] = code
        chosen.add(code)
    return codes


def _bump_many(session: Session, counts: dict[str, int]) -> dict[str, int]:
    """``_bump`` for several prefixes: one UPDATE for those that have a sequence; a prefix
    seen for the first time gets its row by ``_bump``."""
    if not counts:
        return {}
    step = case(counts, value=CodeSequence.prefix, else_=0)
    bumped: dict[str, int] = {prefix: last for prefix, last in session.execute(
        update(CodeSequence).where(CodeSequence.prefix.in_(list(counts)))
        .values(last=CodeSequence.last + step)
        .returning(CodeSequence.prefix, CodeSequence.last)
        .execution_options(synchronize_session=False))}   # (no row object reads ``last``)
    for prefix, count in counts.items():
        if prefix not in bumped:
            bumped[prefix] = _bump(session, prefix, count)
    return bumped


def _bump(session: Session, prefix: str, count: int = 1) -> int:
    """Advance the prefix's sequence by ``count``; the new last number."""
    result = session.execute(
        update(CodeSequence).where(CodeSequence.prefix == prefix)
        .values(last=CodeSequence.last + count).returning(CodeSequence.last))
    number = result.scalar()
    if number is not None:
        return number
    try:
        with session.begin_nested():
            session.add(CodeSequence(prefix=prefix, last=count))
        return count
    except IntegrityError:
        return _bump(session, prefix, count)


def give_back(session: Session, codes: Collection[str]) -> None:
    """Return codes reserved by a transaction of their own whose records were never stored
    (an all-or-none import that failed): each prefix's sequence goes back when these codes are
    its last numbers, one run, and nobody reserved after them; else they stay a gap."""
    numbers: dict[str, list[int]] = {}
    for code in codes:
        prefix, _, number = code.rpartition("/")
        if number.isdigit():
            numbers.setdefault(prefix, []).append(int(number))
    for prefix, found in numbers.items():
        found.sort()
        if found != list(range(found[0], found[0] + len(found))):
            continue
        session.execute(update(CodeSequence).where(
            CodeSequence.prefix == prefix, CodeSequence.last == found[-1]).values(
            last=found[0] - 1))

