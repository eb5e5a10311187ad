"""The demo's three simulated department sources (issue 3, item 8), from ``sources.json``:

* 省公安厅's CKAN portal: the CKAN Action API (``package_search`` with ``q``/``fq``/``sort``/
  ``rows``/``start``, ``package_show``, ``package_list``, ``organization_list``,
  ``organization_show``, ``status_show``) under ``/gat``;
* 省市场监管局's DCAT catalog: DCAT-AP 3 Turtle with the ``mulu:`` extension, paged by a
  ``hydra:PartialCollectionView`` (``hydra:next``, ``hydra:totalItems``) under ``/samr``;
* 省司法厅's catalog spreadsheet: an .xlsx file with the headers of a real portal export,
  written into the data dir (a spreadsheet source reads a file).

One small threaded HTTP server on 127.0.0.1 serves the first two; the metadata lives in
``sources.json`` and never changes while it runs, so every answer is built once.
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
import threading
import uuid
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from rdflib import Literal, URIRef

from vocab.namespaces import HYDRA, RDF, XSD
from vocab.profiles import catalog_graph, serialize

log = logging.getLogger("mulu.demo")
SOURCES_FILE = Path(__file__).parent / "sources.json"
CKAN_PATH = "/gat"
DCAT_PATH = "/samr"
DCAT_PAGE = f"{DCAT_PATH}/catalog.ttl"
MAX_ROWS = 1000  # CKAN's own ceiling on package_search rows
_ACTION = re.compile(r"^/api(?:/3)?/action/(\w+)$")
_RANGE = re.compile(r"^metadata_modified:\[(\S+) TO (\S+)\]$")
_OPEN = {"无条件开放", "有条件开放", "open", "conditional"}


@cache
def definitions() -> dict[str, Any]:
    """The three sources' metadata as shipped in ``sources.json``."""
    return json.loads(SOURCES_FILE.read_text(encoding="utf-8"))


def _uid(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "https://gat.ah.gov.cn/" + "/".join(parts)))


# -- 省公安厅: a CKAN portal ------------------------------------------------------------------


