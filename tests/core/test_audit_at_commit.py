"""Entries appended at commit (`audit.record_many(..., at_commit=True)`, what a batch of inspection
results uses so the chain's lock is held only for the append and the commit): the same chain, in the
same order, as entries appended at once."""
from sqlalchemy import func, select

from core import audit, tx
from core.audit import AuditContext, AuditEntry, Change, verify_chain
from core.extensions import db

CTX = AuditContext(None, None, "test")


def _actions_after(last_id: int) -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.id > last_id).order_by(AuditEntry.id)))


def _last_id() -> int:
    return db.session.scalar(select(func.coalesce(func.max(AuditEntry.id), 0)))


def test_entries_recorded_for_the_commit_are_chained_in_order_with_a_later_single_entry(app):
    start = _last_id()
    audit.record(CTX, "test.before", "thing", 1)
    assert audit.record_many(CTX, [Change("test.batch", "thing", n, None, {"n": n, "when": "2026-01-01"})
                                   for n in range(3)], at_commit=True) == 3
    audit.record(CTX, "test.request", "thing", 9, None, {"status": 200})  # joins them, after them
    tx.commit()
    assert _actions_after(start) == ["test.before", "test.batch", "test.batch", "test.batch", "test.request"]
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.id > start).order_by(AuditEntry.id)).all()
    assert all(entry.hash == audit._digest(entry) for entry in entries)
    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
    assert list(verify_chain()) == []


def test_the_transaction_reading_the_audit_record_sees_its_own_entries_first(app):
    start = _last_id()
    audit.record_many(CTX, [Change("test.batch", "thing", 1)], at_commit=True)
    assert _actions_after(start) == ["test.batch"]
    audit.record(CTX, "test.request", "thing", 2)  # nothing waits any more: appended at once
    tx.commit()
    assert _actions_after(start) == ["test.batch", "test.request"]
    assert list(verify_chain()) == []


def test_entries_of_a_rolled_back_savepoint_or_transaction_are_forgotten(app):
    start = _last_id()
    audit.record_many(CTX, [Change("test.kept", "thing", 1)], at_commit=True)
    savepoint = db.session.begin_nested()
    audit.record_many(CTX, [Change("test.undone", "thing", 2)], at_commit=True)
    savepoint.rollback()
    tx.commit()
    assert _actions_after(start) == ["test.kept"]

    audit.record_many(CTX, [Change("test.rolled_back", "thing", 3)], at_commit=True)
    tx.rollback()
    audit.record(CTX, "test.next", "thing", 4)
    tx.commit()
    assert _actions_after(start) == ["test.kept", "test.next"]
    assert list(verify_chain()) == []
