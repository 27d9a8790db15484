"""The append-only audit record: who changed what, when, and from where.

Each entry carries the hash of the entry before it, so an edited, deleted
or inserted entry breaks the chain and `flask audit verify` finds it.
On PostgreSQL a trigger (migration 0001) also refuses UPDATE and DELETE.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Iterable, Iterator, Sequence

from sqlalchemy import BigInteger, Integer, String, event, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql.util import find_tables

from core import bulk
from core.columns import JSONType, UTCDateTime
from core.extensions import db
from core.timeutil import as_utc, utcnow

GENESIS = "0" * 64
# Any 64-bit number would do; it serialises appends so the chain stays linear.
_CHAIN_LOCK = 7_340_021_001


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    actor_person_id: Mapped[int | None] = mapped_column(Integer)
    actor_unit_id: Mapped[int | None] = mapped_column(Integer)
    # A machine caller (integration_api): the api_clients row it acted as.
    actor_client_id: Mapped[int | None] = mapped_column(Integer, index=True)
    client: Mapped[str] = mapped_column(String(16), nullable=False)
    ip: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    entity_type: Mapped[str] = mapped_column(String(32), nullable=False)
    entity_id: Mapped[str] = mapped_column(String(64), nullable=False)
    before: Mapped[dict | None] = mapped_column(JSONType)
    after: Mapped[dict | None] = mapped_column(JSONType)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)


@dataclass(frozen=True)
class AuditContext:
    """Who acts and through which client; entry points build it, services pass it on."""

    person_id: int | None
    unit_id: int | None
    client: str
    ip: str | None = None
    client_id: int | None = None  # a machine caller's api_clients id (person_id is then None)


_AS_IS = frozenset({str, int, float, bool, type(None)})


def _plain(value: Any) -> Any:
    if type(value) in _AS_IS:
        return value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    return value


def _digest(entry: Any) -> str:
    """The hash of an entry (an AuditEntry, or anything with its attributes)."""
    created = as_utc(entry.created_at).isoformat(timespec="microseconds")
    fields = [entry.prev_hash, created, entry.actor_person_id, entry.actor_unit_id, entry.client, entry.ip,
              entry.action, entry.entity_type, entry.entity_id, entry.before, entry.after]
    if entry.actor_client_id is not None:
        # Appended only when set, so the hashes of entries written before the column existed still hold.
        fields.append({"client_id": entry.actor_client_id})
    body = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


class _Row(dict):
    """An entry as the dict executemany inserts, readable by attribute for `_digest`."""

    __getattr__ = dict.__getitem__


def _last_hash() -> str:
    """Take the chain's lock (held to commit) and read the hash of its last entry."""
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK})
    return session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)) or GENESIS


def record(ctx: AuditContext, action: str, entity_type: str, entity_id: Any,
           before: dict | None = None, after: dict | None = None) -> AuditEntry | None:
    """Append one entry to the chain in the current transaction (no commit). When the transaction
    already holds entries waiting for its commit (`record_many(..., at_commit=True)`), this one
    joins them, after them in the chain, and None is returned."""
    session = db.session()
    if session.info.get(_PENDING):
        _defer(session, ctx, [Change(action, entity_type, entity_id, before, after)])
        return None
    prev = _last_hash()
    entry = AuditEntry(
        created_at=utcnow(),
        actor_person_id=ctx.person_id, actor_unit_id=ctx.unit_id, actor_client_id=ctx.client_id,
        client=ctx.client, ip=ctx.ip,
        action=action, entity_type=entity_type, entity_id=str(entity_id),
        before=_plain(before) if before is not None else None,
        after=_plain(after) if after is not None else None,
        prev_hash=prev,
    )
    entry.hash = _digest(entry)
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class Change:
    """One entry of `record_many`: what happened to which record, before and after."""

    action: str
    entity_type: str
    entity_id: Any
    before: dict | None = None
    after: dict | None = None


def record_many(ctx: AuditContext, changes: Iterable[Change], at_commit: bool = False) -> int:
    """Append many entries to the chain, in order, in the current transaction (no commit).

    One lock, one read of the last hash, one insert (core.bulk): a batch of 500 results costs
    what a single entry costs plus the hashing. The lock serialises every audit writer until the
    transaction ends. With `at_commit` the entries are prepared now and appended when the
    transaction commits (or when it reads the audit record first), so the lock is held only
    for the append and the commit; entries recorded after them in the transaction follow them.
    Returns the number of entries.
    """
    changes = list(changes)
    if not changes:
        return 0
    session = db.session()
    if at_commit or session.info.get(_PENDING):
        _defer(session, ctx, changes)
        return len(changes)
    _append(session, _prepare(ctx, changes))
    return len(changes)


# -- the append: entries prepared outside the lock, chained and inserted under it ----------------------

_PENDING = "audit_pending"  # session.info: [(the transaction they were recorded in, prepared entries)]


_ENCODE = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode
_COLUMNS = ("id", "created_at", "prev_hash", "hash", "actor_person_id", "actor_unit_id", "actor_client_id", "client",
            "ip", "action", "entity_type", "entity_id", "before", "after")


@dataclass(frozen=True)
class _Prepared:
    """An entry ready to chain: its row (no created_at, prev_hash, hash), the JSON text of the
    fields `_digest` hashes after `created_at`, and of its row's columns (each value written once)."""

    row: _Row
    hashed: str
    columns: str


def _prepare(ctx: AuditContext, changes: Sequence[Change]) -> list[_Prepared]:
    """The entries' rows and texts, made before the lock."""
    actor = [_ENCODE(v) for v in (ctx.person_id, ctx.unit_id, ctx.client, ctx.ip)]
    hashed_actor = ",".join(actor)
    hashed_client = "" if ctx.client_id is None else "," + _ENCODE({"client_id": ctx.client_id})
    columns_actor = (f'"actor_person_id":{actor[0]},"actor_unit_id":{actor[1]},'
                     f'"actor_client_id":{_ENCODE(ctx.client_id)},"client":{actor[2]},"ip":{actor[3]}')
    prepared = []
    for change in changes:
        row = _Row(actor_person_id=ctx.person_id, actor_unit_id=ctx.unit_id, actor_client_id=ctx.client_id,
                   client=ctx.client, ip=ctx.ip, action=change.action, entity_type=change.entity_type,
                   entity_id=str(change.entity_id),
                   before=_plain(change.before) if change.before is not None else None,
                   after=_plain(change.after) if change.after is not None else None)
        action, entity_type, entity_id = _ENCODE(row.action), _ENCODE(row.entity_type), _ENCODE(row.entity_id)
        before, after = _ENCODE(row.before), _ENCODE(row.after)
        # json.dumps([person, unit, client, ip, action, entity_type, entity_id, before, after(, client id)])
        hashed = f"[{hashed_actor},{action},{entity_type},{entity_id},{before},{after}{hashed_client}]"
        columns = (f'{columns_actor},"action":{action},"entity_type":{entity_type},"entity_id":{entity_id},'
                   f'"before":{before},"after":{after}')
        prepared.append(_Prepared(row, hashed, columns))
    return prepared


def _append(session: Any, prepared: Sequence[_Prepared]) -> None:
    """Take the chain's lock, chain the prepared entries after the last one, insert them in one
    statement (ids taken in order, so they follow the chain: verify_chain walks by id)."""
    prev = _last_hash()
    now = utcnow()
    created = as_utc(now).isoformat(timespec="microseconds")
    postgres = session.get_bind().dialect.name == "postgresql"
    ids = bulk.next_ids(AuditEntry, len(prepared)) if postgres else []
    objects, rows = [], []
    for index, entry in enumerate(prepared):
        # The text `_digest` hashes, json.dumps([prev_hash, created_at, *fields]), built from its tail.
        digest = hashlib.sha256(f'["{prev}","{created}",{entry.hashed[1:]}'.encode()).hexdigest()
        if postgres:
            objects.append(f'{{"id":{ids[index]},"created_at":"{created}","prev_hash":"{prev}","hash":"{digest}",'
                           f'{entry.columns}}}')
        else:
            rows.append({**entry.row, "created_at": now, "prev_hash": prev, "hash": digest})
        prev = digest
    if postgres:
        bulk.insert_json(AuditEntry, _COLUMNS, "[" + ",".join(objects) + "]")
    else:
        bulk.insert_with_ids(AuditEntry, rows)


def _defer(session: Any, ctx: AuditContext, changes: Sequence[Change]) -> None:
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_PENDING, []).append((transaction, _prepare(ctx, changes)))


def append_pending(session: Any) -> None:
    """Append the entries the transaction holds for its commit (see `record_many`)."""
    pending = session.info.pop(_PENDING, None)
    if pending:
        _append(session, [entry for _, entries in pending for entry in entries])


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    """The commit (or a savepoint's release: then already, which is as right, only earlier)."""
    append_pending(session)


@event.listens_for(Session, "do_orm_execute")
def _before_reading(state: Any) -> None:
    """The transaction reads the audit record: its own entries are there first."""
    if state.session.info.get(_PENDING) and AuditEntry.__table__ in find_tables(state.statement, include_crud=True):
        append_pending(state.session)


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, previous_transaction: Any) -> None:
    """Entries recorded in a transaction (or savepoint) rolled back are forgotten with it."""
    pending = session.info.get(_PENDING)
    if not pending:
        return
    kept = [(tx, entries) for tx, entries in pending if not _within(tx, previous_transaction)]
    if kept:
        session.info[_PENDING] = kept
    else:
        session.info.pop(_PENDING, None)


@event.listens_for(Session, "after_transaction_end")
def _end(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def _within(transaction: Any, ancestor: Any) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


@dataclass(frozen=True)
class ChainProblem:
    entry_id: int
    problem: str


def verify_chain(batch: int = 5000) -> Iterator[ChainProblem]:
    """Walk the chain in order and yield every entry that does not fit."""
    prev = GENESIS
    last_id = 0
    while True:
        rows = db.session.scalars(
            select(AuditEntry).where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch)
        ).all()
        if not rows:
            return
        for entry in rows:
            if entry.prev_hash != prev:
                yield ChainProblem(entry.id, "上一条记录的哈希不符（记录被删除、插入或改动）")
            if _digest(entry) != entry.hash:
                yield ChainProblem(entry.id, "记录内容与哈希不符（记录被改动）")
            prev = entry.hash
            last_id = entry.id
        db.session.expunge_all()