class CkanPortal:
    """Answers CKAN Action API calls over the packages of ``sources.json``."""

    def __init__(self, definition: dict[str, Any], base: str):
        self.base = base
        self.organizations = {o["name"]: self._organization(o) for o in definition["organizations"]}
        self.packages = [self._package(p) for p in definition["packages"]]
        self.title = definition["name"]

    @staticmethod
    def _organization(org: dict[str, Any]) -> dict[str, Any]:
        return {"id": _uid("organization", org["name"]), "name": org["name"],
                "title": org["title"], "description": org["description"], "type": "organization",
                "is_organization": True, "state": "active", "approval_status": "approved",
                "image_url": "", "created": "2023-01-05T02:00:00.000000"}

    def _package(self, entry: dict[str, Any]) -> dict[str, Any]:
        name, organization = entry["name"], self.organizations[entry["organization"]]
        package_id = _uid("dataset", name)
        is_open = entry["extras"].get("access_rights") in _OPEN
        resources = [{
            "id": _uid("resource", name, str(position)), "package_id": package_id,
            "name": resource["name"], "format": resource["format"], "description": "",
            "url": f"{self.base}/dataset/{name}/resource/{position}", "position": position,
            "state": "active", "url_type": None, "mimetype": None,
            "created": entry["metadata_created"], "last_modified": entry["metadata_modified"],
        } for position, resource in enumerate(entry["resources"])]
        package = {
            "id": package_id, "name": name, "title": entry["title"], "notes": entry["notes"],
            "type": "dataset", "state": "active", "private": False, "url": "", "version": None,
            "author": organization["title"], "author_email": None, "maintainer": "数据管理员",
            "maintainer_email": "sjgl@gat.ah.gov.cn",
            "license_id": "cc-by" if is_open else "other-closed",
            "license_title": "知识共享署名 4.0" if is_open else "不予开放", "isopen": is_open,
            "owner_org": organization["id"], "organization": organization, "groups": [],
            "tags": [{"id": _uid("tag", t), "name": t, "display_name": t, "state": "active",
                      "vocabulary_id": None} for t in entry["tags"]],
            "resources": resources, "num_resources": len(resources),
            "extras": [{"key": k, "value": v} for k, v in sorted(entry["extras"].items())],
            "metadata_created": entry["metadata_created"],
            "metadata_modified": entry["metadata_modified"],
            "creator_user_id": _uid("user", "sjgl"), "relationships_as_object": [],
            "relationships_as_subject": [],
        }
        package["num_tags"] = len(package["tags"])
        if "title_translated" in entry:
            package["title_translated"] = entry["title_translated"]
        return package

    def action(self, name: str, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        help_url = f"{self.base}/api/3/action/help_show?name={name}"
        handler = getattr(self, f"_{name}", None)
        if handler is None:
            return 400, {"help": help_url, "success": False, "error": {
                "__type": "Bad request - Action name not known", "message": name}}
        try:
            return 200, {"help": help_url, "success": True, "result": handler(params)}
        except LookupError as exc:
            return 404, {"help": help_url, "success": False,
                         "error": {"__type": "Not Found Error", "message": str(exc.args[0])}}
        except ValueError as exc:
            return 409, {"help": help_url, "success": False,
                         "error": {"__type": "Search Query Error", "message": str(exc)}}

    def _package_search(self, params: dict[str, str]) -> dict[str, Any]:
        rows = _integer(params.get("rows", "10"), "rows", 0, MAX_ROWS)
        start = _integer(params.get("start", "0"), "start", 0, None)
        found = [p for p in self.packages if _matches(p, params.get("q", ""))
                 and all(_filter(p, clause) for clause in _clauses(params.get("fq", "")))]
        sort = params.get("sort") or "metadata_modified desc"
        for clause in reversed([c.strip() for c in sort.split(",") if c.strip()]):
            field, _, order = clause.partition(" ")
            if field == "score":
                continue
            if field not in ("metadata_modified", "metadata_created", "id", "name", "title"):
                raise ValueError(f"不能按 {field} 排序 / cannot sort on {field}")
            found.sort(key=lambda p, f=field: p[f], reverse=order.strip() == "desc")
        return {"count": len(found), "sort": sort, "results": found[start:start + rows],
                "facets": {}, "search_facets": {}}

    def _package_show(self, params: dict[str, str]) -> dict[str, Any]:
        wanted = params.get("id", "")
        for package in self.packages:
            if wanted in (package["id"], package["name"]):
                return package
        raise LookupError(f"未找到数据集 / dataset not found: {wanted}")

    def _package_list(self, _params: dict[str, str]) -> list[str]:
        return sorted(p["name"] for p in self.packages)

    def _organization_list(self, params: dict[str, str]) -> list[Any]:
        if params.get("all_fields", "").lower() == "true":
            return [{**o, "package_count": self._count(o)} for o in self.organizations.values()]
        return sorted(self.organizations)

    def _organization_show(self, params: dict[str, str]) -> dict[str, Any]:
        wanted = params.get("id", "")
        for org in self.organizations.values():
            if wanted in (org["id"], org["name"]):
                return {**org, "package_count": self._count(org)}
        raise LookupError(f"未找到组织 / organization not found: {wanted}")

    def _status_show(self, _params: dict[str, str]) -> dict[str, Any]:
        return {"ckan_version": "2.10.4", "site_title": self.title, "site_url": self.base,
                "site_description": "", "locale_default": "zh_Hans_CN",
                "extensions": ["scheming_datasets", "fluent", "dcat"]}

    def _count(self, org: dict[str, Any]) -> int:
        return sum(1 for p in self.packages if p["owner_org"] == org["id"])

    def landing_page(self, name: str) -> str | None:
        package = next((p for p in self.packages if p["name"] == name), None)
        if package is None:
            return None
        extras = "".join(f"<tr><th>{html.escape(e['key'])}</th><td>{html.escape(e['value'])}</td>"
                         "</tr>" for e in package["extras"])
        return (f"<!doctype html><html lang='zh-CN'><meta charset='utf-8'>"
                f"<title>{html.escape(package['title'])}</title>"
                f"<h1>{html.escape(package['title'])}</h1><p>{html.escape(package['notes'])}</p>"
                f"<p>{html.escape(package['organization']['title'])}</p><table>{extras}</table>")


def _integer(value: str, name: str, low: int, high: int | None) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{name} 应为整数 / {name} must be an integer") from None
    if number < low or (high is not None and number > high):
        raise ValueError(f"{name} 超出范围 / {name} out of range")
    return number


def _matches(package: dict[str, Any], q: str) -> bool:
    text = q.strip()
    if text in ("", "*:*", "*"):
        return True
    haystack = " ".join([package["title"], package["notes"], package["name"],
                         *(t["name"] for t in package["tags"])])
    return all(word in haystack for word in text.split())


def _clauses(fq: str) -> list[str]:
    """``organization:x +metadata_modified:[a TO b]`` -> its clauses (ranges stay whole)."""
    return [c.lstrip("+") for c in re.findall(r"\S+:\[[^\]]*\]|\S+", fq)]


def _filter(package: dict[str, Any], clause: str) -> bool:
    ranged = _RANGE.match(clause)
    if ranged:
        low, high = (v.rstrip("Z") for v in ranged.groups())
        modified = package["metadata_modified"]
        return (low == "*" or modified >= low) and (high == "*" or modified <= high)
    field, sep, value = clause.partition(":")
    value = value.strip('"')
    if sep and field in ("organization", "owner_org"):
        return value in (package["organization"]["name"], package["owner_org"])
    if sep and field in ("tags", "res_format"):
        values = [t["name"] for t in package["tags"]] if field == "tags" \
            else [r["format"] for r in package["resources"]]
        return value in values
    if sep and field in ("name", "id"):
        return package[field] == value
    raise ValueError(f"不支持的过滤条件 / unsupported filter: {clause}")


# -- 省市场监管局: a paged DCAT catalog -------------------------------------------------------


class DcatCatalog:
    """The catalog as Turtle pages of ``page_size`` datasets, linked by Hydra."""

    def __init__(self, definition: dict[str, Any], base: str):
        catalog = definition["catalog"]
        self.page_url = f"{base}{DCAT_PAGE}"
        records = [(URIRef(catalog["dataset_base"] + d["slug"]),
                    {k: v for k, v in d.items() if k != "slug"}) for d in definition["datasets"]]
        size = int(catalog["page_size"])
        chunks = [records[i:i + size] for i in range(0, len(records), size)] or [[]]
        publisher = {"name": records[0][1]["publisher_name"], "code": records[0][1]["publisher_code"]} \
            if records else None
        self.pages: list[bytes] = []
        for number, chunk in enumerate(chunks, start=1):
            graph = catalog_graph(chunk, URIRef(catalog["iri"]), catalog["title"],
                                  catalog["title_en"], publisher,
                                  description_zh=catalog["description"])
            self._page_links(graph, URIRef(catalog["iri"]), number, len(chunks), len(records))
            self.pages.append(serialize(graph, "ttl")[0])

    def url(self, number: int) -> str:
        return f"{self.page_url}?page={number}"

    def _page_links(self, graph: Any, catalog: URIRef, number: int, last: int, total: int) -> None:
        view = URIRef(self.url(number))
        graph.add((catalog, HYDRA.totalItems, Literal(total, datatype=XSD.integer)))
        graph.add((catalog, HYDRA.view, view))
        graph.add((view, RDF.type, HYDRA.PartialCollectionView))
        graph.add((view, HYDRA.first, URIRef(self.url(1))))
        graph.add((view, HYDRA.last, URIRef(self.url(last))))
        if number > 1:
            graph.add((view, HYDRA.previous, URIRef(self.url(number - 1))))
        if number < last:
            graph.add((view, HYDRA.next, URIRef(self.url(number + 1))))

    def page(self, params: dict[str, str]) -> bytes | None:
        value = params.get("page", "1")
        if not value.isdigit() or not 1 <= int(value) <= len(self.pages):
            return None
        return self.pages[int(value) - 1]


# -- 省司法厅: a catalog spreadsheet ---------------------------------------------------------


def write_spreadsheet(directory: Path) -> Path:
    """Write 省司法厅's catalog spreadsheet into ``directory`` (atomically: a harvest reading it
    meanwhile sees the old file or the new one); returns its path."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    definition = definitions()["spreadsheet"]
    headers: list[str] = definition["headers"]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = definition["sheet_name"]
    sheet.append([definition["sheet_title"]])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append(headers)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for number, row in enumerate(definition["rows"], start=1):
        sheet.append([number if h == "序号" else row.get(h, "") for h in headers])
    sheet.freeze_panes = "C3"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / definition["filename"]
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    workbook.save(partial)
    os.replace(partial, path)
    return path


# -- the server ---------------------------------------------------------------------------------


class SimulatedSources:
    """The CKAN portal and the DCAT catalog on one threaded server on ``host`` (127.0.0.1)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.server = ThreadingHTTPServer((host, port), _handler(self))
        self.server.daemon_threads = True
        definition = definitions()
        self.ckan = CkanPortal(definition["ckan"], self.url(CKAN_PATH))
        self.dcat = DcatCatalog(definition["dcat"], self.url())
        self._thread = threading.Thread(target=self.server.serve_forever,
                                        name="mulu-demo-sources", daemon=True)

    def start(self) -> SimulatedSources:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self.server.shutdown()
            self._thread.join(5)
        self.server.server_close()

    def __enter__(self) -> SimulatedSources:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def url(self, path: str = "") -> str:
        return f"http://{self.server.server_address[0]}:{self.port}{path}"

    @property
    def ckan_url(self) -> str:
        return self.url(CKAN_PATH)

    @property
    def dcat_url(self) -> str:
        return self.url(DCAT_PAGE)

    def answer(self, path: str, params: dict[str, str]) -> tuple[int, str, bytes]:
        """(status, content type, body) for a GET."""
        if path in ("", "/"):
            return _json(200, {"ckan": self.ckan_url, "dcat": self.dcat_url,
                               "sources": [d["name"] for k, d in definitions().items()
                                           if not k.startswith("_")]})
        if path.startswith(CKAN_PATH + "/"):
            rest = path[len(CKAN_PATH):]
            action = _ACTION.match(rest)
            if action:
                return _json(*self.ckan.action(action.group(1), params))
            parts = rest.strip("/").split("/")
            if len(parts) >= 2 and parts[0] == "dataset":
                page = self.ckan.landing_page(parts[1])
                if page is not None:
                    return 200, "text/html; charset=utf-8", page.encode()
        if path == DCAT_PAGE:
            body = self.dcat.page(params)
            if body is not None:
                return 200, "text/turtle; charset=utf-8", body
        return 404, "text/plain; charset=utf-8", "未找到 / not found\n".encode()


def _json(status: int, data: Any) -> tuple[int, str, bytes]:
    return status, "application/json; charset=utf-8", json.dumps(data, ensure_ascii=False).encode()


def _handler(sources: SimulatedSources) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "MuluDemoSources/1.0"

        def log_message(self, *_: Any) -> None:
            return None

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            parts = urlsplit(self.path)
            params = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
            try:
                status, content_type, body = sources.answer(unquote(parts.path), params)
            except Exception:  # noqa: BLE001 (a simulated portal answers 500, like a real one)
                log.exception("simulated source failed on %s", self.path)
                status, content_type, body = 500, "text/plain; charset=utf-8", b"server error\n"
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler
