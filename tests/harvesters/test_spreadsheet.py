"""The spreadsheet harvester: real rows of Chinese portal exports, their own headers."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest

from harvesters.base import Remote, SourceSpec
from harvesters.http import Deadline, Fetcher, Limits
from harvesters.placement import Mapped
from harvesters.spreadsheet import SpreadsheetHarvester
from tests.factories import GOVERNANCE, JUSTICE
from tests.harvesters.conftest import add_source, count_datasets, datasets, run
from tests.harvesters.server import FIXTURES


def portal_rows(name: str, limit: int | None = None) -> tuple[list[str], list[list[str]]]:
    rows = json.loads((FIXTURES / "cn-opendata" / name).read_text(encoding="utf-8"))[:limit]
    header = list(rows[0])
    return header, [[str(r.get(h, "")) for h in header] for r in rows]


def write_xlsx(path, header, rows, *, merges=(), title: str | None = None) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    if title:
        sheet.append([title])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    for cells in merges:
        sheet.merge_cells(cells)
    workbook.save(path)


def write_csv(path, header, rows, encoding="utf-8") -> None:
    out = io.StringIO(newline="")
    csv.writer(out).writerows([header, *rows])
    path.write_bytes(out.getvalue().encode(encoding))


def test_real_portal_export_with_its_own_headers(world, tmp_path):
    """安徽省 portal rows: 标题 / 提供单位 / 开放属性 / 更新频率 / 摘要信息 …; providers matched to
    known departments by name, unknown ones kept and reported, never dropped."""
    header, rows = portal_rows("anhui_anhui.json", 120)
    path = tmp_path / "anhui.xlsx"
    write_xlsx(path, header, rows, title="安徽省政务数据开放目录")
    result = run(world, add_source(world, "spreadsheet", str(path)))
    assert result["counts"]["created"] + result["counts"]["failed"] == 120
    assert result["counts"]["created"] >= 110, result["errors"]
    assert result["listing"]["complete"]
    assert result["unknown_providers"]["省统计局"] > 50
    found = datasets(world)
    departments = {d.code: d.id for d in world.services.departments.list()}
    by_department = {d.department_id for d in found.values()}
    assert departments[GOVERNANCE] in by_department      # 安徽省数据资源管理局 is known
    first = world.services.datasets.get(world.admin, next(iter(found.values())).id).as_dict()
    assert first["open_type"] in ("open", "conditional") and first["update_cycle"]
    assert first["source_identifier"] == first["title"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_encodings_and_row_hash_incremental(world, tmp_path, encoding):
    """柳州市 rows: 来源部门, 更新频率, and 开放条件 holding the open type."""
    header, rows = portal_rows("guangxi_liuzhou.json", 40)
    path = tmp_path / "liuzhou.csv"
    write_csv(path, header, rows, encoding)
    source_id = add_source(world, "spreadsheet", str(path),
                           config={"defaults": {"classification": "201"}})
    first = run(world, source_id)
    assert first["counts"]["created"] == 40, first["errors"]
    found = datasets(world)
    view = world.services.datasets.get(world.admin, next(iter(found.values())).id).as_dict()
    assert view["open_type"] == "open" and view["classification"] == "201"
    rows[3][header.index("标题")] += "（修订）"
    rows[4][header.index("更新时间")] = "2024-01-01"
    write_csv(path, header, rows, encoding)
    second = run(world, source_id)
    assert second["counts"] == {"created": 1, "updated": 1, "unchanged": 38, "withdrawn": 1,
                                "skipped": 0, "failed": 0}


def test_rows_without_a_summary_are_kept_to_be_completed(world, tmp_path):
    """淮南市 rows have no summary column at all: every row is kept as 待完善 with the missing
    摘要 as its problem (never refused); the 开放属性 typo "无条件开发" is a flagged unread value."""
    header, rows = portal_rows("anhui_huainan.json")
    path = tmp_path / "huainan.csv"
    write_csv(path, header, rows)
    source_id = add_source(world, "spreadsheet", str(path),
                           config={"columns": {"数据领域": "keywords"}})
    result = run(world, source_id)
    assert result["counts"]["created"] == 35 and result["status"] == "succeeded", result
    flagged = result["kept_with_problems"]
    assert flagged["count"] == 35 and flagged["by_problem"]["missing description"] == 35
    todo = world.services.datasets.list(world.admin, state="incomplete", page_size=100)
    assert todo.total == 35 and all(v.problems for v in todo.items)


def test_merged_cells_and_empty_rows(world, tmp_path):
    """A provider cell merged down three rows names all three; empty rows are skipped."""
    header, rows = portal_rows("anhui_anhui.json", 6)
    provider = header.index("提供单位")
    rows[0][provider] = "安徽省司法厅"
    rows.insert(3, [""] * len(header))
    rows.append([None] * len(header))
    path = tmp_path / "merged.xlsx"
    letter = openpyxl.utils.get_column_letter(provider + 1)
    write_xlsx(path, header, rows, merges=(f"{letter}2:{letter}4",))
    result = run(world, add_source(world, "spreadsheet", str(path)))
    assert result["counts"]["created"] == 6, result["errors"]
    justice = world.services.departments.by_code(JUSTICE).id
    titles = {d.title: d.department_id for d in datasets(world).values()}
    assert [titles[r[header.index("标题")]] for r in rows[:2]] == [justice, justice]


def harvester(path, config=None) -> SpreadsheetHarvester:
    limits = Limits()
    spec = SourceSpec(0, "spreadsheet", str(path), 0, config or {}, limits)
    return SpreadsheetHarvester(spec, Fetcher(limits, Deadline.after(60)))


def mapped(path, config=None) -> list[Mapped]:
    h = harvester(path, config)
    return [h.map(r) for r in h.listing() if isinstance(r, Remote)]


def test_an_unreadable_cell_is_handed_on_unread_and_extra_columns_map(world, tmp_path):
    """A date that is no date and an unknown open type do not fail the row: they are the
    record's ``unread`` (for the keep-and-flag path), never silently the default."""
    header, rows = portal_rows("anhui_anhui.json", 5)
    rows[1][header.index("发布日期")] = "去年"
    rows[2][header.index("开放属性")] = "看情况"
    header[header.index("摘要信息")] = "数据简述"     # not a known header: mapped by the source
    path = tmp_path / "rows.csv"
    write_csv(path, header, rows)
    config = {"columns": {"数据简述": "description"}}
    read = mapped(path, config)
    assert read[1].unread["issued"] == "去年" and read[2].unread["open_type"] == "看情况"
    assert "issued" not in read[1].record and "open_type" not in read[2].record
    assert "issued" in read[0].record and "issued" not in read[0].unread
    assert all(m.record["description"] for m in read)
    result = run(world, add_source(world, "spreadsheet", str(path), config=config))
    assert result["counts"]["created"] == 5 and result["counts"]["failed"] == 0


