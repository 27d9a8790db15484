"""The province's assessment: consolidating the experts' opinions and sending the measures down.

Guidance 二(五): the risk centre's experts 「分类、汇总、评估和研判并形成风险减缓措施或建议」; the
province 「提出具体措施意见，指导属地消除隐患」. The centre (or the province regulator) consolidates the
submitted opinions into the report's `classification`, `risk_level` and `measures` (it may do so
again until it sends them), then sends the measures to the body where the report started, which
carries them out within the `implementing` allowance and reports them done (`handling.report_done`).
"""
from __future__ import annotations

from core.auth import Identity
from core.errors import RuleViolation
from models.risk import HAZARD_LEVELS, RiskReport
from services.risk import experts, handling


def consolidate(identity: Identity, report: RiskReport, classification: str, risk_level: str,
                measures: str) -> RiskReport:
    """Write the consolidated classification, risk level (一般 / 严重 / 重大) and mitigation measures.

    Needs at least one submitted expert opinion (409 `risk_no_expert_opinion`); measures are
    required (422). A step on the path; the deadline keeps running. Raises Forbidden (403) for
    anyone but the province, RuleViolation (409) outside `assessing`.
    """
    measures = handling.required_text(measures, "measures", "请填写风险减缓措施或建议。")
    classification = handling.required_text(classification, "classification", "请填写风险分类。")
    risk_level = handling.require_risk_level(risk_level)
    t = handling.begin(identity, report, "consolidate")
    opinions = experts.submitted_count(report)
    if opinions == 0:
        raise RuleViolation("尚无专家提交评估意见，不能汇总。", code="risk_no_expert_opinion")
    before = handling.snapshot(report)
    report.classification, report.risk_level, report.measures = classification, risk_level, measures
    handling.record_step(identity, report, "consolidate", t,
                         f"汇总 {opinions} 位专家意见：{classification}，风险等级{HAZARD_LEVELS[risk_level]}。",
                         before=before)
    return report


def send_measures(identity: Identity, report: RiskReport, note: str | None) -> RiskReport:
    """Send the consolidated measures to the body where the report started (its county, or its city,
    韩城 / 杨凌); the report is `implementing` there with the RISK_DEADLINE_WORKDAYS["implementing"] allowance.

    Raises RuleViolation (409: not assessing, or `risk_measures_not_consolidated`), Forbidden (403).
    Tells the reporter and the locality (`path.move`).
    """
    t = handling.begin(identity, report, "send_measures")
    if not report.measures:
        raise RuleViolation("请先汇总专家意见、形成措施后再下发。", code="risk_measures_not_consolidated")
    level, holder = handling.origin(report)
    note = (note or "").strip()
    text = f"风险减缓措施：{report.measures}" + (f"\n{note}" if note else "")
    handling.apply(identity, report, "send_measures", t, text, to_level=level, holder_region_code=holder)
    return report
