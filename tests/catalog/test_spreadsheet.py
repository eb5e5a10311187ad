"""Spreadsheet bulk registration: real .xlsx and .csv files, all rows or none, the CLI."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from catalog import spreadsheet
from catalog.actors import SYSTEM
from catalog.cli import main
from catalog.config import load_settings
from catalog.db import Dataset
from catalog.errors import InvalidInput
from catalog.services import Services
from catalog.spreadsheet import import_file, normalize_header, parse, template_csv, template_xlsx
from catalog.spreadsheet.columns import SUB_COLUMNS
from catalog.store import Store
from tests.factories import PUBLIC_SECURITY, build_world
from vocab.fields import FIELDS

HEADER = ["信息资源名称", "信息资源分类", "信息资源摘要", "信息资源格式", "信息项", "共享类型",
          "共享方式", "共享依据", "开放属性", "更新周期", "密级", "关键字", "发布日期"]


def row(title: str = "全省居民身份证签发信息", **changes: Any) -> list[Any]:
    values = {"信息资源名称": title, "信息资源分类": "人口基本信息",
              "信息资源摘要": f"{title}，含签发机关与有效期限。", "信息资源格式": "数据库",
              "信息项": "姓名(字符型)；公民身份号码(字符型)；签发日期（日期型）",
              "共享类型": "有条件共享", "共享方式": "接口", "共享依据": "《居民身份证法》",
              "开放属性": "不予开放", "更新周期": "每日", "密级": "内部", "关键字": "身份证、人口",
              "发布日期": "2023-01-05"}
    values.update(changes)
    return [values[h] for h in HEADER]


def xlsx(rows: list[list[Any]], *, merges: tuple[str, ...] = (),
         items: list[list[Any]] | None = None) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for values in rows:
        sheet.append(values)
    for cells in merges:
        sheet.merge_cells(cells)
    if items is not None:
        extra = workbook.create_sheet(spreadsheet.ITEMS_SHEET)
        for values in items:
            extra.append(values)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list[Any]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def count(services: Services) -> int:
    with services.store.reading() as session:
        return session.scalar(select(func.count()).select_from(Dataset)) or 0


def errors_of(exc: pytest.ExceptionInfo[InvalidInput]) -> dict[str, str]:
    return {key: " ".join(m.zh for m in messages) for key, messages in exc.value.errors.items()}


@pytest.fixture
def world(services):
    return build_world(services)


# -- round trip through the template -----------------------------------------------------------

def test_template_xlsx_round_trip(world):
    workbook = openpyxl.load_workbook(io.BytesIO(template_xlsx()))
    sheet = workbook.worksheets[0]
    headers = [c.value for c in sheet[1]]
    assert headers[0] == "信息资源名称*" and "信息资源代码" in headers and "共享类型*" in headers
    assert len(headers) == len(FIELDS) + len(SUB_COLUMNS)   # + one contact, one distribution
    hints = dict(zip(headers, (c.value for c in sheet[2]), strict=True))
    assert "无条件共享" in hints["共享类型*"] and "2024-06-30" in hints["发布日期"]
    validated = {str(v.sqref).split(":")[0].rstrip("0123456789") for v in
                 sheet.data_validations.dataValidation}
    concept_columns = {openpyxl.utils.get_column_letter(i) for i, f in enumerate(FIELDS, 1)
                       if f.kind.value == "concept"}
    assert validated == concept_columns
    assert spreadsheet.ITEMS_SHEET in workbook.sheetnames
    assert workbook[spreadsheet.LISTS_SHEET].sheet_state == "hidden"
    # fill two more rows the way a department would: labels, alt labels and codes
    example = [c.value for c in sheet[3]]
    for title, changes in (("全省企业年报信息", {"信息资源分类*": "102002", "开放属性*": "依申请开放",
                                                 "更新周期*": "年度", "密级*": "公开"}),
                           ("全省个体工商户登记信息", {"信息资源分类*": "市场主体登记",
                                                     "共享类型*": "有条件共享",
                                                     "共享依据": "《市场主体登记管理条例》",
                                                     "开放属性*": "Not open",
                                                     "更新周期*": "MONTHLY"})):
        filled = dict(zip(headers, example, strict=True))
        filled.update({"信息资源名称*": title, **changes})
        sheet.append([filled[h] for h in headers])
    out = io.BytesIO()
    workbook.save(out)
    before = count(world.services)
    result = import_file(world.services.datasets, world.steward, out.getvalue(), "目录.xlsx")
    assert result.created == 3 and count(world.services) == before + 3
    assert [item.row for item in result.items] == [3, 4, 5]
    stored = {i.title: world.services.datasets.get(world.steward, i.id).record for i in result.items}
    example_record = stored["全省市场主体登记基本信息"]
    for name, value in spreadsheet.EXAMPLE.items():
        assert example_record[name] == value, name
    assert example_record["publisher_code"] == PUBLIC_SECURITY
    annual = stored["全省企业年报信息"]
    assert (annual["classification"], annual["open_type"], annual["update_cycle"],
            annual["security_level"]) == ("102002", "conditional", "annual", "public")
    individual = stored["全省个体工商户登记信息"]
    assert (individual["share_type"], individual["open_type"], individual["update_cycle"]) == \
        ("conditional", "closed", "monthly")
    assert result.items[0].resource_code == "102002/000001"


def test_template_csv_round_trip(world):
    data = template_csv()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][0] == "信息资源名称*" and len(rows) == 3
    sheet = parse(data, "template.csv")
    assert [r for r, _ in sheet.records] == [3]  # the hint row is skipped
    assert sheet.records[0][1] == spreadsheet.EXAMPLE
    result = import_file(world.services.datasets, SYSTEM, data, "template.csv",
                         department_code=PUBLIC_SECURITY, submit=True)
    view = world.services.datasets.get(world.admin, result.items[0].id)
    assert view.state == "submitted" and view.record["share_method"] == "interface"


# -- headers -----------------------------------------------------------------------------------

def test_header_normalization_and_no_ambiguous_columns():
    assert normalize_header(" 信息资源名称 *") == "信息资源名称"
    assert normalize_header("*共享类型") == "共享类型"
    assert normalize_header("开放属性（必填）") == "开放属性"
    assert normalize_header("Ｔｉｔｌｅ") == "title"
    seen: dict[str, str] = {}
    for f in FIELDS:
        for column in f.columns:
            assert seen.setdefault(normalize_header(column), f.name) == f.name, column


def test_synonym_headers_and_unknown_columns_in_utf8_csv(world):
    headers = ["资源名称", "所属分类", "数据提供方", "摘要信息", "资源格式", "信息项信息",
               "共享属性", "共享方式", "开放类型", "更新频率", "保密级别", "关键词", "发布时间",
               "文件格式", "关联资源", "备注"]
    values = ["全省流动人口登记信息", "101002", "省公安厅人口管理总队", "流动人口居住登记信息。",
              "库表", "姓名(C);居住地址(varchar)", "有条件", "库表交换", "不开放", "按月",
              "工作秘密", "流动人口；居住证", "2022/03/01", "CSV/JSON，XML",
              "101001/000001、101001/000002", "内部备注"]
    sheet = parse(csv_bytes([headers, values]), "export.csv")
    assert sheet.ignored_columns == ["备注"]
    assert sheet.columns["更新频率"] == "update_cycle" and sheet.columns["摘要信息"] == "description"
    record = sheet.records[0][1]
    assert record == {
        "title": "全省流动人口登记信息", "classification": "101002",
        "publisher_name": "省公安厅人口管理总队", "description": "流动人口居住登记信息。",
        "resource_form": "database",
        "data_items": [{"name": "姓名", "data_type": "string"},
                       {"name": "居住地址", "data_type": "string"}],
        "share_type": "conditional", "share_method": "database", "open_type": "closed",
        "update_cycle": "monthly", "security_level": "internal",
        "keywords": ["流动人口", "居住证"], "issued": "2022-03-01",
        "formats": ["CSV", "JSON", "XML"], "related": ["101001/000001", "101001/000002"]}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_encodings(encoding):
    sheet = parse(csv_bytes([HEADER, row(), row("全省户籍迁移信息")], encoding), "目录.csv")
    assert [r for r, _ in sheet.records] == [2, 3]
    assert sheet.records[0][1]["title"] == "全省居民身份证签发信息"
    assert sheet.records[1][1]["classification"] == "101001"
    assert not sheet.problems


@pytest.mark.parametrize("data", [
    csv_bytes([HEADER, row()], "utf-16"),                 # with a byte-order mark
    csv_bytes([HEADER, row()], "utf-16-le"),              # without one
    b"\x81\x20" + csv_bytes([HEADER, row()], "gb18030"),  # neither UTF-8 nor GB18030
])
def test_wrong_encoding_is_refused_clearly(data):
    with pytest.raises(InvalidInput) as exc:
        parse(data, "目录.csv")
    assert "编码" in errors_of(exc)["file"] and "UTF-8" in exc.value.errors["file"][0].en


def test_missing_required_column_is_an_error_before_any_row():
    headers = [h for h in HEADER if h != "共享类型"]
    rows = [headers, [v for h, v in zip(HEADER, row(), strict=True) if h != "共享类型"]]
    with pytest.raises(InvalidInput) as exc:
        parse(csv_bytes(rows), "目录.csv")
    assert list(exc.value.errors) == ["header"]
    assert "共享类型" in errors_of(exc)["header"]


def test_a_field_given_twice_and_no_header_are_errors():
    with pytest.raises(InvalidInput) as twice:
        parse(csv_bytes([[*HEADER, "资源名称"], [*row(), "x"]]), "a.csv")
    assert "资源名称" in errors_of(twice)["header"]
    with pytest.raises(InvalidInput) as none:
        parse(csv_bytes([["甲", "乙", "丙"], ["1", "2", "3"]]), "a.csv")
    assert "表头" in errors_of(none)["file"]


# -- files -------------------------------------------------------------------------------------

def test_xlsx_that_is_not_a_zip_is_refused_clearly():
    with pytest.raises(InvalidInput) as exc:
        parse("信息资源名称,信息资源分类\n".encode() * 3, "目录.xlsx")
    assert ".xlsx" in errors_of(exc)["file"] and "zip" in errors_of(exc)["file"]
    with pytest.raises(InvalidInput) as old:
        parse(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "目录.xls")
    assert ".xls" in errors_of(old)["file"]
    with pytest.raises(InvalidInput) as other:
        parse(b"PK\x03\x04 not really", "目录.xlsx")
    assert "xlsx" in errors_of(other)["file"]


def test_no_row_limit_and_one_size_limit(world):
    """6,000 rows (more than the old 5,000-row cap) read; the size limit is the setting's."""
    rows = [HEADER, *(row(f"信息资源{i}") for i in range(6000))]
    data = csv_bytes(rows)
    assert len(parse(data, "big.csv").records) == 6000
    with pytest.raises(InvalidInput) as large:
        parse(data, "big.csv", max_bytes=len(data) - 1)
    assert "MB" in errors_of(large)["file"]
    assert world.services.settings.max_sheet_bytes == 64 * 1024 * 1024
    small = world.services.settings.with_overrides(max_sheet_bytes=1024 * 1024)
    assert load_settings({"MULU_MAX_SHEET_BYTES": str(1024 * 1024)}).max_sheet_bytes == \
        small.max_sheet_bytes


