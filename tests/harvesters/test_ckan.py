"""The CKAN harvester against a real HTTP server serving real CKAN API responses."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import select

from catalog.db import Dataset, DatasetRevision, HarvestProvenance
from harvesters.ckan import BoundedSession, api_base
from harvesters.http import Deadline, Fetcher, Limits
from tests.factories import MARKET
from tests.harvesters.conftest import (
    LOCAL_GUARD,
    FakeCkan,
    add_source,
    count_datasets,
    datasets,
    full_packages,
    load_json,
    run,
)
from tests.harvesters.server import Reply, file_reply
from vocab.namespaces import DCAT, MULU_DATASET
from vocab.profiles import graph_from_dataset


def test_full_packages_of_several_ckan_versions_page_by_page(world, site):
    packages = full_packages()
    ckan = FakeCkan(site, packages)
    source_id = add_source(world, "ckan", ckan.url, limits={"page_size": 4},
                           config={"organizations": {"birmingham-city-council": MARKET}})
    result = run(world, source_id)
    assert result["status"] == "succeeded", result
    assert result["counts"]["created"] == len(packages) == 17
    assert result["listing"] == {"complete": True, "listed": 17, "incomplete_because": []}
    searches = [h for h in site.hits if h.path.endswith("package_search")]
    assert [h.query["start"] for h in searches] == ["0", "4", "8", "12", "16"]
    assert {h.query["rows"] for h in searches} == {"4"}
    found = datasets(world)
    inspire = found["cf494c44-05cd-4060-a029-35937970c9c6"]
    assert inspire.state == "published" and inspire.published_revision == 1
    with world.services.store.reading() as session:
        record = session.scalars(select(DatasetRevision.data).where(
            DatasetRevision.dataset_id == inspire.id)).one()
    assert record["title"] == "Flood Map for Planning (Rivers and Sea)- Flood Zone 2"
    assert record["source_identifier"] == "cf494c44-05cd-4060-a029-35937970c9c6"
    assert record["formats"] == ["WMS"]
    assert record["publisher_name"] == "Environment Agency"   # unknown provider kept
    assert "publisher_code" not in record
    # organizations -> departments through the source's mapping rules
    birmingham = [d for k, d in found.items() if d.title.endswith("Purchase Card Transactions")]
    assert len(birmingham) == 10
    market = world.services.departments.by_code(MARKET)
    assert {d.department_id for d in birmingham} == {market.id}
    assert "Birmingham City Council" not in result["unknown_providers"]
    assert result["unknown_providers"]["Environment Agency"] == 1
    # the API shows the identifier at the source
    view = world.services.datasets.get(world.admin, inspire.id)
    assert view.as_dict()["source_identifier"] == "cf494c44-05cd-4060-a029-35937970c9c6"


def test_incremental_by_metadata_modified(world, site):
    packages = copy.deepcopy(full_packages())
    ckan = FakeCkan(site, packages)
    source_id = add_source(world, "ckan", ckan.url)
    assert run(world, source_id)["counts"]["created"] == 17
    packages[3]["metadata_modified"] = "2030-01-01T00:00:00.000000"
    packages[3]["notes"] = "A new summary, changed at the source."
    result = run(world, source_id)
    assert result["counts"] == {"created": 0, "updated": 1, "unchanged": 16, "withdrawn": 0,
                                "skipped": 0, "failed": 0}
    # the metadata_modified mark alone decides: an unchanged mark is not even mapped
    packages[4]["notes"] = "changed without a new metadata_modified"
    assert run(world, source_id)["counts"]["unchanged"] == 17
    assert run(world, source_id, full=True)["counts"]["updated"] == 1


def test_bare_listing_entries_are_completed_with_package_show(world, site):
    """data.gov.uk's search pages hold only id, organization and metadata_modified (and no
    ``success`` flag); three of the five packages are gone when package_show asks."""
    pages = {"0": file_reply("ckan/datagovuk_search_dataset_p1.json", "application/json"),
             "5": file_reply("ckan/datagovuk_search_dataset_p2.json", "application/json")}
    site.route("/api/action/package_search", lambda r: pages.get(r.query["start"], pages["5"]))
    shows = {"7509bbb5-ce6a-4801-8d77-b72c58d46180": "datagovuk_package_show_update.json",
             "bca22660-dccc-4a37-9cfe-6bc2c0739cff": "datagovuk_package_show_create.json"}

    def show(request):
        name = shows.get(request.query["id"])
        return file_reply(f"ckan/{name}", "application/json") if name else Reply(
            b'{"success": false, "error": {"__type": "Not Found Error", "message": "Not found"}}',
            404)

    site.route("/api/action/package_show", show)
    source_id = add_source(world, "ckan", site.url("/api/3"))
    result = run(world, source_id)
    assert result["counts"]["created"] == 2 and result["counts"]["failed"] == 3
    assert result["status"] == "partial" and result["listing"]["complete"]
    assert result["errors"]["record.not_found"]["records"] == 3
    assert set(datasets(world)) == set(shows)
    # incremental: the stored two are unchanged without asking package_show again
    before = len([h for h in site.hits if h.path.endswith("package_show")])
    again = run(world, source_id)
    assert again["counts"]["unchanged"] == 2 and again["counts"]["failed"] == 3
    assert len([h for h in site.hits if h.path.endswith("package_show")]) - before == 3


def test_comment_lines_before_the_json_are_ignored(site):
    """Real data.gov.uk responses saved with ``// timestamp`` and ``// URL`` lines first."""
    site.route("/api/action/organization_list",
               file_reply("ckan/datagovuk_organization_list.json", "application/json"))
    import ckanapi

    fetcher = Fetcher(Limits(retries=0), Deadline.after(10), guard=LOCAL_GUARD)
    ckan = ckanapi.RemoteCKAN(api_base(site.url("/api/3/action")), get_only=True,
                              session=BoundedSession(fetcher))
    assert ckan.action.organization_list() == ["2gether-nhs-foundation-trust",
                                                "aberdeen-city-council"]


