"""What harvest job items and reports may show (issue 14, items 1 and 2).

1. ``GET /api/harvest/jobs/{id}/items`` returned every record's raw payload to the source
   department's staff, reviewers and admins whatever its security level: now a record's
   content is shown only to those who may see the dataset it became (catalog.visibility).
2. A record refused for being above the network's ceiling was kept anyway: its raw row in the
   harvest items, its identifier (a title, for spreadsheets) as remote_id in the report. Now
   nothing of it is written; the report says "N records refused: above the network's ceiling".
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from catalog.actors import SYSTEM, Actor
from catalog.app import create_app
from catalog.db import Base
from harvesters import report as report_text
from tests.factories import PUBLIC_SECURITY, World, record
from tests.harvesters.conftest import add_source, datasets, run
from tests.harvesters.test_keep_and_flag import BASE, publish

SECRET_TITLE = "涉密人口专题库"
SECRET_ID = BASE + "secret-population"


def _everything_stored(world: World) -> str:
    """Every row of every table, as text."""
    parts: list[str] = []
    with world.services.store.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            parts.extend(str(tuple(row)) for row in connection.execute(select(table)))
    return "\n".join(parts)


@pytest.mark.parametrize(("network", "level"), [("extranet", "secret"),
                                                ("internet", "internal")])
def test_a_record_above_the_ceiling_leaves_nothing_behind(world: World, site: Any,
                                                          network: str, level: str) -> None:
    store = world.services.store
    store.settings = store.settings.with_overrides(network=network)
    rows = [("secret-population", record(title=SECRET_TITLE, security_level=level,
                                         resource_code=None, open_type="closed",
                                         description="仅限涉密网络使用的专题库")),
            ("residents", record(title="全省常住人口信息", resource_code=None,
                                 security_level="public", open_type="closed"))]
    result = run(world, add_source(world, "dcat", publish(site, rows)))
    assert result["counts"]["created"] == 1 and result["counts"]["failed"] == 1, result
    assert set(datasets(world)) == {BASE + "residents"}
    stored = _everything_stored(world)
    for secret in (SECRET_TITLE, SECRET_ID, "仅限涉密网络使用的专题库"):
        assert secret not in stored, f"{secret!r} was written"
    refused = result["refused"]
    assert (refused["count"], refused["by_reason"]) == (1, {"above_ceiling": 1})
    assert "1 records refused: above the network's ceiling" in refused["lines"][0]
    assert "records refused: above the network's ceiling" in report_text.render(result)
    items = world.services.harvest.items(world.admin, result["job"], outcome="failed")["items"]
    assert [(i["remote_id"], i["raw"], i["error_type"]) for i in items] == [
        ("", "", "record.unsafe")]


def _public_clearance_staff(world: World) -> Actor:
    accounts = world.services.accounts
    accounts.create_user(SYSTEM, "gat-public", "gat-public-password", "staff",
                         department_code=PUBLIC_SECURITY, clearance="public")
    return accounts.authenticate("gat-public", "gat-public-password")


def test_items_show_a_payload_only_to_who_may_see_its_dataset(world: World, site: Any) -> None:
    rows = [("internal-population", record(title="全省户籍人口内部统计", resource_code=None,
                                           security_level="internal", open_type="closed")),
            ("service-points", record(title="户籍业务办理网点", resource_code=None,
                                      security_level="public", open_type="open",
                                      share_type="unconditional", share_condition=None,
                                      share_basis=None))]
    result = run(world, add_source(world, "dcat", publish(site, rows)))
    assert result["counts"]["created"] == 2, result
    low = _public_clearance_staff(world)
    harvest = world.services.harvest

    def seen(actor: Actor) -> dict[str, dict[str, Any]]:
        items = harvest.items(actor, result["job"], outcome="created")["items"]
        return {i["dataset_id"]: i for i in items}

    ids = {key: d.id for key, d in datasets(world).items()}
    internal, public = ids[BASE + "internal-population"], ids[BASE + "service-points"]
    mine = seen(low)
    assert mine[internal]["withheld"] and mine[internal]["raw"] == ""
    assert "全省户籍人口内部统计" not in str(mine) and "internal-population" not in str(mine)
    assert not mine[public]["withheld"] and "户籍业务办理网点" in mine[public]["raw"]
    for actor in (world.admin, world.steward, world.reviewer, world.staff_own):
        assert "全省户籍人口内部统计" in seen(actor)[internal]["raw"], actor.username
    # the same through the API, with the user's own token
    app = create_app(world.services.settings, store=world.services.store)
    token = world.services.accounts.create_token(SYSTEM, "gat-public", "t")
    response = app.test_client().get(f"/api/harvest/jobs/{result['job']}/items",
                                     headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert "全省户籍人口内部统计" not in response.get_data(as_text=True)
    assert "户籍业务办理网点" in response.get_data(as_text=True)


def test_the_report_shows_what_records_are_about_only_to_who_may_see_them(world: World,
                                                                        site: Any) -> None:
    """The job report's error examples and the providers it did not know are drawn from the
    records: a reader who may not see a record's dataset reads neither."""
    rows = [("internal-population", record(title="全省户籍人口内部统计", resource_code=None,
                                           security_level="internal", open_type="closed",
                                           publisher={"name": "某涉密专项工作组"},
                                           description=None))]   # kept, flagged 待完善
    result = run(world, add_source(world, "dcat", publish(site, rows)))
    assert result["counts"]["created"] == 1, result
    low = _public_clearance_staff(world)
    full = world.services.harvest.report(world.admin, result["job"])
    shown = world.services.harvest.report(low, result["job"])
    assert "某涉密专项工作组" in str(full["unknown_providers"]), full
    assert "internal-population" not in str(shown) and "全省户籍人口内部统计" not in str(shown)
    assert shown["unknown_providers"] == {}
    assert shown["counts"] == full["counts"]
