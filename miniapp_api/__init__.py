"""The JSON API for the mini program and the PC console (/api/v1/...): thin routes."""
from __future__ import annotations

from flask import Flask

from core.api import api
from core.apidocs import finish_spec
from miniapp_api import audit, auth, clients, errors, findings, health, me, notify, onecode, uploads
from miniapp_api.checks import appointments as checks_appointments, compliance as checks_compliance
from miniapp_api.checks import daily as checks_daily, production as checks_production
from miniapp_api.checks import reports as checks_reports
from miniapp_api.equipment import applications as equipment_applications
from miniapp_api.equipment import claims as equipment_claims, imports as equipment_imports
from miniapp_api.equipment import records as equipment_records
from miniapp_api.inspection import applications as inspection_applications
from miniapp_api.inspection import approvals as inspection_approvals, planning as inspection_planning
from miniapp_api.inspection import due as inspection_due
from miniapp_api.inspection import results as inspection_results
from miniapp_api.orgs import people, regions, units
from miniapp_api.risk import handling as risk_handling, insights as risk_insights
from miniapp_api.risk import points as risk_points, reports as risk_reports

# Registered on `core.api.api` in this order (the OpenAPI document lists them so).
BLUEPRINTS = tuple(module.blp for module in (
    auth, me, regions, units, people, uploads, audit, equipment_records, onecode,
    equipment_applications, equipment_claims, equipment_imports, notify)) + (notify.ops_blp,) + tuple(
    module.blp for module in (
        checks_appointments, checks_daily, findings, checks_reports, checks_production, checks_compliance,
        risk_points, risk_reports, risk_handling, risk_insights, inspection_applications,
        inspection_planning, inspection_approvals, inspection_due, inspection_results, clients, errors))

# Operations anyone may call (everything else needs `Authorization: Bearer <token>`); the scan
# answers the public card without a token and more with one.
_NONE: list[dict[str, list]] = []
PUBLIC_OPERATIONS: dict[tuple[str, str], list[dict[str, list]]] = {
    **{("post", path): _NONE for path in ("/api/v1/auth/wx-login", "/api/v1/auth/wx-bind/invitation",
                                           "/api/v1/auth/wx-bind/phone", "/api/v1/auth/login",
                                           "/api/v1/units/registrations")},
    **{("get", path): _NONE for path in ("/api/v1/regions", "/api/v1/regions/{code}", "/api/v1/offices",
                                          "/api/v1/regions/{code}/office", "/api/v1/catalogue", "/api/errors")},
    ("get", "/api/v1/scan/{code}"): [{}, {"bearer": []}],
}


def init_app(app: Flask) -> None:
    """Register the health check on the app and every API blueprint on `core.api.api`
    (bound to `app` before this is called)."""
    app.register_blueprint(health.blp)
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    finish_spec(api.spec, security=[{"bearer": []}], public=PUBLIC_OPERATIONS)
