"""The embedded search backend: SQLite FTS5 in its own file (``<data dir>/search.db``).

Text is analysed in Python (search.analysis) and stored as space-joined tokens in four FTS5
columns (title/body × words/bigrams, tokenizer ``unicode61``). Facets: each document points to
its *facet signature* (``sig_N``: the set of its facet values but the department, shared by the
many documents that have the same one), so one ``GROUP BY department, signature`` over the
matches counts every facet — each under the other facets' filters — in Python from a few
thousand grouped rows instead of one pass over (document × value) rows per facet. Paging is by
keyset (the cursor holds the last hit's sort values). The stored hit (``data_N``) is read for
the page's hits only. Each index generation is a set of tables (``docs_N``, ``data_N``,
``fts_N``, ``sig_N``, ``sigv_N``, ``sug_N``); the row of ``search_alias`` names the live one,
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
from functools import lru_cache
from pathlib import Path
from typing import Any

from catalog.actors import Actor
from catalog.conditions import And, Cond, Const, Eq, Le, Not, Or
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
    actor_filter,
    hit,
    stored,
)

log = logging.getLogger("mulu.search")

# bm25 weights of the FTS5 columns, in their order
COLUMNS = ("title_words", "body_words", "title_grams", "body_grams")
WEIGHTS = (2.0, 0.5, 3.0, 0.5)  # measured: bench/relevance (tune)
WORD_COLUMNS = "{title_words body_words}"
GRAM_COLUMNS = "{title_grams body_grams}"
BATCH = 500
CACHE_KIB = 64 * 1024          # page cache per connection
MMAP_BYTES = 1024 * 1024 * 1024  # memory-mapped reads of up to 1 GiB of the index file
SCHEMA_VERSION = 2  # the table layout below; another one is dropped and must be rebuilt
TABLES = ("docs", "data", "fts", "sig", "sigv", "sug", "fv")  # fv: facet rows of schema 1
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

    def __init__(self, path: str | Path, *, weights: Sequence[float] = WEIGHTS):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.weights = tuple(float(w) for w in weights)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._guard = threading.Lock()
        self._keys: dict[int, dict[int, str]] = {}  # generation -> signature id -> key
        with self._write() as db:
            db.execute("CREATE TABLE IF NOT EXISTS search_alias "
                       "(name TEXT PRIMARY KEY, generation INTEGER NOT NULL)")
            row = db.execute("SELECT generation FROM search_alias WHERE name = 'datasets'").fetchone()
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if row is not None and version != SCHEMA_VERSION:
                # tables of an older layout: start empty (``mulu index rebuild`` refills them)
                log.warning("search index %s has an old layout: emptied, run `mulu index rebuild`",
                            self.path)
                for old in self._generations(db):
                    self._drop_tables(db, old)
                db.execute("DELETE FROM search_alias")
                row = None
            if row is None:
                self._create_tables(db, 1)
                db.execute("INSERT INTO search_alias VALUES ('datasets', 1)")
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

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
                # reads come from memory once the index is warm (fewer page copies, syscalls)
                db.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
                db.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
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
            department_code TEXT NOT NULL, department_name TEXT NOT NULL, sig INTEGER NOT NULL,
            title TEXT NOT NULL, title_sort TEXT NOT NULL, modified TEXT NOT NULL)""")
        db.execute(f"CREATE INDEX docs_{g}_modified ON docs_{g} (modified DESC, doc_id)")
        db.execute(f"CREATE INDEX docs_{g}_title ON docs_{g} (title_sort, doc_id)")
        db.execute(f"CREATE INDEX docs_{g}_department ON docs_{g} (department_code, department_name)")
        db.execute(f"CREATE INDEX docs_{g}_sig ON docs_{g} (sig)")
        db.execute(f"CREATE TABLE data_{g} (rowid INTEGER PRIMARY KEY, data TEXT NOT NULL)")
        db.execute(f"CREATE VIRTUAL TABLE fts_{g} USING fts5({', '.join(COLUMNS)}, "
                   "tokenize = 'unicode61 remove_diacritics 0')")
        db.execute(f"CREATE TABLE sig_{g} (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE)")
        db.execute(f"CREATE TABLE sigv_{g} (facet TEXT NOT NULL, value TEXT NOT NULL, "
                   f"sig INTEGER NOT NULL, PRIMARY KEY (facet, value, sig)) WITHOUT ROWID")
        db.execute(f"CREATE TABLE sug_{g} (kind TEXT NOT NULL, term TEXT NOT NULL, "
                   f"doc INTEGER NOT NULL, PRIMARY KEY (kind, term, doc)) WITHOUT ROWID")
        db.execute(f"CREATE INDEX sug_{g}_doc ON sug_{g} (doc)")

    @staticmethod
    def _drop_tables(db: sqlite3.Connection, g: int) -> None:
        for table in TABLES:
            db.execute(f"DROP TABLE IF EXISTS {table}_{g}")

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
            db.execute(f"DELETE FROM sug_{g} WHERE doc = ?", (rowid,))
            db.execute(f"DELETE FROM data_{g} WHERE rowid = ?", (rowid,))
            db.execute(f"DELETE FROM docs_{g} WHERE rowid = ?", (rowid,))

    @staticmethod
    def _signature(db: sqlite3.Connection, g: int, facets: dict[str, list[str]]) -> int:
        """The id of the document's facet signature (its values of every facet but department)."""
        key = signature_key(facets)
        row = db.execute(f"SELECT id FROM sig_{g} WHERE key = ?", (key,)).fetchone()
        if row is not None:
            return int(row[0])
        sig = db.execute(f"INSERT INTO sig_{g} (key) VALUES (?)", (key,)).lastrowid
        assert sig is not None
        db.executemany(f"INSERT OR IGNORE INTO sigv_{g} (facet, value, sig) VALUES (?, ?, ?)",
                       [(name, value, sig) for name, values in json.loads(key).items()
                        for value in values])
        return sig

    @classmethod
    def _insert(cls, db: sqlite3.Connection, g: int, doc: dict[str, Any]) -> None:
        sig = cls._signature(db, g, doc["facets"])
        cursor = db.execute(
            f"INSERT INTO docs_{g} (doc_id, dataset_id, view, version, department_id, state, "
            "security_rank, rank, department_code, department_name, sig, title, title_sort, "
            "modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (doc["doc_id"], doc["dataset_id"], doc["view"], doc["version"], doc["department_id"],
             doc["state"], doc["security_rank"], doc["rank"], doc["department_code"],
             doc["department_name"], sig, doc["title"], doc["title_sort"], doc["modified"]))
        rowid = cursor.lastrowid
        db.execute(f"INSERT INTO data_{g} (rowid, data) VALUES (?, ?)",
                   (rowid, json.dumps(stored(doc), ensure_ascii=False)))
        db.execute(f"INSERT INTO fts_{g} (rowid, {', '.join(COLUMNS)}) VALUES (?, ?, ?, ?, ?)",
                   (rowid, *(doc[c] for c in COLUMNS)))
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
        with self._write() as db:
            db.execute(f"INSERT INTO fts_{new} (fts_{new}) VALUES ('optimize')")
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
        filters = {name: values for name, values in query.filters.items() if values}
        with self._read() as (db, g):
            if clauses:
                source = f"fts_{g} JOIN docs_{g} AS d ON d.rowid = fts_{g}.rowid"
                where = [f"fts_{g} MATCH ?", visible_sql]
                params: list[Any] = [match_expression(clauses), *visible_params]
                score = f"bm25(fts_{g}, {', '.join(map(str, self.weights))})"
            else:
                source, where, params = f"docs_{g} AS d", [visible_sql], list(visible_params)
                score = "0.0"
            filter_sql, filter_params = _filter_conditions(g, filters)
            hits_sql = (f"SELECT d.rowid AS doc, d.doc_id AS doc_id, {score} AS score, "
                        f"d.modified AS modified, d.title_sort AS title_sort FROM {source} "
                        f"WHERE {' AND '.join([*where, *filter_sql])}")
            order, keyset, keyset_params = _ordering(sort, after)
            rows = db.execute(
                f"SELECT h.doc_id, x.data, h.score, h.modified, h.title_sort FROM "
                f"(SELECT * FROM ({hits_sql}) {keyset} ORDER BY {order} LIMIT ?) AS h "
                f"JOIN data_{g} AS x ON x.rowid = h.doc ORDER BY {order}",
                [*params, *filter_params, *keyset_params, query.page_size + 1]).fetchall()
            groups = db.execute(
                f"SELECT d.department_code, d.sig, count(*), min(d.department_name) "
                f"FROM {source} WHERE {' AND '.join(where)} GROUP BY d.department_code, d.sig",
                params).fetchall()
            keys = self._signatures(db, g, {sig for _, sig, _, _ in groups})
            total, counts = count_facets([(code, keys[sig], n) for code, sig, n, _ in groups],
                                         filters, with_facets=query.facets)
            labels = {code: name for code, _, _, name in groups}
        terms = analysis.query_terms(clauses) if query.highlight else []
        hits = [hit(json.loads(data), score=-s if clauses and sort == "relevance" else None,
                    terms=terms)
                for _, data, s, _, _ in rows[:query.page_size]]
        next_cursor = None
        if len(rows) > query.page_size:
            doc_id, _, s, modified, title_sort = rows[query.page_size - 1]
            last = {"relevance": s, "modified": modified, "title": title_sort}[sort]
            next_cursor = encode_cursor(query, [last, doc_id])
        return Result(total, hits, {name: _facet_values(name, values, labels)
                                    for name, values in counts.items()}, next_cursor)

    def _signatures(self, db: sqlite3.Connection, g: int, sigs: set[int]) -> dict[int, str]:
        """Signature keys by id, remembered: a signature never changes once written, and a
        generation's number is never live twice (a rebuild takes a higher one)."""
        known = self._keys.setdefault(g, {})
        missing = [s for s in sigs if s not in known]
        for start in range(0, len(missing), 500):
            part = missing[start:start + 500]
            known.update(db.execute(f"SELECT id, key FROM sig_{g} WHERE id IN "
                                    f"({', '.join('?' * len(part))})", part).fetchall())
        return known

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


