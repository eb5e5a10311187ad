"""The 285 data.gov.uk packages of 23 real publishers (``organization_show`` responses of
2015, ``tests/fixtures/ckan/datagovuk-okfn``) replayed through a local CKAN API: each package
is listed by ``package_search`` as the portal had it (id, name, title and its organization)
and ``package_show`` answers the same. Every one is kept — none has a summary, a licence or a
resource — as 待完善 with what it lacks, each under its own publisher."""

from __future__ import annotations

import json
from collections import Counter

from tests.harvesters.conftest import FakeCkan, add_source, count_datasets, datasets, run
from tests.harvesters.server import FIXTURES


def replayed_packages() -> list[dict]:
    packages = []
    for path in sorted((FIXTURES / "ckan" / "datagovuk-okfn").glob("*.json")):
        organization = json.loads(path.read_text())["result"]
        owner = {k: v for k, v in organization.items() if not isinstance(v, list)}
        packages += [{**package, "organization": owner} for package in organization["packages"]]
    return packages


def test_all_285_real_packages_are_kept_under_their_publishers(world, site):
    packages = replayed_packages()
    assert len(packages) == 285 and len({p["id"] for p in packages}) == 285
    result = run(world, add_source(world, "ckan", FakeCkan(site, packages).url,
                                   limits={"page_size": 100, "job_seconds": 600.0}))
    assert result["counts"]["created"] == 285 and result["counts"]["failed"] == 0, result
    assert result["kept_with_problems"]["count"] == 285
    assert count_datasets(world) == 285
    kept = datasets(world)
    assert set(kept) == {p["id"] for p in packages}
    # two publishers' packages of the same title are two records
    titles = Counter(p["title"] for p in packages)
    assert all(sum(d.title == t for d in kept.values()) == n for t, n in titles.items())
    view = world.services.datasets.get(world.admin, kept[packages[0]["id"]].id)
    assert view.as_dict()["state"] == "incomplete"
    assert "description" in {p["field"] for p in view.problems}
    assert view.record["publisher_name"] == packages[0]["organization"]["title"]
