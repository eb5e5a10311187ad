"""The embedded index's own layout: facet counting by signature, and an index file of an older
layout replaced by an empty one (to be refilled by ``mulu index rebuild``) instead of failing."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from search.documents import FACETS
from search.sqlite import SCHEMA_VERSION, SqliteSearch, count_facets, signature_key


def key(**facets: list[str]) -> str:
    return signature_key(facets)


GROUPS = [  # (department, signature, documents)
    ("D1", key(share_type=["unconditional"], format=["CSV", "XLSX"]), 3),
    ("D1", key(share_type=["conditional"], format=["CSV"]), 2),
    ("D2", key(share_type=["unconditional"], format=["PDF"]), 4),
]


def test_counts_without_filters() -> None:
    total, counts = count_facets(GROUPS, {})
    assert total == 9
    assert dict(counts["department"]) == {"D1": 5, "D2": 4}
    assert dict(counts["share_type"]) == {"unconditional": 7, "conditional": 2}
    assert dict(counts["format"]) == {"CSV": 5, "XLSX": 3, "PDF": 4}
    assert set(counts) == set(FACETS)


def test_each_facet_counts_under_the_other_filters() -> None:
    filters = {"department": ("D1",), "format": ("CSV",)}
    total, counts = count_facets(GROUPS, filters)
    assert total == 5
    assert dict(counts["department"]) == {"D1": 5}           # under format=CSV only
    assert dict(counts["format"]) == {"CSV": 5, "XLSX": 3}   # under department=D1 only
    assert dict(counts["share_type"]) == {"unconditional": 3, "conditional": 2}
    assert count_facets(GROUPS, filters, with_facets=False) == (5, {})


def test_a_signature_leaves_the_department_out() -> None:
    assert "department" not in json.loads(key(department=["D1"], format=["CSV"]))


def test_an_index_of_an_older_layout_is_emptied(tmp_path: Path,
                                                caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "search.db"
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE search_alias (name TEXT PRIMARY KEY, generation INTEGER NOT NULL)")
    old.execute("INSERT INTO search_alias VALUES ('datasets', 1)")
    old.execute("CREATE TABLE docs_1 (rowid INTEGER PRIMARY KEY, doc_id TEXT, data TEXT)")
    old.execute("CREATE TABLE fv_1 (facet TEXT, value TEXT, doc INTEGER)")
    old.execute("INSERT INTO docs_1 VALUES (1, 'x:current', '{}')")
    old.commit()
    old.close()
    backend = SqliteSearch(path)
    try:
        assert backend.count() == 0
        assert "old layout" in caplog.text
        db = sqlite3.connect(path)
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
        assert "fv_1" not in tables and {"docs_1", "data_1", "sig_1", "sigv_1"} <= tables
        db.close()
    finally:
        backend.close()
    again = SqliteSearch(path)  # the current layout is kept as it is
    assert again.count() == 0
    again.close()
