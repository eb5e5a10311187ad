"""The one spreadsheet reader: catalogs of any length streamed in bounded memory, merged cells
in read-only workbooks, bounded encoding detection, the strict and lenient policies."""

from __future__ import annotations

import csv
import io
import tracemalloc
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from catalog.errors import InvalidInput
from catalog.spreadsheet import LENIENT, STRICT, SheetRow, header_label, read_sheet, template_rows
from catalog.spreadsheet.csvfile import BLOCK
from vocab.fields import BY_NAME

HEADER = ["信息资源名称", "信息资源分类", "信息资源摘要", "提供单位", "更新周期", "发布日期",
          "开放属性"]


def line(n: int) -> list[str]:
    return [f"全省第{n}号市场主体登记信息", "102002", f"第{n}号：全省企业登记的基本信息。",
            "安徽省市场监督管理局", "每月", "2024-06-30", "无条件开放"]


def csv_file(path: Path, rows: int, encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for n in range(rows):
            writer.writerow(line(n))
    return path


def xlsx_file(path: Path, rows: int) -> Path:
    """As Excel writes them: shared strings, the sheet's <dimension> first."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "目录"
    sheet.append(HEADER)
    for n in range(rows):
        sheet.append(line(n))
    workbook.save(path)
    return path


def streamed(path: Path, policy: Any = LENIENT) -> tuple[int, int, SheetRow]:
    """Rows read (none kept) and the peak of memory allocated while reading them."""
    tracemalloc.start()
    count, last = 0, None
    try:
        with path.open("rb") as stream, read_sheet(stream, path.name, policy=policy) as sheet:
            for row in sheet.rows:
                count, last = count + 1, row
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert last is not None
    return count, peak, last


def test_a_100000_row_csv_is_read_in_bounded_memory(tmp_path):
    path = csv_file(tmp_path / "目录.csv", 100_000)
    assert path.stat().st_size > 15 * 1024 * 1024
    count, peak, last = streamed(path)
    assert count == 100_000 and last.number == 100_001
    assert last.record["title"] == "全省第99999号市场主体登记信息"
    assert last.record["update_cycle"] == "monthly" and last.record["issued"] == "2024-06-30"
    assert peak < 8 * 1024 * 1024, peak          # a block and a row, not the file


def test_the_strict_policy_streams_too(tmp_path):
    """The strict reading keeps each title and code (repeats), not the rows."""
    path = tmp_path / "目录.csv"
    header, _hints, example = template_rows()
    title = header.index(header_label(BY_NAME["title"]))
    with path.open("w", encoding="gb18030", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        for n in range(30_000):
            writer.writerow([f"第{n}号{v}" if i == title else v for i, v in enumerate(example)])
    count, peak, last = streamed(path, STRICT)
    assert count == 30_000 and not last.problems
    assert peak < 12 * 1024 * 1024, peak


def test_a_30000_row_xlsx_is_read_in_bounded_memory(tmp_path):
    path = xlsx_file(tmp_path / "目录.xlsx", 30_000)
    count, peak, last = streamed(path)
    assert count == 30_000 and last.number == 30_001
    assert last.record["title"] == "全省第29999号市场主体登记信息"
    assert peak < 12 * 1024 * 1024, peak


def workbook_bytes(rows: list[list[Any]], merges: tuple[str, ...] = ()) -> bytes:
    workbook = openpyxl.Workbook()
    for values in rows:
        workbook.active.append(values)
    for cells in merges:
        workbook.active.merge_cells(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def read(data: bytes, name: str, policy: Any = LENIENT) -> list[SheetRow]:
    with read_sheet(data, name, policy=policy) as sheet:
        return list(sheet.rows)


def test_merged_cells_take_their_anchors_value_while_streaming():
    """A title row merged over the header's width, a provider merged down three rows and a
    cycle merged over two columns and two rows."""
    rows = [["某市政务数据资源目录"], HEADER, line(0), line(1), line(2), line(3)]
    data = workbook_bytes(rows, ("A1:G1", "D3:D5", "E5:F6"))
    found = read(data, "目录.xlsx")
    assert [r.number for r in found] == [3, 4, 5, 6]
    assert [r.record["publisher_name"] for r in found] == ["安徽省市场监督管理局"] * 4
    rows[3][3] = rows[4][3] = None   # what the merge hides (openpyxl keeps the values)
    assert [r.record.get("issued") for r in found] == [
        "2024-06-30", "2024-06-30", None, None]
    assert found[3].unread == {"issued": "每月"}   # E5 ("每月") fills F5:F6: no date


def test_gb18030_is_detected_after_a_first_block_of_ascii(tmp_path):
    """The encoding is decided on the first block that is not ASCII, wherever it is."""
    path = tmp_path / "目录.csv"
    ascii_rows = [[f"dataset {n}", "101", f"summary {n}", "dept", "daily", "2024-06-30", "open"]
                  for n in range(BLOCK // 40)]
    with path.open("w", encoding="gb18030", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["title", "classification", "description", "publisher_name",
                         "update_cycle", "issued", "open_type"])
        writer.writerows(ascii_rows)
        writer.writerow(line(1))
    assert path.stat().st_size > BLOCK
    with path.open("rb") as stream, read_sheet(stream, path.name, policy=LENIENT) as sheet:
        found = list(sheet.rows)
    assert found[-1].record["title"] == "全省第1号市场主体登记信息"
    assert len(found) == len(ascii_rows) + 1


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_encodings(encoding):
    data = "\n".join(",".join(r) for r in (HEADER, line(0), line(1))).encode(encoding)
    assert [r.record["title"] for r in read(data, "a.csv")] == [line(0)[0], line(1)[0]]


def test_an_encoding_that_changes_midway_is_refused_as_a_file_error(tmp_path):
    path = tmp_path / "mixed.csv"
    first = "\n".join(",".join(r) for r in (HEADER, line(0))).encode("utf-8") + b"\n"
    path.write_bytes(first + b"x" * BLOCK + b"\n" + ",".join(line(1)).encode("gb18030"))
    with pytest.raises(InvalidInput) as exc:
        read(path.read_bytes(), "mixed.csv")
    assert list(exc.value.errors) == ["file"]


def policies_file() -> bytes:
    """The template's header; rows 2 and 4 the same dataset, row 3 a bad date and open type."""
    header, _hints, example = template_rows()
    other = list(example)
    other[header.index(header_label(BY_NAME["title"]))] = "全省个体工商户登记信息"
    other[header.index(header_label(BY_NAME["issued"]))] = "去年"
    other[header.index(header_label(BY_NAME["open_type"]))] = "看情况"
    out = io.StringIO(newline="")
    csv.writer(out).writerows([header, example, other, example])
    return out.getvalue().encode()


def test_strict_reports_every_cell_and_repeat_lenient_hands_them_on():
    strict = read(policies_file(), "a.csv", STRICT)
    assert sorted((p.row, p.field) for r in strict for p in r.problems) == [
        (3, "issued"), (3, "open_type"), (4, "title")]
    assert all(not r.unread for r in strict)
    lenient = read(policies_file(), "a.csv", LENIENT)
    assert all(not r.problems for r in lenient)
    assert lenient[1].unread == {"issued": "去年", "open_type": "看情况"}
    assert "issued" not in lenient[1].record and "open_type" not in lenient[1].record
    assert lenient[0].record == lenient[2].record    # a repeated title: a row like any other


def test_lenient_reads_a_theme_as_unread_and_a_keyword():
    rows = [HEADER, line(0)]
    rows[1][HEADER.index("信息资源分类")] = "经济建设"
    found = read("\n".join(",".join(r) for r in rows).encode(), "a.csv")
    assert found[0].unread == {"classification": "经济建设"}
    assert found[0].record["keywords"] == ["经济建设"]


def test_extra_columns_come_first():
    rows = [[*HEADER, "数据简述"], [*line(0), "另一段摘要"]]
    data = "\n".join(",".join(r) for r in rows).encode()
    with read_sheet(data, "a.csv", policy=LENIENT,
                    extra_columns={"数据简述": "description"}) as sheet:
        assert sheet.columns["数据简述"] == "description"
        assert next(sheet.rows).record["description"] == "另一段摘要"


def test_size_limit_and_refusals():
    data = policies_file()
    with pytest.raises(InvalidInput) as large, read_sheet(data, "a.csv", max_bytes=len(data) - 1):
        pass
    assert "MB" in large.value.errors["file"][0].zh
    for content, name in ((b"\xd0\xcf\x11\xe0" + b"\x00" * 50, "a.xls"), (b"  \n", "a.csv"),
                          (b"PK\x03\x04 broken", "a.xlsx")):
        with pytest.raises(InvalidInput) as refused, read_sheet(content, name):
            pass
        assert list(refused.value.errors) == ["file"], name
