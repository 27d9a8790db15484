"""One inspection result as sent (the agency's machine or its staff by hand), read and checked on
its own before anything touches the database: types, lengths, dates, problems.

A record that cannot be read becomes an `InvalidInput` naming its field (stable code, Chinese
message), which the batch answers for that row alone. What needs the database (the device, the
vocabulary of its category, the agency's scope, the application) is checked by `results` once
the whole batch's rows are loaded.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Mapping

from core.columns import content_hash
from core.errors import InvalidInput
from core.schemas import DATABASE_INTEGER, YEARS
from models.findings import SEVERITIES
from models.inspection import INSPECTION_TYPES, SUPERVISION_WORKS

FIELDS = ("report_no", "equipment_code", "equipment_id", "inspection_type", "work_type", "conclusion",
          "safety_grade", "inspection_date", "report_date", "inspector_names", "application_id", "reinspection_of",
          "note", "problems")
PROBLEM_FIELDS = ("description", "severity", "deadline", "item_key")
# Severities an agency gives a problem: 一般 / 严重 (major is the findings domain's own escalation).
PROBLEM_SEVERITIES = {key: SEVERITIES[key] for key in ("general", "serious")}
MAX_INSPECTORS = 20
# Control characters other than tab and line breaks (PostgreSQL refuses NUL), and lone surrogates
# (a JSON "\\ud800" escape: not UTF-8, nothing can store or answer it).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


@dataclass(frozen=True)
class Problem:
    description: str
    severity: str
    deadline: date | None
    item_key: str | None


@dataclass(frozen=True)
class ResultInput:
    """A readable record; `content` is what its hash covers (the upsert's "same or changed")."""

    report_no: str
    equipment_code: str | None
    equipment_id: int | None
    inspection_type: str
    work_type: str | None
    conclusion: str
    safety_grade: int | None
    inspection_date: date
    report_date: date | None
    inspector_names: tuple[str, ...]
    application_id: int | None
    reinspection_of: str | None
    note: str | None
    problems: tuple[Problem, ...]
    content_hash: str = field(default="", compare=False)

    def finding_deadline(self, problem: Problem, default_days: int) -> date:
        """The problem's own deadline, else `default_days` after the report (or the inspection)."""
        return problem.deadline or (self.report_date or self.inspection_date) + timedelta(days=default_days)


def storable_text(value: str) -> bool:
    """Text the database can hold and an answer can carry (no control character, no lone surrogate)."""
    return _CONTROL.search(value) is None


def _shown(name: str) -> str:
    """A field name as an answer can carry it (an unknown name may hold anything)."""
    return name[:64].encode("utf-8", "backslashreplace").decode("utf-8")


def _text(raw: Mapping[str, Any], name: str, max_length: int, *, required: bool = False,
          label: str = "") -> str | None:
    value = raw.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInput.field(name, f"请填写{label}。", code="field_required")
        return None
    if not isinstance(value, str):
        raise InvalidInput.field(name, "应为文本。")
    value = value.strip()
    if len(value) > max_length:
        raise InvalidInput.field(name, f"长度不能超过 {max_length}。")
    if _CONTROL.search(value):
        raise InvalidInput.field(name, "不能包含控制字符或无效字符。")
    return value


def _integer(raw: Mapping[str, Any], name: str) -> int | None:
    value = raw.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput.field(name, "应为整数。")
    if not DATABASE_INTEGER[0] <= value <= DATABASE_INTEGER[1]:
        raise InvalidInput.field(name, "数值超出范围。")
    return value


def _date(raw: Mapping[str, Any], name: str, *, required: bool = False, label: str = "") -> date | None:
    value = raw.get(name)
    if value is None or value == "":
        if required:
            raise InvalidInput.field(name, f"请填写{label}。", code="field_required")
        return None
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            raise InvalidInput.field(name, "应为日期，格式 YYYY-MM-DD。") from None
    if not isinstance(value, date):
        raise InvalidInput.field(name, "应为日期，格式 YYYY-MM-DD。")
    if not YEARS[0] <= value.year <= YEARS[1]:
        raise InvalidInput.field(name, f"日期应在 {YEARS[0]} 年到 {YEARS[1]} 年之间。")
    return value


def _names(raw: Mapping[str, Any]) -> tuple[str, ...]:
    value = raw.get("inspector_names")
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_INSPECTORS:
        raise InvalidInput.field("inspector_names", f"应为检验人员姓名列表，最多 {MAX_INSPECTORS} 人。")
    names = []
    for item in value:
        if not isinstance(item, str) or not item.strip() or len(item.strip()) > 64 or _CONTROL.search(item):
            raise InvalidInput.field("inspector_names", "检验人员姓名应为不超过 64 字的文本。")
        names.append(item.strip())
    return tuple(names)


def _problems(raw: Mapping[str, Any], inspection_date: date, max_problems: int) -> tuple[Problem, ...]:
    value = raw.get("problems")
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InvalidInput.field("problems", "应为问题列表。")
    if len(value) > max_problems:
        raise InvalidInput.field("problems", f"每份报告最多录入 {max_problems} 个问题。", code="too_many_problems")
    problems = []
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise InvalidInput.field(f"problems.{index}", "应为对象。")
        unknown = sorted(set(item) - set(PROBLEM_FIELDS))
        if unknown:
            raise InvalidInput.field(f"problems.{index}.{_shown(unknown[0])}", "不允许的字段。")
        try:
            description = _text(item, "description", 1000, required=True, label="问题描述")
            severity = item.get("severity")
            if not isinstance(severity, str) or severity not in PROBLEM_SEVERITIES:
                raise InvalidInput.field("severity", "问题等级应为 general（一般）或 serious（严重）。",
                                         code="severity_invalid")
            deadline = _date(item, "deadline")
            if deadline is not None and deadline < inspection_date:
                raise InvalidInput.field("deadline", "整改期限不能早于检验日期。", code="deadline_invalid")
            item_key = _text(item, "item_key", 32)
        except InvalidInput as error:
            raise _nested(error, f"problems.{index}") from None
        problems.append(Problem(description, severity, deadline, item_key))
    return tuple(problems)


def _nested(error: InvalidInput, prefix: str) -> InvalidInput:
    fields = error.details.get("fields", {})
    return InvalidInput(error.message, code=error.code,
                        details={"fields": {f"{prefix}.{name}": messages for name, messages in fields.items()}})


def read(raw: Any, today: date, max_problems: int) -> ResultInput:
    """Read one record (JSON values, or the by-hand form's loaded values); raises InvalidInput
    naming the field: unknown field, missing or malformed value, `inspection_type_invalid`,
    `work_type_required` / `work_type_not_allowed`, `inspection_date_in_future`,
    `report_date_in_future`, `report_date_before_inspection`, `too_many_problems`, ..."""
    if not isinstance(raw, dict):
        raise InvalidInput("每条记录应为 JSON 对象。", code="record_invalid")
    unknown = sorted(set(raw) - set(FIELDS))
    if unknown:
        raise InvalidInput.field(_shown(unknown[0]), "不允许的字段。")
    report_no = _text(raw, "report_no", 64, required=True, label="报告编号")
    equipment_code = _text(raw, "equipment_code", 32)
    equipment_id = _integer(raw, "equipment_id")
    if equipment_code is None and equipment_id is None:
        raise InvalidInput.field("equipment_code", "请填写设备代码。", code="field_required")
    kind = raw.get("inspection_type")
    if not isinstance(kind, str) or kind not in INSPECTION_TYPES:
        raise InvalidInput.field("inspection_type", "检验类型无效，应为 " + "、".join(
            f"{key}（{label}）" for key, label in INSPECTION_TYPES.items()) + "。", code="inspection_type_invalid")
    work_type = _text(raw, "work_type", 16)
    if kind == "supervision" and work_type not in SUPERVISION_WORKS:
        raise InvalidInput.field("work_type", "监督检验须注明施工类别：installation（安装）、alteration（改造）或"
                                 "major_repair（重大修理）。", code="work_type_required")
    if kind != "supervision" and work_type is not None:
        raise InvalidInput.field("work_type", "只有监督检验填写施工类别。", code="work_type_not_allowed")
    conclusion = _text(raw, "conclusion", 16, required=True, label="检验结论")
    safety_grade = _integer(raw, "safety_grade")
    inspection_date = _date(raw, "inspection_date", required=True, label="检验日期")
    report_date = _date(raw, "report_date")
    if inspection_date > today:
        raise InvalidInput.field("inspection_date", "检验日期不能晚于今天。", code="inspection_date_in_future")
    if report_date is not None and report_date > today:
        raise InvalidInput.field("report_date", "报告日期不能晚于今天。", code="report_date_in_future")
    if report_date is not None and report_date < inspection_date:
        raise InvalidInput.field("report_date", "报告日期不能早于检验日期。", code="report_date_before_inspection")
    record = ResultInput(
        report_no=report_no, equipment_code=equipment_code, equipment_id=equipment_id, inspection_type=kind,
        work_type=work_type, conclusion=conclusion, safety_grade=safety_grade, inspection_date=inspection_date,
        report_date=report_date, inspector_names=_names(raw), application_id=_integer(raw, "application_id"),
        reinspection_of=_text(raw, "reinspection_of", 64), note=_text(raw, "note", 2000),
        problems=_problems(raw, inspection_date, max_problems))
    if record.reinspection_of == report_no:
        raise InvalidInput.field("reinspection_of", "复检不能指向本报告自身。", code="reinspection_of_unknown")
    return _hashed(record)


def _hashed(record: ResultInput) -> ResultInput:
    content = {name: getattr(record, name) for name in FIELDS}
    content["problems"] = [[p.description, p.severity, p.deadline, p.item_key] for p in record.problems]
    object.__setattr__(record, "content_hash", content_hash(content))
    return record
