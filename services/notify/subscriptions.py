"""Mini-program subscribe messages: templates per message type and the users' one-time authorisations.

WeChat lets the platform send a user one subscribe message per tap on 「允许」
in `wx.requestSubscribeMessage` (一次性订阅). The mini program reports the
template ids the user accepted; each is one `SubscriptionGrant`, consumed by
the message it is reserved for. A message with no grant left stays in the inbox.

WECHAT_SUBSCRIBE_TEMPLATES maps a platform template to a WeChat template, as JSON:
`{"unit_registration_submitted": {"template_id": "...", "page": "pages/inbox/index",
  "data": {"thing1": "{title}", "thing2": "{body}", "time3": "{time}"}}}`.
Values are format strings over `title`, `body`, `time`, `date` and the message's data.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from core.errors import InvalidInput
from core.extensions import db
from core.timeutil import SHANGHAI, as_utc, utcnow
from models.notify import OutboxMessage, SubscriptionGrant

# WeChat refuses values longer than these, by the keyword's type (subscribeMessage.send).
VALUE_LIMITS = {"thing": 20, "name": 10, "phrase": 5, "character_string": 32, "number": 32, "letter": 32,
                "symbol": 5, "car_number": 8}
# Outstanding grants kept per person and template; more taps than this are not recorded.
MAX_OUTSTANDING = 50


@dataclass(frozen=True)
class SubscribeTemplate:
    template: str
    template_id: str
    page: str | None
    fields: dict[str, str]

    def render(self, message: OutboxMessage) -> dict[str, dict[str, str]]:
        """The `data` of subscribeMessage.send, each value cut to its keyword's limit."""
        created = as_utc(message.created_at) or utcnow()
        local = created.astimezone(SHANGHAI)
        values = _Values({**{k: v for k, v in (message.data or {}).items()}, "title": message.title,
                          "body": message.body, "time": local.strftime("%Y-%m-%d %H:%M"),
                          "date": local.strftime("%Y-%m-%d")})
        data = {}
        for keyword, pattern in self.fields.items():
            value = pattern.format_map(values)
            kind = keyword.rstrip("0123456789")
            limit = VALUE_LIMITS.get(kind)
            if limit and len(value) > limit:
                value = value[: limit - 1] + "…" if kind in ("thing", "name") else value[:limit]
            data[keyword] = {"value": value}
        return data


class _Values(dict):
    def __missing__(self, key: str) -> str:
        return ""


_parsed: dict[str, dict[str, SubscribeTemplate]] = {}


def templates() -> dict[str, SubscribeTemplate]:
    """The configured templates by platform template name (parsed once per configuration).

    Raises ValueError naming the problem when the configuration is malformed.
    """
    raw = current_app.config.get("WECHAT_SUBSCRIBE_TEMPLATES") or {}
    key = raw if isinstance(raw, str) else json.dumps(raw, sort_keys=True)
    cached = _parsed.get(key)
    if cached is not None:
        return cached
    spec = json.loads(raw) if isinstance(raw, str) else raw
    if not isinstance(spec, dict):
        raise ValueError("WECHAT_SUBSCRIBE_TEMPLATES must be a JSON object")
    result = {}
    for name, item in spec.items():
        if not isinstance(item, dict) or not isinstance(item.get("template_id"), str) \
                or not isinstance(item.get("data", {}), dict):
            raise ValueError(f"WECHAT_SUBSCRIBE_TEMPLATES[{name!r}] needs a template_id and a data object")
        result[name] = SubscribeTemplate(name, item["template_id"], item.get("page"),
                                         {str(k): str(v) for k, v in item.get("data", {}).items()})
    _parsed[key] = result
    return result


def template_for(template: str) -> SubscribeTemplate | None:
    """The subscribe template of a platform message type, or None (inbox only)."""
    return templates().get(template)


def template_ids() -> set[str]:
    """Every WeChat template id the platform uses (what the mini program may report)."""
    return {t.template_id for t in templates().values()}


def record_grants(person_id: int, accepted: list[str]) -> dict[str, int]:
    """Record the template ids the user accepted (one grant each); returns what is left per id.

    Raises InvalidInput for a template id the platform does not use.
    """
    known = template_ids()
    unknown = sorted({t for t in accepted if t not in known})
    if unknown:
        raise InvalidInput.field("template_ids", f"不是本平台使用的订阅消息模板：{'、'.join(unknown)}。",
                                 code="template_unknown")
    left = remaining(person_id)
    now = utcnow()
    for template_id in accepted:
        if left.get(template_id, 0) >= MAX_OUTSTANDING:
            continue
        db.session.add(SubscriptionGrant(person_id=person_id, template_id=template_id, granted_at=now))
        left[template_id] = left.get(template_id, 0) + 1
    db.session.flush()
    return left


def remaining(person_id: int) -> dict[str, int]:
    """Unused grants of a person, by template id."""
    rows = db.session.execute(
        select(SubscriptionGrant.template_id, func.count())
        .where(SubscriptionGrant.person_id == person_id, SubscriptionGrant.consumed_at.is_(None))
        .group_by(SubscriptionGrant.template_id))
    return {template_id: count for template_id, count in rows}


def reserve_grant(message: OutboxMessage, template_id: str) -> SubscriptionGrant | None:
    """The grant this message holds, or the person's oldest free one, now consumed by it.

    The row is locked (SKIP LOCKED), so two workers never spend one grant; a retry of
    the same message reuses the grant it already holds.
    """
    held = db.session.scalar(select(SubscriptionGrant).where(SubscriptionGrant.message_id == message.id))
    if held is not None:
        return held
    grant = db.session.scalar(
        select(SubscriptionGrant)
        .where(SubscriptionGrant.person_id == message.recipient_person_id,
               SubscriptionGrant.template_id == template_id, SubscriptionGrant.consumed_at.is_(None))
        .order_by(SubscriptionGrant.id).limit(1).with_for_update(skip_locked=True))
    if grant is None:
        return None
    grant.message_id, grant.consumed_at = message.id, utcnow()
    db.session.flush()
    return grant


def release_grant(message: OutboxMessage) -> None:
    """Give back the grant of a message WeChat never accepted, so the next message can use it."""
    grant = db.session.scalar(select(SubscriptionGrant).where(SubscriptionGrant.message_id == message.id))
    if grant is not None:
        grant.message_id, grant.consumed_at = None, None
        db.session.flush()


def summary(person_id: int) -> list[dict[str, Any]]:
    """The templates the mini program may ask the user for, with the grants left of each."""
    left = remaining(person_id)
    by_id: dict[str, list[str]] = {}
    for spec in templates().values():
        by_id.setdefault(spec.template_id, []).append(spec.template)
    return [{"template_id": tid, "templates": sorted(names), "remaining": left.get(tid, 0)}
            for tid, names in sorted(by_id.items())]
