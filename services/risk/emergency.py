"""Emergencies are not risk information (guidance 二(三): 「不含应急类信息」).

A report that flags an emergency, or whose title or text reads like one, is not taken in as
risk information: the reporter is told whom to call (96333 for people trapped in an elevator,
119 for fire, explosion or a leak, 120 for injuries). A text that only mentions such words (an
analysis of past fires, say) goes in once the reporter confirms it is not an emergency.

The keywords are configurable: `RISK_EMERGENCY_KEYWORDS` in the app config, a mapping of
`entrapment` / `fire` / `injury` to lists of words, replaces the defaults below per group.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from core.errors import RuleViolation

# Group -> words that make a text read like an emergency.
DEFAULT_KEYWORDS: dict[str, tuple[str, ...]] = {
    "entrapment": ("被困", "困人", "困在电梯", "关在电梯", "电梯困人"),
    "fire": ("着火", "起火", "失火", "火灾", "爆炸", "爆燃", "泄漏", "泄露", "漏气", "冒烟"),
    "injury": ("人员受伤", "有人受伤", "受伤", "伤亡", "死亡", "昏迷", "流血", "骨折"),
}
# Whom to call, per group, in the order given to the reporter.
GUIDANCE: dict[str, str] = {
    "entrapment": "电梯困人请立即拨打 96333 电梯应急救援电话",
    "fire": "火灾、爆炸、泄漏请立即拨打 119",
    "injury": "有人受伤请立即拨打 120",
}
GENERAL_GUIDANCE = "紧急情况请立即拨打 96333（电梯困人）、119（火灾、爆炸、泄漏）或 120（人员受伤）"


@dataclass(frozen=True)
class EmergencyCheck:
    groups: tuple[str, ...]   # which groups matched (entrapment / fire / injury)
    keywords: tuple[str, ...]  # the words found

    @property
    def looks_like_emergency(self) -> bool:
        """Whether any emergency word was found."""
        return bool(self.keywords)


def keywords() -> dict[str, tuple[str, ...]]:
    """The configured keywords per group (defaults where the config names no group)."""
    configured = current_app.config.get("RISK_EMERGENCY_KEYWORDS") or {}
    return {group: tuple(configured.get(group, words)) for group, words in DEFAULT_KEYWORDS.items()}


def check_text(*texts: str | None) -> EmergencyCheck:
    """Which emergency words the texts contain."""
    joined = "\n".join(t for t in texts if t)
    groups, found = [], []
    for group, words in keywords().items():
        hits = [w for w in words if w and w in joined]
        if hits:
            groups.append(group)
            found.extend(hits)
    return EmergencyCheck(tuple(groups), tuple(dict.fromkeys(found)))


def guidance_text(groups: tuple[str, ...] | list[str]) -> str:
    """The 96333 / 119 / 120 guidance for the matched groups (all three when none matched)."""
    lines = [GUIDANCE[g] for g in GUIDANCE if g in groups]
    return "；".join(lines) if lines else GENERAL_GUIDANCE


def require_not_emergency(title: str, body: str, *, flagged: bool, confirmed: bool) -> None:
    """Refuse emergencies as risk information.

    - the reporter flagged the report as an emergency: refused, whatever else it says (a report
      cannot be both an emergency and not one; to send it as risk information, drop the flag and
      confirm);
    - its title or text reads like an emergency: refused until `confirmed` (「确认不属于应急情况」).

    Raises RuleViolation (409, `emergency_not_accepted`) with the guidance in the message and the
    matched words in `details`.
    """
    found = check_text(title, body)
    if not flagged and (confirmed or not found.looks_like_emergency):
        return
    groups = found.groups if found.groups else tuple(GUIDANCE)
    message = ("应急类信息不属于风险监测信息，平台不受理。" + guidance_text(groups) + "。"
               "如确认不属于应急情况，请" + ("取消「紧急情况」标记并" if flagged else "") + "勾选「确认不属于应急情况」后重新提交。")
    raise RuleViolation(message, code="emergency_not_accepted", details={
        "flagged": flagged,
        "keywords": list(found.keywords),
        "groups": list(groups),
        "phones": [p for g, p in (("entrapment", "96333"), ("fire", "119"), ("injury", "120")) if g in groups],
        "confirm_field": "not_emergency_confirmed",
    })
