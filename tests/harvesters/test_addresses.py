"""Harvest source URLs cannot reach what they should not (issue 14, item 6: SSRF).

By default no loopback, link-local (cloud metadata), private or Mulu's own address; private
ranges only through MULU_HARVEST_ALLOW_NETWORKS; a host is resolved once and the connection
made to the checked address; every redirect is checked again; a report quotes at most a short,
escaped excerpt of what a server answered.
"""

from __future__ import annotations

import ipaddress

import pytest

from catalog.config import ConfigError
from catalog.errors import InvalidInput
from harvesters import errors
from harvesters.addresses import AddressGuard
from harvesters.http import Deadline, Fetcher, Limits, excerpt
from tests.conftest import make_settings
from tests.factories import World
from tests.harvesters.conftest import LOCAL_GUARD, add_source, run
from tests.harvesters.server import Reply, Site

DEFAULT = AddressGuard()


def _default_settings(w: World, **changes: object) -> None:
    """The deployment's defaults (the harvester fixtures allow 127.0.0.1 explicitly)."""
    store = w.services.store
    store.settings = store.settings.with_overrides(harvest_allow_networks=(), **changes)


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/api/datasets", "http://127.1/", "http://[::1]/",
    "http://localhost:5000/api/users", "http://api.localhost/", "http://0.0.0.0:5000/",
    "http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/", "http://[::ffff:127.0.0.1]/",
    "http://10.1.2.3/catalog.ttl", "http://192.168.0.10/", "http://172.16.5.4/",
    "http://100.64.0.1/", "http://[fd00::1]/",
])
def test_default_refuses_local_link_local_and_private(url: str) -> None:
    with pytest.raises(errors.AddressRefused):
        DEFAULT.check_url(url)
    with pytest.raises(errors.AddressRefused):
        DEFAULT.pin(url)


def test_the_allowlist_opens_private_ranges_but_never_link_local(tmp_path) -> None:
    settings = make_settings(tmp_path).with_overrides(
        harvest_allow_networks=("10.0.0.0/8", "169.254.0.0/16"))
    guard = AddressGuard.from_settings(settings)
    assert guard.pin("http://10.20.30.40:8080/catalog.ttl") == "10.20.30.40"
    with pytest.raises(errors.AddressRefused):
        guard.pin("http://169.254.169.254/latest/meta-data/")
    with pytest.raises(errors.AddressRefused):
        guard.pin("http://192.168.1.1/")
    from catalog.config import load_settings

    env = {"MULU_DATA_DIR": str(tmp_path), "MULU_HARVEST_ALLOW_NETWORKS": "10.0.0.0/8, 172.16.0.0/12"}
    assert load_settings(env).harvest_allow_networks == ("10.0.0.0/8", "172.16.0.0/12")
    with pytest.raises(ConfigError):
        load_settings({**env, "MULU_HARVEST_ALLOW_NETWORKS": "10.0.0.0/33"})


def test_mulu_s_own_address_is_refused_even_when_allowed(tmp_path) -> None:
    settings = make_settings(tmp_path).with_overrides(
        harvest_allow_networks=("127.0.0.0/8",), public_base_url="http://127.0.0.1:5000")
    guard = AddressGuard.from_settings(settings)
    assert guard.pin("http://127.0.0.1:5001/gat") == "127.0.0.1"  # the demo's sources
    for url in ("http://127.0.0.1:5000/api/users", "http://127.0.0.1:5000"):
        with pytest.raises(errors.AddressRefused):
            guard.pin(url)
    named = AddressGuard((ipaddress.ip_network("10.0.0.0/8"),),
                         (("catalog.ah.gov.cn", 443),),
                         resolver=lambda host, port: ["10.9.9.9"])
    with pytest.raises(errors.AddressRefused):  # another name for Mulu's own address
        named.pin("https://mulu-alias.ah.gov.cn/api/health")
    assert named.pin("http://mulu-alias.ah.gov.cn:8080/") == "10.9.9.9"


