"""Regions and the public contacts of their supervision offices (办事机构联系方式)."""
from __future__ import annotations

from flask_smorest import Blueprint

from core.auth import require_login
from miniapp_api.schemas.orgs import OfficeInput, OfficeSchema, RegionQuery, RegionSchema
from services.orgs import regions

blp = Blueprint("regions", __name__, url_prefix="/api/v1", description="行政区划与办事机构")


@blp.get("/regions")
@blp.arguments(RegionQuery, location="query")
@blp.response(200, RegionSchema(many=True))
def list_regions(args):
    """Regions in the supervision hierarchy (public); `parent` lists one level."""
    return regions.list_regions(args.get("parent"))


@blp.get("/regions/<string:code>")
@blp.response(200, RegionSchema)
def get_region(code):
    return regions.get_region(code)


@blp.get("/offices")
@blp.response(200, OfficeSchema(many=True))
def list_offices():
    """Every region office's public contact, readable without login."""
    return regions.list_regions()


@blp.get("/regions/<string:code>/office")
@blp.response(200, OfficeSchema)
def get_office(code):
    return regions.get_region(code)


@blp.patch("/regions/<string:code>/office")
@blp.arguments(OfficeInput)
@blp.response(200, OfficeSchema)
def update_office(changes, code):
    """Maintained by the region's regulator (or one above it)."""
    return regions.update_office(require_login(), code, changes)
