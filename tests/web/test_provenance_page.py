"""The dataset page names the harvest sources a dataset came from (signed-in readers only, as
GET /api/harvest/datasets/<id>/provenance), and never a source address to outsiders."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.factories import World
from tests.harvesters.conftest import (
    LOCAL_SOURCES,
    FakeCkan,
    add_source,
    datasets,
    full_packages,
    run,
)
from tests.harvesters.server import Site


@pytest.fixture(autouse=True)
def local_sources(app) -> None:
    """The fake portal listens on 127.0.0.1: allowed explicitly, as in tests/harvesters."""
    store = app.extensions["mulu"].store
    store.settings = store.settings.with_overrides(harvest_allow_networks=LOCAL_SOURCES)


@pytest.fixture
def site() -> Iterator[Site]:
    server = Site()
    yield server
    server.stop()


def test_dataset_page_names_its_harvest_source(app, world: World, browser_as, site: Site):
    ckan = FakeCkan(site, full_packages()[:1])
    source_id = add_source(world, "ckan", ckan.url, name="省公安厅数据开放平台")
    assert run(world, source_id)["counts"]["created"] == 1
    [(remote_id, dataset)] = datasets(world).items()
    url = f"/datasets/{dataset.id}"

    own = browser_as("steward").get(url).get_data(as_text=True)
    assert "采集来源" in own and "省公安厅数据开放平台" in own and remote_id in own
    assert f"(ckan · {ckan.url})" in own            # the source's own department sees where

    other = browser_as("staff").get(url).get_data(as_text=True)   # another department
    assert "省公安厅数据开放平台" in other and remote_id in other
    assert "(ckan)" in other and f"(ckan · {ckan.url})" not in other

    anonymous = app.test_client().get(url)
    assert "采集来源" not in anonymous.get_data(as_text=True)


def test_a_record_to_complete_shows_its_badge_and_problems(app, world: World, browser_as,
                                                           site: Site):
    """待完善: everyone who may see the record sees the badge and what is missing."""
    packages = full_packages()[:1]
    packages[0] = {**packages[0], "notes": ""}
    source_id = add_source(world, "ckan", FakeCkan(site, packages).url)
    assert run(world, source_id)["kept_with_problems"]["count"] == 1
    [dataset] = datasets(world).values()
    for who in ("steward", "staff"):
        page = browser_as(who).get(f"/datasets/{dataset.id}").get_data(as_text=True)
        assert "state-incomplete" in page and "待完善事项" in page and "信息资源摘要" in page
    english = browser_as("staff").get(f"/datasets/{dataset.id}?lang=en").get_data(as_text=True)
    assert "Needs completion" in english and "To complete" in english
