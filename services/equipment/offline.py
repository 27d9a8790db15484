"""A lifecycle step already done offline, recorded by the registration office (domain.md §10:
「可灵活处理」), so that later business on the platform can go on.

The office records, say, a 移装 or a 使用登记 done on paper: the step's kind, the date it was done,
the certificate (or 变更证明) number it issued and a note. The record is an application created
directly as approved (`form.offline = true`; the applicant is the device's use unit, who filed
nothing), with its event and audit entry, and the approval's own effects (`apply_approval`)
bring the device to the state it would be in after that step. The kind's filing rules (time
limits, documents) are not re-checked: the step was decided elsewhere.
"""
from __future__ import annotations

from datetime import date

from core import audit
from core.auth import Identity
from core.errors import InvalidInput, RuleViolation
from core.extensions import db
from core.scoping import get_in_scope
from core.timeutil import business_today, utcnow
from models.equipment import CHANGE_TYPES, Application, Equipment
from services.equipment import offices
from services.equipment.application_rules import apply_approval, rule_key
from services.equipment.applications import _event, _lock_equipment, _place, _refuse_second_open, snapshot

# Steps that can be recorded: not 施工告知 nor 维保合同备案 (no state of the device follows from them).
OFFLINE_KINDS = ("use_registration", "change_registration", "suspension", "resumption", "cancellation",
                 "scrapping")
# Steps whose approval issues a 使用登记证: the number issued on paper is required.
CERTIFICATE_STEPS = ("use_registration", "alteration", "relocation", "rename")


def require_kind(kind: str, change_type: str | None) -> None:
    """A step that can be recorded (422 `offline_kind_invalid`, `change_type_invalid`)."""
    if kind not in OFFLINE_KINDS:
        raise InvalidInput.field("kind", "只能补录使用登记、变更登记、停用、启用、注销或报废。", code="offline_kind_invalid")
    if (kind == "change_registration") != (change_type in CHANGE_TYPES):
        raise InvalidInput.field("change_type", "变更登记须选择变更类型，其他业务不填。", code="change_type_invalid")


def record_offline(identity: Identity, equipment_id: int, kind: str, change_type: str | None, form: dict,
                   done_on: date, certificate_no: str | None = None, note: str | None = None) -> Application:
    """Record a step done offline on a device; only its registration office.

    Returns the approved application. Raises NotFound (device out of scope), Forbidden (403
    `not_registration_office`), InvalidInput (422: a kind that cannot be recorded, a date in the
    future, a missing certificate number), RuleViolation (409 `application_already_open`: an open
    application on the device must be finished first).
    """
    require_kind(kind, change_type)
    if done_on > business_today():
        raise InvalidInput.field("done_on", "办理日期不能晚于今天。", code="done_on_in_future")
    certificate_no = certificate_no.strip() if certificate_no and certificate_no.strip() else None
    if (change_type or kind) in CERTIFICATE_STEPS and not certificate_no:
        raise InvalidInput.field("certificate_no", "请填写线下核发的使用登记证编号。", code="certificate_no_required")
    get_in_scope(Equipment, equipment_id, identity, "未找到该设备。")
    eq = _lock_equipment(equipment_id)
    if eq.use_unit_id is None:
        raise RuleViolation("设备没有使用单位，不能补录。", code="equipment_without_use_unit")
    app = Application(kind=kind, change_type=change_type, equipment=eq, applicant_unit_id=eq.use_unit_id,
                      status="approved", note=note, documents=[], created_by_person_id=identity.person_id,
                      form={**form, "offline": True, "done_on": done_on.isoformat(),
                            "certificate_no": certificate_no})
    _place(app, eq)
    offices.require_office(identity, app.office_region_code)
    _refuse_second_open(eq, kind)
    now = utcnow()
    app.submitted_at = app.accepted_at = app.decided_at = now
    app.decided_by_person_id = identity.person_id
    db.session.add(app)
    db.session.flush()
    effect = apply_approval(identity, app, eq, done_on)
    app.decision_note = "；".join(filter(None, [f"线下已办理（{done_on.isoformat()}），平台补录", note, effect]))
    _event(identity, app, "record_offline", None, app.decision_note)
    audit.record(identity.audit_context(), "equipment_application.record_offline", "equipment_application", app.id,
                 None, {**snapshot(app), "offline": True, "rule": rule_key(app)})
    return app


def is_offline(application: Application) -> bool:
    """Recorded by the office for a step done offline."""
    return bool((application.form or {}).get("offline"))
