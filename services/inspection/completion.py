"""Results completing their applications in a batch (the agency's machine sends up to 1,000
results at once): `complete_many` does what `applications.complete` does for each, with a
fixed number of statements for the whole batch (one lock, one insert of the events, one feed
stamp per agency, one look-up of the applicants' admins, one message per applicant unit) plus
the audit entries, one per application."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select

from core import audit
from core.auth import Identity
from core.extensions import db
from models.inspection import InspectionApplication, InspectionApplicationEvent
from models.orgs import Person, Unit
from services import notify
from services.inspection import feed
from services.inspection.applications import MESSAGE_TEMPLATES, TRANSITIONS, require_agency_staff, snapshot
from services.orgs import people


def complete_many(identity: Identity, applications: Sequence[InspectionApplication],
                  result_ids: Sequence[int]) -> list[InspectionApplication]:
    """Complete each application with the result of the same position. Applications no longer
    pending (already completed, withdrawn, refused) are left as they are; the completed ones are
    returned. Raises Forbidden (403) when one is not addressed to the identity's agency."""
    pairs = list(zip(applications, result_ids))
    if not pairs:
        return []
    for application, _ in pairs:
        require_agency_staff(identity, application)
    ids = sorted({application.id for application, _ in pairs})
    db.session.scalars(select(InspectionApplication).where(InspectionApplication.id.in_(ids))
                       .order_by(InspectionApplication.id).with_for_update()
                       .execution_options(populate_existing=True)).all()
    done: list[tuple[InspectionApplication, dict]] = []
    seen: set[int] = set()
    for application, result_id in pairs:
        new = TRANSITIONS.get((application.status, "complete"))
        if new is None or application.id in seen:
            continue
        seen.add(application.id)
        before = snapshot(application)
        application.status, application.result_id = new, result_id
        db.session.add(InspectionApplicationEvent(application_id=application.id, action="complete",
                                                  from_status=before["status"], to_status=new,
                                                  actor_person_id=identity.person_id))
        done.append((application, before))
    if not done:
        return []
    db.session.flush()
    by_agency: dict[int, list[int]] = defaultdict(list)
    by_applicant: dict[int, list[int]] = defaultdict(list)
    for application, _ in done:
        by_agency[application.agency_unit_id].append(application.id)
        by_applicant[application.applicant_unit_id].append(application.id)
    for agency_unit_id, changed in by_agency.items():
        feed.stamp_ids(agency_unit_id, changed)
    for application, before in done:
        db.session.expire(application, ["feed_seq"])
        audit.record(identity.audit_context(), "inspection_application.complete", "inspection_application",
                     application.id, before, snapshot(application))
    agency_name = db.session.get(Unit, identity.unit_id).name
    messages = []
    for person_id, unit_id in db.session.execute(people.people_with_roles_stmt(
            list(by_applicant), "unit_admin", Person.id, Person.unit_id)):
        numbers = sorted(by_applicant[unit_id])
        listed = "、".join(str(n) for n in numbers[:20]) + ("等" if len(numbers) > 20 else "")
        messages.append(notify.NewMessage(person_id, MESSAGE_TEMPLATES["complete"], "检验申请已出具结果",
                                          f"您单位的 {len(numbers)} 项检验申请（编号 {listed}）已由{agency_name}出具检验结果，"
                                          "可在平台查看。", {"inspection_application_ids": numbers}))
    notify.queue_messages(messages)
    return [application for application, _ in done]
