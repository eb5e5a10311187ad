"""Helpers shared by every ``mulu`` command group: options, settings, services, errors, serving."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import click

from catalog.config import ConfigError, Settings, load_settings
from catalog.errors import InvalidInput, MuluError
from catalog.services import Services
from catalog.store import Store

data_dir_option = click.option(
    "--data-dir", type=click.Path(file_okay=False), default=None,
    help="Where the embedded store, index and uploads live (overrides MULU_DATA_DIR).")


def _settings(data_dir: str | None) -> Settings:
    try:
        return load_settings(data_dir=data_dir)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None


def _services(data_dir: str | None, *, upgrade: bool = True) -> Services:
    store = Store.open(_settings(data_dir))
    if upgrade:
        store.upgrade()
    return Services.build(store)


def friendly_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Domain errors become a clear message and exit status 2, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except InvalidInput as exc:
            click.echo(f"错误 / Error: {exc.message}", err=True)
            for name, messages in exc.errors.items():
                for message in messages:
                    click.echo(f"  {name}: {message}", err=True)
            sys.exit(2)
        except MuluError as exc:
            click.echo(f"错误 / Error: {exc.message}", err=True)
            sys.exit(2)

    return wrapper


def _serve(services: Services, host: str, port: int, threads: int, jobs: bool = True) -> None:
    from waitress import serve as waitress_serve

    from catalog.app import create_app

    settings = services.settings.with_overrides(public_base_url=f"http://{host}:{port}")
    app = create_app(settings, store=services.store)
    from catalog.api.search import search_service

    indexer = search_service(app).start_background()  # drains the outbox into the search index
    from catalog.sharing.scheduler import DeadlineTimer

    timer = DeadlineTimer(app.extensions["mulu"].sharing).start()  # escalates breached requests
    from harvesters.worker import BackgroundWorker

    imports = BackgroundWorker(app.extensions["mulu"], echo=lambda line: click.echo(
        f"import: {line}"), kinds=("import",)).start() if jobs else None  # runs import jobs
    click.echo(f"Mulu is running at http://{host}:{port}/  (API: http://{host}:{port}/api/openapi.json)")
    sys.stdout.flush()
    try:
        waitress_serve(app, host=host, port=port, threads=threads, ident="mulu")
    finally:
        if imports is not None:
            imports.stop()
        timer.stop()
        indexer.stop()
