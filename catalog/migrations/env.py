"""Alembic environment: migrates the store given by the ``sqlalchemy.url`` option."""

from __future__ import annotations

from alembic import context

from catalog.db import Base, make_engine

config = context.config
connection = config.attributes.get("connection")


def run_with(conn) -> None:  # type: ignore[no-untyped-def]
    context.configure(connection=conn, target_metadata=Base.metadata,
                      render_as_batch=conn.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=Base.metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif connection is not None:
    run_with(connection)
else:
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as conn:
        run_with(conn)
    engine.dispose()
