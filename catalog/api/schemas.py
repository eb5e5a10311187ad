"""API request/response schemas: the record fields come from the field table."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from catalog.actors import ROLES
from catalog.api.paging import PagedQuerySchema, PageSchema
from catalog.datasets import REVIEW_ACTIONS, STATES
from catalog.departments import DepartmentInput
from catalog.schemas import Text, record_schema, refuse_control_characters
from vocab.concepts import scheme


def _with_record(name: str, extra: dict[str, fields.Field]) -> type[Schema]:
    """A schema with every record field of the field table plus ``extra``."""
    return type(name, (record_schema(),), extra)


DatasetWriteSchema = _with_record("DatasetWrite", {
    "submit": fields.Boolean(load_default=False,
                             metadata={"description": "提交审核 / submit for review now"}),
    "department_code": Text(load_default=None, allow_none=True,
                            validate=validate.Length(max=18),
                            metadata={"description": "administrators: the owning department"}),
    "note": Text(load_default="", validate=validate.Length(max=500),
                 metadata={"description": "revision note / 修改说明"}),
})


class ProblemSchema(Schema):
    field = fields.String(metadata={"description": "the field (or field.index.sub-field)"})
    kind = fields.String(metadata={"enum": ["missing", "invalid", "unread", "rule",
                                            "possible_duplicate"]})
    zh = fields.String()
    en = fields.String()
    value = fields.String(metadata={"description": "what the source gave, when not kept"})


class DatasetOutSchema(record_schema()):  # type: ignore[misc,valid-type]
    id = fields.String()
    state = fields.String(metadata={"enum": list(STATES)})
    problems = fields.List(fields.Nested(ProblemSchema), metadata={
        "description": "what the record lacks or breaks (待完善 while there are any)"})
    department_code = fields.String()
    department_name = fields.String()
    revision = fields.Integer()
    published_revision = fields.Integer(allow_none=True)
    review_note = fields.String()
    created_at = fields.String()
    updated_at = fields.String()


class DatasetPageSchema(PageSchema):
    items = fields.List(fields.Nested(DatasetOutSchema))


class DatasetQuerySchema(PagedQuerySchema):
    department = Text(validate=validate.Length(max=18))
    state = fields.String(validate=validate.OneOf(STATES))
    q = Text(validate=validate.Length(max=200))


class ReviewSchema(Schema):
    class Meta:
        unknown = RAISE

    action = fields.String(required=True, validate=validate.OneOf(REVIEW_ACTIONS))
    reason = Text(load_default="", validate=validate.Length(max=2000))


class ReasonSchema(Schema):
    class Meta:
        unknown = RAISE

    reason = Text(load_default="", validate=validate.Length(max=2000))


class RevisionSchema(Schema):
    number = fields.Integer()
    author = fields.String()
    created_at = fields.DateTime()
    changed_fields = fields.List(fields.String())
    note = fields.String()


class DepartmentOutSchema(DepartmentInput):
    id = fields.Integer(dump_only=True)


class UserCreateSchema(Schema):
    class Meta:
        unknown = RAISE

    username = Text(required=True, validate=validate.Length(min=1, max=64))
    # length, username and common-password rules: catalog.password_policy (in the service)
    password = fields.String(required=True, load_only=True, validate=refuse_control_characters)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    department_code = Text(load_default=None, allow_none=True, validate=validate.Length(equal=18))
    display_name = Text(load_default="", validate=validate.Length(max=100))
    clearance = fields.String(load_default="internal",
                              validate=validate.OneOf(scheme("security-level").codes))


class UserUpdateSchema(Schema):
    """What an administrator may change of a user; changing the password, role, department,
    clearance or active flag ends the user's signed-in sessions."""

    class Meta:
        unknown = RAISE

    password = fields.String(load_only=True, validate=refuse_control_characters)
    role = fields.String(validate=validate.OneOf(ROLES))
    department_code = Text(allow_none=True, validate=validate.Length(equal=18))
    display_name = Text(validate=validate.Length(max=100))
    clearance = fields.String(validate=validate.OneOf(scheme("security-level").codes))
    active = fields.Boolean()


class UnlockSchema(Schema):
    class Meta:
        unknown = RAISE

    address = Text(load_default=None, allow_none=True, validate=validate.Length(max=64))


class UnlockResultSchema(Schema):
    username = fields.String()
    unlocked = fields.Boolean()
    address = fields.String(allow_none=True)


class UserSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    role = fields.String()
    department_code = fields.String(allow_none=True)
    clearance = fields.String()
    active = fields.Boolean()


class TokenCreateSchema(Schema):
    class Meta:
        unknown = RAISE

    name = Text(load_default="", validate=validate.Length(max=100))


class TokenSchema(Schema):
    token = fields.String()
    username = fields.String()
