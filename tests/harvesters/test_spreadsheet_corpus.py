"""Every real portal export of ``../shared/corpus/cn-opendata-*`` through the spreadsheet
harvester (samples in ``tests/fixtures/cn-opendata/samples``, see ``corpus_samples``): no header
with a meaning left unread, every value of a concept column matched or handed on as unread
(``Mapped.unread``), no row dropped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from catalog.db import HarvestItem
from catalog.spreadsheet.columns import IGNORED_COLUMNS
from catalog.spreadsheet.headers import (
    _main_columns,
    column_rank,
    known_header,
    normalize_header,
)
from catalog.spreadsheet.values import canonical, format_names, is_placeholder, looks_like_formats
from harvesters.base import Remote
from harvesters.placement import Mapped, concept
from tests.harvesters import corpus_samples
from tests.harvesters.conftest import add_source, run
from tests.harvesters.test_spreadsheet import harvester, write_csv, write_xlsx
from vocab.fields import BY_NAME, Kind

EXPORTS = list(corpus_samples.EXPORTS)
# the headers of the real exports that mean nothing in the catalog, each for the reason given in
# catalog.spreadsheet.columns.IGNORED_COLUMNS (industry, data volume); the provider's phone and
# e-mail (部门电话, 联系方式, orgEmail …) are the dataset's contact point
IGNORED = {"所属行业", "行业名称", "行业分类", "industry",
           "数据量", "dataNumSum", "文件数"}
# values of the real exports that match no concept: handed on as unread (besides themes, which
# are kept as keywords too)
UNMATCHED = {
    "update_cycle": {"自定义", "每 2 日", "每 3 日", "每 121 日", "每 null null"},
    "open_type": {"无条件开发", "有条件开发"},   # 淮南市's typo for 开放
}
# exports without any summary column: the summary is required, every row fails and says so
NO_SUMMARY = {"anhui_huainan.json", "jiangxi_jiangxi.json"}


def header_of(rows: list[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(key for row in rows for key in row))


def test_every_header_of_the_real_exports_is_read_or_ignored_for_a_reason():
    headers = {h for name in EXPORTS for h in header_of(corpus_samples.load(name))}
    assert {h for h in headers if not known_header(h)} == set()
    ignored = {h for h in headers if normalize_header(h) not in _main_columns()}
    assert ignored == IGNORED
    assert all(IGNORED_COLUMNS.get(h) for h in ignored)


def test_no_header_means_two_things():
    from catalog.spreadsheet.headers import main_sheet_columns

    seen: dict[str, str] = {}
    for name, columns in main_sheet_columns():
        for column in columns:
            assert seen.setdefault(normalize_header(column), name) == name, column
    assert not set(seen) & {normalize_header(h) for h in IGNORED_COLUMNS}


def test_the_samples_are_the_corpus_rows():
    """The samples are copies of corpus rows, rebuilt the same way when the corpus is here."""
    if not corpus_samples.CORPUS.is_dir():
        pytest.skip("the shared corpus is not on this machine")
    built = corpus_samples.build()
    assert sorted(built) == sorted(p.name for p in corpus_samples.SAMPLES.glob("*.json"))
    for name, text in built.items():
        assert (corpus_samples.SAMPLES / name).read_text(encoding="utf-8") == text, name


def _write(path: Path, index: int, header: list[str], rows: list[list[str]]) -> Path:
    """Each export in another of the forms departments send: xlsx, CSV UTF-8 / BOM / GB18030."""
    kind = ("xlsx", "utf-8", "utf-8-sig", "gb18030")[index % 4]
    if kind == "xlsx":
        write_xlsx(path.with_suffix(".xlsx"), header, rows)
        return path.with_suffix(".xlsx")
    write_csv(path.with_suffix(".csv"), header, rows, kind)
    return path.with_suffix(".csv")


@pytest.mark.parametrize("name", EXPORTS)
def test_every_row_of_a_real_export_is_a_record_or_a_reason(world, tmp_path, name):
    found = corpus_samples.load(name)
    header = header_of(found)
    rows = [[str(row[h]) if h in row else "" for h in header] for row in found]
    path = _write(tmp_path / name.removesuffix(".json"), EXPORTS.index(name), header, rows)
    result = run(world, add_source(world, "spreadsheet", str(path)))
    with world.services.store.reading() as session:
        items = list(session.scalars(select(HarvestItem).where(HarvestItem.job_id == result["job"])))
        session.expunge_all()
    assert len(items) == len(rows)                           # one outcome a row: none dropped
    assert sum(result["counts"].values()) == len(rows)
    if name in NO_SUMMARY:
        assert all("description" in item.reason for item in items if item.kind == "record")
    else:
        assert result["counts"]["created"] > 0, result["errors"]
    for item in items:
        assert item.outcome in ("created", "failed", "skipped"), item.outcome
        if item.outcome != "created":
            assert item.reason and item.error_type, item.remote_id
    unmatched: dict[str, set[str]] = {}
    checked = 0
    for remote in harvester(path).listing():
        if isinstance(remote, Remote):
            read = harvester(path).map(remote)
            for field, value in read.unread.items():
                if field != "classification":
                    unmatched.setdefault(field, set()).add(value)
            _assert_read(header, found[remote.payload.number - 2], read)
            checked += 1
    assert checked == sum(1 for item in items if item.kind == "record"
                          and item.error_type != "record.no_identifier")
    assert not unmatched.get("resource_form"), unmatched
    for field, values in unmatched.items():
        assert values <= UNMATCHED.get(field, set()), (field, values)


def _assert_read(header: list[str], row: dict[str, Any], read: Mapped) -> None:
    """Every cell with a meaning is read: as written, or as its concept, or handed on unread."""
    record = read.record
    read_from: dict[str, str] = {}   # field -> its header (of two, the better-ranked is read)
    for h in sorted(header, key=lambda h: column_rank().get(normalize_header(h), 999)):
        if normalize_header(h) in _main_columns():
            read_from.setdefault(_main_columns()[normalize_header(h)], h)
    for h in header:
        name = _main_columns().get(normalize_header(h))
        value = str(row.get(h, "")).strip()
        if name is None or read_from[name] != h or is_placeholder(value) or value in ("[]", "['']"):
            continue
        if "." in name:             # a contact point's or distribution's column
            parent, _sub = name.split(".", 1)
            assert value in record[parent][0].values(), (h, value, record.get(parent))
            continue
        f = BY_NAME[name]
        if name == "publisher_name":
            assert read.publisher, h
        elif f.kind is Kind.CONCEPT:
            assert f.scheme
            code = concept(f.scheme, canonical(f.scheme, value))
            if name == "resource_form" and code is None and looks_like_formats(value):
                assert set(format_names(value)) <= set(record.get("formats", [])), (h, value)
            elif code is not None:
                assert record[name] == code, (h, value, record[name])
            else:
                assert read.unread[name] == value and name not in record, (h, value)
                if name == "classification" and len(value) <= 50:
                    assert value in record["keywords"], (h, value)
        elif name == "formats":
            assert set(format_names(value)) <= set(record.get("formats", [])), (h, value)
        elif name == "title":
            assert record["title"] == value, (h, value)
        elif name == "open_condition":
            assert record.get("open_condition") or record["open_type"] == concept("open-type",
                                                                                   value), h
        else:
            assert record.get(name) or read.unread.get(name) == value, (h, name, value)
