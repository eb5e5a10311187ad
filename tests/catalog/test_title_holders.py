"""The duplicate-title look-up (``catalog.writes.title_holders``), on both stores: it finds
the titles of the wanted publishers only, and it is answered by an index, not a scan of every
dataset (a harvest runs it once a batch: a scan made each batch cost more as the store grew)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from catalog import publishers, rules
from catalog.services import Services
from catalog.store import Store
from catalog.writes import title_holders, title_holders_query
from tests.factories import World, build_world, record


@pytest.fixture
def world(services: Services) -> World:
    return build_world(services)


def _plan(store: Store, wanted: set[tuple[str, str]]) -> str:
    """The database's plan of the look-up (PostgreSQL told to avoid a sequential scan where
    it can: on a table this small it would scan, index or not)."""
    query = title_holders_query(wanted)
    with store.engine.begin() as connection:
        sql = str(query.compile(connection, compile_kwargs={"literal_binds": True}))
        if connection.dialect.name == "postgresql":
            connection.execute(text("SET LOCAL enable_seqscan = off"))
            return "\n".join(r[0] for r in connection.execute(text(f"EXPLAIN {sql}")))
        return "\n".join(r[3] for r in connection.execute(text(f"EXPLAIN QUERY PLAN {sql}")))


def test_the_look_up_reads_an_index_not_the_whole_table(world: World, store: Store) -> None:
    world.services.datasets.register(world.steward, record())
    wanted = {(f"name:provider{n}", f"title{n}") for n in range(50)}
    plan = _plan(store, wanted)
    if store.engine.dialect.name == "postgresql":
        assert "Seq Scan" not in plan, plan
        assert "Index Cond" in plan and "title_key" in plan, plan
    else:
        assert "SCAN datasets" not in plan, plan
        assert "SEARCH datasets USING INDEX ix_datasets_title_key" in plan, plan


def test_a_title_is_held_within_its_publisher_only(world: World, store: Store) -> None:
    own = world.services.datasets.register(world.steward, record())
    other = world.services.datasets.register(world.steward_other, record())
    title = rules.title_key(record()["title"])
    own_key = publishers.key_of(own.record)
    other_key = publishers.key_of(other.record)
    assert own_key != other_key
    with store.reading() as session:
        found = title_holders(session, {(own_key, title), ("name:nobody", title)})
        both = title_holders(session, {(own_key, title), (other_key, title)})
        excluded = title_holders(session, {(own_key, title)}, exclude=[own.id])
    assert found == {(own_key, title): own.record["resource_code"]}
    assert both == {(own_key, title): own.record["resource_code"],
                    (other_key, title): other.record["resource_code"]}
    assert excluded == {}
