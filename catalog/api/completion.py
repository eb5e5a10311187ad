"""/api/completion and /api/organizations: 待完善 counts per department, the publishers."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate

from catalog import policy
from catalog.api.auth import current_actor, require, services

blp = Blueprint("completion", __name__, url_prefix="/api",
                description="待完善与提供方 / records to complete, publishers")


class CompletionSchema(Schema):
    department_code = fields.String()
    department_name = fields.String()
    datasets = fields.Integer()
    incomplete = fields.Integer(metadata={"description": "待完善 datasets"})
    by_problem = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={
        "description": "'<kind> <field>' -> 待完善 datasets with that problem"})


class OrganizationSchema(Schema):
    id = fields.Integer()
    key = fields.String()
    name = fields.String()
    code = fields.String()
    department_code = fields.String(allow_none=True)
    datasets = fields.Integer()


class LinkSchema(Schema):
    class Meta:
        unknown = RAISE

    department_code = fields.String(required=True, validate=validate.Length(min=1, max=18))


@blp.route("/completion")
class Completion(MethodView):
    @blp.response(200, CompletionSchema(many=True))
    def get(self) -> list[dict[str, Any]]:
        """Per department: datasets you may see, how many are 待完善, grouped by problem.
        The to-do list itself is ``GET /api/datasets?state=incomplete&department=CODE``."""
        return [asdict(c) for c in services().completion.counts(current_actor())]


@blp.route("/organizations")
class Organizations(MethodView):
    @require(*policy.roles_of("publisher.list"))
    @blp.response(200, OrganizationSchema(many=True))
    def get(self) -> list[dict[str, Any]]:
        """Every publisher named by a source or a registration (governance, administrators)."""
        return [asdict(o) for o in services().completion.organizations(current_actor())]


@blp.route("/organizations/<int:organization_id>/link")
class Link(MethodView):
    @require(*policy.roles_of("publisher.link"))
    @blp.arguments(LinkSchema)
    @blp.response(200, OrganizationSchema)
    def post(self, payload: dict[str, Any], organization_id: int) -> dict[str, Any]:
        """Link a publisher to a registered department; its datasets become that
        department's."""
        return asdict(services().completion.link(current_actor(), organization_id,
                                                  payload["department_code"]))