def test_resource_codes_identify_rows_and_dedup_across_sources(world, tmp_path):
    header = ["信息资源代码", "信息资源名称", "信息资源分类", "信息资源摘要", "提供单位", "更新周期"]
    rows = [["302001/000101", "全省地方性法规目录", "法律法规", "全省现行有效地方性法规。", "安徽省司法厅", "每月"],
            ["302001/000102", "全省政府规章目录", "法律法规", "全省现行有效政府规章。", "安徽省司法厅", "每月"]]
    first, second = tmp_path / "a.csv", tmp_path / "b.xlsx"
    write_csv(first, header, rows)
    write_xlsx(second, header, rows[1:])
    a = run(world, add_source(world, "spreadsheet", str(first)))
    b = run(world, add_source(world, "spreadsheet", str(second)))
    assert a["counts"]["created"] == 2
    assert b["counts"]["unchanged"] == 1 and b["counts"]["created"] == 0
    assert count_datasets(world) == 2
    view = world.services.datasets.get(world.admin, datasets(world)["302001/000102"].id)
    assert view.resource_code == "302001/000102"


def test_rows_without_a_code_in_two_files_are_two_records_each(world, tmp_path):
    """A row without a resource code is named by its title within its own file: the same
    title in another department's file (another publisher) is another record, not a match."""
    header = ["信息资源名称", "信息资源分类", "信息资源摘要", "提供单位", "更新周期"]
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    write_csv(first, header, [["工商_企业基本信息", "法人", "企业登记信息。", "六安市市场监督管理局", "每月"]])
    write_csv(second, header, [["工商_企业基本信息", "法人", "企业登记信息。", "霍邱县市场监督管理局", "每月"]])
    a = run(world, add_source(world, "spreadsheet", str(first)))
    b = run(world, add_source(world, "spreadsheet", str(second)))
    assert a["counts"]["created"] == 1 and b["counts"]["created"] == 1
    assert count_datasets(world) == 2


