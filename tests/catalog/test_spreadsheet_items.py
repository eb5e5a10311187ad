"""The 信息项 sheet in the all-or-none import, and the cell values of real portal exports."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest

from catalog.errors import InvalidInput
from catalog.spreadsheet import import_file, parse, template_xlsx
from catalog.spreadsheet.values import (
    format_names,
    is_placeholder,
    looks_like_formats,
    period_cycle,
    typed_length,
)
from tests.factories import build_world

MAIN = ["信息资源代码", "信息资源名称", "信息资源分类", "信息资源摘要", "信息资源格式", "共享类型",
        "共享方式", "开放属性", "更新周期", "密级"]


def dataset(code: str, title: str) -> list[str]:
    return [code, title, "人口基本信息", f"{title}。", "数据库", "无条件共享", "接口", "不予开放",
            "每 1 日", "内部"]


def workbook(main: list[list[Any]], items: list[list[Any]], sheet: str) -> bytes:
    book = openpyxl.Workbook()
    for values in main:
        book.active.append(values)
    extra = book.create_sheet(sheet)
    for values in items:
        extra.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_items_sheet_by_code_with_lengths_and_keys():
    data = workbook(
        [MAIN, dataset("101001/000001", "全省户籍人口信息"), dataset("", "全省流动人口信息")],
        [["信息资源代码", "信息资源名称", "数据项名称", "字段类型", "字段长度", "是否主键", "备注"],
         ["101001/000001", "", "公民身份号码", "varchar(18)", "", "是", "18 位"],
         ["", "", "姓名", "VARCHAR2", 50, "否", ""],          # the dataset named once, above
         ["", "全省流动人口信息", "居住地址", "字符型", "", "", ""]],
        sheet="信息项目录")
    sheet = parse(data, "目录.xlsx")
    assert not sheet.problems
    records = [record for _row, record in sheet.records]
    assert records[0]["update_cycle"] == "daily"          # 每 1 日
    assert records[0]["data_items"] == [
        {"name": "公民身份号码", "data_type": "string", "description": "18 位；长度 18；主键"},
        {"name": "姓名", "data_type": "string", "description": "长度 50"}]
    assert records[1]["data_items"] == [{"name": "居住地址", "data_type": "string"}]


def test_items_of_an_unknown_dataset_or_type_refuse_the_import(services):
    world = build_world(services)
    data = workbook([MAIN, dataset("101001/000001", "全省户籍人口信息")],
                    [["信息资源代码", "信息项名称", "数据类型"],
                     ["101001/000009", "姓名", "字符型"],
                     ["101001/000001", "照片", "图片型"]], sheet="数据项")
    with pytest.raises(InvalidInput) as exc:
        import_file(world.services.datasets, world.steward, data, "目录.xlsx")
    assert set(exc.value.errors) == {"数据项 row 2: code", "数据项 row 3: data_type"}
    assert "101001/000009" in exc.value.errors["数据项 row 2: code"][0].zh


def test_an_items_sheet_needs_its_columns():
    data = workbook([MAIN, dataset("", "全省户籍人口信息")],
                    [["信息项名称", "数据类型"], ["姓名", "字符型"]], sheet="信息项")
    with pytest.raises(InvalidInput) as exc:
        parse(data, "目录.xlsx")
    assert "信息资源名称" in " ".join(m.zh for m in exc.value.errors["header"])


def test_the_template_has_an_items_sheet_the_reader_reads():
    book = openpyxl.load_workbook(io.BytesIO(template_xlsx()))
    items = book["信息项"]
    assert [c.value for c in items[1]] == ["信息资源名称", "信息资源代码", "信息项名称*", "数据类型*",
                                          "信息项描述"]
    validated = {str(v.sqref).split(":")[0] for v in items.data_validations.dataValidation}
    assert validated == {"D2"}                     # the data type's drop-down
    items.append(["全省市场主体登记基本信息", None, "经营范围", "备注型", "核准的经营范围"])
    out = io.BytesIO()
    book.save(out)
    record = parse(out.getvalue(), "template.xlsx").records[0][1]
    assert record["data_items"][-1] == {"name": "经营范围", "data_type": "memo",
                                        "description": "核准的经营范围"}


def test_a_filled_template_attaches_items_to_their_datasets(services):
    """Two datasets in the template, their items on the 信息项 sheet named by code or by title
    (or by neither: the dataset named above), imported each to its own dataset."""
    world = build_world(services)
    book = openpyxl.load_workbook(io.BytesIO(template_xlsx()))
    main, items = book.worksheets[0], book["信息项"]
    headers = [c.value for c in main[1]]
    example = dict(zip(headers, (c.value for c in main[3]), strict=True))
    main.cell(3, headers.index("信息资源代码") + 1, "102002/000005")
    main.cell(3, headers.index("信息项") + 1).value = None   # the items are on their sheet
    second = {**example, "信息资源名称*": "全省个体工商户登记信息", "信息项": None,
              "信息资源代码": None}
    main.append([second[h] for h in headers])
    for values in (["", "102002/000005", "统一社会信用代码", "字符型", "十八位"],
                   ["全省个体工商户登记信息", "", "经营者姓名", "字符型", ""],
                   [None, None, "经营场所", "字符型", "暂无"],
                   [None, "102002/000005", "成立日期", "日期型", None],
                   ["全省市场主体登记基本信息", None, "注册资本", "货币型", None]):
        items.append(values)
    out = io.BytesIO()
    book.save(out)
    result = import_file(world.services.datasets, world.steward, out.getvalue(), "目录.xlsx")
    stored = {item.title: world.services.datasets.get(world.steward, item.id).record
              for item in result.items}
    assert stored["全省市场主体登记基本信息"]["resource_code"] == "102002/000005"
    assert stored["全省市场主体登记基本信息"]["data_items"] == [
        {"name": "统一社会信用代码", "data_type": "string", "description": "十八位"},
        {"name": "成立日期", "data_type": "date"},
        {"name": "注册资本", "data_type": "currency"}]
    assert stored["全省个体工商户登记信息"]["data_items"] == [
        {"name": "经营者姓名", "data_type": "string"},
        {"name": "经营场所", "data_type": "string"}]          # 暂无: no description


def test_portal_headers_in_the_import():
    """A 福州市-style export read by the import: 名称 / 摘要 / 开放方式 / 数据提供方 / 资源格式."""
    header = ["名称", "摘要", "开放方式", "发布日期", "资源格式", "数据提供方", "主题分类", "更新频率",
              "密级", "共享类型", "联系方式"]
    values = ["福州市城区管道天然气价格表", "城区管道天然气价格", "无条件开放", "2020-07-20", "电子表格",
              "福州市发展和改革委员会", "价格监管", "每 6 月", "公开", "无条件共享", "0591-83366690"]
    out = io.StringIO()
    out.write(",".join(header) + "\n" + ",".join(values) + "\n")
    sheet = parse(out.getvalue().encode("gb18030"), "fuzhou.csv")
    assert sheet.ignored_columns == []
    assert sheet.records[0][1] == {    # 联系方式: the provider's contact point
        "title": "福州市城区管道天然气价格表", "description": "城区管道天然气价格", "open_type": "open",
        "issued": "2020-07-20", "resource_form": "spreadsheet",
        "publisher_name": "福州市发展和改革委员会", "classification": "206",
        "update_cycle": "semiannual", "security_level": "public", "share_type": "unconditional",
        "contact_points": [{"phone": "0591-83366690"}]}


@pytest.mark.parametrize(("text", "code"), [
    ("每 1 日", "daily"), ("每7天", "weekly"), ("每 3 月", "quarterly"), ("每 6 月", "semiannual"),
    ("每12个月", "annual"), ("每 2 日", None), ("每 121 日", None), ("每 null null", None),
    ("每月", None)])
def test_periods(text, code):
    assert period_cycle(text) == code


def test_format_lists_placeholders_and_typed_columns():
    assert format_names("['xls', 'xml', 'json', 'csv', 'rdf']") == ["XLS", "XML", "JSON", "CSV", "RDF"]
    assert format_names("[csv,json,rdf,xlsx,xml]") == ["CSV", "JSON", "RDF", "XLSX", "XML"]
    assert format_names("xls,xml,json,csv") == ["XLS", "XML", "JSON", "CSV"]
    assert format_names("[]") == [] and format_names("mysql") == ["MYSQL"]
    assert looks_like_formats("[csv,json,rdf,xlsx,xml]") and looks_like_formats("sqlServer")
    assert not looks_like_formats("数据库") and not looks_like_formats("")
    assert all(map(is_placeholder, ["暂无", "无", "None", "null", " ", None, "[]"]))
    assert not any(map(is_placeholder, ["其他", "0", "无条件开放"]))
    assert typed_length("varchar(50)") == ("varchar", "50")
    assert typed_length("NUMBER(10,2)") == ("NUMBER", "10")
    assert typed_length("字符型") == ("字符型", "")
