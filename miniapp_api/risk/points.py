"""Monitoring points, their reporters, and units' control levels (一级/二级管控)."""
from __future__ import annotations

from flask_smorest import Blueprint

from core.auth import require_login
from core.pagination import paginate
from core.scoping import get_in_scope
from miniapp_api.schemas.risk.points import (ControlLevelInput, ControlLevelSchema, MyDesignationSchema,
                                             PointInput, PointPageSchema, PointQuery, PointSchema,
                                             PointUpdateInput, ReporterInput, ReporterQuery, ReporterSchema,
                                             RevokeInput)
from models.orgs import Unit
from services.risk import points

blp = Blueprint("risk_points", __name__, url_prefix="/api/v1", description="风险监测点与信息报送员")


@blp.put("/units/<int:unit_id>/control-level")
@blp.arguments(ControlLevelInput)
@blp.response(200, ControlLevelSchema)
def set_control_level(data, unit_id):
    """Set (or clear with null) a use unit's 一级/二级 control level: regulators in scope only."""
    identity = require_login()
    unit = get_in_scope(Unit, unit_id, identity, "未找到该单位。")
    return points.set_control_level(identity, unit, data["control_level"])


@blp.post("/risk/points")
@blp.arguments(PointInput)
@blp.response(201, PointSchema)
def designate(data):
    """确认标识 a unit as a monitoring point of one of the four types, naming its manager."""
    identity = require_login()
    unit = get_in_scope(Unit, data["unit_id"], identity, "未找到该单位。")
    return points.designate_point(identity, unit, data["point_type"], data["manager_person_id"])


@blp.get("/risk/points")
@blp.arguments(PointQuery, location="query")
@blp.response(200, PointPageSchema)
def list_points(args):
    """Points in the caller's region (regulators) or the caller's unit's own point."""
    identity = require_login()
    page, size = args.pop("page"), args.pop("page_size")
    return paginate(points.list_points_stmt(identity, **args), page, size)


@blp.get("/risk/points/<int:point_id>")
@blp.response(200, PointSchema)
def get_point(point_id):
    return points.get_point(require_login(), point_id)


@blp.patch("/risk/points/<int:point_id>")
@blp.arguments(PointUpdateInput)
@blp.response(200, PointSchema)
def update_point(data, point_id):
    """Name another manager (a regulator in scope, or the unit's admin)."""
    identity = require_login()
    point = points.get_point(identity, point_id)
    return points.change_manager(identity, point, data["manager_person_id"])


@blp.post("/risk/points/<int:point_id>/revoke")
@blp.arguments(RevokeInput)
@blp.response(200, PointSchema)
def revoke(data, point_id):
    """Revoke a point (a regulator in scope); its reporters end with it."""
    identity = require_login()
    point = points.get_point(identity, point_id)
    return points.revoke_point(identity, point, data.get("reason"))


@blp.post("/risk/points/<int:point_id>/reporters")
@blp.arguments(ReporterInput)
@blp.response(201, ReporterSchema)
def designate_reporter(data, point_id):
    """Designate a 信息报送员 (the point's manager, or a regulator in scope)."""
    identity = require_login()
    point = points.get_point(identity, point_id)
    return points.designate_reporter(identity, point, data["person_id"], data["is_expert"])


@blp.get("/risk/points/<int:point_id>/reporters")
@blp.arguments(ReporterQuery, location="query")
@blp.response(200, ReporterSchema(many=True))
def list_reporters(args, point_id):
    point = points.get_point(require_login(), point_id)
    return points.list_reporters(point, args["status"])


@blp.post("/risk/reporters/<int:reporter_id>/revoke")
@blp.response(200, ReporterSchema)
def revoke_reporter(reporter_id):
    identity = require_login()
    return points.revoke_reporter(identity, points.get_reporter(identity, reporter_id))


@blp.get("/risk/reporters/me")
@blp.response(200, MyDesignationSchema(many=True))
def my_designations():
    """Where the caller reports for, and whether their personnel information is complete yet."""
    return points.my_designations(require_login())
