"""The JSON API for the mini program and the PC console (/api/v1/...): thin routes."""
from __future__ import annotations

from flask import Flask

from core.api import Api


def register_blueprints(app: Flask, api: Api) -> None:
    from miniapp_api import audit, auth, health, me, onecode, uploads
    from miniapp_api.equipment import applications as equipment_applications
    from miniapp_api.equipment import claims as equipment_claims, imports as equipment_imports
    from miniapp_api.equipment import records as equipment_records
    from miniapp_api.orgs import people, regions, units

    app.register_blueprint(health.blp)
    for module in (auth, me, regions, units, people, uploads, audit, equipment_records, onecode,
                   equipment_applications, equipment_claims, equipment_imports):
        api.register_blueprint(module.blp)
    from miniapp_api import notify
    api.register_blueprint(notify.blp)
    api.register_blueprint(notify.ops_blp)
    from miniapp_api import findings
    from miniapp_api.checks import appointments as checks_appointments, daily as checks_daily
    for module in (checks_appointments, checks_daily, findings):
        api.register_blueprint(module.blp)
    from miniapp_api.checks import compliance as checks_compliance, reports as checks_reports
    for module in (checks_reports, checks_compliance):
        api.register_blueprint(module.blp)
    from miniapp_api.risk import points as risk_points, reports as risk_reports
    for module in (risk_points, risk_reports):
        api.register_blueprint(module.blp)
    from miniapp_api.risk import handling as risk_handling
    api.register_blueprint(risk_handling.blp)
    from miniapp_api.risk import insights as risk_insights
    api.register_blueprint(risk_insights.blp)
    from miniapp_api import inspection
    api.register_blueprint(inspection.blp)
    from miniapp_api import clients
    api.register_blueprint(clients.blp)
