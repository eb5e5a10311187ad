"""One page of a long list, as the services return it (the web pages show it with a pager)."""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, or_

T = TypeVar("T")
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class Paged(Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.page_size))


def bounds(page: int, page_size: int) -> tuple[int, int]:
    """(offset, limit) of ``page`` (1-based) with at most ``MAX_PAGE_SIZE`` rows."""
    size = min(max(1, page_size), MAX_PAGE_SIZE)
    return (max(1, page) - 1) * size, size


def text_filter(q: str | None, *columns: Any) -> list[ColumnElement[bool]]:
    """``q`` as a case-insensitive substring of any of ``columns`` (no condition when empty)."""
    text = (q or "").strip()
    if not text:
        return []
    pattern = f"%{text}%"
    return [or_(*(column.ilike(pattern) for column in columns))]
