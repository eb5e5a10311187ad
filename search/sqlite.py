"""The embedded search backend: SQLite FTS5 in its own file (``<data dir>/search.db``).

Text is analysed in Python (search.analysis) and stored as space-joined tokens in four FTS5
columns (title/body × words/bigrams, tokenizer ``unicode61``); facets are GROUP BY counts over
the filtered set, each facet counted under the other facets' filters; paging is by keyset
(the cursor holds the last hit's sort values). Each index generation is a set of tables
(``docs_N``, ``fts_N``, ``fv_N``, ``sug_N``); the row of ``search_alias`` names the live one,
so a rebuild fills new tables and swaps the alias in one transaction — a reader (always in one
read transaction under WAL) sees the old generation or the new one, never an empty index.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from catalog.actors import Actor
from search import analysis
from search.base import (
    FACET_SIZE,
    MAX_PREFIX_LENGTH,
    FacetValue,
    Query,
    Result,
    SearchUnavailable,
    Suggestion,
    cursor_after,
    decode_cursor,
    encode_cursor,
)
from search.documents import (
    FACETS,
    And,
    Cond,
    Const,
    Eq,
    Le,
    Not,
    Or,
    actor_filter,
    hit,
    stored,
)

log = logging.getLogger("mulu.search")

# bm25 weights of the FTS5 columns, in their order
COLUMNS = ("title_words", "body_words", "title_grams", "body_grams")
WEIGHTS = (5.0, 1.5, 3.0, 1.0)
WORD_COLUMNS = "{title_words body_words}"
GRAM_COLUMNS = "{title_grams body_grams}"
BATCH = 500
_COLUMN_OF = {"view": "d.view", "department_id": "d.department_id", "state": "d.state",
              "security_rank": "d.security_rank", "rank": "d.rank"}


def compile_filter(cond: Cond) -> tuple[str, list[Any]]:
    """A visibility filter as an SQL condition over ``docs AS d``."""
    match cond:
        case Const(value):
            return ("1" if value else "0"), []
        case Eq(name, value):
            return f"{_COLUMN_OF[name]} = ?", [value]
        case Le(name, value):
            return f"{_COLUMN_OF[name]} <= ?", [value]
        case Not(part):
            sql, params = compile_filter(part)
            return f"NOT ({sql})", params
        case And(parts) | Or(parts):
            joiner = " AND " if isinstance(cond, And) else " OR "
            compiled = [compile_filter(p) for p in parts]
            return ("(" + joiner.join(s for s, _ in compiled) + ")",
                    [p for _, ps in compiled for p in ps])
    raise TypeError(f"not a filter: {cond!r}")


def _phrase(tokens: Sequence[str]) -> str:
    return '"' + " ".join(t.replace('"', '""') for t in tokens) + '"'


def match_expression(clauses: Sequence[analysis.Clause]) -> str:
    """The FTS5 MATCH expression of a query plan (every token quoted: no syntax from users)."""
    parts = []
    for clause in clauses:
        options = []
        for alt in clause.alternatives:
            options.append(f"({WORD_COLUMNS} : {_phrase(alt.words)})")
            if alt.grams:
                suffix = " *" if alt.prefix else ""
                options.append(f"({GRAM_COLUMNS} : {_phrase(alt.grams)}{suffix})")
        parts.append("(" + " OR ".join(options) + ")")
    return " AND ".join(parts)


class SqliteSearch:
    """SearchBackend over SQLite FTS5."""

    name = "sqlite"

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._guard = threading.Lock()
        with self._write() as db:
            db.execute("CREATE TABLE IF NOT EXISTS search_alias "
                       "(name TEXT PRIMARY KEY, generation INTEGER NOT NULL)")
            if db.execute("SELECT 1 FROM search_alias WHERE name = 'datasets'").fetchone() is None:
                self._create_tables(db, 1)
                db.execute("INSERT INTO search_alias VALUES ('datasets', 1)")

    # -- connections ----------------------------------------------------------------------
    def _connection(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            try:
                db = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                     check_same_thread=False)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                db.execute("PRAGMA busy_timeout=30000")
            except sqlite3.OperationalError as exc:
                raise SearchUnavailable(f"cannot open {self.path}: {exc}") from exc
            self._local.db = db
            with self._guard:
                self._connections.append(db)
        return db

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        db = self._connection()
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            raise SearchUnavailable(f"search index write failed: {exc}") from exc

    @contextmanager
    def _read(self) -> Iterator[tuple[sqlite3.Connection, int]]:
        db = self._connection()
        try:
            db.execute("BEGIN")
            try:
                row = db.execute("SELECT generation FROM search_alias WHERE name = 'datasets'")
                yield db, row.fetchone()[0]
            finally:
                db.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            raise SearchUnavailable(f"search index read failed: {exc}") from exc

    @staticmethod
    def _live(db: sqlite3.Connection) -> int:
        return int(db.execute("SELECT generation FROM search_alias WHERE name = 'datasets'")
                   .fetchone()[0])

    def close(self) -> None:
        with self._guard:
            for db in self._connections:
                db.close()
            self._connections.clear()
        self._local = threading.local()

    # -- schema -----------------------------------------------------------------------------
    @staticmethod
    def _create_tables(db: sqlite3.Connection, g: int) -> None:
        db.execute(f"""CREATE TABLE docs_{g} (
            rowid INTEGER PRIMARY KEY, doc_id TEXT NOT NULL UNIQUE, dataset_id TEXT NOT NULL,
            view TEXT NOT NULL, version TEXT NOT NULL, department_id INTEGER NOT NULL,
            state TEXT NOT NULL, security_rank INTEGER NOT NULL, rank INTEGER NOT NULL,
            department_code TEXT NOT NULL, department_name TEXT NOT NULL,
            title TEXT NOT NULL, title_sort TEXT NOT NULL, modified TEXT NOT NULL, data TEXT NOT NULL)""")
        db.execute(f"CREATE INDEX docs_{g}_modified ON docs_{g} (modified DESC, doc_id)")
        db.execute(f"CREATE INDEX docs_{g}_title ON docs_{g} (title_sort, doc_id)")
        db.execute(f"CREATE VIRTUAL TABLE fts_{g} USING fts5({', '.join(COLUMNS)}, "
                   "tokenize = 'unicode61 remove_diacritics 0')")
        db.execute(f"CREATE TABLE fv_{g} (facet TEXT NOT NULL, value TEXT NOT NULL, "
                   f"doc INTEGER NOT NULL, PRIMARY KEY (facet, value, doc)) WITHOUT ROWID")
        db.execute(f"CREATE INDEX fv_{g}_doc ON fv_{g} (doc)")
        db.execute(f"CREATE TABLE sug_{g} (kind TEXT NOT NULL, term TEXT NOT NULL, "
                   f"doc INTEGER NOT NULL, PRIMARY KEY (kind, term, doc)) WITHOUT ROWID")
        db.execute(f"CREATE INDEX sug_{g}_doc ON sug_{g} (doc)")

    @staticmethod
    def _drop_tables(db: sqlite3.Connection, g: int) -> None:
        for table in (f"docs_{g}", f"fts_{g}", f"fv_{g}", f"sug_{g}"):
            db.execute(f"DROP TABLE IF EXISTS {table}")

    @staticmethod
    def _generations(db: sqlite3.Connection) -> set[int]:
        rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                          "AND name GLOB 'docs_[0-9]*'").fetchall()
        return {int(name.split("_", 1)[1]) for (name,) in rows}

    # -- writes -----------------------------------------------------------------------------
    @staticmethod
    def _remove(db: sqlite3.Connection, g: int, doc_ids: Iterable[str]) -> None:
        for doc_id in doc_ids:
            row = db.execute(f"SELECT rowid FROM docs_{g} WHERE doc_id = ?", (doc_id,)).fetchone()
            if row is None:
                continue
            rowid = row[0]
            db.execute(f"DELETE FROM fts_{g} WHERE rowid = ?", (rowid,))
            db.execute(f"DELETE FROM fv_{g} WHERE doc = ?", (rowid,))
            db.execute(f"DELETE FROM sug_{g} WHERE doc = ?", (rowid,))
            db.execute(f"DELETE FROM docs_{g} WHERE rowid = ?", (rowid,))

    @staticmethod
    def _insert(db: sqlite3.Connection, g: int, doc: dict[str, Any]) -> None:
        cursor = db.execute(
            f"INSERT INTO docs_{g} (doc_id, dataset_id, view, version, department_id, state, "
            "security_rank, rank, department_code, department_name, title, title_sort, modified, "
            "data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (doc["doc_id"], doc["dataset_id"], doc["view"], doc["version"], doc["department_id"],
             doc["state"], doc["security_rank"], doc["rank"], doc["department_code"],
             doc["department_name"], doc["title"], doc["title_sort"], doc["modified"],
             json.dumps(stored(doc), ensure_ascii=False)))
        rowid = cursor.lastrowid
        db.execute(f"INSERT INTO fts_{g} (rowid, {', '.join(COLUMNS)}) VALUES (?, ?, ?, ?, ?)",
                   (rowid, *(doc[c] for c in COLUMNS)))
        db.executemany(f"INSERT OR IGNORE INTO fv_{g} (facet, value, doc) VALUES (?, ?, ?)",
                       [(facet, value, rowid) for facet, values in doc["facets"].items()
                        for value in values])
        db.executemany(f"INSERT OR IGNORE INTO sug_{g} (kind, term, doc) VALUES (?, ?, ?)",
                       [(kind, term, rowid) for kind in ("title", "department")
                        for term in doc[f"suggest_{kind}"]])

    def index(self, docs: Sequence[dict[str, Any]]) -> None:
        if not docs:
            return
        with self._write() as db:
            g = self._live(db)
            self._remove(db, g, [d["doc_id"] for d in docs])
            for doc in docs:
                self._insert(db, g, doc)

    def delete(self, doc_ids: Sequence[str]) -> None:
        if not doc_ids:
            return
        with self._write() as db:
            self._remove(db, self._live(db), doc_ids)

    def rebuild(self, docs: Iterable[dict[str, Any]]) -> int:
        with self._write() as db:
            live = self._live(db)
            for stale in self._generations(db) - {live}:
                self._drop_tables(db, stale)  # left by a rebuild that failed
            new = max(self._generations(db)) + 1
            self._create_tables(db, new)
        count = 0
        batch: list[dict[str, Any]] = []
        for doc in docs:
            batch.append(doc)
            if len(batch) >= BATCH:
                count += self._fill(new, batch)
                batch = []
        count += self._fill(new, batch)
        with self._write() as db:  # the swap: one transaction
            db.execute("UPDATE search_alias SET generation = ? WHERE name = 'datasets'", (new,))
        with self._write() as db:
            self._drop_tables(db, live)
        log.info("search index rebuilt: %d documents (generation %d)", count, new)
        return count

    def _fill(self, g: int, docs: list[dict[str, Any]]) -> int:
        if docs:
            with self._write() as db:
                self._remove(db, g, [d["doc_id"] for d in docs])
                for doc in docs:
                    self._insert(db, g, doc)
        return len(docs)

    # -- reads ------------------------------------------------------------------------------
    def count(self) -> int:
        with self._read() as (db, g):
            return int(db.execute(f"SELECT count(*) FROM docs_{g}").fetchone()[0])

    def versions(self) -> dict[str, str]:
        with self._read() as (db, g):
            return dict(db.execute(f"SELECT doc_id, version FROM docs_{g}").fetchall())

    def search(self, query: Query) -> Result:
        clauses = analysis.analyze_query(query.text) if query.text.strip() else ()
        sort = query.sort_for(clauses)
        cursor = decode_cursor(query)
        after = cursor_after(cursor, sort)
        visible_sql, visible_params = compile_filter(actor_filter(query.actor))
        with self._read() as (db, g):
            if clauses:
                source = f"fts_{g} JOIN docs_{g} AS d ON d.rowid = fts_{g}.rowid"
                where = [f"fts_{g} MATCH ?", visible_sql]
                params: list[Any] = [match_expression(clauses), *visible_params]
                score = f"bm25(fts_{g}, {', '.join(map(str, WEIGHTS))})"
            else:
                source, where, params = f"docs_{g} AS d", [visible_sql], list(visible_params)
                score = "0.0"
            filters: list[tuple[str, str, list[Any]]] = []
            for name, values in query.filters.items():
                if values:
                    marks = ", ".join("?" * len(values))
                    filters.append((name, f"d.rowid IN (SELECT doc FROM fv_{g} WHERE facet = ? "
                                          f"AND value IN ({marks}))", [name, *values]))
            hits_sql = (f"SELECT d.rowid AS doc, d.doc_id AS doc_id, d.data AS data, {score} AS score, "
                        f"d.modified AS modified, d.title_sort AS title_sort FROM {source} "
                        f"WHERE {' AND '.join([*where, *(f[1] for f in filters)])}")
            hits_params = [*params, *(p for f in filters for p in f[2])]
            order, keyset, keyset_params = _ordering(sort, after)
            rows = db.execute(f"SELECT doc_id, data, score, modified, title_sort FROM ({hits_sql}) "
                              f"{keyset} ORDER BY {order} LIMIT ?",
                              [*hits_params, *keyset_params, query.page_size + 1]).fetchall()
            total, facets = self._counts(db, g, source, where, params, filters, query.facets)
        terms = analysis.query_terms(clauses) if query.highlight else []
        hits = [hit(json.loads(data), score=-s if clauses and sort == "relevance" else None,
                    terms=terms)
                for _, data, s, _, _ in rows[:query.page_size]]
        next_cursor = None
        if len(rows) > query.page_size:
            doc_id, _, s, modified, title_sort = rows[query.page_size - 1]
            last = {"relevance": s, "modified": modified, "title": title_sort}[sort]
            next_cursor = encode_cursor(query, [last, doc_id])
        return Result(total, hits, facets, next_cursor)

    def _counts(self, db: sqlite3.Connection, g: int, source: str, where: list[str],
                params: list[Any], filters: list[tuple[str, str, list[Any]]],
                with_facets: bool) -> tuple[int, dict[str, list[FacetValue]]]:
        flags = "".join(f", ({sql}) AS ok{i}" for i, (_, sql, _) in enumerate(filters))
        base = f"SELECT d.rowid AS doc{flags} FROM {source} WHERE {' AND '.join(where)}"
        base_params = [*(p for f in filters for p in f[2]), *params]

        def all_but(skip: str | None) -> str:
            wanted = [f"ok{i}" for i, (name, _, _) in enumerate(filters) if name != skip]
            return " AND ".join(wanted) or "1"

        selects = [f"SELECT '', '', count(*) FROM base WHERE {all_but(None)}"]
        select_params: list[Any] = []
        if with_facets:
            for name in FACETS:
                selects.append(f"SELECT fv.facet, fv.value, count(*) FROM base "
                               f"JOIN fv_{g} AS fv ON fv.doc = base.doc "
                               f"WHERE fv.facet = ? AND {all_but(name)} GROUP BY fv.value")
                select_params.append(name)
        sql = f"WITH base AS MATERIALIZED ({base}) " + " UNION ALL ".join(selects)
        rows = db.execute(sql, [*base_params, *select_params]).fetchall()
        total = 0
        counts: dict[str, list[tuple[str, int]]] = {name: [] for name in FACETS} \
            if with_facets else {}
        for facet, value, count in rows:
            if facet == "":
                total = int(count)
            else:
                counts[facet].append((value, int(count)))
        labels: dict[str, str] = {}
        departments = [v for v, _ in counts.get("department", [])]
        if departments:
            marks = ", ".join("?" * len(departments))
            labels = dict(db.execute(
                f"SELECT department_code, max(department_name) FROM docs_{g} "
                f"WHERE department_code IN ({marks}) GROUP BY department_code",
                departments).fetchall())
        return total, {name: _facet_values(name, values, labels)
                       for name, values in counts.items()}

    def suggest(self, prefix: str, actor: Actor, limit: int = 10) -> list[Suggestion]:
        term = analysis.fold(prefix).strip()[:MAX_PREFIX_LENGTH]
        if not term or limit <= 0:
            return []
        visible_sql, visible_params = compile_filter(actor_filter(actor))
        bounds = [term, term + "\U0010ffff"]
        with self._read() as (db, g):
            departments = db.execute(
                f"SELECT DISTINCT d.department_code, d.department_name FROM sug_{g} AS s "
                f"JOIN docs_{g} AS d ON d.rowid = s.doc WHERE s.kind = 'department' "
                f"AND s.term >= ? AND s.term < ? AND {visible_sql} "
                f"ORDER BY d.department_name, d.department_code LIMIT ?",
                [*bounds, *visible_params, min(3, limit)]).fetchall()
            titles = db.execute(
                f"SELECT DISTINCT d.dataset_id, d.title, d.title_sort FROM sug_{g} AS s "
                f"JOIN docs_{g} AS d ON d.rowid = s.doc WHERE s.kind = 'title' "
                f"AND s.term >= ? AND s.term < ? AND {visible_sql} "
                f"ORDER BY d.title_sort, d.dataset_id LIMIT ?",
                [*bounds, *visible_params, limit]).fetchall()
        out = [Suggestion(name, "department", code) for code, name in departments]
        out.extend(Suggestion(title, "title", dataset_id) for dataset_id, title, _ in titles)
        return out[:limit]


def _facet_values(name: str, values: list[tuple[str, int]],
                  labels: dict[str, str]) -> list[FacetValue]:
    spec = FACETS[name]
    values.sort(key=lambda v: (-v[1], v[0]))
    return [FacetValue(v, spec.label(v, labels), c) for v, c in values[:FACET_SIZE]]


def _ordering(sort: str, after: list[Any] | None) -> tuple[str, str, list[Any]]:
    """ORDER BY, the keyset condition after the cursor, and its parameters."""
    if sort == "relevance":
        order, column, op = "score ASC, doc_id ASC", "score", ">"
        value = after[0] if after else None
    elif sort == "title":
        order, column, op = "title_sort ASC, doc_id ASC", "title_sort", ">"
        value = after[0] if after else None
    else:
        order, column, op = "modified DESC, doc_id ASC", "modified", "<"
        value = after[0] if after else None
    if after is None:
        return order, "", []
    return (order, f"WHERE ({column} {op} ? OR ({column} = ? AND doc_id > ?))",
            [value, value, after[1]])
