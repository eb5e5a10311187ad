"""Index documents: derived from the field table, one per visible revision, never above the
network's ceiling."""

from __future__ import annotations

from search.documents import (
    BODY_FIELDS,
    FACETS,
    TITLE_FIELDS,
    DatasetState,
    DepartmentInfo,
    documents,
)
from tests.factories import record
from vocab.fields import FIELDS

DEPARTMENT = DepartmentInfo(1, "11340000MB1234567D", "安徽省公安厅", "省公安厅", "province")


def state(**changes: object) -> DatasetState:
    values: dict[str, object] = dict(id="d1", state="published", resource_code="101001/000001",
                                     security_rank=1, current_revision=2, published_revision=1,
                                     published_security_rank=0, department_id=1)
    values.update(changes)
    return DatasetState(**values)  # type: ignore[arg-type]


def test_fields_come_from_the_field_table() -> None:
    assert set(TITLE_FIELDS) | set(BODY_FIELDS) == {f.name for f in FIELDS if f.searchable}
    assert TITLE_FIELDS == ("title", "title_en")
    facet_fields = {spec.field for spec in FACETS.values() if spec.field}
    assert facet_fields == {f.name for f in FIELDS if f.facet}
    assert {"department", "classification", "share_type", "open_type", "update_cycle", "format",
            "security_level", "level"} <= set(FACETS)


def test_two_documents_one_per_revision() -> None:
    revisions = {1: record(title="旧名称", security_level="public"),
                 2: record(title="新名称", security_level="internal")}
    current, published = documents(state(), DEPARTMENT, revisions)
    assert (current["doc_id"], current["view"], current["title"], current["rank"]) == \
        ("d1:current", "current", "新名称", 1)
    assert (published["doc_id"], published["view"], published["title"], published["rank"]) == \
        ("d1:published", "published", "旧名称", 0)
    assert current["security_rank"] == published["security_rank"] == 1  # the dataset's
    assert current["facets"]["classification"] == ["101001", "101", "1"]
    assert current["facets"]["format"] == ["CSV", "JSON"]
    assert current["facets"]["department"] == [DEPARTMENT.code]
    assert current["facets"]["level"] == ["province"]
    assert "户籍" in current["body_words"].split()  # keywords and description
    assert "公民身份号码" in current["body_words"] or "公民" in current["body_words"]
    assert "省公安厅" in current["suggest_department"]
    assert current["suggest_title"][0] == "新名称"


def test_no_published_document_unless_published_and_not_withdrawn() -> None:
    revisions = {1: record(), 2: record(title="二版")}
    assert [d["view"] for d in documents(state(published_revision=None,
                                               published_security_rank=None, state="draft"),
                                         DEPARTMENT, revisions)] == ["current"]
    assert [d["view"] for d in documents(state(state="withdrawn"), DEPARTMENT, revisions)] \
        == ["current"]


def test_same_revision_is_analysed_once() -> None:
    docs = documents(state(current_revision=1, security_rank=0), DEPARTMENT, {1: record()})
    assert [d["doc_id"] for d in docs] == ["d1:current", "d1:published"]
    assert docs[0]["body_grams"] == docs[1]["body_grams"]


def test_nothing_above_the_network_ceiling_is_indexed() -> None:
    revisions = {1: record(), 2: record()}
    docs = documents(state(security_rank=2, published_security_rank=1), DEPARTMENT, revisions,
                     ceiling_rank=1)
    assert [d["view"] for d in docs] == ["published"]
    assert documents(state(security_rank=2, published_security_rank=2), DEPARTMENT, revisions,
                     ceiling_rank=1) == []
