"""The daily check (日管控): risk-control lists, the officer's day, scanning, submitting one
device's check or a whole day's batch, and the records."""
from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import ValidationError

from core.auth import require_login
from core.idempotency import idempotent
from core.pagination import paginate
from core.scoping import get_in_scope
from miniapp_api.schemas.checks import (BatchItemInput, BatchResultSchema, ChecklistInput, ChecklistQuery,
                                        ChecklistSchema, DailyBatchInput, DailyCheckInput, DailyCheckPageSchema,
                                        DailyCheckQuery, DailyCheckSchema, DayQuery, DaySchema, ScanInput,
                                        ScanSchema)
from models.checks import DailyCheck
from models.orgs import Unit
from services.checks import checklists, daily

blp = Blueprint("checks_daily", __name__, url_prefix="/api/v1", description="两个规定：日管控")


# -- risk-control lists -------------------------------------------------------------------

@blp.get("/checks/checklists")
@blp.arguments(ChecklistQuery, location="query")
@blp.response(200, ChecklistSchema)
def get_checklist(args):
    """The list for a kind or category: the unit's own (default: the caller's), else the platform's."""
    identity = require_login()
    unit_id = args.get("unit_id")
    if unit_id is not None:
        get_in_scope(Unit, unit_id, identity, "未找到该单位。")
    return checklists.require_checklist(unit_id or identity.unit_id, args["kind_code"])


@blp.get("/units/<int:unit_id>/checklists")
@blp.response(200, ChecklistSchema(many=True))
def list_checklists(unit_id):
    """Every list that applies to the unit: its own, and the platform's it has not adapted."""
    get_in_scope(Unit, unit_id, require_login(), "未找到该单位。")
    return checklists.list_effective(unit_id)


@blp.put("/units/<int:unit_id>/checklists/<string:kind_code>")
@blp.arguments(ChecklistInput)
@blp.response(200, ChecklistSchema)
def save_checklist(data, unit_id, kind_code):
    """A unit adapts its own list (items without a key get one)."""
    identity = require_login()
    unit = get_in_scope(Unit, unit_id, identity, "未找到该单位。")
    return checklists.save_unit_checklist(identity, unit, kind_code, data["items"], data.get("name"))


# -- the officer's day ----------------------------------------------------------------------

@blp.get("/checks/today")
@blp.arguments(DayQuery, location="query")
@blp.response(200, DaySchema)
def today(args):
    """The caller's devices (`scope=unit`: the unit's) with the day's state, missing first, and their lists."""
    return daily.day_list(require_login(), day=args.get("date"), scope=args["scope"], state=args.get("state"),
                          page=args["page"], page_size=args["page_size"])


@blp.post("/checks/scan")
@blp.arguments(ScanInput)
@blp.response(200, ScanSchema)
def scan(data):
    """Scan a device's code on site: the server's time, signed into `scan_token`, proves presence."""
    return daily.scan(require_login(), data["code"])


@blp.post("/checks/daily")
@idempotent
@blp.arguments(DailyCheckInput)
@blp.response(201, DailyCheckSchema)
def submit(data):
    """One device's check today; an abnormal item opens a finding (serious: the device stops)."""
    return daily.submit(require_login(), data)


@blp.post("/checks/daily/batch")
@blp.arguments(DailyBatchInput)
@blp.response(200, BatchResultSchema)
def submit_batch(data):
    """A whole day's checks, each item with its own `idempotency_key`, each processed on its own."""
    identity = require_login()
    entries = []
    for raw in data["items"]:
        key = raw.get("idempotency_key")
        key = key.strip() if isinstance(key, str) else None
        try:
            loaded = BatchItemInput().load(raw)
        except ValidationError as error:
            entries.append(daily.BatchEntry(key, raw, errors=error.messages_dict))
            continue
        loaded.pop("idempotency_key")
        entries.append(daily.BatchEntry(key, raw, data=loaded))
    return {"results": daily.submit_batch(identity, entries, DailyCheckSchema().dump)}


# -- records ----------------------------------------------------------------------------------

@blp.get("/checks/daily")
@blp.arguments(DailyCheckQuery, location="query")
@blp.response(200, DailyCheckPageSchema)
def list_checks(args):
    identity = require_login()
    page, size = args.pop("page"), args.pop("page_size")
    return paginate(daily.list_checks_stmt(identity, **args), page, size)


@blp.get("/checks/daily/<int:check_id>")
@blp.response(200, DailyCheckSchema)
def get_check(check_id):
    return get_in_scope(DailyCheck, check_id, require_login(), "未找到该检查记录。")
