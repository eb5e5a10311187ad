"""The search page: parse the query string, ask search.service (as /api/search does), render.

Facet values are links that add or remove themselves from the query string (rendered as check
boxes); paging follows the result's cursor; suggestions as you type come from
/api/search/suggest through a few lines of script in the template (the page works without it).
"""

from __future__ import annotations

from typing import Any

from flask import render_template, request, url_for
from werkzeug.datastructures import MultiDict

from catalog.actors import Actor
from catalog.api.auth import services
from catalog.api.search import search_service
from catalog.errors import Message
from catalog.web.browse_pages import department_label
from catalog.web.i18n import concept_label
from search.base import MAX_QUERY_LENGTH, SORTS, InvalidQuery, Result, SearchUnavailable
from search.documents import FACETS

PAGE_SIZE = 20
KEPT = ("q", "sort", *FACETS)  # what a link carries over (never the cursor)


def _args() -> MultiDict[str, str]:
    kept: MultiDict[str, str] = MultiDict()
    for name in KEPT:
        for value in request.args.getlist(name):
            if value.strip():
                kept.add(name, value.strip())
    return kept


def _url(args: MultiDict[str, str], **changes: Any) -> str:
    params: dict[str, list[str]] = {k: args.getlist(k) for k in args}
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = [value]
    return url_for("pages.search_page", **params)


def toggle_url(args: MultiDict[str, str], name: str, value: str) -> str:
    """The page with ``value`` of facet ``name`` selected if it was not, unselected if it was."""
    values = args.getlist(name)
    chosen = [v for v in values if v != value] if value in values else [*values, value]
    params = {k: args.getlist(k) for k in args if k != name}
    if chosen:
        params[name] = chosen
    return url_for("pages.search_page", **params)


def _label(name: str, value: str, label: str) -> str:
    """A facet value's label in the page's language: a concept's from its SKOS scheme, a
    department's English name (``name_en``) in English."""
    spec = FACETS[name]
    if spec.scheme is not None:
        return concept_label(spec.scheme, value)
    if name == "department":
        return department_label(value, label)
    return label


def _facets(result: Result | None, args: MultiDict[str, str]) -> list[dict[str, Any]]:
    """Each facet with its values, the selected ones first even when their count is 0."""
    out = []
    for name, spec in FACETS.items():
        values = list(result.facets.get(name, [])) if result else []
        chosen = args.getlist(name)
        listed = {v.value for v in values}
        items = [{"value": v, "label": _label(name, v, spec.label(v)), "count": 0, "on": True,
                  "url": toggle_url(args, name, v)} for v in chosen if v not in listed]
        items += [{"value": v.value, "label": _label(name, v.value, v.label), "count": v.count,
                   "on": v.value in chosen, "url": toggle_url(args, name, v.value)}
                  for v in values]
        if items:
            out.append({"name": name, "label_zh": spec.label_zh, "label_en": spec.label_en,
                        "values": items})
    return out


def render_search(actor: Actor) -> tuple[str, int]:
    args = _args()
    text = args.get("q", "")
    sort = args.get("sort", "relevance")
    cursor = request.args.get("cursor") or None
    service = search_service()
    result: Result | None = None
    error: Message | None = None
    status = 200
    try:
        query = service.query(actor, text=text[:MAX_QUERY_LENGTH + 1],
                              filters={n: args.getlist(n) for n in FACETS if n in args},
                              sort=sort, page_size=PAGE_SIZE, cursor=cursor)
        result = service.search(query)
    except InvalidQuery as exc:
        error, status = exc.message, 400
    except SearchUnavailable:
        error, status = Message("检索服务暂时不可用，请稍后再试。",
                                "Search is unavailable for now; try again later."), 503
    next_url = _url(args, cursor=result.next_cursor) if result and result.next_cursor else None
    chosen = [(name, value, _label(name, value, FACETS[name].label(value)),
               toggle_url(args, name, value))
              for name in FACETS for value in args.getlist(name)]
    # the hits' share / open types, from the datasets as the actor sees them (one read)
    views = services().datasets.views(actor, [h.id for h in result.hits]) if result else {}
    return render_template(
        "search.html", q=text, sort=sort, sorts=SORTS, result=result, error=error, views=views,
        facets=_facets(result, args), chosen=chosen, next_url=next_url,
        first_url=_url(args) if cursor else None, args=args), status
