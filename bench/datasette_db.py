"""Build the Datasette comparison database (run with the *Datasette* venv's python, not Mulu's).

    /tmp/dsvenv/bin/python bench/datasette_db.py ROWS.jsonl OUT.db

ROWS.jsonl (written by ``bench/search.py``) holds the same entries as the Mulu index. The table
``datasets`` gets the displayed columns, the four facet columns (department, classification,
open_type, update_cycle) and two jieba-segmented text columns (rjieba, words joined by spaces);
``sqlite-utils`` puts an FTS5 index over the segmented columns, which Datasette's ``_search``
uses. Without segmentation FTS5's unicode61 tokenizer takes a whole run of Chinese characters as
one token and finds about 1% of the matching entries — so the comparison is with this variant.
Needs only: datasette, sqlite-utils, rjieba.
"""

from __future__ import annotations

import json
import sys
import time

import rjieba
import sqlite_utils


def segmented(text: str) -> str:
    return " ".join(w for w in rjieba.cut(text) if w.strip())


def rows(path: str):  # type: ignore[no-untyped-def]
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            body = " ".join([row["description"], " ".join(row["keywords"]), row["department"]])
            yield {**row, "keywords": " ".join(row["keywords"]),
                   "title_seg": segmented(row["title"]), "body_seg": segmented(body)}


def main() -> None:
    source, target = sys.argv[1], sys.argv[2]
    started = time.perf_counter()
    db = sqlite_utils.Database(target, recreate=True)
    db["datasets"].insert_all(rows(source), pk="id", batch_size=2000)
    db["datasets"].enable_fts(["title_seg", "body_seg"], create_triggers=False)
    for column in ("department", "classification", "open_type", "update_cycle"):
        db["datasets"].create_index([column])
    db.vacuum()
    print(json.dumps({"rows": db["datasets"].count,
                      "seconds": round(time.perf_counter() - started, 2)}))


if __name__ == "__main__":
    main()
