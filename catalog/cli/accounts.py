"""``mulu user``, ``mulu token`` and ``mulu audit``."""

from __future__ import annotations

import json
import sys

import click

from catalog.actors import SYSTEM
from catalog.cli.common import _services, data_dir_option, friendly_errors


@click.group(help="Users.")
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


@user.command("edit", help="Change a user; a new password, role, department, clearance or "
                           "active flag ends the user's signed-in sessions.")
@data_dir_option
@click.argument("username")
@click.option("--role", type=click.Choice(["steward", "staff", "reviewer", "admin"]))
@click.option("--department", "department_code", help="统一社会信用代码 of the user's department")
@click.option("--clearance",
              type=click.Choice(["public", "internal", "secret", "confidential", "top_secret"]))
@click.option("--name", "display_name")
@click.option("--active/--inactive", default=None, help="let the user sign in, or not")
@click.option("--set-password", is_flag=True, help="prompt for a new password")
@friendly_errors
def user_edit(data_dir: str | None, username: str, role: str | None,
              department_code: str | None, clearance: str | None, display_name: str | None,
              active: bool | None, set_password: bool) -> None:
    changes = {name: value for name, value in (
        ("role", role), ("department_code", department_code), ("clearance", clearance),
        ("display_name", display_name), ("active", active)) if value is not None}
    if set_password:
        changes["password"] = click.prompt("New password", hide_input=True,
                                           confirmation_prompt=True)
    if not changes:
        raise click.UsageError("nothing to change: give --role, --department, --clearance, "
                               "--name, --active/--inactive or --set-password")
    changed = _services(data_dir).accounts.update_user(SYSTEM, username, changes)
    click.echo(f"changed user {changed.username} ({changed.role}, "
               f"{'active' if changed.active else 'inactive'})")


@user.command("unlock", help="Clear a user's failed sign-ins and lock (and an address's).")
@data_dir_option
@click.argument("username")
@click.option("--address", help="also unlock sign-in from this IP address")
@friendly_errors
def user_unlock(data_dir: str | None, username: str, address: str | None) -> None:
    result = _services(data_dir).accounts.unlock(SYSTEM, username, address)
    click.echo(f"unlocked {result.username}" + (f" and {address}" if address else "")
               if result.unlocked else f"{result.username} was not locked")


@click.group(help="API tokens.")
def token() -> None:
    pass


@token.command("create", help="Create a bearer token for a user and print it (shown once).")
@data_dir_option
@click.option("--user", "username", required=True)
@click.option("--name", default="cli")
@friendly_errors
def token_create(data_dir: str | None, username: str, name: str) -> None:
    click.echo(_services(data_dir).accounts.create_token(SYSTEM, username, name))


@click.group(help="The audit log.")
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


COMMANDS: list[click.Command] = [user, token, audit]