def test_title_row_merged_cells_and_empty_rows():
    width = len(HEADER)
    keywords = HEADER.index("关键字") + 1
    letter = openpyxl.utils.get_column_letter(keywords)
    data = xlsx([["安徽省公安厅政务信息资源目录", *([None] * (width - 1))], HEADER,
                 row("甲"), [None] * width, row("乙"), row("丙", 关键字=None), [""] * width],
                merges=(f"A1:{openpyxl.utils.get_column_letter(width)}1",
                        f"{letter}5:{letter}6"))
    sheet = parse(data, "目录.xlsx")
    assert [r for r, _ in sheet.records] == [3, 5, 6]
    records = dict(sheet.records)
    assert records[5]["keywords"] == ["身份证", "人口"]
    assert records[6]["keywords"] == ["身份证", "人口"]   # merged: its anchor's value
    assert not sheet.problems


def test_cell_values_dates_numbers_and_data_items():
    data = xlsx([HEADER,
                 row("甲", 发布日期=date(2023, 5, 6), 信息资源分类=101001),
                 row("乙", 发布日期=datetime(2023, 5, 7, 0, 0)),
                 row("丙", 发布日期="2023/05/08"),
                 row("丁", 发布日期="2023年5月9日"),
                 row("戊", 发布日期="2023-02-30"),
                 row("己", 信息项="姓名；年龄(整形)"),
                 row("庚", 信息项="姓名(字符型)\n年龄(整型)\n备注（备注型）"),
                 row("辛", 共享类型="部分共享")])
    sheet = parse(data, "目录.xlsx")
    records = dict(sheet.records)
    assert [records[n]["issued"] for n in (2, 3, 4, 5)] == \
        ["2023-05-06", "2023-05-07", "2023-05-08", "2023-05-09"]
    assert records[2]["classification"] == "101001"
    assert [i["data_type"] for i in records[8]["data_items"]] == ["string", "integer", "memo"]
    problems = {p.key: p.message for p in sheet.problems}
    assert set(problems) == {"row 6: issued", "row 7: data_items", "row 9: share_type"}
    assert "2024-06-30" in problems["row 6: issued"].zh
    assert "“姓名”缺少数据类型" in problems["row 7: data_items"].zh
    assert all(label in problems["row 9: share_type"].zh for label in ("无条件共享", "不予共享"))
    assert "allowed:" in problems["row 9: share_type"].en


