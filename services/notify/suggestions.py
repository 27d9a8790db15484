"""Improvement suggestions (「对系统优化建议…省局在综合研判后安排」): recorded from the bot,
their status maintained by the ops team, the suggester told when it changes."""
from __future__ import annotations

import re

from sqlalchemy import Select, select

from core.errors import InvalidInput, NotFound, RuleViolation
from core.extensions import db
from models.notify import SUGGESTION_STATUSES, Suggestion
from services.notify import outbox

NUMBER = re.compile(r"^[Ss](\d{1,9})$")
# Allowed status changes (the ops team's review): from -> allowed targets.
TRANSITIONS: dict[str, frozenset[str]] = {
    "received": frozenset({"accepted", "declined"}),
    "accepted": frozenset({"planned", "done", "declined"}),
    "planned": frozenset({"done", "declined"}),
    "declined": frozenset({"received"}),
    "done": frozenset(),
}
MAX_TEXT = 2000


def parse_number(text: str) -> int | None:
    """`S3` -> 3; None when it is not a suggestion number."""
    match = NUMBER.match(text.strip())
    return int(match.group(1)) if match else None


def get_suggestion(suggestion_id: int | None) -> Suggestion:
    """A suggestion by id; NotFound otherwise."""
    suggestion = db.session.get(Suggestion, suggestion_id) if suggestion_id and suggestion_id < 2**31 else None
    if suggestion is None:
        raise NotFound("未找到该建议。", code="suggestion_not_found")
    return suggestion


def record(text: str, *, openid: str | None = None, person_id: int | None = None, who: str = "",
           source_msg_id: str | None = None) -> Suggestion:
    """Record a suggestion (once per WeChat message) and tell the ops group."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput.field("text", "请写下建议内容。", code="suggestion_empty")
    if source_msg_id:
        existing = db.session.scalar(select(Suggestion).where(Suggestion.source_msg_id == source_msg_id))
        if existing is not None:
            return existing
    suggestion = Suggestion(openid=openid, person_id=person_id, text=text[:MAX_TEXT], source_msg_id=source_msg_id,
                            status="received")
    db.session.add(suggestion)
    db.session.flush()
    outbox.queue_ops_group("ops_suggestion_received", f"新建议 {suggestion.number}",
                           f"> 提出人：{who or '未绑定用户'}\n> 内容：{suggestion.text}",
                           dedupe_key=f"suggestion-received:{suggestion.id}", data={"suggestion_id": suggestion.id})
    return suggestion


def update_status(suggestion: Suggestion, status: str, note: str | None, by: str) -> Suggestion:
    """Move a suggestion along its review (TRANSITIONS); the suggester is told in the inbox."""
    if status not in SUGGESTION_STATUSES:
        raise InvalidInput.field("status", "状态无效。", code="suggestion_status_invalid")
    if status != suggestion.status and status not in TRANSITIONS[suggestion.status]:
        raise RuleViolation(f"建议当前为「{suggestion.status_label}」，不能改为「{SUGGESTION_STATUSES[status]}」。",
                            code="suggestion_transition_not_allowed",
                            details={"status": suggestion.status, "to": status})
    changed = status != suggestion.status
    suggestion.status = status
    if note is not None:
        suggestion.ops_note = note.strip() or None
    suggestion.handled_by = by
    db.session.flush()
    if changed and suggestion.person_id is not None:
        outbox.queue_message(suggestion.person_id, "suggestion_status", f"建议 {suggestion.number} {suggestion.status_label}",
                             f"您的建议「{suggestion.text[:60]}」{suggestion.status_label}。"
                             + (f"说明：{suggestion.ops_note}" if suggestion.ops_note else ""),
                             {"suggestion_id": suggestion.id},
                             dedupe_key=f"suggestion-status:{suggestion.id}:{status}")
    return suggestion


def list_suggestions_stmt(status: str | None = None) -> Select:
    """Suggestions, newest first, optionally by status."""
    stmt = select(Suggestion)
    if status:
        stmt = stmt.where(Suggestion.status == status)
    return stmt.order_by(Suggestion.id.desc())
