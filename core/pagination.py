"""Page-number pagination for every list: `?page=1&page_size=20`."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from marshmallow import Schema, fields, validate
from sqlalchemy import Select, func, select

from core.extensions import db
from core.schemas import StorableValues


class PageQuery(StorableValues, Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    page_size = fields.Integer(load_default=None, validate=validate.Range(min=1, max=1000))


@dataclass
class Page:
    items: list[Any]
    page: int
    page_size: int
    total: int


def paginate(stmt: Select, page: int = 1, page_size: int | None = None, *, scalars: bool = True) -> Page:
    """Run `stmt` for one page and count the whole result."""
    limit = min(page_size or current_app.config["PAGE_SIZE_DEFAULT"], current_app.config["PAGE_SIZE_MAX"])
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    paged = stmt.limit(limit).offset((page - 1) * limit)
    items = list(db.session.scalars(paged) if scalars else db.session.execute(paged))
    return Page(items=items, page=page, page_size=limit, total=total)


def page_schema(item_schema: type[Schema]) -> type[Schema]:
    """An output schema for a page of `item_schema`."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema)),
            "page": fields.Integer(),
            "page_size": fields.Integer(),
            "total": fields.Integer(),
        },
        name=f"{item_schema.__name__.removesuffix('Schema')}PageSchema",
    )
