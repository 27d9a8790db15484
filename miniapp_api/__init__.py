"""The JSON API for the mini program and the PC console (/api/v1/...): thin routes."""
from __future__ import annotations

from flask import Flask

from core.api import Api


def register_blueprints(app: Flask, api: Api) -> None:
    from miniapp_api import audit, auth, health, me, uploads
    from miniapp_api.equipment import records as equipment_records
    from miniapp_api.orgs import people, regions, units

    app.register_blueprint(health.blp)
    for module in (auth, me, regions, units, people, uploads, audit, equipment_records):
        api.register_blueprint(module.blp)
