"""CKAN portals through ckanapi: ``package_search`` paging, ``package_show`` for bare listing
entries, organizations -> departments, resources -> formats, mapped extras.

ckanapi speaks the Action API; the transport under it is Mulu's bounded fetcher, which also
copes with what real portals (CKAN 2.2 to 2.11) send back: ``//`` comment lines before the
JSON, a result without the ``success`` flag, bare listing entries (``id`` and
``metadata_modified`` only), extras as a list of key/value pairs or as top-level keys.
"""

from __future__ import annotations

import json
import mimetypes
import re
from collections.abc import Iterator, Mapping
from typing import Any

import ckanapi
from rdflib import Graph, Literal

from harvesters import errors
from harvesters.base import Harvester, PageProblem, Remote
from harvesters.http import Fetcher
from harvesters.placement import FORMS_BY_FORMAT, Mapped, concept_field
from vocab.fields import (
    BY_NAME,
    CONTACT_FIELDS,
    DISTRIBUTION_FIELDS,
    RECORD_BY_NAME,
    VALUE_PATTERNS,
    Field,
    Kind,
)
from vocab.namespaces import SPDX
from vocab.profiles.filetypes import format_name

JSON_TYPES = ("application/json", "text/json", "text/javascript", "application/javascript",
              "text/plain", "application/x-javascript", "")
ERROR_STATUSES = (400, 403, 404, 409)
# CKAN extras (or top-level keys) -> record fields, unless the source's config says otherwise
EXTRAS: dict[str, str] = {
    "update_frequency": "update_cycle", "frequency": "update_cycle",
    "accrual_periodicity": "update_cycle", "accrualPeriodicity": "update_cycle",
    "access_rights": "open_type", "security_level": "security_level",
    "share_type": "share_type", "classification": "classification",
}
IDENTIFIER_EXTRAS = ("uri", "guid", "identifier", "dct_identifier")
_API_SUFFIX = re.compile(r"/api(?:/\d+)?(?:/action)?/?$")
_EMPTY = Graph()
_IRI = VALUE_PATTERNS[Kind.IRI]
DISTRIBUTION = {f.name: f for f in DISTRIBUTION_FIELDS}
CONTACT = {f.name: f for f in CONTACT_FIELDS}
DIGEST_LENGTHS = {32: "md5", 40: "sha1", 64: "sha256", 128: "sha512"}


class _Reply:
    def __init__(self, status: int, text: str):
        self.status_code, self.text = status, text


class BoundedSession:
    """What ckanapi needs of a requests session, over the bounded fetcher."""

    def __init__(self, fetcher: Fetcher):
        self.fetcher = fetcher

    def get(self, url: str, params: Mapping[str, Any] | None = None, **_: Any) -> _Reply:
        page = self.fetcher.get(url, params, accept="application/json",
                                ok_statuses=ERROR_STATUSES)
        if page.media_type not in JSON_TYPES:
            if page.status >= 400:
                raise errors.HttpStatus(page.status, page.url)
            raise errors.WrongContentType(
                f"应为 JSON，实际为 {page.media_type}。", f"Expected JSON, got {page.media_type}.",
                detail=page.url)
        text = "\n".join(line for line in page.text().splitlines()
                         if not line.lstrip().startswith("//"))
        try:
            data = json.loads(text)
        except ValueError as exc:
            if page.status >= 400:
                raise errors.HttpStatus(page.status, page.url) from None
            raise errors.InvalidJson("响应不是有效的 JSON。", "The response is not valid JSON.",
                                     detail=f"{page.url}: {exc}") from None
        if isinstance(data, dict) and "result" in data and "success" not in data:
            data["success"] = True  # data.gov.uk's search pages leave the flag out
        return _Reply(page.status, json.dumps(data))

    def close(self) -> None:
        return None


def api_base(url: str) -> str:
    return _API_SUFFIX.sub("", url.rstrip("/"))


