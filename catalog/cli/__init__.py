"""The ``mulu`` command: serve, demo, db, user, token, audit, dataset, index, harvest, worker,
requests and workdays.

Each feature's commands live in their own module; this package assembles them under ``main``
(the ``mulu`` entry point, ``catalog.cli:main``) and re-exports the shared helpers.
"""

from __future__ import annotations

import click

from catalog.cli import accounts, core, datasets, harvest, index, sharing
from catalog.cli.common import (
    _serve,
    _services,
    _settings,
    data_dir_option,
    friendly_errors,
)

__all__ = ["_serve", "_services", "_settings", "data_dir_option", "friendly_errors", "main"]


@click.group(help="Mulu 政务信息资源目录 — a government information-resource catalog.")
def main() -> None:
    pass


for _module in (core, accounts, datasets, index, harvest, sharing):
    for _command in _module.COMMANDS:
        main.add_command(_command)