def test_the_providers_phone_and_e_mail_are_the_contact_point(world, tmp_path):
    """福州市 gives a phone in 联系方式, 厦门市 an e-mail there, 阿坝州 orgPhone and orgEmail:
    each becomes the dataset's contact point (vcard), not an ignored column."""
    from tests.harvesters import corpus_samples

    found = {}
    for name in ("fujian_fuzhou.json", "fujian_xiamen.json", "sichuan_aba.json"):
        rows = corpus_samples.load(name)[:2]
        header = list(rows[0])
        path = tmp_path / name.replace(".json", ".csv")
        write_csv(path, header, [[str(r.get(h, "")) for h in header] for r in rows])
        assert run(world, add_source(world, "spreadsheet", str(path)))["counts"]["created"] == 2
        found[name] = rows[0]
    records = [world.services.datasets.get(world.admin, d.id).record
               for d in datasets(world).values()]
    contacts = [c for r in records for c in r.get("contact_points", [])]
    assert {"phone": found["fujian_fuzhou.json"]["联系方式"].strip()} in contacts
    assert {"email": found["fujian_xiamen.json"]["联系方式"]} in contacts
    assert {"phone": found["sichuan_aba.json"]["orgPhone"],
            "email": found["sichuan_aba.json"]["orgEmail"]} in contacts


def test_a_sheet_source_has_the_deployments_spreadsheet_size_limit(world, tmp_path):
    """One rule for a spreadsheet's size, imported or harvested: ``Settings.max_sheet_bytes``
    (not the 20 MB limit of one HTTP response), unless the source's own limits say otherwise."""
    header, rows = portal_rows("anhui_anhui.json", 40)
    path = tmp_path / "big.csv"
    write_csv(path, header, rows)
    size = path.stat().st_size
    world.services.store.settings = world.services.store.settings.with_overrides(
        max_sheet_bytes=size - 1)
    refused = run(world, add_source(world, "spreadsheet", str(path)))
    assert refused["status"] == "failed" and count_datasets(world) == 0
    assert "http.too_large" in refused["errors"], refused["errors"]
    world.services.store.settings = world.services.store.settings.with_overrides(
        max_sheet_bytes=size)
    assert run(world, add_source(world, "spreadsheet", str(path)))["counts"]["created"] == 40
    own = run(world, add_source(world, "spreadsheet", str(path), limits={"max_bytes": size - 1}))
    assert own["status"] == "failed"


def test_missing_file_is_a_failed_job_that_changes_nothing(world, tmp_path):
    header, rows = portal_rows("anhui_anhui.json", 5)
    path = tmp_path / "gone.csv"
    write_csv(path, header, rows)
    source_id = add_source(world, "spreadsheet", str(path))
    assert run(world, source_id)["counts"]["created"] == 5
    before = {key: d.state for key, d in datasets(world).items()}
    assert set(before.values()) <= {"published", "incomplete"}
    path.unlink()
    result = run(world, source_id)
    assert result["status"] == "failed" and result["counts"]["withdrawn"] == 0
    assert "source.missing" in result["errors"]
    assert {key: d.state for key, d in datasets(world).items()} == before


def items_workbook(path, main: list[list[str]], items: list[list[str]], *,
                   sheet: str = "数据项", merges=()) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.title = "信息资源目录"
    for row in main:
        workbook.active.append(row)
    extra = workbook.create_sheet(sheet)
    for row in items:
        extra.append(row)
    for cells in merges:
        extra.merge_cells(cells)
    workbook.save(path)