class CkanHarvester(Harvester):
    type = "ckan"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.base = api_base(self.source.url)
        self.ckan = ckanapi.RemoteCKAN(self.base, get_only=True,
                                       session=BoundedSession(self.fetcher))
        self.extras = {**EXTRAS, **(self.source.config.get("extras") or {})}

    def _action(self, name: str, **params: Any) -> Any:
        try:
            return self.ckan.call_action(name, params)
        except ckanapi.NotFound:
            raise errors.RecordNotFound("数据源中已找不到该记录。", "The record is gone from the source.",
                                        detail=f"{name} {params}") from None
        except ckanapi.CKANAPIError as exc:
            raise errors.UnexpectedShape("CKAN 接口返回了错误或无法识别的结果。",
                                         "CKAN answered an error or an unexpected result.",
                                         detail=str(exc)[:500]) from None

    def listing(self) -> Iterator[Remote | PageProblem]:
        config, limits = self.source.config, self.source.limits
        start, expected, pages = 0, None, 0
        while True:
            where = f"package_search start={start}"
            if pages >= limits.max_pages:
                yield PageProblem(where, errors.ListingChanged(
                    "页数超过上限。", f"More than {limits.max_pages} pages."))
                return
            try:
                result = self._action("package_search", q=config.get("q") or "*:*",
                                      fq=config.get("fq") or "", rows=limits.page_size,
                                      start=start, sort="metadata_modified asc, id asc")
            except (errors.FetchError, errors.PayloadError) as exc:
                yield PageProblem(where, exc)
                return
            if not (isinstance(result, dict) and isinstance(result.get("results"), list)
                    and isinstance(result.get("count"), int)):
                yield PageProblem(where, errors.UnexpectedShape(
                    "package_search 结果缺少 count 或 results。",
                    "The package_search result lacks count or results."), raw=str(result)[:4000])
                return
            pages += 1
            count, results = result["count"], result["results"]
            if expected is None:
                expected = self.expected = count
            elif count != expected:
                yield PageProblem(where, errors.ListingChanged(
                    "翻页期间列表发生变化。", "The listing changed between pages.",
                    detail=f"count {expected} -> {count}"))
                expected = self.expected = count
            for package in results:
                yield self._remote(package, where)
            start += len(results)
            if not results or start >= count:
                break
        if expected is not None and start < expected:
            yield PageProblem("package_search", errors.ListingChanged(
                "列表提前结束。", "The listing ended early.", detail=f"{start} of {expected}"))

    @staticmethod
    def _remote(package: Any, where: str) -> Remote | PageProblem:
        if not isinstance(package, dict) or not str(package.get("id") or "").strip():
            return PageProblem(where, errors.NoIdentifier("记录缺少 id。", "A listed record has no id."),
                               raw=json.dumps(package, ensure_ascii=False)[:4000], kind="record")
        return Remote(str(package["id"]).strip(), package,
                      modified=str(package.get("metadata_modified") or ""),
                      raw=lambda: json.dumps(package, ensure_ascii=False, indent=1),
                      lite="resources" not in package)

    def complete(self, remote: Remote) -> Remote:
        if not remote.lite:
            return remote
        package = self._action("package_show", id=remote.remote_id)
        if not isinstance(package, dict):
            raise errors.UnexpectedShape("package_show 结果不是对象。", "package_show gave no object.")
        return Remote(remote.remote_id, package,
                      modified=str(package.get("metadata_modified") or remote.modified),
                      raw=lambda: json.dumps(package, ensure_ascii=False, indent=1))

    def map(self, remote: Remote) -> Mapped:
        package: dict[str, Any] = remote.payload
        if str(package.get("private")).lower() == "true":
            raise errors.Skipped("数据源中为私有记录。", "Private at the source.")
        if (package.get("state") or "active") != "active":
            raise errors.Skipped(f"数据源中状态为 {package['state']}。",
                                 f"State '{package['state']}' at the source.")
        notes: list[str] = []
        unread: dict[str, str] = {}
        title, title_en = _translated(package, "title")
        description, _ = _translated(package, "notes")
        record: dict[str, Any] = {
            "title": title or package.get("name"), "title_en": title_en,
            "description": description, "source_identifier": remote.remote_id,
            "keywords": _keywords(package.get("tags")), "formats": _formats(package),
            "issued": _day(package.get("metadata_created")),
            "modified": _day(package.get("metadata_modified")),
            "landing_page": self._landing_page(package),
            "distributions": _distributions(package, unread),
            "contact_points": _contacts(package, unread),
            "license": _iri(_license(package), "license", unread),
            "version": _text(package.get("version"), RECORD_BY_NAME["version"]),
            "source": [f"{self.base}/dataset/{remote.remote_id}"],
        }
        extras = _extras(package)
        for key, name in self.extras.items():
            if extras.get(key) and name in BY_NAME and not record.get(name):
                value = extras[key]
                record[name] = concept_field(name, value, notes) if BY_NAME[name].scheme \
                    else str(value)
        organization = package.get("organization") or package.get("owner_org")
        key = name = None
        if isinstance(organization, dict):
            key = organization.get("name")
            name = organization.get("title") or key
        elif isinstance(organization, str):
            key = name = organization
        identifiers = tuple(str(extras[k]) for k in IDENTIFIER_EXTRAS if extras.get(k))
        return Mapped(record, publisher=name, publisher_key=key, identifiers=identifiers,
                      notes=notes, unread=unread)

    def _landing_page(self, package: Mapping[str, Any]) -> str | None:
        url = str(package.get("url") or "")
        if url.startswith(("http://", "https://")) and len(url) <= 500 and " " not in url:
            return url
        name = package.get("name")
        return f"{self.base}/dataset/{name}" if name else None