def test_withdrawn_when_missing_and_back_when_listed_again(world, site):
    packages = copy.deepcopy(full_packages())
    ckan = FakeCkan(site, packages)
    source_id = add_source(world, "ckan", ckan.url)
    run(world, source_id)
    gone = [packages.pop(0), packages.pop(0)]
    result = run(world, source_id)
    assert result["counts"]["withdrawn"] == 2 and result["counts"]["unchanged"] == 15
    found = datasets(world)
    assert {found[p["id"]].state for p in gone} == {"withdrawn"}
    assert count_datasets(world) == 17  # withdrawn, never deleted
    anonymous_visible = world.services.datasets.list(world.staff, page_size=200).total
    assert anonymous_visible == 15
    packages.insert(0, gone[0])
    back = run(world, source_id)
    assert back["counts"]["updated"] == 1 and back["counts"]["withdrawn"] == 0
    assert datasets(world)[gone[0]["id"]].state == "published"
    reason = world.services.harvest.items(world.admin, back["job"], outcome="updated")
    assert "published again" in reason["items"][0]["reason"]


def test_private_and_deleted_packages_are_skipped_and_withdrawn(world, site):
    packages = copy.deepcopy(full_packages())
    ckan = FakeCkan(site, packages)
    source_id = add_source(world, "ckan", ckan.url)
    run(world, source_id)
    packages[0]["state"] = "deleted"
    packages[0]["metadata_modified"] = "2031-01-01T00:00:00"
    packages[1]["private"] = True
    packages[1]["metadata_modified"] = "2031-01-01T00:00:00"
    result = run(world, source_id)
    assert result["counts"]["skipped"] == 2 and result["counts"]["withdrawn"] == 2
    assert result["errors"]["record.skipped"]["records"] == 2


