"""Samples of the 13 real portal exports in ``../shared/corpus/cn-opendata-*``, kept in
``tests/fixtures/cn-opendata/samples/`` so that the tests need no corpus.

A sample is the export's first 30 rows (its real keys are the spreadsheet's header), plus the
first row showing each value not yet seen of every column with at most 40 distinct values (update
cycles, open types, themes, formats, dates …) and of every key a row lacks — so every value the
export uses for a concept column is read by the tests. Rows are copied unmodified, in their
order. ``python -m tests.harvesters.corpus_samples [CORPUS_DIR]`` rewrites the samples.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

SAMPLES = Path(__file__).parents[1] / "fixtures" / "cn-opendata" / "samples"
CORPUS = Path("/work/shared/corpus")
EXPORTS = {   # sample file -> the corpus file it comes from
    "anhui_chizhou.json": "cn-opendata-cnpds/anhui_chizhou.json",
    "guangxi_liuzhou.json": "cn-opendata-cnpds/guangxi_liuzhou.json",
    "guangxi_nanning.json": "cn-opendata-cnpds/guangxi_nanning.json",
    "guizhou_guiyang.json": "cn-opendata-cnpds/guizhou_guiyang.json",
    "sichuan_aba.json": "cn-opendata-cnpds/sichuan_aba.json",
    "sichuan_meishan.json": "cn-opendata-cnpds/sichuan_meishan.json",
    "anhui_anhui.json": "cn-opendata-cqsss/anhui_anhui.json",
    "anhui_huainan.json": "cn-opendata-cqsss/anhui_huainan.json",
    "anhui_luan.json": "cn-opendata-cqsss/anhui_luan.json",
    "anhui_suzhou.json": "cn-opendata-cqsss/anhui_suzhou.json",
    "fujian_fuzhou.json": "cn-opendata-cqsss/fujian_fuzhou.json",
    "fujian_xiamen.json": "cn-opendata-cqsss/fujian_xiamen.json",
    "jiangxi_jiangxi.json": "cn-opendata-cqsss/jiangxi_jiangxi.json",
}
HEAD = 30
FEW_VALUES = 40
_MISSING = "\0missing"


def sample(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keys = list(dict.fromkeys(k for row in rows for k in row))
    few = {k for k in keys if len({str(r.get(k, _MISSING)) for r in rows}) <= FEW_VALUES}

    def shown(row: dict[str, Any], key: str) -> str:   # a key some rows lack: present or not
        return str(row.get(key, _MISSING)) if key in few else str(key in row)

    picked = set(range(min(HEAD, len(rows))))
    seen = {k: {shown(rows[i], k) for i in picked} for k in keys}
    for index, row in enumerate(rows):
        for key in keys:
            value = shown(row, key)
            if value not in seen[key]:
                seen[key].add(value)
                picked.add(index)
    return [rows[i] for i in sorted(picked)]


def render(rows: list[dict[str, Any]]) -> str:
    return json.dumps(rows, ensure_ascii=False, indent=1) + "\n"


def build(corpus: Path = CORPUS) -> dict[str, str]:
    return {name: render(sample(json.loads((corpus / source).read_text(encoding="utf-8"))))
            for name, source in EXPORTS.items()}


def load(name: str) -> list[dict[str, Any]]:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


if __name__ == "__main__":
    SAMPLES.mkdir(parents=True, exist_ok=True)
    for name, text in build(Path(sys.argv[1]) if len(sys.argv) > 1 else CORPUS).items():
        (SAMPLES / name).write_text(text, encoding="utf-8")
        print(name, len(json.loads(text)), "rows")
