"""The dataset form's parsing and the CSRF helper, without HTTP."""

from __future__ import annotations

from flask import Flask
from werkzeug.datastructures import MultiDict

from catalog.errors import Message
from catalog.web.forms import (
    FORM_DCAT_FIELDS,
    ITEM_WIDGETS,
    ITEMS_PREFIX,
    WIDGETS,
    csrf_ok,
    csrf_token,
    form_from_record,
    parse_dataset_form,
    place_errors,
    split_list,
    widget_kind,
)
from tests.factories import record
from vocab.fields import BY_NAME


def as_post(values: dict[str, str], items: list[dict[str, str]]) -> MultiDict[str, str]:
    pairs = list(values.items())
    for row in [*items, {}]:
        pairs += [(ITEMS_PREFIX + w.name, row.get(w.name, "")) for w in ITEM_WIDGETS]
    return MultiDict(pairs)


def test_record_survives_a_round_trip_through_the_form():
    original = record(related=["101001/000002", "101002/000001"],
                      landing_page="https://data.ah.gov.cn/x")
    data = form_from_record(original)
    parsed, typed = parse_dataset_form(as_post(data.values, data.items))
    assert parsed == original
    assert typed.items == data.items and len(typed.item_rows()) == len(data.items) + 2


def test_empty_inputs_are_left_out_and_lists_split():
    parsed, _ = parse_dataset_form(MultiDict([("title", "  "), ("keywords", "人口， 户籍、\n社保,"),
                                              ("formats", ""), (ITEMS_PREFIX + "name", ""),
                                              (ITEMS_PREFIX + "data_type", "")]))
    assert parsed == {"keywords": ["人口", "户籍", "社保"]}
    assert split_list("a,b\r\nc；d") == ["a", "b", "c", "d"]


def test_widgets_follow_the_field_table():
    kinds = {w.name: w.kind for w in WIDGETS}
    assert kinds["description"] == "textarea" and kinds["title"] == "text"
    assert kinds["share_type"] == "select" and kinds["issued"] == "date"
    assert kinds["keywords"] == "list" and kinds["data_items"] == "rows"
    assert kinds["landing_page"] == "url" and kinds["license"] == "iri"
    assert kinds["distributions"] == kinds["contact_points"] == "rows"
    assert kinds["languages"] == "list" and kinds["version"] == "text"
    assert [w.name for w in WIDGETS] == [*BY_NAME, *FORM_DCAT_FIELDS]
    columns = {w.name: {c.name: c.kind for c in w.columns} for w in WIDGETS if w.columns}
    assert columns["distributions"] == {
        "title": "text", "access_url": "iri", "download_url": "iri", "format": "text",
        "media_type": "text", "byte_size": "integer", "license": "iri"}
    assert columns["contact_points"] == {"name": "text", "email": "email", "phone": "tel"}
    assert widget_kind(BY_NAME["share_basis"]) == "textarea"  # max_length 1000 > 300


def test_errors_are_placed_by_field_and_row(app: Flask):
    with app.test_request_context("/"):
        placed = place_errors({"title": [Message("缺", "missing")],
                               "data_items.2.data_type": [Message("类型", "type")],
                               "related.0": [Message("代码", "code")]})
        assert set(placed.fields) == {"title", "related"}
        assert placed.items == {2: {"data_type": [Message("类型", "type")]}}
        assert [a for a, _, _ in placed.summary] == ["f-title", "item-2-data_type", "f-related"]
        assert placed.summary[1][1] == "信息项 3 · 数据类型"


def test_csrf_token_is_per_session_and_checked(app: Flask):
    with app.test_request_context("/", method="POST"):
        token = csrf_token()
        assert csrf_token() == token and len(token) > 30
        assert csrf_ok({"csrf_token": token})
        assert not csrf_ok({"csrf_token": token + "x"})
        assert not csrf_ok({})
    with app.test_request_context("/", method="POST"):
        assert not csrf_ok({"csrf_token": ""})


def test_rows_edit_their_stored_sub_record_and_blank_rows_are_ignored():
    stored = {**record(), "distributions": [
        {"uri": "https://x.example/d/1", "title": "文件", "access_url": "https://x.example/1",
         "checksum": {"algorithm": "http://spdx.org/rdf/terms#checksumAlgorithm_sha1",
                      "value": "ab"}},
        {"uri": "https://x.example/d/2", "description": "只有描述"},     # nothing the form shows
        {"title": "将被清空", "access_url": "https://x.example/3"}]}
    data = form_from_record(stored)
    assert [row["_row"] for row in data.rows["distributions"]] == ["0", "1", "2"]
    rows = [dict(row) for row in data.rows["distributions"]]
    rows[0]["byte_size"] = "12"
    rows[2] = {**{k: "" for k in rows[2]}, "_row": "2"}               # cleared: removed
    rows.append({"title": "新接口", "access_url": "https://x.example/api", "_row": "9"})
    rows.append({"title": "副本", "_row": "0"})                      # row 0 is edited once
    pairs = [(k, v) for k, v in as_post(data.values, data.items).items(multi=True)]
    for row in [*rows, {}]:                                           # and a blank row
        pairs += [(f"distributions-{k}", row.get(k, "")) for k in rows[0]]
    parsed, typed = parse_dataset_form(MultiDict(pairs), previous=stored)
    assert parsed["distributions"] == [
        {**stored["distributions"][0], "byte_size": 12},
        stored["distributions"][1],
        {"title": "新接口", "access_url": "https://x.example/api"},    # no stored row 9
        {"title": "副本"}]
    assert len(typed.rows["distributions"]) == 4
    fresh, _ = parse_dataset_form(MultiDict(pairs))                   # registering: no carry-over
    assert fresh["distributions"][0] == {"title": "文件", "access_url": "https://x.example/1",
                                         "byte_size": 12}


def test_languages_are_typed_as_codes_and_stored_as_iris():
    eu = "http://publications.europa.eu/resource/authority/language/"
    parsed, _ = parse_dataset_form(MultiDict([("languages", "zh，EN\nhttp://x.example/lang")]))
    assert parsed["languages"] == [f"{eu}ZHO", f"{eu}ENG", "http://x.example/lang"]
    assert form_from_record(parsed).values["languages"] == "zh\nen\nhttp://x.example/lang"


def test_row_errors_are_placed_on_their_group_row(app: Flask):
    with app.test_request_context("/"):
        placed = place_errors({"distributions.1.byte_size": [Message("整数", "integer")],
                               "contact_points.0.email": [Message("邮箱", "e-mail")],
                               "distributions.0.checksum.value": [Message("校验", "checksum")]})
        assert placed.row("distributions", 1) == {"byte_size": [Message("整数", "integer")]}
        assert [(a, label) for a, label, _ in placed.summary] == [
            ("distributions-1-byte_size", "挂接资源 2 · 大小（字节）"),
            ("contact_points-0-email", "联系人 1 · 电子邮箱"),
            ("distributions-0-title", "挂接资源 1 · 校验和")]
