"""Each agency's change feed of the applications addressed to it (/open/v1/inspection/applications).

Every change to an application (submitted, accepted, planned, refused, withdrawn, completed,
or changed otherwise) stamps it with the agency's next `feed_seq`. The stamp is taken under a
transaction-scoped advisory lock on the agency, held until commit, so within one agency stamps
are committed in the order they were taken: a poller that asks for `feed_seq > last seen` never
misses a change committed later with a smaller stamp, and never sees one twice. An application
changed twice between two polls is answered once, in its latest state.

`read` answers a page of the feed after a cursor: the signed (feed_seq, id) of the last item
read (applications older than the feed carry feed_seq 0 and are ordered by id among themselves).
Its `next_cursor` is never empty: a poller keeps asking with the last one it got.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select, text, update
from sqlalchemy.orm import selectinload

from core import cursor
from core.extensions import db
from models.equipment import Equipment
from models.inspection import InspectionApplication, InspectionResult

CURSOR_KIND = "inspection-applications"

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


@dataclass(frozen=True)
class FeedPage:
    items: list[InspectionApplication]
    report_nos: dict[int, str]  # the report number of each re-inspected result, by result id
    next_cursor: str
    has_more: bool


def read(agency_unit_id: int, since: str | None, limit: int) -> FeedPage:
    """The applications addressed to the agency changed after the cursor `since` (None: from the
    start), in feed order, at most `limit`; with the cursor to ask with next and whether more wait.
    Each application's device (with its use unit), applicant and re-inspected result are loaded
    for the whole page at once. Raises core.cursor.InvalidCursor (400 `cursor_invalid`)."""
    after = cursor.decode(CURSOR_KIND, since, 2)
    if after is not None and not all(isinstance(v, int) for v in after):
        raise cursor.InvalidCursor()
    app = InspectionApplication
    stmt = select(app).where(app.agency_unit_id == agency_unit_id)
    if after is not None:
        stmt = stmt.where(or_(app.feed_seq > after[0], and_(app.feed_seq == after[0], app.id > after[1])))
    rows = list(db.session.scalars(stmt.order_by(app.feed_seq, app.id).limit(limit + 1).options(
        selectinload(app.equipment).selectinload(Equipment.use_unit), selectinload(app.applicant_unit))))
    more = len(rows) > limit
    rows = rows[:limit]
    reports = report_nos([row.reinspection_of_result_id for row in rows])
    if rows:
        following = cursor.encode(CURSOR_KIND, [rows[-1].feed_seq, rows[-1].id])
    else:
        following = since or cursor.encode(CURSOR_KIND, [-1, 0])
    return FeedPage(rows, reports, following, more)


def report_nos(result_ids: Sequence[int | None]) -> dict[int, str]:
    """The report numbers of results, by id (one query; none without ids)."""
    wanted = {result_id for result_id in result_ids if result_id}
    if not wanted:
        return {}
    return dict(db.session.execute(select(InspectionResult.id, InspectionResult.report_no)
                                   .where(InspectionResult.id.in_(wanted))).all())
