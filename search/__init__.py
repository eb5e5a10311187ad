"""Search: Chinese full-text and faceted search over what each user may see (DESIGN §6).

``open_backend(settings)`` picks the backend once at start-up: the embedded SQLite FTS5 index
in the data dir when ``MULU_SEARCH_URL`` is empty, Elasticsearch at that address otherwise.
"""

from __future__ import annotations

from collections.abc import Callable

from catalog.config import Settings
from search.base import SearchBackend


def _sqlite(settings: Settings) -> SearchBackend:
    from search.sqlite import SqliteSearch

    return SqliteSearch(settings.data_dir / "search.db")


def _elastic(settings: Settings) -> SearchBackend:
    from search.elastic import ElasticSearch

    return ElasticSearch(settings.search_url)


BACKENDS: dict[str, Callable[[Settings], SearchBackend]] = {
    "sqlite": _sqlite,
    "elasticsearch": _elastic,
}


def open_backend(settings: Settings) -> SearchBackend:
    return BACKENDS[settings.search_backend](settings)
