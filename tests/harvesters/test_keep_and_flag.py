"""Keep, flag, complete (issue 9), on both stores: a record that breaks a rule is kept as
待完善 with its problems, visible to everyone who may see it; the department's steward
completes it (through review); what the steward added survives the next harvest, a value the
source changes wins; only what is unsafe to keep is refused, and nothing of it is stored."""

from __future__ import annotations

from typing import Any

import pytest
from rdflib import URIRef

from catalog import lifecycle
from catalog.errors import Conflict, Forbidden
from tests.factories import MARKET, record
from tests.harvesters.conftest import add_source, count_datasets, datasets, run
from tests.harvesters.server import Reply
from vocab.profiles import catalog_graph, serialize

BASE = "https://data.example.gov.cn/dataset/"


def publish(site, rows: list[tuple[str, dict[str, Any]]]) -> str:
    graph = catalog_graph([(URIRef(BASE + key), value) for key, value in rows],
                          URIRef("https://data.example.gov.cn/catalog"), "测试目录", "Test", None)
    site.route("/catalog.ttl", Reply(serialize(graph, "ttl")[0], content_type="text/turtle"))
    return site.url("/catalog.ttl")


def test_a_steward_completes_a_record_and_the_completion_survives_reharvest(world, site):
    bare = record(title="全省流动人口登记信息", description=None, resource_code=None)
    source = add_source(world, "dcat", publish(site, [("a", bare)]))
    first = run(world, source)
    assert first["counts"]["created"] == 1 and first["kept_with_problems"]["count"] == 1
    dataset_id = datasets(world)[BASE + "a"].id
    shown = world.services.datasets.get(world.staff, dataset_id)   # another department
    assert shown.as_dict()["state"] == "incomplete"
    assert [(p["field"], p["kind"]) for p in shown.problems] == [("description", "missing")]
    todo = world.services.datasets.list(world.steward, state="incomplete")
    assert [v.id for v in todo.items] == [dataset_id]
    with pytest.raises(Conflict):     # not submitted while something is missing
        world.services.datasets.submit(world.steward, dataset_id)

    # the steward adds the summary; a reviewer publishes it: no longer 待完善
    current = world.services.datasets.get(world.steward, dataset_id).record
    world.services.datasets.update(world.steward, dataset_id,
                                   {**current, "description": "全省流动人口居住登记。"},
                                   submit=True)
    done = world.services.datasets.review(world.reviewer, dataset_id, "publish")
    assert done.state == "published" and not done.problems

    # the source still has no summary: the local one fills it, nothing is flagged
    again = run(world, source, full=True)
    assert again["counts"]["failed"] == 0 and again["kept_with_problems"]["count"] == 0
    kept = world.services.datasets.get(world.staff, dataset_id)
    assert kept.record["description"] == "全省流动人口居住登记。"
    assert kept.as_dict()["state"] == "published" and not kept.problems


def test_a_value_the_source_changes_wins_over_the_local_one(world, site):
    row = record(title="全省暂住人口信息", resource_code=None, description="来源摘要")
    url = publish(site, [("b", row)])
    source = add_source(world, "dcat", url)
    run(world, source)
    dataset_id = datasets(world)[BASE + "b"].id
    current = world.services.datasets.get(world.steward, dataset_id).record
    world.services.datasets.update(world.steward, dataset_id,
                                   {**current, "description": "本地摘要"}, submit=True)
    world.services.datasets.review(world.reviewer, dataset_id, "publish")
    run(world, source, full=True)   # the source unchanged: the local value stands
    assert world.services.datasets.get(world.staff, dataset_id).record["description"] == "本地摘要"
    publish(site, [("b", {**row, "description": "来源的新摘要"})])
    run(world, source, full=True)   # the source changed it: the source wins, as a revision
    assert world.services.datasets.get(world.staff, dataset_id).record["description"] \
        == "来源的新摘要"
    history = world.services.datasets.revisions(world.steward, dataset_id)
    assert [r.record["description"] for r in history][-2:] == ["本地摘要", "来源的新摘要"]


def test_a_steward_edit_awaiting_review_is_not_overwritten_by_a_harvest(world, site):
    row = record(title="全省出生人口信息", resource_code=None)
    source = add_source(world, "dcat", publish(site, [("c", row)]))
    run(world, source)
    dataset_id = datasets(world)[BASE + "c"].id
    current = world.services.datasets.get(world.steward, dataset_id).record
    world.services.datasets.update(world.steward, dataset_id, {**current, "keywords": ["出生"]})
    result = run(world, source, full=True)
    assert result["counts"]["skipped"] == 1
    assert world.services.datasets.get(world.steward, dataset_id).record["keywords"] == ["出生"]


def test_records_above_the_network_ceiling_are_refused_and_nothing_is_stored(world, site):
    """涉密不上网: the deployment runs on the 政务外网 (up to 内部); a 秘密 record is unsafe."""
    rows = [("d", record(title="涉密人口专题库", security_level="secret", resource_code=None,
                         open_type="closed")),
            ("e", record(title="全省常住人口信息", resource_code=None, description=None))]
    result = run(world, add_source(world, "dcat", publish(site, rows)))
    assert result["counts"]["created"] == 1 and result["counts"]["failed"] == 1
    assert "record.unsafe" in result["errors"]
    assert set(datasets(world)) == {BASE + "e"} and count_datasets(world) == 1


