"""Equipment identifiers (domain.md §2.2-§2.3): checked leniently, warned about, never guessed.

- 设备代码: 18 characters (manufacturer) or 19 (registration office); legacy 注册代码: 20 digits.
  Characters 1-4 should be the catalogue code: a mismatch is a warning, not a refusal.
- 使用登记证编号: free text; the usual pattern (e.g. 梯11陕A00001(17)) is checked and warned about,
  since out-of-province 流动作业 equipment and old certificates vary.
"""
from __future__ import annotations

import re

from core.errors import InvalidInput

EQUIPMENT_CODE = re.compile(r"^[0-9A-Za-z]{18,20}$")
LEGACY_REG_CODE = re.compile(r"^[0-9A-Za-z]{20}$")
CERT_NO = re.compile(
    r"^[锅容瓶管梯起索游车氧][0-9A-Z]{2}"
    r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-Z]\d{4,6}[(（]\d{2}[)）]$"
)


def clean_equipment_code(value: str | None, field: str = "equipment_code") -> str | None:
    if not value:
        return None
    code = value.strip().upper()
    if not EQUIPMENT_CODE.match(code):
        raise InvalidInput.field(field, "设备代码应为 18 到 20 位字母或数字。", code="equipment_code_invalid")
    return code


def clean_legacy_reg_code(value: str | None, field: str = "legacy_reg_code") -> str | None:
    if not value:
        return None
    code = value.strip().upper()
    if not LEGACY_REG_CODE.match(code):
        raise InvalidInput.field(field, "注册代码应为 20 位。", code="legacy_reg_code_invalid")
    return code


def clean_cert_no(value: str | None) -> str | None:
    return value.strip().replace(" ", "") if value else None


def warnings_for(catalogue_code: str, equipment_code: str | None, legacy_reg_code: str | None,
                 cert_no: str | None, retired: bool) -> list[str]:
    """Things a reviewer should look at; none of them blocks the record."""
    found = []
    if retired:
        found.append("设备类别代码已移出现行目录，请核实类别。")
    for label, code in (("设备代码", equipment_code), ("注册代码", legacy_reg_code)):
        if code and code[:4] != catalogue_code:
            found.append(f"{label}前 4 位与设备类别代码 {catalogue_code} 不一致。")
    if cert_no and not CERT_NO.match(cert_no):
        found.append("使用登记证编号与常见格式（如 梯11陕A00001(17)）不符，请核对。")
    return found