def signature_key(facets: dict[str, list[str]]) -> str:
    """The canonical text of a document's facet values, department left out."""
    return json.dumps({name: sorted(facets.get(name) or ()) for name in FACETS
                       if name != "department"}, ensure_ascii=False, sort_keys=True)


@lru_cache(maxsize=65536)
def _parsed(key: str) -> dict[str, tuple[str, ...]]:
    return {name: tuple(values) for name, values in json.loads(key).items()}


def _filter_conditions(g: int, filters: dict[str, tuple[str, ...]]) -> tuple[list[str], list[Any]]:
    """SQL conditions over ``docs AS d`` for the selected facet values (any value per facet)."""
    sql: list[str] = []
    params: list[Any] = []
    for name, values in filters.items():
        marks = ", ".join("?" * len(values))
        if name == "department":
            sql.append(f"d.department_code IN ({marks})")
            params.extend(values)
        else:
            sql.append(f"d.sig IN (SELECT sig FROM sigv_{g} WHERE facet = ? AND value IN ({marks}))")
            params.extend([name, *values])
    return sql, params


def count_facets(groups: Iterable[tuple[str, str, int]], filters: dict[str, tuple[str, ...]], *,
                 with_facets: bool = True) -> tuple[int, dict[str, list[tuple[str, int]]]]:
    """The total and the facet counts from (department, signature, count) groups of the matches
    before facet filtering: the total counts the groups every filter accepts; a facet's values
    count the groups every *other* filter accepts. Groups are first summed per signature, so
    the facet values are expanded once per distinct signature."""
    wanted = {name: frozenset(values) for name, values in filters.items()}
    total = 0
    departments: dict[str, int] = {}
    # per context (None: every filter accepts; a facet name: only that facet's filter refuses)
    by_key: dict[str | None, dict[str, int]] = {}
    for department, key, n in groups:
        failed: str | None = None
        if wanted:
            facets = _parsed(key)
            refused = [name for name, values in wanted.items()
                       if not values.intersection((department,) if name == "department"
                                                  else facets.get(name, ()))]
            if len(refused) > 1:
                continue
            failed = refused[0] if refused else None
        if failed is None:
            total += n
        if not with_facets:
            continue
        if failed is None or failed == "department":
            departments[department] = departments.get(department, 0) + n
        if failed != "department":
            bucket = by_key.setdefault(failed, {})
            bucket[key] = bucket.get(key, 0) + n
    if not with_facets:
        return total, {}
    counts: dict[str, dict[str, int]] = {name: {} for name in FACETS}
    counts["department"] = departments
    for context, keys in by_key.items():
        for key, n in keys.items():
            for name, values in _parsed(key).items():
                if context is not None and context != name:
                    continue
                bucket = counts[name]
                for value in values:
                    bucket[value] = bucket.get(value, 0) + n
    return total, {name: list(bucket.items()) for name, bucket in counts.items()}


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
