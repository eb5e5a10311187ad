"""Bad input and faults: each ends with a report and loses nothing already stored."""

from __future__ import annotations

import copy
import time

import pytest
from sqlalchemy import select

from catalog.db import Dataset
from tests.harvesters.conftest import FakeCkan, add_source, full_packages, run
from tests.harvesters.server import FIXTURES, Reply, Site, file_reply


def snapshot(world) -> list[tuple]:
    with world.services.store.reading() as session:
        return [tuple(r) for r in session.execute(select(
            Dataset.id, Dataset.state, Dataset.current_revision, Dataset.published_revision)
            .order_by(Dataset.id))]


@pytest.fixture
def seeded(world, site):
    """A CKAN source whose 17 real packages are already stored."""
    ckan = FakeCkan(site, copy.deepcopy(full_packages()))
    source_id = add_source(world, "ckan", ckan.url, limits={"page_size": 5})
    assert run(world, source_id)["counts"]["created"] == 17
    return ckan, source_id, snapshot(world)


def fault(world, seeded, reply_for_page, expected_error: str, **limits):
    ckan, source_id, before = seeded
    ckan.page_hook = reply_for_page
    if limits:
        with world.services.store.transaction() as session:
            from catalog.db import HarvestSource

            source = session.get_one(HarvestSource, source_id)
            source.config = {**source.config, "limits": {**source.config["limits"], **limits}}
    started = time.monotonic()
    result = run(world, source_id)
    elapsed = time.monotonic() - started
    assert result["status"] in ("failed", "partial"), result
    assert expected_error in result["errors"], result["errors"]
    assert not result["listing"]["complete"]
    assert result["counts"]["withdrawn"] == 0
    assert snapshot(world) == before, "a failed harvest changed what was stored"
    assert result["finished_at"] is not None
    return result, elapsed


def on_second_page(reply: Reply):
    return lambda start, rows: reply if start >= rows else None


def test_http_500_is_retried_then_reported(world, site, seeded):
    result, _ = fault(world, seeded, on_second_page(Reply(b"oops", 500, "text/plain")), "http.5xx")
    assert result["status"] == "partial"  # page one was fine
    second = [h for h in site.hits if h.path.endswith("package_search") and h.query["start"] == "5"]
    assert len(second) == 3  # the first run, then one try and one retry


def test_http_500_on_the_first_page_fails_the_job(world, seeded):
    result, _ = fault(world, seeded, lambda start, rows: Reply(b"", 503, "text/plain"),
                      "http.5xx")
    assert result["status"] == "failed"


def test_timeout(world, seeded):
    _, elapsed = fault(world, seeded, on_second_page(Reply(b"{}", delay=3)), "http.timeout",
                       request_timeout=0.4, retries=0)
    assert elapsed < 3


def test_trickling_server_is_cut_at_the_request_deadline(world, seeded):
    body = (FIXTURES / "ckan/birmingham_package_search.json").read_bytes()
    _, elapsed = fault(world, seeded, on_second_page(Reply(body, trickle=0.02)), "http.timeout",
                       request_timeout=0.5, retries=0)
    assert elapsed < 3


def test_truncated_body(world, seeded):
    body = b'{"success": true, "result": {"count": 17, "results": ['
    fault(world, seeded, on_second_page(Reply(body, declared_length=len(body) + 5000)),
          "http.truncated", retries=0)


def test_invalid_json(world, seeded):
    fault(world, seeded, on_second_page(Reply(b'{"success": true, "result": {"count": 1,')),
          "payload.invalid_json")


def test_wrong_content_type(world, seeded):
    fault(world, seeded, on_second_page(Reply(b"<html><body>Maintenance</body></html>",
                                              content_type="text/html")), "payload.content_type")


def test_fifty_megabyte_response_is_capped(world, seeded):
    def fifty_megabytes():
        chunk = b" " * (1024 * 1024)
        for _ in range(50):
            yield chunk

    _, elapsed = fault(world, seeded, on_second_page(Reply(fifty_megabytes)), "http.too_large",
                       max_bytes=2 * 1024 * 1024)
    assert elapsed < 5


def test_redirect_loop(world, site, seeded):
    site.route("/loop", Reply(b"", 302, headers={"Location": "/loop"}))
    fault(world, seeded, on_second_page(Reply(b"", 302, headers={"Location": site.url("/loop")})),
          "http.redirects")


