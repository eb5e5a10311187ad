"""Integer ids in paths are bounded by what the store's ``Integer`` columns hold.

One converter replaces Flask's ``int`` for every route: an id past the bound (2^63−1 on
SQLite, 2^31−1 on PostgreSQL) or of more digits than any bound matches no route — a 404,
never an overflow in the driver. The OpenAPI spec shows the bound as ``maximum``.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter, Map

from catalog.db import INTEGER_ID_LIMITS


class StoreIdConverter(IntegerConverter):
    """``<int:…>`` with ``max`` set to the store's limit (a subclass per app sets it)."""

    limit = INTEGER_ID_LIMITS["postgresql"]
    regex = r"\d{1,19}"

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs["max"] = min(kwargs.get("max") or self.limit, self.limit)
        super().__init__(map, *args, **kwargs)


def install(app: Flask, store_backend: str) -> None:
    """Before any route is added: ``int`` path parameters bounded for ``store_backend``."""
    limit = INTEGER_ID_LIMITS.get(store_backend, INTEGER_ID_LIMITS["postgresql"])
    app.url_map.converters["int"] = type("StoreIdConverter", (StoreIdConverter,),
                                         {"limit": limit})
