"""Bulk inserts that need the new rows' ids, without one giant statement.

SQLAlchemy's "insertmanyvalues" (INSERT .. VALUES (...), (...) RETURNING id) renders every row's
parameters into one statement text: psycopg parses such a text anew each time (it is too long for
its cache), a cost that grows with the batch. On PostgreSQL the ids are taken from the table's
sequence first (one small query) and the rows inserted by executemany (one prepared statement,
pipelined); elsewhere (SQLite in the quick start) the RETURNING path is used. Likewise a
batch's keys are one array parameter (`among`), not hundreds of placeholders.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import any_, bindparam, insert, text
from sqlalchemy.dialects.postgresql import ARRAY

from core.extensions import db


def insert_with_ids(model: Any, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert `rows` (dicts of column values, without `id`) into `model`'s table; their new ids in order."""
    if not rows:
        return []
    table = model.__table__
    session = db.session
    if session.get_bind().dialect.name != "postgresql":
        stmt = insert(model).returning(table.c.id, sort_by_parameter_order=True)
        return list(session.scalars(stmt, list(rows)))
    ids = list(session.scalars(text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
                               {"table": table.name, "n": len(rows)}))
    session.execute(insert(table), [{**row, "id": new_id} for row, new_id in zip(rows, ids)])
    return ids


def among(column: Any, values: Sequence[Any]) -> Any:
    """`column IN values` for a batch's worth of keys: one array parameter on PostgreSQL
    (`= ANY(:values)`, a short statement psycopg parses once), an expanding IN elsewhere."""
    values = list(values)
    if db.session.get_bind().dialect.name != "postgresql":
        return column.in_(values)
    return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
