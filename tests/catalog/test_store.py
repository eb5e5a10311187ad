"""The catalog store on SQLite and PostgreSQL: migrations, revisions, hashed secrets, the outbox
and unique resource codes under concurrency."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, select, text

from catalog import audit, migrate
from catalog.actors import SYSTEM
from catalog.config import load_settings
from catalog.datasets import DatasetService
from catalog.db import ApiToken, Base, CodeSequence, OutboxEvent, User
from catalog.errors import Conflict, InvalidInput
from catalog.passwords import token_digest
from catalog.services import Services
from catalog.store import Store
from tests.conftest import POSTGRES_URL
from tests.factories import World, build_world, record


@pytest.fixture
def world(services: Services) -> World:
    return build_world(services)


def rows(store: Store, table: str) -> list[dict[str, Any]]:
    with store.engine.connect() as connection:
        return [dict(r._mapping) for r in connection.execute(text(f"SELECT * FROM {table}"))]


def outbox(store: Store) -> list[OutboxEvent]:
    with store.reading() as session:
        events = list(session.scalars(select(OutboxEvent).order_by(OutboxEvent.id)))
        session.expunge_all()
        return events


# -- migrations -------------------------------------------------------------------------------

@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A store with no tables at all: a new SQLite file, or a new PostgreSQL schema."""
    settings = load_settings({"MULU_DATA_DIR": str(tmp_path / "data")})
    if request.param == "sqlite":
        store = Store.open(settings.with_overrides(database_url=f"sqlite:///{tmp_path / 'new.db'}"))
        yield store
        store.close()
        return
    request.getfixturevalue("postgres_schema")  # skips (or fails under CI) without PostgreSQL
    schema = f"mulu_migrate_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    store = Store.open(settings.with_overrides(
        database_url=f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"))
    try:
        yield store
    finally:
        store.close()
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def head_revisions() -> set[str]:
    """Every head: feature branches (sharing, harvest) each start from 0001."""
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    return set(script.get_heads())


def test_migrations_build_exactly_the_models(empty_store: Store) -> None:
    assert inspect(empty_store.engine).get_table_names() == []
    empty_store.upgrade()
    with empty_store.engine.connect() as connection:
        assert set(MigrationContext.configure(connection).get_current_heads()) == head_revisions()
    with empty_store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
    tables = set(inspect(empty_store.engine).get_table_names())
    assert tables == set(Base.metadata.tables) | {"alembic_version"}
    empty_store.upgrade()  # a second upgrade is a no-op
    assert rows(empty_store, "audit_head") == [{"id": 1, "last_hash": "0" * 64}]


def test_downgrade_to_base_and_back(empty_store: Store) -> None:
    empty_store.upgrade()
    config = migrate.alembic_config(empty_store.engine.url.render_as_string(hide_password=False))
    with empty_store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(empty_store.engine).get_table_names()) <= {"alembic_version"}
    empty_store.upgrade()
    with empty_store.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


# -- revisions --------------------------------------------------------------------------------

def test_every_revision_is_kept_with_author_and_changed_fields(world: World) -> None:
    datasets = world.services.datasets
    view = datasets.register(world.steward, record(), note="首次登记")
    datasets.update(world.steward, view.id, record(description="新的摘要。", update_cycle="weekly"),
                    note="调整更新周期")
    datasets.update(world.admin, view.id, record(description="新的摘要。", update_cycle="weekly",
                                                 keywords=["人口"]))
    unchanged = datasets.update(world.steward, view.id, record(
        description="新的摘要。", update_cycle="weekly", keywords=["人口"]))
    assert unchanged.revision == 3  # nothing changed: no new revision
    revisions = datasets.revisions(world.steward, view.id)
    assert [(r.number, r.author, r.changed_fields, r.note) for r in revisions] == [
        (1, "steward", sorted(view.record), "首次登记"),
        (2, "steward", ["description", "update_cycle"], "调整更新周期"),
        (3, "admin", ["keywords"], "updated"),
    ]
    assert revisions[0].record["update_cycle"] == "daily"
    assert revisions[1].record["update_cycle"] == "weekly"
    stored = rows(world.services.store, "dataset_revisions")
    assert sorted((r["number"], r["author_id"]) for r in stored) == [
        (1, world.steward.user_id), (2, world.steward.user_id), (3, world.admin.user_id)]


# -- secrets ----------------------------------------------------------------------------------

