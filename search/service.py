"""The search use case the API, the web page and the CLI share: validate, (drain,) search."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import select

from catalog.actors import Actor
from catalog.db import Department
from catalog.errors import Message
from catalog.store import Store
from search import open_backend
from search.base import (
    MAX_PAGE_SIZE,
    MAX_PREFIX_LENGTH,
    MAX_QUERY_LENGTH,
    SORTS,
    InvalidQuery,
    Query,
    Result,
    SearchBackend,
    Suggestion,
)
from search.documents import validate_filters
from search.indexer import BackgroundIndexer, Indexer

MAX_CURSOR_LENGTH = 4000


@dataclass
class SearchService:
    store: Store
    backend: SearchBackend
    indexer: Indexer
    sync: bool = False  # drain the outbox before answering (tests, or an explicit setting)

    @classmethod
    def open(cls, store: Store, *, sync: bool = False,
             backend: SearchBackend | None = None) -> SearchService:
        backend = backend or open_backend(store.settings)
        return cls(store, backend, Indexer(store, backend), sync)

    def start_background(self, interval: float = 1.0) -> BackgroundIndexer:
        return BackgroundIndexer(self.indexer, interval=interval).start()

    def query(self, actor: Actor, *, text: str = "",
              filters: Mapping[str, Iterable[str]] | None = None, sort: str = "relevance",
              page_size: int = 20, cursor: str | None = None, highlight: bool = True) -> Query:
        """A validated query; InvalidQuery (with the parameter's name) when it is malformed."""
        text = (text or "").strip()
        if len(text) > MAX_QUERY_LENGTH:
            raise InvalidQuery("q", Message(f"检索词不能超过 {MAX_QUERY_LENGTH} 个字符。",
                                            f"The query is longer than {MAX_QUERY_LENGTH} characters."))
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise InvalidQuery("page_size", Message(f"每页条数应在 1 到 {MAX_PAGE_SIZE} 之间。",
                                                    f"page_size must be 1 to {MAX_PAGE_SIZE}."))
        if sort not in SORTS:
            raise InvalidQuery("sort", Message("排序方式应为 relevance、modified 或 title。",
                                               "sort must be relevance, modified or title."))
        if cursor is not None and len(cursor) > MAX_CURSOR_LENGTH:
            raise InvalidQuery("cursor", Message("翻页游标无效。", "The cursor is malformed."))
        checked = validate_filters(filters or {})
        if "department" in checked:
            self._check_departments(checked["department"])
        return Query(actor, text, checked, sort, page_size, cursor or None, highlight)  # type: ignore[arg-type]

    def _check_departments(self, codes: tuple[str, ...]) -> None:
        with self.store.reading() as session:
            known = set(session.scalars(select(Department.code).where(Department.code.in_(codes))))
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise InvalidQuery("department", Message(f"部门不存在：{unknown[0][:40]}。",
                                                     f"Unknown department: {unknown[0][:40]}."))

    def search(self, query: Query) -> Result:
        if self.sync:
            self.indexer.drain()
        return self.backend.search(query)

    def suggest(self, actor: Actor, prefix: str, limit: int = 10) -> list[Suggestion]:
        if len(prefix) > MAX_PREFIX_LENGTH:
            raise InvalidQuery("prefix", Message(f"输入不能超过 {MAX_PREFIX_LENGTH} 个字符。",
                                                 f"The prefix is longer than {MAX_PREFIX_LENGTH} characters."))
        if self.sync:
            self.indexer.drain()
        return self.backend.suggest(prefix, actor, limit)

    def close(self) -> None:
        self.backend.close()
