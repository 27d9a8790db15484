"""Similar reports: candidates for `merge`, so one hazard reported ten times is handled once (issue 5 item 6).

Candidates are the open reports of the last SIMILAR_WINDOW_DAYS in the holder's supervision area
that the caller may see. Reports about the same device come first (whatever their text says); all are
ranked by the Jaccard similarity of the character bigrams of title and text — Chinese has no spaces, and
bigrams catch 「电梯困人」 / 「困人故障」 alike without a tokenizer. Pure Python over at most
SIMILAR_MAX_CANDIDATES rows, so it runs the same on SQLite and PostgreSQL.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from core.auth import Identity
from core.errors import Forbidden
from core.extensions import db
from core.timeutil import utcnow
from models.orgs import Region
from models.risk import RiskReport
from services.risk import access, handling

SIMILAR_WINDOW_DAYS = 180
SIMILAR_MAX_CANDIDATES = 2000
SIMILAR_LIMIT = 10
MIN_SCORE = 0.1
TEXT_CHARS = 2000  # of the body; a long analysis's start says what it is about
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


@dataclass(frozen=True)
class Candidate:
    report: RiskReport
    score: float
    same_equipment: bool


def bigrams(text: str) -> frozenset[str]:
    """Character bigrams of `text` without spaces and punctuation, lower-cased; a single character
    stands for itself."""
    clean = _NOISE.sub("", (text or "").lower())
    if len(clean) < 2:
        return frozenset({clean}) if clean else frozenset()
    return frozenset(clean[i:i + 2] for i in range(len(clean) - 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def _text(title: str, body: str) -> str:
    return f"{title} {(body or '')[:TEXT_CHARS]}"


def similar_reports(identity: Identity, report: RiskReport, limit: int = SIMILAR_LIMIT) -> list[Candidate]:
    """Up to `limit` open reports like `report`, best first: the same device, then by text score (≥ 0.1).

    For those who handle reports (regulators, the risk centre); raises Forbidden otherwise.
    """
    if not (identity.is_regulator or identity.is_ops or handling.is_centre_staff(identity)):
        raise Forbidden("只有处置风险信息的监管部门可以查看相似信息。", code="not_regulator")
    holder = db.session.get(Region, report.holder_region_code)
    area = select(Region.code).where(Region.path.startswith(holder.path))
    since = utcnow() - timedelta(days=SIMILAR_WINDOW_DAYS)
    rows = db.session.scalars(
        select(RiskReport).where(access.visible_clause(identity), RiskReport.id != report.id,
                                 RiskReport.status.in_(handling.OPEN_STATUSES), RiskReport.submitted_at >= since,
                                 RiskReport.region_code.in_(area))
        .order_by(RiskReport.submitted_at.desc()).limit(SIMILAR_MAX_CANDIDATES)).all()
    mine = bigrams(_text(report.title, report.body))
    found = []
    for other in rows:
        same = report.equipment_id is not None and other.equipment_id == report.equipment_id
        score = round(jaccard(mine, bigrams(_text(other.title, other.body))), 4)
        if same or score >= MIN_SCORE:
            found.append(Candidate(other, score, same))
    found.sort(key=lambda c: (not c.same_equipment, -c.score, -c.report.id))
    return found[:limit]
