"""The ``mulu`` command: serve, demo, db, user, token, audit."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any

import click

from catalog.actors import SYSTEM
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


@click.group(help="Mulu 政务信息资源目录 — a government information-resource catalog.")
def main() -> None:
    pass


@main.group(help="The catalog store.")
def db() -> None:
    pass


@db.command("upgrade", help="Create or migrate the store's tables.")
@data_dir_option
def db_upgrade(data_dir: str | None) -> None:
    services = _services(data_dir)
    click.echo(f"store up to date: {services.settings.store_backend}")


@main.command(help="Serve a configured instance (web UI and API).")
@data_dir_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
def serve(data_dir: str | None, host: str, port: int, threads: int) -> None:
    _serve(_services(data_dir), host, port, threads)


@main.command(help="Start the embedded catalog with demo departments, users and datasets.")
@data_dir_option
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--no-serve", is_flag=True, help="Load the demo data and exit.")
@friendly_errors
def demo(data_dir: str | None, port: int, host: str, no_serve: bool) -> None:
    from catalog.demo import loader

    services = _services(data_dir or "mulu-demo")
    if loader.is_loaded(services):
        click.echo(f"demo data already in {services.settings.data_dir}")
    else:
        count = loader.load(services)
        click.echo(f"loaded {count} demo datasets into {services.settings.data_dir}")
    click.echo("demo users (username / password / role):")
    for user in loader.DEMO_USERS:
        click.echo(f"  {user.username:<9} {user.password:<20} {user.role}")
    if not no_serve:
        _serve(services, host, port, 8)


def _serve(services: Services, host: str, port: int, threads: int) -> None:
    from waitress import serve as waitress_serve

    from catalog.app import create_app

    settings = services.settings.with_overrides(public_base_url=f"http://{host}:{port}")
    app = create_app(settings, store=services.store)
    from catalog.api.search import search_service

    indexer = search_service(app).start_background()  # drains the outbox into the search index
    click.echo(f"Mulu is running at http://{host}:{port}/  (API: http://{host}:{port}/api/openapi.json)")
    sys.stdout.flush()
    try:
        waitress_serve(app, host=host, port=port, threads=threads, ident="mulu")
    finally:
        indexer.stop()


@main.group(help="The search index (SQLite FTS5 in the data dir, or MULU_SEARCH_URL).")
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


@main.group(help="Users.")
def user() -> None:
    pass


@user.command("create", help="Create a user (prompts for the password when not given).")
@data_dir_option
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["steward", "staff", "reviewer", "admin"]))
@click.option("--department", "department_code", help="统一社会信用代码 of the user's department")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--clearance", default="internal", show_default=True,
              type=click.Choice(["public", "internal", "secret", "confidential", "top_secret"]))
@click.option("--name", "display_name", default="")
@friendly_errors
def user_create(data_dir: str | None, username: str, role: str, department_code: str | None,
                password: str, clearance: str, display_name: str) -> None:
    created = _services(data_dir).accounts.create_user(
        SYSTEM, username, password, role, department_code=department_code,
        display_name=display_name, clearance=clearance)
    click.echo(f"created user {created.username} ({created.role})")


@main.group(help="API tokens.")
def token() -> None:
    pass


@token.command("create", help="Create a bearer token for a user and print it (shown once).")
@data_dir_option
@click.option("--user", "username", required=True)
@click.option("--name", default="cli")
@friendly_errors
def token_create(data_dir: str | None, username: str, name: str) -> None:
    click.echo(_services(data_dir).accounts.create_token(SYSTEM, username, name))


@main.group(help="The audit log.")
def audit() -> None:
    pass


@audit.command("verify", help="Recompute the hash chain; report the first tampered entry.")
@data_dir_option
@click.option("--json", "as_json", is_flag=True)
def audit_verify(data_dir: str | None, as_json: bool) -> None:
    from catalog import audit as audit_log

    services = _services(data_dir)
    with services.store.reading() as session:
        result = audit_log.verify(session)
    if as_json:
        click.echo(json.dumps(result.__dict__))
    elif result.ok:
        click.echo(f"audit log intact: {result.checked} entries verified")
    else:
        where = f"entry #{result.first_bad_id}" if result.first_bad_id else "the chain head"
        click.echo(f"audit log TAMPERED at {where}: {result.reason} "
                   f"({result.checked} entries before it verified)", err=True)
    sys.exit(0 if result.ok else 1)


@main.group(help="Datasets: spreadsheet bulk registration (批量登记).")
def dataset() -> None:
    pass


@dataset.command("import", help="Register every row of a catalog spreadsheet (.xlsx or .csv), "
                                "or none when any row is wrong.")
@data_dir_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--department", "department_code", required=True,
              help="统一社会信用代码 of the department the rows belong to")
@click.option("--submit", is_flag=True, help="Submit every row for review at once.")
@friendly_errors
def dataset_import(data_dir: str | None, file: str, department_code: str, submit: bool) -> None:
    from pathlib import Path

    from catalog import spreadsheet

    path = Path(file)
    with path.open("rb") as handle:
        data = handle.read(spreadsheet.MAX_BYTES + 1)
    result = spreadsheet.import_file(_services(data_dir).datasets, SYSTEM, data, path.name,
                                     department_code=department_code, submit=submit)
    for column in result.ignored_columns:
        click.echo(f"忽略未识别的列 / ignored unknown column: {column}", err=True)
    for item in result.items:
        click.echo(f"row {item.row}: {item.resource_code}  {item.title}")
    click.echo(f"imported {result.created} datasets ({'submitted' if submit else 'drafts'})")


@dataset.command("template", help="Write the catalog spreadsheet template (OUT.xlsx or OUT.csv).")
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
def dataset_template(out: str) -> None:
    from pathlib import Path

    from catalog import spreadsheet

    path = Path(out)
    writers = {".xlsx": spreadsheet.template_xlsx, ".csv": spreadsheet.template_csv}
    if path.suffix.lower() not in writers:
        raise click.BadParameter("the file name must end in .xlsx or .csv", param_hint="OUT")
    path.write_bytes(writers[path.suffix.lower()]())
    click.echo(f"wrote {path}")
