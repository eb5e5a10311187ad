"""The catalog store: engine, sessions and the transaction every service call runs in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from catalog import migrate
from catalog.config import Settings
from catalog.db import make_engine, make_session_factory


@dataclass
class Store:
    settings: Settings
    engine: Engine
    sessions: sessionmaker

    @classmethod
    def open(cls, settings: Settings) -> Store:
        if settings.database_url.startswith("sqlite"):
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.database_url)
        return cls(settings, engine, make_session_factory(engine))

    def upgrade(self) -> None:
        migrate.upgrade(self.engine)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: committed when the block ends, rolled back on any exception."""
        session = self.sessions()
        try:
            with session.begin():
                session.connection(execution_options={"write": True})
                yield session
        finally:
            session.close()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        session = self.sessions()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    def close(self) -> None:
        self.engine.dispose()
