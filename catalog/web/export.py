"""GET /dataset/<id>.ttl|.rdf|.jsonld|.nt: one dataset as DCAT-AP + Mulu RDF."""

from __future__ import annotations

from flask import Blueprint, Response

from catalog.api.auth import current_actor, services
from vocab.namespaces import MULU_DATASET
from vocab.profiles import graph_from_dataset, serialize

bp = Blueprint("export", __name__)

FORMATS = ("ttl", "rdf", "jsonld", "nt")


@bp.get("/dataset/<dataset_id>.<fmt>")
def dataset_rdf(dataset_id: str, fmt: str) -> Response:
    if fmt not in FORMATS:
        from werkzeug.exceptions import NotFound

        raise NotFound()
    view = services().datasets.get(current_actor(), dataset_id)
    graph = graph_from_dataset({**view.record, "resource_code": view.resource_code},
                               MULU_DATASET[view.id])
    body, mimetype = serialize(graph, fmt)
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'inline; filename="{view.resource_code.replace("/", "-")}.{fmt}"'
    return response
