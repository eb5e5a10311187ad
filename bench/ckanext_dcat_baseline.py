"""Baseline: how fast ckanext-dcat turns a DCAT-AP Turtle file into CKAN dataset dicts.

Stand-alone: this file is run with the interpreter of a *separate* virtualenv that holds
CKAN and ckanext-dcat; nothing in Mulu imports it and it imports nothing from Mulu.
Results and caveats: bench/README-ckanext-dcat.md.

Set-up (about 30 s of pip on this machine; CKAN's pinned run-time dependencies live in
the ``requirements`` extra of the ``ckan`` wheel, a plain ``pip install ckan`` installs
none of them and ``import ckan.plugins`` then fails on ``flask``)::

    python3 -m venv /tmp/ckanvenv
    /tmp/ckanvenv/bin/pip install 'ckan[requirements]==2.12.0' ckanext-dcat==2.4.4

Input (run in Mulu's own venv; 10,000 dcat:Dataset, DCAT-AP 3 Turtle, ~20 MB)::

    cd /work/main && .venv/bin/python -c "from bench.harvest import records, dcat_files; \\
        open('/tmp/dcat10k.ttl','wb').write(dcat_files(records(10000))['ttl'])"

Run::

    /tmp/ckanvenv/bin/python bench/ckanext_dcat_baseline.py /tmp/dcat10k.ttl --runs 3

No CKAN config file, database, Solr or Redis is needed: ``RDFParser`` reads its
settings through ``ckantoolkit.config``, which outside a CKAN app answers every
``config.get(key, default)`` with the default, and the profiles are named explicitly.
That is the same call ckanext-dcat's own tests make (``RDFParser(profiles=[...])``,
``p.parse(data, _format=...)``, ``list(p.datasets())``) and the one its
``DCATRDFHarvester.gather_stage`` makes on the decoded (``str``) response body.

Timed, each ``--runs`` times in this one process (median, min, max; wall and CPU time):

* ``rdflib``: plain ``rdflib.Graph().parse(data=text, format="turtle")`` (calibration);
* ``parse``: ``RDFParser.parse(text, _format="turtle")`` (rdflib into a ConjunctiveGraph);
* ``parse+dicts``: the above plus ``list(parser.datasets())``: the CKAN dicts;
* ``dicts`` (derived per run): ``parse+dicts`` minus its own parse step.
"""

from __future__ import annotations

import argparse
import gc
import importlib.metadata as md
import json
import platform
import statistics
import sys
import time
import warnings


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for dist in ("ckan", "ckanext-dcat", "ckantoolkit", "rdflib"):
        try:
            out[dist] = md.version(dist)
        except md.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def _timed(fn):
    gc.collect()
    w0, c0 = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - w0, time.process_time() - c0


def run_rdflib(text: str) -> tuple[int, float, float]:
    import rdflib

    graph, wall, cpu = _timed(lambda: rdflib.Graph().parse(data=text, format="turtle"))
    return len(graph), wall, cpu


def run_ckanext_dcat(text: str, profiles: list[str]) -> dict:
    from ckanext.dcat.processors import RDFParser

    parser = RDFParser(profiles=profiles)
    _, p_wall, p_cpu = _timed(lambda: parser.parse(text, _format="turtle"))
    dicts, d_wall, d_cpu = _timed(lambda: list(parser.datasets()))
    return {
        "triples": len(parser.g),
        "datasets": len(dicts),
        "parse": (p_wall, p_cpu),
        "dicts": (d_wall, d_cpu),
        "parse+dicts": (p_wall + d_wall, p_cpu + d_cpu),
        "sample": dicts[0] if dicts else None,
    }


def _row(label: str, n: int, samples: list[tuple[float, float]]) -> str:
    walls = [w for w, _ in samples]
    cpus = [c for _, c in samples]
    w_med, c_med = statistics.median(walls), statistics.median(cpus)
    return (
        f"| {label} | {w_med:.2f} ({min(walls):.2f}–{max(walls):.2f}) | {n / w_med:,.0f} "
        f"| {c_med:.2f} | {n / c_med:,.0f} |"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", nargs="?", default="/tmp/dcat10k.ttl")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument(
        "--profile",
        action="append",
        dest="profiles",
        help="ckanext-dcat profile set, space separated (repeatable); "
        "default: 'euro_dcat_ap_3' then 'euro_dcat_ap_2'",
    )
    ap.add_argument("--sample", action="store_true", help="print the first CKAN dict")
    args = ap.parse_args(argv)
    profile_sets = [s.split() for s in (args.profiles or ["euro_dcat_ap_3", "euro_dcat_ap_2"])]

    # rdflib 7 warns that ConjunctiveGraph (what RDFParser uses) is deprecated; keep it quiet.
    warnings.simplefilter("ignore", DeprecationWarning)

    with open(args.path, "rb") as f:
        text = f.read().decode("utf-8")  # what DCATRDFHarvester hands to RDFParser.parse
    print("versions:", json.dumps(_versions()))
    print(f"input: {args.path}, {len(text.encode('utf-8')):,} bytes, runs: {args.runs}")

    t0 = time.perf_counter()
    import ckanext.dcat.processors  # noqa: F401  (import cost of ckan + ckanext-dcat)

    print(f"import ckanext.dcat.processors: {time.perf_counter() - t0:.2f} s")

    n_datasets = None
    header = (
        "| step | wall s, median (min–max) | datasets/s (wall) | CPU s, median "
        "| datasets/s (CPU) |\n|---|---|---|---|---|"
    )
    rows = []

    rdflib_samples = []
    for _ in range(args.runs):
        triples, wall, cpu = run_rdflib(text)
        rdflib_samples.append((wall, cpu))
    print(f"rdflib Graph: {triples:,} triples")

    for profiles in profile_sets:
        results = [run_ckanext_dcat(text, profiles) for _ in range(args.runs)]
        n_datasets = results[0]["datasets"]
        print(f"{' '.join(profiles)}: {results[0]['triples']:,} triples, {n_datasets:,} dicts")
        if args.sample:
            print(json.dumps(results[0]["sample"], ensure_ascii=False, indent=1))
        tag = "+".join(profiles)
        for step in ("parse", "dicts", "parse+dicts"):
            rows.append(_row(f"ckanext-dcat {tag}: {step}", n_datasets, [r[step] for r in results]))

    rows.insert(0, _row("rdflib Graph().parse turtle", n_datasets or 0, rdflib_samples))
    print(header)
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
