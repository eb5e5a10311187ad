"""A demo dataset exported by the running app validates against DCAT-AP 3.0.1 and our shapes."""

from __future__ import annotations

import pytest
from rdflib import Graph

from catalog.actors import ANONYMOUS
from catalog.app import create_app
from catalog.demo import loader
from catalog.services import Services
from vocab.validate import validate


@pytest.fixture
def demo(sqlite_store):
    services = Services.build(sqlite_store)
    loader.load(services, limit=4)
    return services


@pytest.mark.parametrize("fmt", ["ttl", "rdf", "jsonld"])
def test_demo_export_conforms(demo, fmt):
    app = create_app(demo.settings, store=demo.store)
    public = demo.datasets.list(ANONYMOUS).items
    assert public, "the demo has published public datasets"
    response = app.test_client().get(f"/dataset/{public[0].id}.{fmt}")
    assert response.status_code == 200
    graph = Graph().parse(data=response.data, format={"ttl": "turtle", "rdf": "xml",
                                                      "jsonld": "json-ld"}[fmt])
    report = validate(graph, shapes=("dcat-ap", "mulu"))
    assert report.conforms, report.messages


def test_demo_loads_users_departments_and_published_datasets(demo):
    assert len(demo.departments.list()) >= 6
    for username in ("admin", "reviewer", "steward", "staff"):
        assert demo.accounts.get_user(username) is not None
    steward = demo.accounts.get_user("steward")
    assert steward.department_code == loader.departments()[0]["code"]
    assert all(item.state == "published" for item in demo.datasets.list(ANONYMOUS).items)
