"""Access rules as data: a small condition language over named fields, with one evaluator per
place the rules run.

A rule of ``catalog.policy`` is written once as a ``Cond`` and then
- evaluated in Python on one object (``evaluate``: the reference every compiler is tested
  against),
- compiled to an SQLAlchemy condition over a table (``to_sql``), and
- compiled by each search backend to its own query language (``search.sqlite``,
  ``search.elastic``), over the fields of the index documents.

Semantics are two-valued everywhere: a field that is ``None`` equals only ``None`` and is never
``<=`` anything (``to_sql`` keeps SQL's NULLs from turning a negation into "unknown").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, not_, or_, true


@dataclass(frozen=True)
class Eq:
    field: str
    value: str | int | None


@dataclass(frozen=True)
class In:
    field: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Le:
    field: str
    value: int


@dataclass(frozen=True)
class Not:
    part: Cond


@dataclass(frozen=True)
class And:
    parts: tuple[Cond, ...]


@dataclass(frozen=True)
class Or:
    parts: tuple[Cond, ...]


@dataclass(frozen=True)
class Const:
    value: bool


Cond = Eq | In | Le | Not | And | Or | Const
TRUE, FALSE = Const(True), Const(False)


def any_of(*parts: Cond) -> Cond:
    """``Or`` of the parts that can hold (FALSE when none can)."""
    kept = tuple(p for p in parts if p != FALSE)
    if TRUE in kept:
        return TRUE
    return FALSE if not kept else kept[0] if len(kept) == 1 else Or(kept)


def all_of(*parts: Cond) -> Cond:
    """``And`` of the parts that restrict (TRUE when none does)."""
    kept = tuple(p for p in parts if p != TRUE)
    if FALSE in kept:
        return FALSE
    return TRUE if not kept else kept[0] if len(kept) == 1 else And(kept)


def renamed(cond: Cond, names: Mapping[str, str]) -> Cond:
    """The condition with fields renamed (a rule written for one table read over another)."""
    match cond:
        case Eq(name, value):
            return Eq(names.get(name, name), value)
        case In(name, values):
            return In(names.get(name, name), values)
        case Le(name, value):
            return Le(names.get(name, name), value)
        case Not(part):
            return Not(renamed(part, names))
        case And(parts):
            return And(tuple(renamed(p, names) for p in parts))
        case Or(parts):
            return Or(tuple(renamed(p, names) for p in parts))
        case Const():
            return cond
    raise TypeError(f"not a condition: {cond!r}")


def fields_of(cond: Cond) -> set[str]:
    match cond:
        case Eq(name, _) | In(name, _) | Le(name, _):
            return {name}
        case Not(part):
            return fields_of(part)
        case And(parts) | Or(parts):
            return set().union(*(fields_of(p) for p in parts))
    return set()


def evaluate(cond: Cond, row: Mapping[str, Any]) -> bool:
    """The condition on one object's fields: the reference the compilers are tested against."""
    match cond:
        case Const(value):
            return value
        case Eq(name, value):
            return bool(row[name] == value)
        case In(name, values):
            return row[name] in values
        case Le(name, value):
            return row[name] is not None and bool(row[name] <= value)
        case Not(part):
            return not evaluate(part, row)
        case And(parts):
            return all(evaluate(p, row) for p in parts)
        case Or(parts):
            return any(evaluate(p, row) for p in parts)
    raise TypeError(f"not a condition: {cond!r}")


def to_sql(cond: Cond, columns: Mapping[str, Any]) -> ColumnElement[bool]:
    """The condition as SQL over ``columns`` (field name -> column)."""
    match cond:
        case Const(value):
            return true() if value else false()
        case Eq(name, None):
            return columns[name].is_(None)
        case Eq(name, value):
            return columns[name] == value
        case In(name, values):
            return columns[name].in_(values) if values else false()
        case Le(name, value):
            return columns[name] <= value
        case Not(part):
            # NOT over a NULL comparison is unknown in SQL, False here: coalesce first
            return not_(func.coalesce(to_sql(part, columns), false()))
        case And(parts):
            return and_(*(to_sql(p, columns) for p in parts))
        case Or(parts):
            return or_(*(to_sql(p, columns) for p in parts))
    raise TypeError(f"not a condition: {cond!r}")


def row_of(obj: object, columns: Mapping[str, Any]) -> dict[str, Any]:
    """An ORM object's fields, read through the same column mapping ``to_sql`` uses."""
    return {name: getattr(obj, column.key) for name, column in columns.items()}