def test_data_items_sheet(world):
    headers = [h for h in HEADER if h != "信息项"]
    values = [v for h, v in zip(HEADER, row(), strict=True) if h != "信息项"]
    data = xlsx([headers, values],
                items=[["信息资源名称", "信息项名称", "数据类型", "信息项描述"],
                       ["全省居民身份证签发信息", "姓名", "字符型", "公民姓名"],
                       [None, None, None, None],
                       ["全省居民身份证签发信息", "签发日期", "D", ""]])
    sheet = parse(data, "目录.xlsx")
    assert sheet.records[0][1]["data_items"] == [
        {"name": "姓名", "data_type": "string", "description": "公民姓名"},
        {"name": "签发日期", "data_type": "date"}]
    wrong = xlsx([headers, values], items=[["信息资源名称", "信息项名称", "数据类型"],
                                          ["不存在的资源", "姓名", "字符型"],
                                          ["全省居民身份证签发信息", "姓名", "汉字"]])
    before = count(world.services)
    with pytest.raises(InvalidInput) as exc:
        import_file(world.services.datasets, world.steward, wrong, "目录.xlsx")
    assert set(exc.value.errors) == {"信息项 row 2: title", "信息项 row 3: data_type"}
    assert count(world.services) == before


def test_placeholder_cells_are_empty(world):
    """暂无, 无, None, null, [] … say there is nothing, as in the harvester: the field is left
    out (a date or a list is not refused), and a row of nothing but them is an empty row."""
    rows = list(csv.reader(io.StringIO(template_csv().decode("utf-8-sig"))))
    header, example = rows[0], dict(zip(rows[0], rows[2], strict=True))
    filled = {**example, "英文名称": "None", "共享条件": "暂无", "开放条件": "无", "发布日期": "null",
              "更新日期": "[]", "关联资源代码": "—", "关键字": " NULL ", "详情页": "/"}
    empty = dict.fromkeys(header, "暂无")
    data = csv_bytes([header, [filled[h] for h in header], [empty[h] for h in header]])
    sheet = parse(data, "目录.csv")
    assert not sheet.problems and [r for r, _ in sheet.records] == [2]
    record = sheet.records[0][1]
    assert not {"title_en", "share_condition", "open_condition", "issued", "modified", "related",
                "keywords", "landing_page"} & set(record)
    result = import_file(world.services.datasets, world.steward, data, "目录.csv")
    stored = world.services.datasets.get(world.steward, result.items[0].id).record
    assert "issued" not in stored and stored["title"] == spreadsheet.EXAMPLE["title"]


