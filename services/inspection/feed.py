"""Each agency's change feed of the applications addressed to it (/open/v1/inspection/applications).

Every change to an application (submitted, accepted, planned, refused, withdrawn, completed,
or changed otherwise) stamps it with the agency's next `feed_seq`. The stamp is taken under a
transaction-scoped advisory lock on the agency, held until commit, so within one agency stamps
are committed in the order they were taken: a poller that asks for `feed_seq > last seen` never
misses a change committed later with a smaller stamp, and never sees one twice. An application
changed twice between two polls is answered once, in its latest state.
"""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select, text, update

from core.extensions import db
from models.inspection import InspectionApplication

# pg_advisory_xact_lock(namespace, agency id): the namespace keeps these locks apart from others.
_FEED_LOCK_NAMESPACE = 73_412


def _lock_and_last(agency_unit_id: int) -> int:
    """Take the agency's feed lock (PostgreSQL; SQLite writes one at a time anyway) and read its
    highest stamp."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:ns, :id)"),
                           {"ns": _FEED_LOCK_NAMESPACE, "id": agency_unit_id})
    return db.session.scalar(select(func.coalesce(func.max(InspectionApplication.feed_seq), 0))
                             .where(InspectionApplication.agency_unit_id == agency_unit_id))


def stamp(application: InspectionApplication) -> None:
    """Give a changed application the agency's next stamp (flushes)."""
    db.session.flush()
    application.feed_seq = _lock_and_last(application.agency_unit_id) + 1
    db.session.flush()


def stamp_ids(agency_unit_id: int, application_ids: Sequence[int]) -> None:
    """Stamp many applications of one agency changed by a bulk statement, in id order."""
    ids = sorted(set(application_ids))
    if not ids:
        return
    last = _lock_and_last(agency_unit_id)
    db.session.execute(update(InspectionApplication).execution_options(synchronize_session=False), [
        {"id": application_id, "feed_seq": last + offset} for offset, application_id in enumerate(ids, 1)])
