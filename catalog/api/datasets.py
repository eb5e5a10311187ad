"""/api/datasets: register, read, change, submit, review and withdraw datasets."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from catalog import policy
from catalog.api.auth import current_actor, require, services
from catalog.api.contract import may_answer
from catalog.api.schemas import (
    DatasetOutSchema,
    DatasetPageSchema,
    DatasetQuerySchema,
    DatasetWriteSchema,
    ReasonSchema,
    ReviewSchema,
    RevisionSchema,
)

blp = Blueprint("datasets", __name__, url_prefix="/api/datasets",
                description="信息资源登记与审核 / dataset registration and review")

WRITE_OPTIONS = ("submit", "department_code", "note")


def _split(payload: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    options = {k: payload.pop(k) for k in WRITE_OPTIONS if k in payload}
    return payload, options


@blp.route("")
class Datasets(MethodView):
    @blp.arguments(DatasetQuerySchema, location="query")
    @blp.response(200, DatasetPageSchema)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """List the datasets you may see (published ones, plus your department's own)."""
        page = services().datasets.list(
            current_actor(), department_code=query.get("department"), state=query.get("state"),
            q=query.get("q"), page=query["page"], page_size=query["page_size"])
        return {"items": [item.as_dict() for item in page.items], "total": page.total,
                "page": page.page, "page_size": page.page_size}

    @require(*policy.roles_of("dataset.register"))
    @blp.arguments(DatasetWriteSchema)
    @blp.response(201, DatasetOutSchema)
    def post(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Register a dataset of your department (draft, or submitted with ``submit: true``)."""
        record, options = _split(payload)
        return services().datasets.register(
            current_actor(), record, department_code=options.get("department_code"),
            submit=bool(options.get("submit")), note=options.get("note", "")).as_dict()


@blp.route("/<dataset_id>")
class DatasetItem(MethodView):
    @blp.response(200, DatasetOutSchema)
    def get(self, dataset_id: str) -> dict[str, Any]:
        """One dataset, as you may see it."""
        return services().datasets.get(current_actor(), dataset_id).as_dict()

    @require(*policy.roles_of("dataset.edit"))
    @may_answer(409)
    @blp.arguments(DatasetWriteSchema)
    @blp.response(200, DatasetOutSchema)
    def put(self, payload: dict[str, Any], dataset_id: str) -> dict[str, Any]:
        """Replace the record with a new revision (a draft again until submitted)."""
        record, options = _split(payload)
        return services().datasets.update(current_actor(), dataset_id, record,
                                          submit=bool(options.get("submit")),
                                          note=options.get("note", "")).as_dict()

    @require(*policy.roles_of("dataset.edit"))
    @may_answer(409)
    @blp.arguments(ReasonSchema, location="query")
    @blp.response(200, DatasetOutSchema)
    def delete(self, args: dict[str, Any], dataset_id: str) -> dict[str, Any]:
        """Withdraw the dataset (kept with its revisions, no longer listed)."""
        return services().datasets.withdraw(current_actor(), dataset_id, args["reason"]).as_dict()


@blp.route("/<dataset_id>/submit", methods=["POST"])
@require(*policy.roles_of("dataset.edit"))
@may_answer(409)
@blp.response(200, DatasetOutSchema)
def submit(dataset_id: str) -> dict[str, Any]:
    """Submit the working copy for review."""
    return services().datasets.submit(current_actor(), dataset_id).as_dict()


@blp.route("/<dataset_id>/review", methods=["POST"])
@require(*policy.roles_of("dataset.review"))
@may_answer(409)
@blp.arguments(ReviewSchema)
@blp.response(200, DatasetOutSchema)
def review(args: dict[str, Any], dataset_id: str) -> dict[str, Any]:
    """Publish a submitted dataset, or return it to its department with a reason."""
    return services().datasets.review(current_actor(), dataset_id, args["action"],
                                      args["reason"]).as_dict()


@blp.route("/<dataset_id>/revisions", methods=["GET"])
@blp.response(200, RevisionSchema(many=True))
def revisions(dataset_id: str) -> list[Any]:
    """Every revision you may see: who, when, which fields changed."""
    return services().datasets.revisions(current_actor(), dataset_id)
