"""Shared fixtures: a fresh store per test on SQLite and (for store tests) PostgreSQL."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text

from catalog import passwords
from catalog.config import Settings, load_settings
from catalog.db import Base
from catalog.services import Services
from catalog.store import Store

POSTGRES_URL = os.environ.get("MULU_TEST_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# Argon2id with its production cost takes ~0.15 s a hash; tests create many users
passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def postgres_available() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001
        return f"PostgreSQL not reachable at {POSTGRES_URL}: {type(exc).__name__}"


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    env = {"MULU_DATA_DIR": str(tmp_path / "data"), "MULU_NETWORK": "extranet",
           "MULU_SECRET_KEY": "test-secret"}
    return load_settings(env).with_overrides(**overrides)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "mulu.db"
    store = Store.open(make_settings(path.parent).with_overrides(database_url=f"sqlite:///{path}"))
    store.upgrade()
    store.close()
    return path


@pytest.fixture(scope="session")
def postgres_schema() -> Iterator[str]:
    reason = postgres_available()
    if reason:
        if IN_CI:
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    schema = f"mulu_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    store = Store.open(load_settings({"MULU_DATA_DIR": "/tmp/mulu-pg"}).with_overrides(database_url=url))
    store.upgrade()
    store.close()
    yield url
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def _reset_postgres(store: Store) -> None:
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with store.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        connection.execute(text("INSERT INTO audit_head (id, last_hash) VALUES (1, :h)"),
                           {"h": "0" * 64})


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[Store]:
    """A fresh, migrated store on each backend."""
    settings = make_settings(tmp_path)
    if request.param == "sqlite":
        path = tmp_path / "mulu.db"
        shutil.copy(sqlite_template, path)
        store = Store.open(settings.with_overrides(database_url=f"sqlite:///{path}"))
    else:
        url = request.getfixturevalue("postgres_schema")
        store = Store.open(settings.with_overrides(database_url=url))
        _reset_postgres(store)
    yield store
    store.close()


@pytest.fixture
def sqlite_store(tmp_path: Path, sqlite_template: Path) -> Iterator[Store]:
    """A fresh SQLite store, for tests that exercise the layers above storage."""
    path = tmp_path / "mulu.db"
    shutil.copy(sqlite_template, path)
    store = Store.open(make_settings(tmp_path).with_overrides(database_url=f"sqlite:///{path}"))
    yield store
    store.close()


@pytest.fixture
def services(store: Store) -> Services:
    return Services.build(store)
