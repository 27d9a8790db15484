"""Who is told what after a batch of inspection results (through the outbox), one message per
recipient per batch, whatever the batch's size:

- the use unit's admins and 安全总监: devices that must not be used (不合格 / 不符合要求 / the worst
  grade, 法 §40), devices restored by a passing re-inspection, problems to rectify (findings);
- the regulator staff over each device's region (the nearest regulator upward): the same devices
  turned red or restored;
- the applicant's admins: their applications completed, with the conclusion.

Recipients of the whole batch are read in one query per kind of recipient; the messages are
written at once (`notify.queue_messages`).
"""
from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from core.extensions import db
from models.orgs import Person, Unit
from services import notify
from services.orgs import people

UNIT_ROLES = ("unit_admin", "safety_director")
MAX_LINES = 20


def _place(device: Any) -> str:
    where = f"，{device.address}" if device.address else ""
    return f"设备 {device.equipment_code or device.id}{where}"


def _unit_people(unit_ids: Iterable[int], roles: Sequence[str]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = defaultdict(list)
    ids = sorted({i for i in unit_ids if i is not None})
    if ids:
        for person_id, unit_id in db.session.execute(people.people_with_roles_stmt(ids, roles, Person.id, Person.unit_id)):
            found[unit_id].append(person_id)
    return found


def _regulators(paths: Iterable[str]) -> dict[str, list[int]]:
    """For each region path, the regulator staff of the nearest regulator upward (one query)."""
    paths = sorted(set(paths))
    codes = sorted({code for path in paths for code in path.split("/")})
    if not codes:
        return {}
    staff: dict[str, list[int]] = defaultdict(list)
    stmt = (people.people_with_roles_stmt(None, "regulator_staff", Person.id, Unit.region_code)
            .join(Unit, Unit.id == Person.unit_id)
            .where(Unit.kind == "regulator", Unit.status == "approved", Unit.region_code.in_(codes)))
    for person_id, region_code in db.session.execute(stmt):
        staff[region_code].append(person_id)
    nearest = {}
    for path in paths:
        for code in reversed(path.split("/")):
            if staff.get(code):
                nearest[path] = staff[code]
                break
    return nearest


def _send(out: list[notify.NewMessage], lines_by_person: dict[int, list[str]], template: str, title: str, lead: str,
          data_key: str, ids_by_person: dict[int, list[int]], batch_key: str) -> None:
    for person_id, lines in lines_by_person.items():
        shown = lines[:MAX_LINES]
        more = f"\n……等共 {len(lines)} 项。" if len(lines) > MAX_LINES else ""
        out.append(notify.NewMessage(person_id, template, title, lead + "\n" + "\n".join(shown) + more,
                                     {data_key: ids_by_person[person_id][:100]},
                                     dedupe_key=f"{template}:{batch_key}:{person_id}"))


def tell(items: Sequence[Any], failed: Sequence[tuple[Any, Any]], restored: Sequence[tuple[Any, Any]],
         completed: Sequence[Any]) -> None:
    """Queue the batch's messages (see the module docstring)."""
    if not items:
        return
    batch_key = secrets.token_hex(8)  # the batch's messages are its own, a correction's again
    out: list[notify.NewMessage] = []
    by_device = {item.device.id: item.device for item in items}
    state_lines: dict[int, list[str]] = defaultdict(list)  # red or restored: the unit and the regulator
    problem_lines: dict[int, list[str]] = defaultdict(list)  # findings to rectify: the unit
    result_ids: dict[int, list[int]] = defaultdict(list)
    for device, view in failed:
        state_lines[device.id].append(f"{_place(device)}：检验结论「{view.conclusion}」（报告编号 {view.report_no}），"
                                      "禁止使用，请整改后申请复检。")
        result_ids[device.id].append(view.id)
    for device, view in restored:
        source = f"（报告编号 {view.report_no}）" if view is not None else ""
        state_lines[device.id].append(f"{_place(device)}：复检合格{source}，已解除禁止使用。")
        if view is not None:
            result_ids[device.id].append(view.id)
    for item in items:
        if item.record.problems:
            problem_lines[item.device.id].append(
                f"{_place(item.device)}：检验发现问题 {len(item.record.problems)} 项（报告编号 {item.record.report_no}），"
                "请在整改期限内整改并在隐患整改中确认。")
            result_ids[item.device.id].append(item.result_id)
    told = set(state_lines) | set(problem_lines)
    if told:
        units = _unit_people((by_device[d].use_unit_id for d in told), UNIT_ROLES)
        lines, ids = defaultdict(list), defaultdict(list)
        for device_id in sorted(told):
            for person_id in units.get(by_device[device_id].use_unit_id, []):
                lines[person_id] += state_lines[device_id] + problem_lines[device_id]
                ids[person_id] += result_ids[device_id]
        title = "设备检验不合格，禁止使用" if failed else "设备检验结果通知"
        _send(out, lines, "inspection_result_recorded", title, "检验检测机构回传了以下检验结果：", "inspection_result_ids",
              ids, batch_key)
    if state_lines:
        regulators = _regulators(by_device[d].path for d in state_lines)
        lines, ids = defaultdict(list), defaultdict(list)
        for device_id in sorted(state_lines):
            for person_id in regulators.get(by_device[device_id].path, []):
                lines[person_id] += state_lines[device_id]
                ids[person_id].append(device_id)
        _send(out, lines, "inspection_result_failed", "辖区设备检验不合格或复检合格",
              "辖区内以下设备的检验结论影响其使用：", "equipment_ids", ids, batch_key)
    if completed:
        admins = _unit_people((item.application.applicant_unit_id for item in completed), ("unit_admin",))
        lines, ids = defaultdict(list), defaultdict(list)
        for item in completed:
            for person_id in admins.get(item.application.applicant_unit_id, []):
                lines[person_id].append(f"检验申请（编号 {item.application.id}，{_place(item.device)}）已出具结果："
                                        f"{item.record.conclusion}（报告编号 {item.record.report_no}）。")
                ids[person_id].append(item.application.id)
        _send(out, lines, "inspection_application_completed", "检验申请已出具结果", "您单位的检验申请已办结：",
              "inspection_application_ids", ids, batch_key)
    notify.queue_messages(out)
