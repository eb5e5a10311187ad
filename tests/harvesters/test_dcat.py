"""The DCAT harvester against a real HTTP server serving real DCAT files."""

from __future__ import annotations

import pytest
from rdflib import Graph, URIRef
from sqlalchemy import select

from catalog.db import DatasetRevision
from tests.harvesters.conftest import add_source, count_datasets, datasets, run
from tests.harvesters.server import FIXTURES, Reply, file_reply
from tests.vocab.test_round_trip import _content, _missing
from vocab.namespaces import MULU_DATASET
from vocab.profiles import graph_from_dataset

TTL, RDFXML, JSONLD, NT = ("text/turtle", "application/rdf+xml", "application/ld+json",
                           "application/n-triples")


def record_of(world, dataset_id: str) -> dict:
    with world.services.store.reading() as session:
        return session.scalars(select(DatasetRevision.data).where(
            DatasetRevision.dataset_id == dataset_id).order_by(
            DatasetRevision.number.desc())).first()


@pytest.mark.parametrize(("path", "content_type", "created"), [
    ("dcat/catalog.rdf", RDFXML, 2),                       # ckanext-dcat, RDF/XML
    ("dcat/dataset_multilingual.ttl", TTL, 1),             # Turtle, @en/@es/@ca literals
    ("dcat-ap/example1-2.1.1.nt", NT, 1),                  # DCAT-AP 2.1.1 N-Triples
    ("dcat/dataset_afs.ttl", "text/plain", 1),             # syntax from the suffix
    ("dcat/dcatde-catalog-endpoint.rdf", RDFXML, 6),       # DCAT-AP.de hydra:PagedCollection
])
def test_real_catalogs_in_every_syntax(world, site, path, content_type, created):
    site.route("/catalog", file_reply(path, content_type))
    site.route("/catalog" + path[path.rindex("."):], file_reply(path, "text/plain"))
    url = site.url("/catalog" + (path[path.rindex("."):] if content_type == "text/plain" else ""))
    result = run(world, add_source(world, "dcat", url))
    assert result["counts"]["created"] == created, result
    assert result["listing"]["complete"]
    for remote_id, dataset in datasets(world).items():
        assert remote_id.startswith("http")
        assert record_of(world, dataset.id)["source_identifier"] == remote_id


def test_json_ld_record_with_dates_out_of_order_is_kept_and_flagged(world, site):
    """The POD-style JSON-LD (inline contexts) parses; its one dataset is modified before it was
    issued: kept (待完善) with both dates and the problem, its raw triples in the report."""
    site.route("/data.json", file_reply("dcat/catalog_pod.jsonld", JSONLD))
    result = run(world, add_source(world, "dcat", site.url("/data.json")))
    assert result["counts"]["created"] == 1 and result["status"] == "succeeded", result
    assert result["kept_with_problems"]["by_problem"].get("rule modified") == 1, result
    items = world.services.harvest.items(world.admin, result["job"], outcome="created")
    item = items["items"][0]
    assert item["remote_id"] == "http://www.agency.gov/datasets/widgets-data"
    assert "<http://www.agency.gov/datasets/widgets-data>" in item["raw"]
    dataset = world.services.datasets.get(world.admin, item["dataset_id"])
    assert dataset.state == "incomplete" and dataset.record["modified"] < dataset.record["issued"]


def test_remote_json_ld_context_is_fetched_through_the_bounded_fetcher(world, site):
    site.route("/context.jsonld", Reply((FIXTURES / "dcat/w3c-basic-example.jsonld").read_bytes()
                                        .split(b'"@context" :', 1)[1].rsplit(b"}", 1)[0]
                                        .join([b'{"@context": ', b"}"]),
                                        content_type=JSONLD))
    document = (FIXTURES / "dcat/w3c-basic-example.jsonld").read_text()
    head, _, _ = document.partition('"@context" :')
    remote = head.rstrip().rstrip(",") + f', "@context": "{site.url("/context.jsonld")}"}}'
    site.route("/basic.jsonld", Reply(remote.encode(), content_type=JSONLD))
    result = run(world, add_source(world, "dcat", site.url("/basic.jsonld")))
    assert result["listing"]["complete"] and result["listing"]["listed"] == 1
    assert [h.path for h in site.hits].count("/context.jsonld") == 1


def test_multilingual_literals(world, site):
    site.route("/ml.ttl", file_reply("dcat/dataset_multilingual.ttl", TTL))
    run(world, add_source(world, "dcat", site.url("/ml.ttl")))
    (dataset,) = datasets(world).values()
    record = record_of(world, dataset.id)
    assert record["title_en"] and record["title"]
    assert record["title_en"] != record["title"] or "@" not in record["title"]


def _with_view(path: str, this: str, following: str | None, total: int | None = None,
               legacy: bool = False) -> bytes:
    """A real Turtle file with a Hydra paging view appended by the server."""
    body = (FIXTURES / path).read_bytes()
    hydra = "http://www.w3.org/ns/hydra/core#"
    kind = "PagedCollection" if legacy else "PartialCollectionView"
    link = "nextPage" if legacy else "next"
    view = f"\n<{this}> a <{hydra}{kind}>"
    if following:
        view += f' ; <{hydra}{link}> "{following}"' if legacy else f" ; <{hydra}{link}> <{following}>"
    if total is not None:
        view += f" ; <{hydra}totalItems> {total}"
    return body + (view + " .\n").encode()


