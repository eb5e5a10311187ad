"""/api/search: Chinese full-text and faceted search, and suggestions as you type.

Thin: parse the parameters, call search.service, render. What a caller may see is decided by
the search layer (search.documents.actor_filter, the same rule as catalog.visibility). The
index follows the store through the outbox, drained by the background indexer that ``mulu
serve`` and ``mulu demo`` start; with ``app.config["MULU_SEARCH_SYNC"]`` (tests) each request
drains it first.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate

from catalog.api.auth import current_actor
from catalog.errors import InvalidInput, Message, RetryLater
from catalog.schemas import Text
from search.base import (
    MAX_PAGE_SIZE,
    MAX_PREFIX_LENGTH,
    MAX_QUERY_LENGTH,
    SORTS,
    InvalidQuery,
    SearchUnavailable,
)
from search.documents import FACETS
from search.service import SearchService

blp = Blueprint("search", __name__, url_prefix="/api/search",
                description="检索 / search the catalog (what you may see only)")

EXTENSION = "mulu_search"
_lock = threading.Lock()


class BadSearch(InvalidInput):
    """A malformed search: 400 with the parameter and a message in zh and en."""

    status = 400


class SearchDown(RetryLater):
    """The search backend does not answer (the store has everything; the index catches up)."""

    status = 503
    RETRY_SECONDS = 30


def search_service(app: Flask | None = None) -> SearchService:
    """The app's search service (backend chosen once from the settings, opened on first use)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    service = app.extensions.get(EXTENSION)
    if service is None:
        with _lock:
            service = app.extensions.get(EXTENSION)
            if service is None:
                store = app.extensions["mulu"].store
                service = SearchService.open(store, sync=bool(app.config.get("MULU_SEARCH_SYNC")))
                app.extensions[EXTENSION] = service
    return service


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except InvalidQuery as exc:
        raise BadSearch({exc.field: [exc.message]}, Message("检索参数有误。",
                                                            "The search is malformed.")) from None
    except SearchUnavailable:
        current_app.logger.warning("search backend unavailable", exc_info=True)
        raise SearchDown(Message("检索服务暂时不可用，请稍后再试。",
                                 "Search is unavailable for now; try again later."),
                         SearchDown.RETRY_SECONDS) from None


def _facet_field(name: str) -> fields.Field:
    spec = FACETS[name]
    metadata: dict[str, Any] = {"description": f"{spec.label_zh} / {spec.label_en} (repeatable)"}
    if spec.scheme:
        from vocab.concepts import scheme

        metadata["items"] = {"enum": scheme(spec.scheme).codes}
    return fields.List(Text(validate=validate.Length(min=1, max=100)), load_default=list,
                       validate=validate.Length(max=20), metadata=metadata)


class _Strict(Schema):
    class Meta:
        unknown = RAISE


SearchArgs = _Strict.from_dict({
    "q": Text(load_default="", validate=validate.Length(max=MAX_QUERY_LENGTH),
              metadata={"description": "检索词 / free text (Chinese or English)"}),
    "page_size": fields.Integer(load_default=20, validate=validate.Range(1, MAX_PAGE_SIZE)),
    "cursor": fields.String(load_default=None, validate=validate.Length(max=4000),
                            metadata={"description": "next_cursor of the previous page"}),
    "sort": fields.String(load_default="relevance", validate=validate.OneOf(SORTS)),
    "highlight": fields.Boolean(load_default=True),
    **{name: _facet_field(name) for name in FACETS},
}, name="SearchArgs")


class FacetValueSchema(Schema):
    value = fields.String()
    label = fields.String()
    count = fields.Integer()


class HitSchema(Schema):
    id = fields.String(metadata={"description": "Mulu dataset id"})
    source_identifier = fields.String(metadata={"description": "identifier at the source"})
    resource_code = fields.String()
    title = fields.String()
    department = fields.String()
    department_code = fields.String()
    state = fields.String()
    modified = fields.String()
    security_level = fields.String()
    highlights = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                             metadata={"description": "HTML-escaped fragments, matches in <em>"})


class SearchResultSchema(Schema):
    total = fields.Integer()
    hits = fields.List(fields.Nested(HitSchema))
    facets = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(FacetValueSchema)))
    next_cursor = fields.String(allow_none=True)


class SuggestArgs(_Strict):
    prefix = fields.String(required=True, validate=validate.Length(min=1, max=MAX_PREFIX_LENGTH))
    limit = fields.Integer(load_default=10, validate=validate.Range(1, 20))


class SuggestionSchema(Schema):
    text = fields.String()
    kind = fields.String(metadata={"enum": ["title", "department"]})
    value = fields.String(metadata={"description": "dataset id or department code"})


class SuggestionsSchema(Schema):
    suggestions = fields.List(fields.Nested(SuggestionSchema))


@blp.route("", methods=["GET"])
@blp.arguments(SearchArgs, location="query", unknown=RAISE, error_status_code=400)
@blp.response(200, SearchResultSchema)
def search(args: dict[str, Any]) -> dict[str, Any]:
    """Search what you may see: free text, facet filters, sort, cursor paging, highlights."""
    service = search_service()
    with _translated():
        query = service.query(current_actor(), text=args["q"],
                              filters={name: args[name] for name in FACETS if args.get(name)},
                              sort=args["sort"], page_size=args["page_size"],
                              cursor=args["cursor"], highlight=args["highlight"])
        return service.search(query).as_dict()


@blp.route("/suggest", methods=["GET"])
@blp.arguments(SuggestArgs, location="query", unknown=RAISE, error_status_code=400)
@blp.response(200, SuggestionsSchema)
def suggest(args: dict[str, Any]) -> dict[str, Any]:
    """Titles and departments starting with what you typed (among what you may see)."""
    with _translated():
        found = search_service().suggest(current_actor(), args["prefix"], args["limit"])
    return {"suggestions": [s.as_dict() for s in found]}
