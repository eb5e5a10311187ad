"""The ranking methods the relevance set pools and scores.

- ``sqlite``  — Mulu's embedded backend (search.sqlite), as shipped;
- ``elastic`` — Mulu's Elasticsearch backend (search.elastic) on the noida-db stand-in;
- ``like``    — plain substring search: every query word in title, description, keywords or
  department (SQL ``LIKE '%word%'``), titles that hold more of the words first;
- ``bigram``  — FTS5 over the character-bigram columns only, no synonyms, bm25;
- ``jieba``   — FTS5 over the jieba word columns only, no synonyms, bm25 (what a Datasette
  over jieba-segmented text finds);
- ``manual``  — a person's reformulation, for the pool only (as TREC's manual runs): the query
  rewritten into the exact terms of each aspect of its grading rule, searched by substring.
  It finds entries that no system's words reach (养老院 → 养老机构), so recall is measured
  against them too; being made from the rules, it is no system and is reported apart.

Every method answers a query with the ids of the entries it ranks first (up to ``depth``).
The variants ``bigram`` and ``jieba`` read the same FTS5 table as ``sqlite``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from catalog.actors import ANONYMOUS
from search import analysis
from search.base import MAX_PAGE_SIZE, Query, SearchBackend
from search.sqlite import SqliteSearch

Ranking = dict[str, list[str]]  # qid -> entry ids, best first
DEPTH = 100


def backend_run(backend: SearchBackend, queries: Sequence[tuple[str, str]],
                depth: int = DEPTH, progress: Callable[[str], None] | None = None) -> Ranking:
    """The backend's top ``depth`` for each (qid, text), as the anonymous public sees them."""
    out: Ranking = {}
    for qid, text in queries:
        ids: list[str] = []
        cursor = None
        while len(ids) < depth:
            size = min(MAX_PAGE_SIZE, depth - len(ids))
            result = backend.search(Query(ANONYMOUS, text, page_size=size, cursor=cursor,
                                          highlight=False, facets=False))
            ids.extend(h.id for h in result.hits)
            cursor = result.next_cursor
            if cursor is None:
                break
        out[qid] = ids[:depth]
        if progress:
            progress(qid)
    return out


def _plain_words(text: str) -> list[str]:
    return [w for w in analysis.fold(text).split() if w]


def _substring_table(entries: Iterable[dict[str, Any]]) -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE e (id TEXT PRIMARY KEY, title TEXT, body TEXT)")
    db.executemany("INSERT INTO e VALUES (?, ?, ?)", [
        (e["id"], analysis.fold(e["title"]),
         analysis.fold(" ".join([e["description"], " ".join(e["keywords"]), e["department"]])))
        for e in entries])
    return db


def like_run(entries: Iterable[dict[str, Any]], queries: Sequence[tuple[str, str]],
             depth: int = DEPTH) -> Ranking:
    db = _substring_table(entries)
    out: Ranking = {}
    for qid, text in queries:
        words = _plain_words(text)
        found = " AND ".join("(title || ' ' || body) LIKE ?" for _ in words)
        in_title = " + ".join("(title LIKE ?)" for _ in words)
        patterns = [f"%{w}%" for w in words]
        rows = db.execute(f"SELECT id FROM e WHERE {found} ORDER BY {in_title} DESC, "
                          f"length(title), id LIMIT ?", [*patterns, *patterns, depth])
        out[qid] = [r[0] for r in rows]
    db.close()
    return out


def _variant_expression(text: str, columns: str) -> str:
    """One phrase per query word in ``columns`` (no synonyms): bigrams or jieba words."""
    parts = []
    for word in _plain_words(text):
        if columns == "grams":
            tokens = analysis.grams(word, folded=True)[:-1] or analysis.grams(word, folded=True)
            group = "{title_grams body_grams}"
        else:
            tokens = analysis.words(word, folded=True)
            group = "{title_words body_words}"
        if tokens:
            parts.append(f'({group} : "' + " ".join(t.replace('"', '""') for t in tokens) + '")')
    return " AND ".join(parts)


def fts_variant_run(backend: SqliteSearch, queries: Sequence[tuple[str, str]], columns: str,
                    depth: int = DEPTH) -> Ranking:
    weights = ", ".join(map(str, backend.weights))
    out: Ranking = {}
    with backend._read() as (db, g):  # noqa: SLF001 — a bench reading the same index
        for qid, text in queries:
            expression = _variant_expression(text, columns)
            rows = db.execute(
                f"SELECT d.dataset_id FROM fts_{g} JOIN docs_{g} AS d ON d.rowid = fts_{g}.rowid "
                f"WHERE fts_{g} MATCH ? ORDER BY bm25(fts_{g}, {weights}), d.doc_id LIMIT ?",
                (expression, depth)).fetchall() if expression else []
            out[qid] = [r[0] for r in rows]
    return out


def manual_run(entries: Iterable[dict[str, Any]], rules: Sequence[Any],
               depth: int = DEPTH) -> Ranking:
    """Substring search for the exact terms of every aspect of each query's grading rule."""
    from bench.relevance.rules import exact

    db = _substring_table(entries)
    out: Ranking = {}
    for rule in rules:
        groups = [[f"%{analysis.fold(t)}%" for t in exact(aspect)] for aspect in rule.aspects]
        found = " AND ".join("(" + " OR ".join("(title || ' ' || body) LIKE ?" for _ in g) + ")"
                             for g in groups)
        in_title = " + ".join("(" + " OR ".join("title LIKE ?" for _ in g) + ")" for g in groups)
        patterns = [p for g in groups for p in g]
        rows = db.execute(f"SELECT id FROM e WHERE {found} ORDER BY {in_title} DESC, "
                          f"length(title), id LIMIT ?", [*patterns, *patterns, depth])
        out[rule.qid] = [r[0] for r in rows]
    db.close()
    return out