def test_completion_counts_per_department_and_publisher_links(world, site):
    rows = [("f", record(title="六安市企业基本信息", resource_code=None, description=None,
                         publisher_name="六安市市场监督管理局", publisher_code=None)),
            ("g", record(title="全省居住证信息", resource_code=None))]
    run(world, add_source(world, "dcat", publish(site, rows)))
    counts = {c.department_code: c for c in world.services.completion.counts(world.reviewer)}
    own = next(c for c in counts.values() if c.department_name == "安徽省公安厅")
    assert (own.datasets, own.incomplete) == (2, 1)
    assert own.by_problem == {"missing description": 1}
    publishers = {o.name: o for o in world.services.completion.organizations(world.reviewer)}
    liuan = publishers["六安市市场监督管理局"]
    assert liuan.datasets == 1 and liuan.department_code is None
    with pytest.raises(Forbidden):
        world.services.completion.link(world.reviewer, liuan.id, MARKET)
    linked = world.services.completion.link(world.admin, liuan.id, MARKET)
    assert linked.department_code == MARKET
    moved = world.services.datasets.get(world.admin, datasets(world)[BASE + "f"].id)
    assert moved.department_code == MARKET


def test_the_lifecycle_is_one_table():
    assert lifecycle.next_state("submitted", "publish") == "published"
    assert lifecycle.next_state("incomplete", "harvest") == "published"
    assert lifecycle.next_state("published", "harvest_flagged") == "incomplete"
    for state, action in (("draft", "publish"), ("withdrawn", "withdraw"),
                          ("published", "submit")):
        with pytest.raises(Conflict):
            lifecycle.next_state(state, action)


def test_a_spreadsheet_import_offers_all_or_none_and_keep_and_flag(world, tmp_path):
    """The real 淮南市 export has no 摘要 column: all-or-none refuses the file naming the rows;
    keep-and-flag stores all 35 as 待完善 drafts, with the missing summary as their problem,
    and the department's to-do list holds them."""
    from catalog.errors import InvalidInput
    from catalog.spreadsheet import import_file
    from tests.harvesters.test_spreadsheet import portal_rows, write_csv

    header, rows = portal_rows("anhui_huainan.json")
    path = tmp_path / "huainan.csv"
    write_csv(path, header, rows)
    datasets = world.services.datasets
    with pytest.raises(InvalidInput):
        import_file(datasets, world.steward, path.read_bytes(), path.name)
    assert count_datasets(world) == 0
    result = import_file(datasets, world.steward, path.read_bytes(), path.name, keep=True)
    assert result.created == 35 and result.flagged == 35 and not result.refused
    todo = datasets.list(world.steward, state="incomplete", page_size=100)
    assert todo.total == 35
    assert all("description" in {p["field"] for p in v.problems} for v in todo.items)
    assert datasets.list(world.staff, state="incomplete").total == 0   # drafts: their own


def test_an_import_row_naming_another_provider_is_that_publishers_record(world, tmp_path):
    """A row that names its provider (and no code) is that publisher's record, as in a harvest:
    the same title from two providers is two records, neither a duplicate of the other nor
    given the importing department's credit code; a row naming no provider, or the importing
    department itself, is the department's (both import modes; all or none still refuses a
    title repeated within one file, whoever provides it)."""
    from catalog import spreadsheet
    from tests.factories import PUBLIC_SECURITY
    from tests.harvesters.test_spreadsheet import write_csv
    from vocab.fields import FIELDS

    def rows(providers: list[str]) -> list[list[str]]:
        return [spreadsheet.render_row({**spreadsheet.EXAMPLE, "title": "工商_企业基本信息",
                                        **({"publisher_name": p} if p else {})})
                for p in providers]

    header = [spreadsheet.header_label(f) for f in FIELDS]
    datasets = world.services.datasets
    for number, provider in enumerate(["六安市市场监督管理局", "六安市数据资源管理局"]):
        path = tmp_path / f"provider-{number}.csv"   # all or none: one file a provider
        write_csv(path, header, rows([provider]))
        assert spreadsheet.import_file(datasets, world.steward, path.read_bytes(),
                                       path.name).created == 1
    path = tmp_path / "four-rows.csv"
    write_csv(path, header, rows(["六安市市场监督管理局", "六安市数据资源管理局", "", "安徽省公安厅"]))
    kept = spreadsheet.import_file(datasets, world.steward, path.read_bytes(), path.name, keep=True)
    stored = [datasets.get(world.steward, item.id) for item in kept.items]
    assert [v.record.get("publisher_code") for v in stored] == [None, None, PUBLIC_SECURITY,
                                                                PUBLIC_SECURITY]
    duplicates = [[p["field"] for p in v.problems if p["kind"] == "possible_duplicate"]
                  for v in stored]
    assert duplicates == [["title"], ["title"], [], ["title"]]   # the first two: of the strict


def test_completing_a_harvested_record_keeps_its_provider(world, site):
    """A steward who completes a record of a provider the source names without a code edits
    that publisher's record: it is not moved to the steward's department's credit code."""
    row = record(title="六安市企业基本信息", resource_code=None, description=None,
                 publisher_name="六安市市场监督管理局", publisher_code=None)
    run(world, add_source(world, "dcat", publish(site, [("h", row)])))
    dataset_id = datasets(world)[BASE + "h"].id
    current = world.services.datasets.get(world.steward, dataset_id).record
    assert "publisher_code" not in current
    world.services.datasets.update(world.steward, dataset_id,
                                   {**current, "description": "六安市企业登记信息。"})
    edited = world.services.datasets.get(world.steward, dataset_id).record
    assert edited["publisher_name"] == "六安市市场监督管理局"
    assert "publisher_code" not in edited
    names = {o.name for o in world.services.completion.organizations(world.reviewer)}
    assert "六安市市场监督管理局" in names