def test_duplicate_ids_in_one_listing(world, seeded):
    ckan, source_id, before = seeded
    ckan.packages.insert(7, copy.deepcopy(ckan.packages[2]))
    del ckan.packages[12]   # gone at the source, but the listing is not to be trusted
    result = run(world, source_id)
    assert result["errors"]["listing.duplicate_id"]["records"] == 1
    assert result["counts"]["withdrawn"] == 0 and not result["listing"]["complete"]
    assert snapshot(world) == before


def test_listing_changing_between_pages(world, seeded):
    ckan, source_id, before = seeded

    def shrink(start, rows):
        if start == rows and len(ckan.packages) == 17:
            del ckan.packages[0]   # removed at the source while we page: everything shifts
        return None

    ckan.page_hook = shrink
    result = run(world, source_id)
    assert "listing.changed" in result["errors"]
    assert result["counts"]["withdrawn"] == 0 and not result["listing"]["complete"]
    assert snapshot(world) == before


def test_source_disappearing_mid_job(world, seeded):
    result, _ = fault(world, seeded, on_second_page(Reply(drop=True)), "http.connection")
    assert result["counts"]["unchanged"] == 5


def test_dcat_next_page_on_a_server_that_is_gone(world, site):
    gone = Site()
    url = gone.url("/page/2")
    gone.stop()
    body = (FIXTURES / "dcat/dataset_afs.ttl").read_bytes() + (
        f'\n<{site.url("/page/1")}> <http://www.w3.org/ns/hydra/core#next> <{url}> .\n').encode()
    site.route("/page/1", Reply(body, content_type="text/turtle"))
    result = run(world, add_source(world, "dcat", site.url("/page/1")))
    assert result["counts"]["created"] == 1 and "http.connection" in result["errors"]
    assert not result["listing"]["complete"]


def test_invalid_rdf_and_wrong_content_type_for_dcat(world, site):
    site.route("/bad.ttl", Reply(b"@prefix dcat: <http://www.w3.org/ns/dcat#> .\n<a> dcat:x",
                                 content_type="text/turtle"))
    site.route("/page.html", Reply(b"<html></html>", content_type="text/html"))
    bad = run(world, add_source(world, "dcat", site.url("/bad.ttl")))
    html = run(world, add_source(world, "dcat", site.url("/page.html")))
    assert bad["status"] == "failed" and "payload.invalid_rdf" in bad["errors"]
    assert html["status"] == "failed" and "payload.content_type" in html["errors"]


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:dcat="http://www.w3.org/ns/dcat#" xmlns:dct="http://purl.org/dc/terms/">
  <dcat:Dataset rdf:about="http://example.org/d1">
    <dct:title>&secret;</dct:title><dct:description>x</dct:description>
  </dcat:Dataset>
</rdf:RDF>"""

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:dcat="http://www.w3.org/ns/dcat#" xmlns:dct="http://purl.org/dc/terms/">
  <dcat:Dataset rdf:about="http://example.org/d1"><dct:title>&lol9;</dct:title></dcat:Dataset>
</rdf:RDF>"""


@pytest.mark.parametrize("body", [XXE, LAUGHS], ids=["xxe", "billion-laughs"])
def test_unsafe_xml_is_refused_before_parsing(world, site, body):
    site.route("/catalog.rdf", file_reply("dcat/catalog.rdf", "application/rdf+xml"))
    source_id = add_source(world, "dcat", site.url("/catalog.rdf"))
    assert run(world, source_id)["counts"]["created"] == 2
    before = snapshot(world)
    site.route("/catalog.rdf", Reply(body, content_type="application/rdf+xml"))
    started = time.monotonic()
    result = run(world, source_id)
    assert time.monotonic() - started < 2
    assert result["status"] == "failed" and "payload.unsafe_xml" in result["errors"]
    assert snapshot(world) == before
    assert "root:" not in str(result)


def test_job_deadline_ends_the_job_with_a_report(world, seeded):
    result, elapsed = fault(world, seeded, on_second_page(Reply(b"{}", delay=2)), "job.deadline",
                            job_seconds=0.5, request_timeout=30)
    assert elapsed < 2.5