def test_tokens_are_stored_only_as_digests(world: World) -> None:
    store = world.services.store
    token = world.services.accounts.create_token(SYSTEM, "staff", "脚本")
    assert token.startswith("mulu_") and len(token) > 40
    dump = repr(rows(store, "api_tokens"))
    assert token not in dump and token[9:] not in dump
    assert token_digest(token) in dump
    for table in Base.metadata.tables:
        assert token not in repr(rows(store, table)), table
    with store.reading() as session:
        stored = session.scalars(select(ApiToken)).one()
        assert stored.prefix == token[:9]
        assert stored.token_hash == token_digest(token) != token
    assert world.services.accounts.actor_for_token(token).username == "staff"


def test_passwords_are_hashed_with_argon2id(world: World) -> None:
    store = world.services.store
    with store.reading() as session:
        users = session.scalars(select(User)).all()
        session.expunge_all()
    assert len(users) == 6
    for stored in users:
        assert stored.password_hash.startswith("$argon2id$"), stored.username
        assert f"{stored.username}-password" not in stored.password_hash
    for table in Base.metadata.tables:
        assert "steward-password" not in repr(rows(store, table)), table


# -- outbox -----------------------------------------------------------------------------------

def test_one_outbox_event_per_change(world: World) -> None:
    store, datasets = world.services.store, world.services.datasets
    assert outbox(store) == []
    view = datasets.register(world.steward, record())
    datasets.update(world.steward, view.id, record(description="修改摘要。"))
    datasets.submit(world.steward, view.id)
    datasets.review(world.reviewer, view.id, "publish")
    datasets.withdraw(world.steward, view.id, "停止维护")
    events = outbox(store)
    assert [(e.topic, e.object_id) for e in events] == [("dataset.changed", view.id)] * 5
    assert [e.payload["state"] for e in events] == ["draft", "draft", "submitted", "published",
                                                    "withdrawn"]
    assert [e.payload["revision"] for e in events] == [1, 2, 2, 2, 2]
    assert events[3].payload["published_revision"] == 2
    assert all(e.processed_at is None for e in events)


def test_a_failing_change_leaves_no_outbox_row(world: World,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    store, datasets = world.services.store, world.services.datasets
    view = datasets.register(world.steward, record())
    before = {table: len(rows(store, table)) for table in Base.metadata.tables}
    with pytest.raises(Conflict):
        datasets.review(world.admin, view.id, "publish")  # a draft is not awaiting review
    with pytest.raises(InvalidInput):
        datasets.register(world.steward, record())  # duplicate title

    def broken_view(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("the disk is full")

    # fail after the revision, audit entry and outbox event were added: all of it rolls back
    monkeypatch.setattr(DatasetService, "_view", broken_view)
    with pytest.raises(RuntimeError):
        datasets.register(world.steward, record(title="不会保存的信息资源"))
    with pytest.raises(RuntimeError):
        datasets.update(world.steward, view.id, record(description="不会保存的修改。"))
    with pytest.raises(RuntimeError):
        datasets.submit(world.steward, view.id)
    monkeypatch.undo()
    assert {table: len(rows(store, table)) for table in Base.metadata.tables} == before
    assert datasets.get(world.steward, view.id).state == "draft"
    assert len(outbox(store)) == 1


# -- resource codes ---------------------------------------------------------------------------

def register_concurrently(world: World, count: int) -> tuple[list[str], list[BaseException]]:
    datasets = world.services.datasets
    barrier = threading.Barrier(count)
    codes: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def register(index: int) -> None:
        barrier.wait()
        try:
            view = datasets.register(world.steward, record(title=f"并发登记的信息资源{index}"))
            with lock:
                codes.append(view.resource_code)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=register, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return codes, errors


def check_unique_codes(world: World, codes: list[str], errors: list[BaseException],
                       count: int) -> None:
    assert errors == [], [f"{type(e).__name__}: {e}" for e in errors]
    assert len(codes) == count and len(set(codes)) == count
    assert sorted(codes) == [f"101001/{n:06d}" for n in range(1, count + 1)]
    store = world.services.store
    with store.reading() as session:
        assert session.get_one(CodeSequence, "101001").last == count
        assert audit.verify(session).ok  # appends stayed chained under contention
    assert len(outbox(store)) == count


def test_resource_codes_unique_under_concurrent_registration(world: World) -> None:
    """8 threads register at the same moment: 8 distinct codes, in sequence, chain intact."""
    codes, errors = register_concurrently(world, 8)
    check_unique_codes(world, codes, errors, 8)