# -- all or none -------------------------------------------------------------------------------

def test_one_broken_row_stores_nothing(world):
    datasets = world.services.datasets
    data = xlsx([["省公安厅信息资源目录"], HEADER, row("甲"), row("乙", 信息资源分类="人口普查"),
                 row("丙", 共享依据=None), row("丁")])
    before = count(world.services)
    with pytest.raises(InvalidInput) as exc:
        import_file(datasets, world.steward, data, "目录.xlsx")
    assert count(world.services) == before
    errors = errors_of(exc)
    assert list(errors) == ["row 4: classification", "row 5: share_basis"]
    assert "人口普查" in errors["row 4: classification"] and "人口基本信息" in errors["row 4: classification"]
    assert "共享依据" in errors["row 5: share_basis"]
    assert "2 行有误" in exc.value.message.zh


def test_a_title_repeated_in_the_file_stores_nothing(world):
    before = count(world.services)
    with pytest.raises(InvalidInput) as repeated:
        import_file(world.services.datasets, world.steward,
                    csv_bytes([HEADER, row("丙"), row("丁"), row("丙。")]), "c.csv")
    assert list(repeated.value.errors) == ["row 4: title"]
    assert "第 2 行" in errors_of(repeated)["row 4: title"]
    assert count(world.services) == before


