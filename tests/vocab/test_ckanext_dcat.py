"""Every file of ckanext-dcat's ``examples/dcat`` that parses gives the datasets, distributions
(with their URLs), contact points and translations that ckanext-dcat's own parser gives for it
(recorded in ``tests/fixtures/dcat/ckanext-dcat-parsed.json`` by the stand-alone
``ckanext_dcat_parsed.py`` next to it, run with ckanext-dcat 2.4.4)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rdflib import Graph

from vocab.profiles import parse_datasets

FIXTURES = Path(__file__).parents[1] / "fixtures" / "dcat"
CKANEXT = json.loads((FIXTURES / "ckanext-dcat-parsed.json").read_text())
SYNTAX = {".rdf": "xml", ".ttl": "turtle", ".jsonld": "json-ld"}
PARSED = sorted(name for name, found in CKANEXT["files"].items() if "datasets" in found)
DEFAULT_LANG = "en"   # where ckanext-dcat files an untagged text


def _ours(name: str) -> dict[str, dict[str, Any]]:
    path = FIXTURES / name
    graph = Graph().parse(path, format=SYNTAX[path.suffix])
    return {str(subject): record for subject, record in parse_datasets(graph)}


def _texts(record: dict[str, Any], name: str) -> set[tuple[str, str]]:
    """(language tag, text) of every variant the record keeps of a text field."""
    variants = dict((record.get("translations") or {}).get(name) or {})
    if record.get(name) and record[name] not in variants.values():
        variants.setdefault("", record[name])
    if name == "title" and record.get("title_en"):
        variants.setdefault("en", record["title_en"])
    return {(tag, text) for tag, text in variants.items()}


def _kept(texts: set[tuple[str, str]], lang: str, text: str) -> bool:
    return (lang, text) in texts or (lang == DEFAULT_LANG and ("", text) in texts)


def test_the_recorded_files_are_the_examples() -> None:
    assert CKANEXT["ckanext-dcat"] == "2.4.4"
    assert len(PARSED) == 14 and all((FIXTURES / name).is_file() for name in PARSED)


@pytest.mark.parametrize("name", PARSED)
def test_same_datasets(name: str) -> None:
    assert sorted(_ours(name)) == sorted(CKANEXT["files"][name]["datasets"])


@pytest.mark.parametrize("name", PARSED)
def test_same_distributions_with_their_urls(name: str) -> None:
    ours = _ours(name)
    for uri, theirs in CKANEXT["files"][name]["datasets"].items():
        found = [(d.get("uri"), d.get("access_url") or d.get("download_url"), d.get("download_url"))
                 for d in ours[uri].get("distributions", [])]
        wanted = [(r["uri"], r["access_url"] or r["download_url"], r["download_url"])
                  for r in theirs["resources"]]
        assert sorted(found, key=str) == sorted(wanted, key=str), uri


@pytest.mark.parametrize("name", PARSED)
def test_same_contact_points(name: str) -> None:
    ours = _ours(name)
    for uri, theirs in CKANEXT["files"][name]["datasets"].items():
        contacts = ours[uri].get("contact_points", [])
        assert len(contacts) == len(theirs["contact_points"]), uri
        for contact in theirs["contact_points"]:
            mine = [c for c in contacts if c.get("email") == contact["email"]
                    and (c.get("name") == contact["name"] or not contact["name"])]
            assert mine, (uri, contact)
            for lang, text in contact["name_translated"].items():
                assert _kept(_texts(mine[0], "name"), lang, text), (uri, lang, text)


@pytest.mark.parametrize("name", PARSED)
def test_same_translations(name: str) -> None:
    ours = _ours(name)
    for uri, theirs in CKANEXT["files"][name]["datasets"].items():
        for field, variants in theirs["translations"].items():
            for lang, text in variants.items():
                if text:
                    assert _kept(_texts(ours[uri], field), lang, text), (uri, field, lang, text)