def _translated(package: Mapping[str, Any], key: str) -> tuple[str | None, str | None]:
    """(the text in Chinese, else English, else any; the English text) of a fluent field."""
    translated = package.get(f"{key}_translated")
    plain = package.get(key)
    if isinstance(translated, dict) and translated:
        texts = {str(k).split("-")[0].lower(): str(v) for k, v in translated.items() if v}
        first = texts.get("zh") or texts.get("en") or next(iter(texts.values()), None)
        return first or (str(plain) if plain else None), texts.get("en")
    return (str(plain).strip() if plain else None), None


def _extras(package: Mapping[str, Any]) -> dict[str, Any]:
    found = {k: v for k, v in package.items() if isinstance(v, str)}
    extras = package.get("extras")
    if isinstance(extras, list):
        found.update({str(e["key"]): e.get("value") for e in extras
                      if isinstance(e, dict) and "key" in e})
    elif isinstance(extras, dict):
        found.update(extras)
    return found


def _keywords(tags: Any) -> list[str]:
    names = []
    for tag in tags if isinstance(tags, list) else []:
        name = tag.get("display_name") or tag.get("name") if isinstance(tag, dict) else tag
        if isinstance(name, str) and name.strip() and len(name.strip()) <= 50:
            names.append(name.strip())
    return list(dict.fromkeys(names))[:200]


def _formats(package: Mapping[str, Any]) -> list[str]:
    found = []
    for resource in package.get("resources") or []:
        if not isinstance(resource, dict):
            continue
        value = str(resource.get("format") or resource.get("mimetype") or "").strip().lstrip(".")
        if "/" in value:
            value = (mimetypes.guess_extension(value.lower()) or "").lstrip(".")
        name = format_name(_EMPTY, Literal(value)) if value else None
        if name and len(name) <= 20:
            found.append(name)
    return list(dict.fromkeys(found))


def _text(value: Any, fld: Field) -> str | None:
    text = str(value).strip() if isinstance(value, str | int | float) else ""
    return text if text and len(text) <= (fld.max_length or 4000) else None


def _iri(value: Any, name: str, unread: dict[str, str]) -> str | None:
    """An IRI value of sub-field or field ``name``; other text goes to ``unread``."""
    text = str(value).strip() if isinstance(value, str) else ""
    if text and _IRI.match(text) and len(text) <= 2000:
        return text
    if text:
        unread[name] = text[:2000]
    return None


# CKAN's default licence register (ckan/model/license.py): id -> the licence's address, as
# CKAN itself (and ckanext-dcat, through it) gives it
CKAN_LICENSES: dict[str, str] = {
    "cc-by": "http://www.opendefinition.org/licenses/cc-by",
    "cc-by-sa": "http://www.opendefinition.org/licenses/cc-by-sa",
    "cc-zero": "http://www.opendefinition.org/licenses/cc-zero",
    "cc-nc": "http://creativecommons.org/licenses/by-nc/2.0/",
    "gfdl": "http://www.opendefinition.org/licenses/gfdl",
    "odc-by": "http://www.opendefinition.org/licenses/odc-by",
    "odc-odbl": "http://www.opendefinition.org/licenses/odc-odbl",
    "odc-pddl": "http://www.opendefinition.org/licenses/odc-pddl",
    "uk-ogl": "http://reference.data.gov.uk/id/open-government-licence",
}

