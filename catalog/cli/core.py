"""``mulu db``, ``mulu serve`` and ``mulu demo``."""

from __future__ import annotations

import click

from catalog.cli.common import _serve, _services, data_dir_option, friendly_errors


@click.group(help="The catalog store.")
def db() -> None:
    pass


@db.command("upgrade", help="Create or migrate the store's tables.")
@data_dir_option
def db_upgrade(data_dir: str | None) -> None:
    services = _services(data_dir)
    click.echo(f"store up to date: {services.settings.store_backend}")


@click.command(help="Serve a configured instance (web UI and API).")
@data_dir_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
def serve(data_dir: str | None, host: str, port: int, threads: int) -> None:
    _serve(_services(data_dir), host, port, threads)


@click.command(help="Start the embedded catalog with demo departments, users and datasets.")
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


COMMANDS: list[click.Command] = [db, serve, demo]