def test_one_title_of_two_providers_is_two_records(world):
    """The duplicate rule is within one publisher: rows of two named providers with one
    title are two records, in the all-or-none import as everywhere."""
    header = [*HEADER, "信息资源提供方"]
    rows = [[*row("工商_企业基本信息"), "六安市市场监督管理局"],
            [*row("工商_企业基本信息"), "霍邱县市场监督管理局"]]
    before = count(world.services)
    result = import_file(world.services.datasets, world.steward,
                         csv_bytes([header, *rows]), "c.csv")
    assert result.created == 2 and count(world.services) == before + 2
    with pytest.raises(InvalidInput) as repeated:   # the same provider twice: a repeat
        import_file(world.services.datasets, world.steward,
                    csv_bytes([header, [*row("人口"), "六安市公安局"], [*row("人口"), "六安市公安局"]]),
                    "d.csv")
    assert list(repeated.value.errors) == ["row 3: title"]


def test_rows_refused_when_stored_leave_nothing_behind(world):
    datasets = world.services.datasets
    import_file(datasets, world.steward, csv_bytes([HEADER, row("甲")]), "a.csv")
    before = count(world.services)
    with pytest.raises(InvalidInput) as exc:   # 甲 exists already: refused when stored
        import_file(datasets, world.steward, csv_bytes([HEADER, row("乙"), row("甲 ")]), "b.csv")
    assert list(exc.value.errors) == ["row 3: title"]
    assert count(world.services) == before


def test_only_stewards_and_admins_import(world):
    with pytest.raises(Exception) as exc:
        import_file(world.services.datasets, world.staff, csv_bytes([HEADER, row()]), "a.csv")
    assert exc.value.__class__.__name__ == "Forbidden"


# -- the CLI -----------------------------------------------------------------------------------

@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("MULU_DATA_DIR", "MULU_DATABASE_URL", "MULU_SEARCH_URL", "MULU_NETWORK"):
        monkeypatch.delenv(name, raising=False)
    directory = tmp_path / "cli-data"
    result = CliRunner().invoke(main, ["db", "upgrade", "--data-dir", str(directory)])
    assert result.exit_code == 0, result.output
    store = Store.open(load_settings(data_dir=directory))
    Services.build(store).departments.create(SYSTEM, {
        "code": PUBLIC_SECURITY, "name": "安徽省公安厅", "short_name": "省公安厅",
        "level": "province"})
    store.close()
    return directory


def test_cli_template_and_import(data_dir: Path, tmp_path: Path):
    runner = CliRunner()
    template = tmp_path / "模板.xlsx"
    written = runner.invoke(main, ["dataset", "template", str(template)])
    assert written.exit_code == 0, written.output
    assert runner.invoke(main, ["dataset", "template", str(tmp_path / "x.txt")]).exit_code == 2
    imported = runner.invoke(main, ["dataset", "import", str(template), "--department",
                                    PUBLIC_SECURITY, "--submit", "--data-dir", str(data_dir)])
    assert imported.exit_code == 0, imported.output
    assert "imported 1 datasets" in imported.stdout
    assert "row 3: 102002/000001" in imported.stdout
    store = Store.open(load_settings(data_dir=data_dir))
    services = Services.build(store)
    listed = services.datasets.list(SYSTEM)
    assert listed.total == 1 and listed.items[0].state == "submitted"
    store.close()


def test_cli_import_reports_rows_and_stores_nothing(data_dir: Path, tmp_path: Path):
    path = tmp_path / "目录.csv"
    path.write_bytes(csv_bytes([[*HEADER, "备注"], [*row(), ""], [*row("乙", 密级="很高"), ""]],
                               "gb18030"))
    result = CliRunner().invoke(main, ["dataset", "import", str(path), "--department",
                                       PUBLIC_SECURITY, "--data-dir", str(data_dir)])
    assert result.exit_code == 2
    assert "row 3: security_level" in result.stderr and "很高" in result.stderr
    store = Store.open(load_settings(data_dir=data_dir))
    assert count(Services.build(store)) == 0
    store.close()