def test_data_items_sheet_joins_its_datasets(world, tmp_path):
    """A 数据项 sheet keyed by resource code or title, with a merged title cell over its items,
    SQL column types and lengths; an item whose dataset is not in the file is a failed item, an
    unreadable type a note; changing an item updates its dataset on the next run."""
    main = [["信息资源代码", "信息资源名称", "信息资源分类", "摘要", "提供单位", "更新周期"],
            ["302001/000101", "全省地方性法规目录", "法律法规", "全省现行有效地方性法规。",
             "安徽省司法厅", "每月"],
            ["", "全省律师事务所名录", "司法", "全省律师事务所的名称、地址和执业许可信息。",
             "安徽省司法厅", "每 3 月"]]
    items = [["序号", "信息资源代码", "信息资源名称", "字段名称", "字段类型", "数据长度", "是否主键",
              "说明"],
             [1, "302001/000101", "", "法规名称", "varchar(200)", "", "否", "法规全称"],
             [2, "302001/000101", "", "公布日期", "DATE", "", "", ""],
             [3, "", "全省律师事务所名录", "统一社会信用代码", "CHAR", 18, "是", ""],
             [4, "", "", "执业许可证号", "VARCHAR2(30)", "", "", ""],
             [5, "", "", "执业状态", "枚举", "", "", ""],
             [6, "", "不在本表的资源", "名称", "字符型", "", "", ""]]
    path = tmp_path / "catalog.xlsx"
    items_workbook(path, main, items, merges=("C4:C6",))
    source_id = add_source(world, "spreadsheet", str(path))
    result = run(world, source_id)
    assert result["counts"]["created"] == 2 and result["counts"]["failed"] == 1, result["errors"]
    assert result["listing"]["complete"]
    lost = result["errors"]["record.not_found"]["examples"][0]
    assert lost["remote_id"] == "数据项 row 7" and "不在本表的资源" in lost["reason"]
    found = datasets(world)
    laws = world.services.datasets.get(world.admin, found["302001/000101"].id).as_dict()
    assert laws["data_items"] == [
        {"name": "法规名称", "data_type": "string", "description": "法规全称；长度 200"},
        {"name": "公布日期", "data_type": "date"}]
    firms = world.services.datasets.get(
        world.admin, found["title:全省律师事务所名录"].id).as_dict()
    assert firms["update_cycle"] == "quarterly"
    assert firms["data_items"] == [
        {"name": "统一社会信用代码", "data_type": "string", "description": "长度 18；主键"},
        {"name": "执业许可证号", "data_type": "string", "description": "长度 30"}]
    with world.services.store.reading() as session:
        from sqlalchemy import select

        from catalog.db import HarvestItem
        reason = session.scalar(select(HarvestItem.reason).where(
            HarvestItem.remote_id == "title:全省律师事务所名录"))
    assert "执业状态" in reason and "枚举" in reason

    items[5][4] = "TEXT"
    items_workbook(path, main, items, merges=("C4:C6",))
    again = run(world, source_id)
    assert again["counts"]["updated"] == 1 and again["counts"]["unchanged"] == 1
    firms = world.services.datasets.get(
        world.admin, found["title:全省律师事务所名录"].id).as_dict()
    assert firms["data_items"][-1] == {"name": "执业状态", "data_type": "memo"}


def test_an_items_sheet_without_its_columns_is_reported_and_the_rows_still_harvested(
        world, tmp_path):
    main = [["信息资源名称", "信息资源分类", "摘要", "更新周期"],
            ["全省地方性法规目录", "法律法规", "全省现行有效地方性法规。", "每月"]]
    path = tmp_path / "catalog.xlsx"
    items_workbook(path, main, [["信息资源名称", "字段名称", "备注"], ["全省地方性法规目录", "名称", ""]],
                   sheet="信息项")
    result = run(world, add_source(world, "spreadsheet", str(path)))
    assert result["counts"]["created"] == 1
    problem = result["errors"]["payload.invalid_sheet"]["examples"][0]
    assert problem["remote_id"] == "信息项" and "数据类型" in problem["reason"]
    assert not result["listing"]["complete"]     # items may be missing: withdraw nothing


def test_rows_with_the_same_title_are_separate_records(world, tmp_path):
    """Two releases with one title and no code: two records of their own (not one id listed
    twice); ids stay when other rows are added. (Storing both is the record store's rule: today
    a department's repeated title is refused there.)"""
    header = ["信息资源名称", "信息资源摘要", "提供单位", "更新周期"]
    rows = [["全省空气质量日报", "2023 年版。", "安徽省生态环境厅", "每日"],
            ["全省空气质量日报", "2024 年版。", "安徽省生态环境厅", "每日"]]
    path = tmp_path / "releases.csv"
    write_csv(path, header, rows)
    listed = [r for r in harvester(path).listing() if isinstance(r, Remote)]
    assert [r.remote_id for r in listed] == ["title:全省空气质量日报", "title:全省空气质量日报#2"]
    assert [m.record["description"] for m in mapped(path)] == ["2023 年版。", "2024 年版。"]
    result = run(world, add_source(world, "spreadsheet", str(path)))
    assert result["counts"]["created"] + result["counts"]["failed"] == 2
    assert "listing.duplicate_id" not in result["errors"]
    write_csv(path, header, [["全省水质月报", "新增。", "安徽省生态环境厅", "每月"], *rows])
    assert [r.remote_id for r in harvester(path).listing() if isinstance(r, Remote)] == [
        "title:全省水质月报", "title:全省空气质量日报", "title:全省空气质量日报#2"]