def test_adding_or_approving_a_forbidden_source_is_refused(world: World, site: Site) -> None:
    _default_settings(world)
    for url in ("http://127.0.0.1:5000/api/users", "http://169.254.169.254/latest/meta-data"):
        with pytest.raises(InvalidInput) as refused:
            world.services.harvest.add_source(world.steward, {"type": "ckan", "url": url})
        assert "url" in refused.value.errors
    # registered while the deployment allowed 127.0.0.1, approved after it stopped
    store = world.services.store
    store.settings = store.settings.with_overrides(harvest_allow_networks=("127.0.0.1/32",))
    source = add_source(world, "ckan", site.url("/api/3/action"), approve=False)
    _default_settings(world)
    with pytest.raises(InvalidInput):
        world.services.harvest.review_source(world.reviewer, source, "approve")


def test_an_approved_source_on_loopback_is_never_fetched(world: World, site: Site) -> None:
    """The defect: a source on 127.0.0.1 (Mulu's own API, say) was fetched once approved and
    the job report quoted the answer."""
    site.route("/api/3/action/package_search", Reply(b'{"secret": "admin token list"}'))
    source = add_source(world, "ckan", site.url("/api/3/action"))  # allowed back then
    _default_settings(world)
    report = run(world, source)
    assert site.hits == []
    assert report["status"] == "failed"
    assert list(report["errors"]) == ["http.address_refused"]
    items = world.services.harvest.items(world.admin, report["job"])["items"]
    assert "secret" not in str(items)


def test_the_checked_address_is_the_one_connected_to(site: Site) -> None:
    """A name that resolves once to the allowed address: the connection goes there, with the
    URL's Host header, and no second lookup (no DNS rebinding)."""
    site.route("/catalog.json", Reply(b"{}"))
    answers = iter([["127.0.0.1"], ["169.254.169.254"]])
    guard = AddressGuard(LOCAL_GUARD.allowed, resolver=lambda host, port: next(answers))
    fetcher = Fetcher(Limits(retries=0), Deadline.after(10), guard=guard)
    page = fetcher.get(f"http://source.rebind.test:{site.port}/catalog.json")
    assert page.status == 200 and len(site.hits) == 1
    with pytest.raises(errors.AddressRefused):  # the next request resolves (and checks) again
        fetcher.get(f"http://source.rebind.test:{site.port}/catalog.json")
    assert len(site.hits) == 1
    mixed = AddressGuard(LOCAL_GUARD.allowed, resolver=lambda host, port: ["127.0.0.1", "10.0.0.5"])
    with pytest.raises(errors.AddressRefused):
        Fetcher(Limits(retries=0), Deadline.after(10), guard=mixed).get(
            f"http://source.rebind.test:{site.port}/catalog.json")


@pytest.mark.parametrize("target", ["http://169.254.169.254/latest/meta-data/",
                                    "http://10.0.0.1/", "http://localhost:5000/api/users"])
def test_redirects_are_checked_again(site: Site, target: str) -> None:
    site.route("/moved", Reply(b"", status=302, headers={"Location": target}))
    guard = AddressGuard(LOCAL_GUARD.allowed, (("localhost", 5000),))
    fetcher = Fetcher(Limits(retries=0, request_timeout=2, connect_timeout=1),
                      Deadline.after(10), guard=guard)
    with pytest.raises(errors.AddressRefused):
        fetcher.get(site.url("/moved"))
    assert [hit.path for hit in site.hits] == ["/moved"]


def test_reports_quote_a_short_escaped_excerpt(world: World, site: Site) -> None:
    page = ("<html><script>alert('x')</script>" + "内部接口返回的内容 " * 500 + "</html>")
    site.route("/catalog.ttl", Reply(page.encode(), content_type="text/turtle"))
    report = run(world, add_source(world, "dcat", site.url("/catalog.ttl")))
    assert report["status"] == "failed"
    items = world.services.harvest.items(world.admin, report["job"])["items"]
    quoted = [item["raw"] for item in items if item["kind"] != "record"]
    assert quoted and all(len(raw) <= 400 and "<script>" not in raw for raw in quoted)
    assert all("<script>" not in item["reason"] for item in items)
    assert excerpt("a\x00b\n\n<c>" + "x" * 500, 10) == "a b &lt;c&gt;xxx…"
