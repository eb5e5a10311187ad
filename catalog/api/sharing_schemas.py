"""API schemas of sharing requests, grants and the inbox (inputs live in catalog.sharing.inputs)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from catalog.api.paging import PagedQuerySchema, PageSchema, StrictSchema
from catalog.schemas import Text
from catalog.sharing.grants import GRANT_STATUSES
from catalog.sharing.machine import ACTIONS, STATES
from catalog.sharing.queries import FILTERS, SORTS


class RequestQuerySchema(PagedQuerySchema):
    filter = fields.String(validate=validate.OneOf(FILTERS),
                           metadata={"description": "mine | to_review | escalated"})
    state = fields.String(validate=validate.OneOf(STATES))
    dataset = Text(validate=validate.Length(max=36))
    sort = fields.String(load_default="newest", validate=validate.OneOf(SORTS),
                         metadata={"description": "newest first, or the nearest deadline first"})


class GrantQuerySchema(StrictSchema):
    dataset = Text(validate=validate.Length(max=36))
    department = Text(validate=validate.Length(max=18),
                      metadata={"description": "统一社会信用代码 of the receiving department"})
    provider = Text(validate=validate.Length(max=18),
                    metadata={"description": "统一社会信用代码 of the providing department"})
    status = fields.String(validate=validate.OneOf(GRANT_STATUSES))
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))


class InboxQuerySchema(StrictSchema):
    unread = fields.Boolean(load_default=False)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))


class DepartmentRefSchema(Schema):
    code = fields.String()
    name = fields.String()


class DatasetRefSchema(Schema):
    id = fields.String()
    resource_code = fields.String()
    title = fields.String()
    withheld = fields.Boolean(metadata={"description": "the dataset is above what the caller "
                                        "may see: its title and code are left out"})


class GrantOutSchema(Schema):
    id = fields.String()
    request_id = fields.String()
    status = fields.String(metadata={"enum": list(GRANT_STATUSES)})
    dataset = fields.Nested(DatasetRefSchema)
    provider_department = fields.Nested(DepartmentRefSchema)
    department = fields.Nested(DepartmentRefSchema)
    target_system = fields.String()
    data_items = fields.List(fields.String())
    needed = fields.String()
    period_start = fields.String()
    period_end = fields.String()
    granted_by = fields.String()
    created_at = fields.String()
    revoked_at = fields.String(allow_none=True)
    revoked_by = fields.String(allow_none=True)
    revoke_reason = fields.String()


class RequestOutSchema(Schema):
    id = fields.String()
    kind = fields.String(metadata={"enum": ["request", "dispute"]})
    state = fields.String(metadata={"enum": list(STATES)})
    version = fields.Integer()
    dataset = fields.Nested(DatasetRefSchema)
    dataset_revision = fields.Integer()
    share_type = fields.String()
    provider_department = fields.Nested(DepartmentRefSchema)
    requester_department = fields.Nested(DepartmentRefSchema)
    requester = fields.String(allow_none=True)
    purpose = fields.String()
    legal_duty = fields.String()
    data_items = fields.List(fields.String())
    needed = fields.String()
    target_system = fields.String()
    period_start = fields.String()
    period_end = fields.String()
    contact = fields.String()
    approved_items = fields.List(fields.String(), allow_none=True)
    approved_period_start = fields.String(allow_none=True)
    approved_period_end = fields.String(allow_none=True)
    deadline = fields.String(allow_none=True, metadata={"description": "答复期限 (working days)"})
    working_days_left = fields.Integer(allow_none=True)
    breached = fields.Boolean()
    near_breach = fields.Boolean()
    escalated = fields.Boolean()
    reason = fields.String()
    grant = fields.Nested(GrantOutSchema, allow_none=True)
    allowed_actions = fields.List(fields.String(metadata={"enum": list(ACTIONS)}))
    created_at = fields.String()
    updated_at = fields.String()


class RequestPageSchema(PageSchema):
    items = fields.List(fields.Nested(RequestOutSchema))


class HistoryEntrySchema(Schema):
    at = fields.String()
    actor = fields.String()
    action = fields.String()
    object_type = fields.String()
    object_id = fields.String()
    detail = fields.Dict()


class NotificationSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    subject = fields.String()
    body = fields.String()
    request_id = fields.String(allow_none=True)
    grant_id = fields.String(allow_none=True)
    created_at = fields.String()
    read_at = fields.String(allow_none=True)
    mail_state = fields.String()


class InboxSchema(Schema):
    items = fields.List(fields.Nested(NotificationSchema))
    unread = fields.Integer()
    email = fields.String(allow_none=True)
    total = fields.Integer(metadata={"description": "notifications of the listing (paged)"})


class AddressOutSchema(Schema):
    email = fields.String(allow_none=True)
