"""The dataset form's parsing and the CSRF helper, without HTTP."""

from __future__ import annotations

from flask import Flask
from werkzeug.datastructures import MultiDict

from catalog.errors import Message
from catalog.web.forms import (
    ITEM_WIDGETS,
    FORM_DCAT_FIELDS,
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
