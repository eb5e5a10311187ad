"""Inserting many rows at once in the caller's transaction (batch writers: harvests)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import JSON, insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session


def insert_rows(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``model``'s table in the session's
    transaction: SQLite's executemany, PostgreSQL's COPY (an executemany there is a statement
    a row, and SQLAlchemy's multi-row VALUES spends its time in psycopg's placeholder parsing).

    A row the database refuses raises SQLAlchemy's exception on both (``IntegrityError`` for a
    taken unique value), so callers need not know the driver."""
    if not rows:
        return
    connection = session.connection()
    table = model.__table__
    if connection.dialect.name != "postgresql":
        # Core's executemany: the ORM's bulk insert spends more time collecting its insert
        # commands than SQLite spends inserting. The session is flushed first, as the ORM
        # statement's autoflush did, so rows this one refers to are already written.
        session.flush()
        connection.execute(insert(table), rows)
        return
    names = list(rows[0])
    as_json = {name for name in names if isinstance(table.c[name].type, JSON)}
    quote = connection.dialect.identifier_preparer.quote
    statement = f"COPY {quote(table.name)} ({', '.join(map(quote, names))}) FROM STDIN"
    dbapi = connection.dialect.loaded_dbapi
    cursor = connection.connection.driver_connection.cursor()
    try:
        with cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([json.dumps(row[n]) if n in as_json else row[n] for n in names])
    except dbapi.Error as exc:
        raise DBAPIError.instance(statement, None, exc, dbapi.Error,
                                  dialect=connection.dialect) from exc