def test_records_breaking_rules_are_kept_as_incomplete_with_their_problems(world, site):
    """Keep, flag, complete: a package without notes and one with a 300-character title are
    kept (待完善), whole, with their problems in the record and in the job report."""
    packages = copy.deepcopy(full_packages())
    packages[0]["notes"] = ""           # no summary
    packages[1]["title"] = "x" * 300     # longer than the field allows
    ckan = FakeCkan(site, packages)
    source_id = add_source(world, "ckan", ckan.url)
    result = run(world, source_id)
    assert result["counts"]["failed"] == 0 and result["counts"]["created"] == 17, result
    flagged = result["kept_with_problems"]
    assert flagged == {"count": 2, "by_problem": {"missing description": 1,
                                                  "invalid title": 1}}, flagged
    created = world.services.harvest.items(world.admin, result["job"], outcome="created")
    reasons = {i["remote_id"]: i for i in created["items"]}
    assert "待完善" in reasons[packages[0]["id"]]["reason"]
    assert f'"id": "{packages[1]["id"]}"' in reasons[packages[1]["id"]]["raw"]
    long = world.services.datasets.get(world.admin, reasons[packages[1]["id"]]["dataset_id"])
    assert long.record["title"] == "x" * 300 and long.state == "incomplete"
    assert "title" in [p["field"] for p in long.problems]
    bare = world.services.datasets.get(world.staff, reasons[packages[0]["id"]]["dataset_id"])
    assert bare.as_dict()["state"] == "incomplete"      # others see it, with its badge
    assert "missing" in [p["kind"] for p in bare.problems]


def test_dry_run_stores_nothing_and_limit_withdraws_nothing(world, site):
    ckan = FakeCkan(site, copy.deepcopy(full_packages()))
    source_id = add_source(world, "ckan", ckan.url)
    preview = run(world, source_id, dry_run=True)
    assert preview["counts"]["created"] == 17 and preview["dry_run"]
    assert count_datasets(world) == 0
    limited = run(world, source_id, limit=5)
    assert limited["counts"]["created"] == 5
    assert not limited["listing"]["complete"]
    assert "item limit 5 reached" in limited["listing"]["incomplete_because"]
    full = run(world, source_id)
    assert full["counts"]["created"] == 12 and full["counts"]["unchanged"] == 5


@pytest.mark.parametrize("prefix", ["/api/action", "/api/3/action"])
def test_source_url_forms(world, site, prefix):
    ckan = FakeCkan(site, full_packages()[:3], prefix="/api/action")
    source_id = add_source(world, "ckan", site.url(prefix))
    assert run(world, source_id)["counts"]["created"] == 3
    with world.services.store.reading() as session:
        assert session.query(HarvestProvenance).count() == 3
        assert session.query(Dataset).count() == 3
    assert ckan.url


def test_real_search_page_that_ends_short_of_its_count(world, site):
    """Birmingham's real page says count 38 but holds 10: nothing is withdrawn."""
    page = load_json("ckan/birmingham_package_search.json")
    site.route("/api/action/package_search", lambda r: Reply(
        b'{"success": true, "result": {"count": 38, "results": []}}')
        if r.query["start"] != "0" else file_reply("ckan/birmingham_package_search.json",
                                                   "application/json"))
    source_id = add_source(world, "ckan", site.url("/"))
    result = run(world, source_id)
    assert result["counts"]["created"] == len(page["result"]["results"]) == 10
    assert result["status"] == "partial" and not result["listing"]["complete"]
    assert "listing.changed" in result["errors"]


def test_resources_become_distributions_and_are_exported(world, site):
    """Every resource of the real packages (five portals, several CKAN versions) is a
    distribution of its record, with its URL, name, format, size and checksum, and the
    export writes each as a dcat:Distribution with that access URL."""
    packages = full_packages()
    run(world, add_source(world, "ckan", FakeCkan(site, packages).url))
    found = datasets(world)
    resources = 0
    for package in packages:
        view = world.services.datasets.get(world.admin, found[package["id"]].id)
        distributions = view.record.get("distributions", [])
        urls = sorted(r["url"] for r in package.get("resources", []) if r.get("url"))
        assert sorted(d["access_url"] for d in distributions) == urls, package["id"]
        for resource in package.get("resources", []):
            resources += 1
            mine = next(d for d in distributions if d["access_url"] == resource["url"])
            if str(resource.get("size") or "").isdigit():
                assert mine["byte_size"] == int(resource["size"])
            if resource.get("format"):
                assert mine.get("format"), resource
        graph = graph_from_dataset(view.record, MULU_DATASET[view.id])
        written = {str(graph.value(node, DCAT.accessURL))
                   for node in graph.objects(MULU_DATASET[view.id], DCAT.distribution)}
        assert written == set(urls)
    assert resources > 40
