"""Writing a batch of rows in a few statements, for the machine callers' batches (hundreds of rows
per request, thousands per second).

On PostgreSQL the rows travel as ONE JSON parameter, unpacked by `jsonb_to_recordset` into one
INSERT or one UPDATE .. FROM: one statement, one round trip, and no per-row work in the driver
(an executemany costs psycopg a pipeline exchange per row; SQLAlchemy's "insertmanyvalues" renders
every row's placeholders into a statement text psycopg must parse anew each time). New rows' ids
come from the table's sequence first (one small query), in order. Keys of a batch are one array
parameter (`among`), not hundreds of placeholders. Elsewhere (SQLite in the quick start) the same
calls fall back to Core executemany and RETURNING.

Values must be JSON-able as the column stores them: text without NUL (PostgreSQL refuses it anyway),
numbers, booleans, dates and datetimes (sent in ISO form), lists and dicts for JSON columns.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, any_, bindparam, insert, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY

from core.extensions import db

_PG = postgresql.dialect()


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _iso(value: Any) -> str:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def recordset(table: Table, columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> tuple[str, dict[str, str]]:
    """`jsonb_to_recordset(:rows) AS r(col type, ...)` (PostgreSQL) and its parameter: the rows as
    one JSON parameter, for these statements and for a caller's own (an upsert)."""
    payload = json.dumps([{name: row.get(name) for name in columns} for row in rows], ensure_ascii=False,
                         separators=(",", ":"), default=_iso)
    return _source(table, columns), {"rows": payload}


def _source(table: Table, columns: Sequence[str]) -> str:
    spec = ", ".join(f'"{name}" {table.c[name].type.compile(dialect=_PG)}' for name in columns)
    return f"jsonb_to_recordset(CAST(:rows AS jsonb)) AS r({spec})"


def next_ids(model: Any, n: int) -> list[int]:
    """`n` new ids from the table's sequence, ascending (PostgreSQL)."""
    return list(db.session.scalars(text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
                                   {"table": model.__table__.name, "n": n}))


def insert_json(model: Any, columns: Sequence[str], payload: str) -> None:
    """Insert rows the caller has already written as JSON text (an array of objects with these
    columns), in one statement (PostgreSQL)."""
    table = model.__table__
    names = ", ".join(f'"{name}"' for name in columns)
    db.session.execute(text(f'INSERT INTO "{table.name}" ({names}) SELECT {names} FROM {_source(table, columns)}'),
                       {"rows": payload})


def insert_rows(model: Any, rows: Sequence[dict[str, Any]], skip_conflicts: bool = False) -> list[int] | None:
    """Insert `rows` (dicts with the same keys) into `model`'s table in one statement. With
    `skip_conflicts` (PostgreSQL; rows with their `id`), a row a unique constraint already holds is
    skipped (ON CONFLICT DO NOTHING) and the ids of the rows inserted are returned."""
    if not rows:
        return [] if skip_conflicts else None
    table = model.__table__
    if not _postgres():
        if skip_conflicts:
            raise NotImplementedError("skip_conflicts needs PostgreSQL")
        db.session.execute(insert(table), list(rows))
        return None
    columns = list(rows[0])
    source, params = recordset(table, columns, rows)
    names = ", ".join(f'"{name}"' for name in columns)
    sql = f'INSERT INTO "{table.name}" ({names}) SELECT {names} FROM {source}'
    if skip_conflicts:
        return list(db.session.scalars(text(sql + " ON CONFLICT DO NOTHING RETURNING id"), params))
    db.session.execute(text(sql), params)
    return None


def insert_with_ids(model: Any, rows: Sequence[dict[str, Any]], skip_conflicts: bool = False) -> list[int | None]:
    """Insert `rows` (dicts of column values, without `id`); their new ids, ascending in row order.
    With `skip_conflicts` (PostgreSQL) a row a unique constraint already holds is skipped (ON
    CONFLICT DO NOTHING, no error): its place in the answer is None."""
    if not rows:
        return []
    table = model.__table__
    if not _postgres():
        if skip_conflicts:
            raise NotImplementedError("skip_conflicts needs PostgreSQL")
        stmt = insert(model).returning(table.c.id, sort_by_parameter_order=True)
        return list(db.session.scalars(stmt, list(rows)))
    ids = next_ids(model, len(rows))
    inserted = insert_rows(model, [{"id": new_id, **row} for row, new_id in zip(rows, ids)], skip_conflicts)
    if skip_conflicts:
        kept = set(inserted or ())
        return [new_id if new_id in kept else None for new_id in ids]
    return ids


def update_rows(model: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Update rows by primary key `id` (dicts with the same keys) in one statement. Loaded copies in
    the session are not refreshed: the caller expires them if it reads them again."""
    if not rows:
        return
    table = model.__table__
    columns = [name for name in rows[0] if name != "id"]
    if not _postgres():
        stmt = update(table).where(table.c.id == bindparam("_id")).values({name: bindparam(name) for name in columns})
        db.session.execute(stmt, [{**row, "_id": row["id"]} for row in rows])
        return
    source, params = recordset(table, ["id", *columns], rows)
    assignments = ", ".join(f'"{name}" = r."{name}"' for name in columns)
    db.session.execute(text(f'UPDATE "{table.name}" AS t SET {assignments} FROM {source} WHERE t.id = r.id'), params)


def among(column: Any, values: Sequence[Any]) -> Any:
    """`column IN values` for a batch's worth of keys: one array parameter on PostgreSQL
    (`= ANY(:values)`, a short statement psycopg parses once), an expanding IN elsewhere."""
    values = list(values)
    if not _postgres():
        return column.in_(values)
    return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
