"""Shapes every paged API list shares: strict query schemas, page/page_size, the page envelope."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate


class StrictSchema(Schema):
    """A query or body schema that refuses unknown fields (a 4xx naming them)."""

    class Meta:
        unknown = RAISE


class PagedQuerySchema(StrictSchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=200))


class PageSchema(Schema):
    """The envelope of one page; subclasses add ``items``."""

    total = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()