# CKAN's register entries that name no licence document (not specified, "other" kinds)
CKAN_NO_LICENSE = frozenset({"notspecified", "other-closed", "other-nc", "other-open",
                             "other-pd", "other-at"})


def _license(package: Mapping[str, Any]) -> str | None:
    for key in ("license_url", "license_id"):
        value = package.get(key)
        if isinstance(value, str) and _IRI.match(value.strip()):
            return value.strip()
    license_id = str(package.get("license_id") or "").strip().lower()
    if license_id in CKAN_LICENSES:
        return CKAN_LICENSES[license_id]
    if license_id in CKAN_NO_LICENSE:
        return None
    title = package.get("license_title") or package.get("license_id")
    return str(title) if title else None


def _looks_like_file(url: str) -> bool:
    path = url.split("?", 1)[0].rsplit("/", 1)[-1]
    return "." in path and bool(mimetypes.guess_type(path)[0] or format_name(_EMPTY, Literal(
        path.rsplit(".", 1)[-1])) in FORMS_BY_FORMAT)


def _distribution(resource: Mapping[str, Any], license_iri: str | None,
                  unread: dict[str, str]) -> dict[str, Any]:
    where = "distributions."
    url = _iri(resource.get("url"), where + "access_url", unread)
    size = resource.get("size")
    hash_value = str(resource.get("hash") or "").strip()
    media = str(resource.get("mimetype") or "").strip()
    if media and not VALUE_PATTERNS[Kind.MEDIA_TYPE].match(media):
        unread[where + "media_type"], media = media[:2000], ""
    algorithm, _, digest = hash_value.rpartition(":") if ":" in hash_value else ("", "", hash_value)
    sub: dict[str, Any] = {
        "title": _text(resource.get("name"), DISTRIBUTION["title"]),
        "description": _text(resource.get("description"), DISTRIBUTION["description"]),
        "access_url": url,
        "download_url": url if url and _looks_like_file(url) else None,
        "format": next(iter(_formats({"resources": [resource]})), None),
        "media_type": media or None,
        "byte_size": int(size) if isinstance(size, int) or str(size or "").isdigit() else None,
        "checksum": _checksum(algorithm, digest, unread),
        "license": license_iri,
        "issued": _day(resource.get("created")),
        "modified": _day(resource.get("last_modified") or resource.get("metadata_modified")),
    }
    if size not in (None, "") and sub["byte_size"] is None:
        unread[where + "byte_size"] = str(size)[:2000]
    return {k: v for k, v in sub.items() if v not in (None, "")}


def _checksum(algorithm: str, digest: str, unread: dict[str, str]) -> dict[str, str] | None:
    """CKAN's ``hash`` ("md5:…" or a bare hex digest, its algorithm told by its length)."""
    name = algorithm.lower().replace("-", "") or DIGEST_LENGTHS.get(len(digest), "")
    if name and re.fullmatch(r"[0-9a-fA-F]+", digest):
        return {"algorithm": str(SPDX[f"checksumAlgorithm_{name}"]), "value": digest.lower()}
    if digest:
        unread["distributions.checksum"] = f"{algorithm}:{digest}".lstrip(":")[:2000]
    return None


def _distributions(package: Mapping[str, Any], unread: dict[str, str]) -> list[dict[str, Any]]:
    license_iri = _license(package)
    license_iri = license_iri if license_iri and _IRI.match(license_iri) else None
    resources = [r for r in package.get("resources") or [] if isinstance(r, dict)]
    found = [_distribution(r, license_iri, unread) for r in resources]
    return [d for d in found if d][:200]


def _contacts(package: Mapping[str, Any], unread: dict[str, str]) -> list[dict[str, Any]]:
    """``maintainer`` and ``author`` (with their e-mails) as contact points."""
    contacts = []
    for role in ("maintainer", "author"):
        name = _text(package.get(role), CONTACT["name"])
        email = str(package.get(f"{role}_email") or "").strip()
        if email and not VALUE_PATTERNS[Kind.EMAIL].match(email):
            unread["contact_points.email"] = email[:2000]
            email = ""
        contact = {k: v for k, v in (("name", name), ("email", email)) if v}
        if contact and contact not in contacts:
            contacts.append(contact)
    return contacts


def _day(value: Any) -> str | None:
    text = str(value or "")
    return text[:10] if re.match(r"^\d{4}-\d{2}-\d{2}", text) else None
