"""The append-only, hash-chained audit log, on SQLite and PostgreSQL, and `mulu audit verify`."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from catalog import audit
from catalog.actors import SYSTEM
from catalog.cli import main
from catalog.config import load_settings
from catalog.db import AuditEntry, AuditHead
from catalog.services import Services
from catalog.store import Store
from tests.factories import MARKET, World, build_world, record


@pytest.fixture
def world(services: Services) -> World:
    return build_world(services)


def entries(store: Store) -> list[AuditEntry]:
    with store.reading() as session:
        rows = list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
        session.expunge_all()  # keep the loaded values after the read's rollback
        return rows


def verify(store: Store) -> audit.Verification:
    with store.reading() as session:
        return audit.verify(session)


@contextmanager
def triggers_off(store: Store) -> Iterator[None]:
    """Let a test tamper with the log: what someone with direct database access could do."""
    if store.engine.dialect.name == "postgresql":
        with store.engine.begin() as connection:
            connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        try:
            yield
        finally:  # the PostgreSQL schema is shared by the session's tests
            with store.engine.begin() as connection:
                connection.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))
    else:  # each SQLite test has its own copy of the database
        with store.engine.begin() as connection:
            connection.execute(text("DROP TRIGGER audit_log_no_update"))
            connection.execute(text("DROP TRIGGER audit_log_no_delete"))
        yield


def execute(store: Store, sql: str, **params: object) -> None:
    with store.engine.begin() as connection:
        connection.execute(text(sql), params)


def test_every_write_appends_one_chained_entry(services: Services) -> None:
    store = services.store
    assert entries(store) == []
    world = build_world(services)
    before = len(entries(store))
    assert before == 4 + 6 + 6  # departments, users, the users' logins
    datasets = services.datasets
    ids: dict[str, str] = {}
    script: list[tuple[str, Callable[[], object]]] = [
        ("token.create", lambda: services.accounts.create_token(SYSTEM, "steward", "cli")),
        ("dataset.create", lambda: ids.setdefault("d", datasets.register(world.steward, record()).id)),
        ("dataset.update", lambda: datasets.update(world.steward, ids["d"],
                                                   record(description="更新后的摘要信息。"))),
        ("dataset.submit", lambda: datasets.submit(world.steward, ids["d"])),
        ("dataset.return", lambda: datasets.review(world.reviewer, ids["d"], "return", "补充说明")),
        ("dataset.submit", lambda: datasets.submit(world.steward, ids["d"])),
        ("dataset.publish", lambda: datasets.review(world.reviewer, ids["d"], "publish")),
        ("dataset.withdraw", lambda: datasets.withdraw(world.steward, ids["d"], "不再维护")),
        ("user.create", lambda: services.accounts.create_user(
            SYSTEM, "auditor", "auditor-password", "staff", department_code=MARKET)),
        ("user.login", lambda: services.accounts.authenticate("auditor", "auditor-password")),
    ]
    for number, (action, call) in enumerate(script, start=1):
        call()
        log = entries(store)
        assert len(log) == before + number, action
        assert log[-1].action == action
        assert log[-1].prev_hash == log[-2].hash
    log = entries(store)
    assert log[0].prev_hash == audit.GENESIS
    for entry in log:
        assert entry.hash == audit.entry_hash(entry.prev_hash, entry.at, entry.actor, entry.action,
                                              entry.object_type, entry.object_id, entry.detail)
    with store.reading() as session:
        assert session.get_one(AuditHead, 1).last_hash == log[-1].hash
    result = verify(store)
    assert result.ok and result.checked == len(log) and result.first_bad_id is None
    by_action = {e.action: e for e in log}
    assert by_action["dataset.return"].actor == "reviewer"
    assert json.loads(by_action["dataset.return"].detail)["reason"] == "补充说明"
    assert json.loads(by_action["dataset.update"].detail)["changed"] == ["description"]


def test_a_refused_write_appends_nothing(world: World) -> None:
    services = world.services
    count = len(entries(services.store))
    with pytest.raises(Exception):  # noqa: B017 - any refusal: the point is the log after it
        services.datasets.register(world.staff, record())
    with pytest.raises(Exception):  # noqa: B017
        services.datasets.register(world.steward, record(share_basis=None), submit=True)
    assert len(entries(services.store)) == count
    assert verify(services.store).ok


def test_edited_entry_is_reported(world: World) -> None:
    store = world.services.store
    world.services.datasets.register(world.steward, record())
    log = entries(store)
    target = log[len(log) // 2]
    with triggers_off(store):
        execute(store, "UPDATE audit_log SET detail = :d WHERE id = :id",
                d='{"role":"admin"}', id=target.id)
    result = verify(store)
    assert not result.ok
    assert result.first_bad_id == target.id
    assert result.checked == target.id - log[0].id
    assert "hash" in result.reason


def test_edit_that_recomputes_the_entry_hash_breaks_the_next_link(world: World) -> None:
    store = world.services.store
    log = entries(store)
    target = log[3]
    forged = audit.entry_hash(target.prev_hash, target.at, "mallory", target.action,
                              target.object_type, target.object_id, target.detail)
    with triggers_off(store):
        execute(store, "UPDATE audit_log SET actor = 'mallory', hash = :h WHERE id = :id",
                h=forged, id=target.id)
    result = verify(store)
    assert (result.ok, result.first_bad_id) == (False, log[4].id)
    assert "link" in result.reason


def test_deleted_middle_entry_is_reported(world: World) -> None:
    store = world.services.store
    log = entries(store)
    middle = log[len(log) // 2]
    with triggers_off(store):
        execute(store, "DELETE FROM audit_log WHERE id = :id", id=middle.id)
    result = verify(store)
    assert not result.ok
    assert result.first_bad_id == middle.id + 1
    assert "link" in result.reason


def test_deleted_newest_entry_is_reported(world: World) -> None:
    store = world.services.store
    newest = entries(store)[-1]
    with triggers_off(store):
        execute(store, "DELETE FROM audit_log WHERE id = :id", id=newest.id)
    result = verify(store)
    assert not result.ok and result.first_bad_id is None
    assert "newest" in result.reason


@pytest.mark.parametrize("statement", [
    "UPDATE audit_log SET detail = '{}' WHERE id = :id",
    "UPDATE audit_log SET hash = prev_hash WHERE id = :id",
    "DELETE FROM audit_log WHERE id = :id",
    "DELETE FROM audit_log",
])
def test_triggers_refuse_update_and_delete(world: World, statement: str) -> None:
    store = world.services.store
    before = entries(store)
    with pytest.raises(DBAPIError, match="append-only"):
        execute(store, statement, id=before[2].id)
    after = entries(store)
    assert [(e.id, e.hash, e.detail) for e in after] == [(e.id, e.hash, e.detail) for e in before]
    assert verify(store).ok


# -- the command line -------------------------------------------------------------------------

@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """An embedded (SQLite) data dir holding a small world and one published dataset."""
    directory = tmp_path / "mulu-data"
    store = Store.open(load_settings({"MULU_DATA_DIR": str(directory)}))
    store.upgrade()
    services = Services.build(store)
    world = build_world(services)
    view = services.datasets.register(world.steward, record(), submit=True)
    services.datasets.review(world.reviewer, view.id, "publish")
    store.close()
    return directory


def run_verify(data_dir: Path, *extra: str) -> tuple[int, str]:
    runner = CliRunner()
    result = runner.invoke(main, ["audit", "verify", "--data-dir", str(data_dir), *extra],
                           env={"MULU_DATABASE_URL": "", "MULU_SEARCH_URL": "",
                                "MULU_DATA_DIR": ""})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def test_cli_verify_intact(data_dir: Path) -> None:
    code, output = run_verify(data_dir)
    assert code == 0, output
    assert "intact" in output and "18 entries" in output
    code, output = run_verify(data_dir, "--json")
    assert code == 0
    assert json.loads(output) == {"ok": True, "checked": 18, "first_bad_id": None, "reason": ""}


def test_cli_verify_reports_the_tampered_entry(data_dir: Path) -> None:
    connection = sqlite3.connect(data_dir / "mulu.db")
    with connection:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            connection.execute("UPDATE audit_log SET detail = '{}' WHERE id = 7")
    with connection:
        connection.execute("DROP TRIGGER audit_log_no_update")
        connection.execute("UPDATE audit_log SET detail = '{\"role\":\"admin\"}' WHERE id = 7")
    connection.close()
    code, output = run_verify(data_dir)
    assert code == 1
    assert "TAMPERED" in output and "#7" in output
    assert "6 entries before it verified" in output
    code, output = run_verify(data_dir, "--json")
    assert code == 1 and json.loads(output)["first_bad_id"] == 7


def test_cli_verify_reports_a_deleted_entry(data_dir: Path) -> None:
    connection = sqlite3.connect(data_dir / "mulu.db")
    with connection:
        connection.execute("DROP TRIGGER audit_log_no_delete")
        connection.execute("DELETE FROM audit_log WHERE id = 10")
    connection.close()
    code, output = run_verify(data_dir)
    assert code == 1 and "#11" in output
