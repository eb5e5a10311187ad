"""``mulu db``, ``mulu serve`` and ``mulu demo``."""

from __future__ import annotations

import signal
from typing import TYPE_CHECKING

import click

from catalog.cli.common import _serve, _services, data_dir_option, friendly_errors
from catalog.services import Services

if TYPE_CHECKING:
    from catalog.demo.simulated import SimulatedSources


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
@click.option("--jobs/--no-jobs", default=True, show_default=True,
              help="Run queued import jobs in a background thread of this process (they are "
                   "shared with any `mulu worker` through the job table).")
def serve(data_dir: str | None, host: str, port: int, threads: int, jobs: bool) -> None:
    _serve(_services(data_dir), host, port, threads, jobs)


@click.command(help="Start the embedded catalog with demo departments, users and datasets, "
                    "and three simulated department sources it harvests.")
@data_dir_option
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--no-serve", is_flag=True, help="Load the demo data (and harvest the sources) "
                                                "and exit.")
@click.option("--no-sources", is_flag=True,
              help="Do not start or harvest the simulated department sources.")
@click.option("--sources-port", default=None, type=click.IntRange(0, 65535),
              help="Port of the simulated sources on 127.0.0.1 (0: any free port). Default: "
                   "the demo's port + 1, or any free port when that one is taken.")
@friendly_errors
def demo(data_dir: str | None, port: int, host: str, no_serve: bool, no_sources: bool,
         sources_port: int | None) -> None:
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
    simulated = None if no_sources else _start_sources(services, sources_port, port)
    scheduled = None
    try:
        if not no_serve:
            if simulated is not None:
                from harvesters.worker import BackgroundWorker

                scheduled = BackgroundWorker(  # due sources rerun while the demo serves
                    services, echo=lambda line: click.echo(f"harvest: {line}"),
                    kinds=("harvest",), interval=30.0).start()
            previous = signal.signal(signal.SIGTERM, _stop_serving)  # stop as on Ctrl-C
            try:
                _serve(services, host, port, 8)
            finally:
                signal.signal(signal.SIGTERM, previous)
    finally:
        if scheduled is not None:
            scheduled.stop()
        if simulated is not None:
            simulated.stop()


def _stop_serving(*_: object) -> None:
    raise SystemExit(0)


def _start_sources(services: Services, port: int | None, demo_port: int) -> SimulatedSources:
    """Start the simulated department sources and harvest each once; prints the outcomes.

    By default they listen next to the demo (its port + 1), so their addresses, and the
    harvested landing pages, stay the same from one start to the next."""
    from catalog.demo.simulated import SimulatedSources
    from catalog.demo.sources import register_and_run

    wanted = port if port is not None else (demo_port + 1 if demo_port < 65535 else 0)
    try:
        simulated = SimulatedSources(port=wanted).start()
    except OSError as exc:
        if port is not None:
            raise click.ClickException(
                f"无法在 127.0.0.1:{port} 启动模拟数据源 / cannot start the simulated sources on "
                f"127.0.0.1:{port}: {exc.strerror}") from None
        simulated = SimulatedSources(port=0).start()  # the usual port is taken: any free one
    click.echo(f"simulated department sources (采集数据源) on {simulated.url()}/ :")
    try:
        for run in register_and_run(services, simulated):
            click.echo(f"  {run.department} [{run.kind}] {run.name}  <{run.url}>")
            click.echo(f"    {run.line()}")
    except BaseException:
        simulated.stop()
        raise
    return simulated


COMMANDS: list[click.Command] = [db, serve, demo]
