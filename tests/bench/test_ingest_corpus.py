"""``bench/ingest_corpus.py`` in its smoke mode (SQLite, a few hundred rows), so the benchmark
cannot rot: every row in is stored or refused with a reason, the loss figure is printed, and the
two ways in (harvest, keep-and-flag import) agree on which rows are possible duplicates. The
corpus is the samples of the real exports (``tests/fixtures/cn-opendata/samples``)."""

from __future__ import annotations

import json
import shutil

from bench import ingest_corpus
from tests.harvesters import corpus_samples


def test_the_ingest_benchmark_runs_in_smoke_mode(tmp_path, capsys):
    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_samples.SAMPLES, corpus / "cn-opendata-samples")
    out = tmp_path / "results.jsonl"
    assert ingest_corpus.main(["--smoke", "--corpus", str(corpus), "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    cases = {(c["path"], c["catalog"]): c for c in map(json.loads, out.read_text().splitlines())}
    assert set(cases) == {(p, c) for p in ingest_corpus.PATHS for c in ingest_corpus.CATALOGS}
    real = cases["harvest", "real"]["rows_in"]
    assert ingest_corpus.SMOKE_ROWS - 13 <= real <= ingest_corpus.SMOKE_ROWS
    for (path, catalog), case in cases.items():
        assert case["store"] == "sqlite" and case["files"] == (13 if catalog == "real" else 1)
        assert case["rows_in"] == (real if catalog == "real" else ingest_corpus.SMOKE_BIG_ROWS)
        assert case["stored"] + case["refused"] == case["rows_in"]
        assert case["refused"] == sum(case["refused_reasons"].values())
        assert 0 < case["kept_incomplete"] <= case["stored"] and case["by_problem"]
        assert case["seconds"] > 0 and case["peak_rss_mb"] >= case["setup_rss_mb"] > 0
        assert (f"{path} · sqlite · {catalog}: kept {case['stored']:,} of {case['rows_in']:,} "
                "rows") in printed
    for catalog in ingest_corpus.CATALOGS:   # each copy of the big one is another publisher's
        assert cases["harvest", catalog]["by_problem"].get("possible_duplicate title") == \
            cases["import", catalog]["by_problem"].get("possible_duplicate title")
