"""Codes for cylinders, issued by the thousand (a registration's list, a 补登记 import).

A cylinder's code is a row of `codes` (target type `cylinder`, the one-code scheme of
`qr.codes`) and is copied onto the cylinder (`Cylinder.code`), so the scale's question reads one
row. The two are written together here and nowhere else: `Cylinder.code` is always the
cylinder's active code.
"""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from core import bulk
from core.extensions import db
from core.timeutil import utcnow
from models.onecode import Code
from qr.codes import new_code

TARGET = "cylinder"


def fresh_codes(count: int) -> list[str]:
    """`count` new codes, none already issued (31^9 codes: a collision is rare, but checked)."""
    codes: set[str] = set()
    while len(codes) < count:
        wanted = {new_code() for _ in range(count - len(codes))} - codes
        taken = set(db.session.scalars(select(Code.code).where(bulk.among(Code.code, sorted(wanted)))))
        codes |= wanted - taken
    return list(codes)


def record_codes(pairs: Sequence[tuple[str, int]], person_id: int | None) -> None:
    """Insert the `codes` rows of cylinders just given these codes ((code, cylinder id) pairs)."""
    now = utcnow()
    bulk.insert_rows(Code, [{"code": code, "target_type": TARGET, "target_id": cylinder_id, "status": "active",
                             "created_at": now, "created_by_person_id": person_id} for code, cylinder_id in pairs])