@pytest.mark.parametrize("legacy", [False, True])
def test_hydra_paging(world, site, legacy):
    pages = ["dcat/dataset_multilingual.ttl", "dcat/dataset_afs.ttl", "dcat/w3c-csiro-dap-examples.ttl"]
    urls = [site.url(f"/catalog/{n}") for n in range(3)]
    for n, path in enumerate(pages):
        site.route(f"/catalog/{n}", Reply(_with_view(path, urls[n], urls[n + 1] if n < 2 else None,
                                                     legacy=legacy), content_type=TTL))
    result = run(world, add_source(world, "dcat", urls[0]))
    assert [h.path for h in site.hits] == ["/catalog/0", "/catalog/1", "/catalog/2"]
    assert result["listing"]["complete"]
    assert result["counts"]["created"] >= 3


@pytest.mark.parametrize("broken", [
    "dcat/ckanext-dcat_dataset_broken.ttl",                          # unbound prefix, line 158
    "dcat/semiceu-hvd-example-bees_wasps_dataset-broken.ttl",        # bad syntax, line 2
    "dcat/semiceu-example-bee-population-dataset-series-api-broken.ttl",
])
def test_broken_upstream_page_is_a_failed_page_and_withdraws_nothing(world, site, broken):
    urls = [site.url("/p/0"), site.url("/p/1")]
    site.route("/p/0", Reply(_with_view("dcat/dataset_multilingual.ttl", urls[0], urls[1]),
                             content_type=TTL))
    site.route("/p/1", file_reply("dcat/dataset_afs.ttl", TTL))
    source_id = add_source(world, "dcat", urls[0])
    first = run(world, source_id)
    assert first["counts"]["created"] == 2 and first["listing"]["complete"]
    site.route("/p/1", file_reply(broken, TTL))
    second = run(world, source_id)
    assert second["status"] == "partial"
    assert second["counts"]["withdrawn"] == 0 and second["counts"]["unchanged"] == 1
    group = second["errors"]["payload.invalid_rdf"]
    assert group["pages"] == 1 and group["examples"][0]["remote_id"] == urls[1]
    assert "Bad syntax" in group["examples"][0]["reason"]
    assert {d.state for d in datasets(world).values()} == {"published"}
    assert count_datasets(world) == 2


def test_incremental_by_dct_modified_and_withdrawal(world, site):
    site.route("/c.rdf", file_reply("dcat/catalog.rdf", RDFXML))
    source_id = add_source(world, "dcat", site.url("/c.rdf"))
    assert run(world, source_id)["counts"]["created"] == 2
    assert run(world, source_id)["counts"]["unchanged"] == 2
    body = (FIXTURES / "dcat/catalog.rdf").read_text()
    start = body.index("<dcat:dataset>", body.index("<dcat:dataset>") + 1)
    end = body.index("</dcat:dataset>", start) + len("</dcat:dataset>")
    site.route("/c.rdf", Reply((body[:start] + body[end:]).encode(), content_type=RDFXML))
    result = run(world, source_id)
    assert result["counts"]["withdrawn"] == 1 and result["counts"]["unchanged"] == 1


@pytest.mark.parametrize(("path", "content_type"), [
    ("dcat/dataset.rdf", RDFXML),                          # ckanext-dcat: every DCAT-AP 3 field
    ("dcat/dataset_sweden.rdf", RDFXML),                   # adms:contactPoint, foreign concepts
    ("dcat/dataset_health.ttl", TTL),                      # HealthDCAT-AP: many unmapped terms
    ("dcat/dataset_gov_de.rdf", RDFXML),                   # DCAT-AP.de, literal conformsTo
    ("dcat/dataset_deri.ttl", TTL),                        # literal frequency and spatial
    ("dcat/catalog_with_at_graph.jsonld", JSONLD),         # contact point with a literal phone
    ("dcat-ap/example-ms_dataset_2_distributions.ttl", TTL),  # SEMICeu HVD: two identifiers
])
def test_harvested_and_exported_every_property_comes_back(world, site, path, content_type):
    """Harvest a real file into the store, export the stored dataset as Mulu's export does:
    every property of the source dataset (its distributions, contact points, publisher …)
    is in the export."""
    site.route("/catalog", file_reply(path, content_type))
    result = run(world, add_source(world, "dcat", site.url("/catalog")))
    assert result["counts"]["created"] >= 1, result
    source = Graph().parse(FIXTURES / path, format={"rdf": "xml", "ttl": "turtle",
                                                    "jsonld": "json-ld"}[path.rsplit(".", 1)[1]])
    for remote_id, dataset in datasets(world).items():
        view = world.services.datasets.get(world.admin, dataset.id)
        uri = MULU_DATASET[view.id]
        exported = graph_from_dataset({**view.record, "resource_code": view.resource_code}, uri)
        missing = _missing(_content(exported, uri), _content(source, URIRef(remote_id)))
        assert not missing, "\n".join(missing)
