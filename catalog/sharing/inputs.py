"""What callers send: a request (or dispute), a decision, a revocation, an e-mail address.

The API documents these schemas and the services load them again, so every caller (API, CLI,
a script over the services) gets the same per-field messages in Chinese and English.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from catalog.errors import InvalidInput, Message
from catalog.messages import invalid_from_marshmallow
from catalog.schemas import IsoDate, Text
from catalog.sharing.machine import ACTIONS

MAX_ITEMS = 200
MAX_PERIOD_DAYS = 5 * 366  # a grant longer than five years needs a new request


def _items(least: int = 1, **options: Any) -> fields.List:
    return fields.List(Text(validate=validate.Length(min=1, max=100)),
                       validate=validate.Length(min=least, max=MAX_ITEMS), **options)


class RequestInput(Schema):
    class Meta:
        unknown = RAISE

    dataset_id = Text(required=True, validate=validate.Length(min=1, max=36),
                      metadata={"description": "信息资源 id / the dataset wanted"})
    kind = fields.String(load_default="request", validate=validate.OneOf(("request", "dispute")),
                         metadata={"description": "request (共享申请) or dispute (对不予共享提出异议)"})
    purpose = Text(required=True, validate=validate.Length(min=1, max=2000),
                   metadata={"description": "用途 / purpose"})
    legal_duty = Text(required=True, validate=validate.Length(min=1, max=2000),
                      metadata={"description": "所履行的法定职责及依据 / the legal duty it serves"})
    data_items = _items(least=0, required=True, metadata={
        "description": "所需信息项（须为该资源的信息项）；该资源未登记信息项时为空列表，即申请整个资源，"
                       "或在 needed 中说明所需内容 / the data items wanted; [] for a dataset "
                       "without data items: the whole resource, or what ``needed`` describes"})
    needed = Text(load_default="", validate=validate.Length(max=2000), metadata={
        "description": "所需内容说明（仅用于未登记信息项的资源）/ what is needed, in words "
                       "(for a dataset without data items only)"})
    target_system = Text(required=True, validate=validate.Length(min=1, max=200),
                         metadata={"description": "接收数据的目标系统 / receiving system"})
    period_start = IsoDate(load_default=None, allow_none=True,
                           metadata={"description": "使用期限起 (default: today)"})
    period_end = IsoDate(required=True, metadata={"description": "使用期限止 / end of the period"})
    contact = Text(required=True, validate=validate.Length(min=1, max=200),
                   metadata={"description": "联系人及电话或邮箱 / contact"})
    reason = Text(load_default="", validate=validate.Length(max=2000),
                  metadata={"description": "异议理由 (disputes) / grounds of a dispute"})


class DecisionInput(Schema):
    class Meta:
        unknown = RAISE

    action = fields.String(required=True, validate=validate.OneOf(ACTIONS))
    reason = Text(load_default="", validate=validate.Length(max=2000))
    data_items = _items(load_default=None, allow_none=True,
                        metadata={"description": "narrow: the items approved (a subset)"})
    period_start = IsoDate(load_default=None, allow_none=True,
                           metadata={"description": "narrow: approved period start"})
    period_end = IsoDate(load_default=None, allow_none=True,
                         metadata={"description": "narrow: approved period end"})
    version = fields.Integer(load_default=None, allow_none=True, strict=True,
                             validate=validate.Range(min=1, max=2**31 - 1),
                             metadata={"description": "the version you decided on; 409 if "
                                                      "the request changed meanwhile"})


class RevokeInput(Schema):
    class Meta:
        unknown = RAISE

    reason = Text(required=True, validate=validate.Length(min=1, max=2000))


class AddressInput(Schema):
    class Meta:
        unknown = RAISE

    email = fields.Email(required=True, allow_none=True, validate=validate.Length(max=254),
                         metadata={"description": "where notifications are e-mailed; null: none"})


def load(schema: type[Schema], data: Any) -> dict[str, Any]:
    """Load or raise InvalidInput with every problem, in Chinese and English."""
    if not isinstance(data, dict):
        raise InvalidInput({"_schema": [Message("请求体应为 JSON 对象。", "The body must be an object.")]})
    try:
        values = schema().load(data)
    except ValidationError as exc:
        raise invalid_from_marshmallow(exc.messages) from None
    for name in ("period_start", "period_end"):
        if isinstance(values.get(name), str):
            values[name] = date.fromisoformat(values[name])
    return values
