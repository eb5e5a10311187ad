"""The foundation flow on both stores: register, submit, review, publish, visibility."""

from __future__ import annotations

import pytest

from catalog.actors import ANONYMOUS
from catalog.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.factories import MARKET, build_world, record


@pytest.fixture
def world(services):
    return build_world(services)


def test_register_submit_publish_makes_visible(world):
    datasets = world.services.datasets
    draft = datasets.register(world.steward, record())
    assert draft.state == "draft"
    assert draft.resource_code == "101001/000001"
    assert draft.record["publisher_name"] == "安徽省公安厅"
    with pytest.raises(NotFound):
        datasets.get(world.staff, draft.id)
    assert datasets.get(world.staff_own, draft.id).state == "draft"
    datasets.submit(world.steward, draft.id)
    published = datasets.review(world.reviewer, draft.id, "publish")
    assert published.state == "published"
    seen = datasets.get(world.staff, draft.id)
    assert seen.record["title"] == "全省常住人口基本信息"
    assert datasets.list(world.staff).total == 1


def test_change_to_published_keeps_published_revision_visible(world):
    datasets = world.services.datasets
    view = datasets.register(world.steward, record(), submit=True)
    datasets.review(world.reviewer, view.id, "publish")
    datasets.update(world.steward, view.id, record(title="全省常住人口基本信息（2024版）"), submit=True)
    assert datasets.get(world.staff, view.id).record["title"] == "全省常住人口基本信息"
    assert datasets.get(world.steward, view.id).record["title"].endswith("（2024版）")
    returned = datasets.review(world.reviewer, view.id, "return", "请补充信息项说明")
    assert returned.state == "returned" and returned.review_note == "请补充信息项说明"
    revisions = datasets.revisions(world.steward, view.id)
    assert [r.number for r in revisions] == [1, 2]
    assert revisions[1].changed_fields == ["title"]


def test_codes_are_generated_in_sequence_and_unique(world):
    datasets = world.services.datasets
    first = datasets.register(world.steward, record())
    second = datasets.register(world.steward, record(title="流动人口登记信息"))
    assert (first.resource_code, second.resource_code) == ("101001/000001", "101001/000002")
    with pytest.raises(InvalidInput) as taken:
        datasets.register(world.steward, record(title="第三个", resource_code="101001/000002"))
    assert "resource_code" in taken.value.errors


def test_domain_rules(world):
    datasets = world.services.datasets
    with pytest.raises(InvalidInput) as missing_basis:   # completeness: checked on submit
        datasets.register(world.steward, record(share_basis=None), submit=True)
    assert "share_basis" in missing_basis.value.errors
    with pytest.raises(InvalidInput) as too_secret:
        datasets.register(world.steward, record(security_level="secret"))
    assert "security_level" in too_secret.value.errors
    with pytest.raises(InvalidInput) as wrong_method:
        datasets.register(world.steward, record(resource_form="spreadsheet", share_method="database"))
    assert "share_method" in wrong_method.value.errors
    with pytest.raises(InvalidInput) as bad_code:
        datasets.register(world.steward, record(resource_code="102001/000001"))
    assert "resource_code" in bad_code.value.errors
    datasets.register(world.steward, record())
    with pytest.raises(InvalidInput) as disguised:
        datasets.register(world.steward, record(title="全省 常住人口·基本信息"))
    assert "title" in disguised.value.errors
    assert datasets.list(world.admin).total == 1


def test_separation_of_duties_and_scope(world):
    datasets = world.services.datasets
    with pytest.raises(Forbidden):
        datasets.register(world.staff, record())
    with pytest.raises(Forbidden):
        datasets.register(world.steward, record(), department_code=MARKET)
    view = datasets.register(world.steward, record(), submit=True)
    with pytest.raises(NotFound):
        datasets.update(world.steward_other, view.id, record(title="改"))
    with pytest.raises(Forbidden):
        datasets.review(world.steward, view.id, "publish")
    own = datasets.register(world.admin, record(title="管理员登记"), department_code=MARKET,
                            submit=True)
    with pytest.raises(Forbidden):
        datasets.review(world.admin, own.id, "publish")
    with pytest.raises(Conflict):
        datasets.submit(world.steward, view.id)
    datasets.review(world.reviewer, view.id, "publish")
    datasets.withdraw(world.steward, view.id, "停止采集")
    with pytest.raises(NotFound):
        datasets.get(world.staff, view.id)
    with pytest.raises(NotFound):
        datasets.get(ANONYMOUS, view.id)


def test_clearance_is_capped_at_the_network_ceiling(store):
    from catalog.services import Services

    internet = Services.build(type(store)(store.settings.with_overrides(network="internet"),
                                          store.engine, store.sessions))
    world = build_world(internet)
    assert world.admin.clearance == "public"
    assert world.steward.clearance == "public"
    with pytest.raises(InvalidInput) as above:
        internet.datasets.register(world.steward, record())
    assert "security_level" in above.value.errors
