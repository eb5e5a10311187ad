"""``mulu index``: the search index (SQLite FTS5 in the data dir, or MULU_SEARCH_URL)."""

from __future__ import annotations

import sys
from typing import Any

import click

from catalog.cli.common import _services, data_dir_option


@click.group(help="The search index (SQLite FTS5 in the data dir, or MULU_SEARCH_URL).")
def index() -> None:
    pass


def _search(data_dir: str | None) -> Any:
    from search.service import SearchService

    return SearchService.open(_services(data_dir).store)


@index.command("rebuild", help="Build a new index from the store and swap it in at once.")
@data_dir_option
def index_rebuild(data_dir: str | None) -> None:
    from search.base import SearchUnavailable

    service = _search(data_dir)
    try:
        count = service.indexer.rebuild()
        service.indexer.drain()
    except SearchUnavailable as exc:
        click.echo(f"错误 / Error: {exc}", err=True)
        sys.exit(1)
    click.echo(f"search index rebuilt: {count} documents ({service.backend.name})")


@index.command("drain", help="Index every pending change of the store (the outbox) and exit.")
@data_dir_option
def index_drain(data_dir: str | None) -> None:
    from search.base import SearchUnavailable

    service = _search(data_dir)
    try:
        count = service.indexer.drain()
    except SearchUnavailable as exc:
        click.echo(f"错误 / Error: {exc} (the changes stay queued)", err=True)
        sys.exit(1)
    click.echo(f"indexed {count} changes ({service.backend.name}, "
               f"{service.backend.count()} documents)")


COMMANDS: list[click.Command] = [index]
