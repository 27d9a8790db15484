"""Identifier checksums and masking (domain.md §7).

- 统一社会信用代码 (GB 32100-2015): position 18 is a mod-31 check; reject on a
  mismatch. The inner GB 11714 check on positions 9-17 only warns.
- 居民身份证号码 (GB 11643-1999): position 18 is a mod-11 check; the address
  code is not checked against today's division list (it may be abolished).
"""
from __future__ import annotations

import re
from datetime import date

from core.errors import InvalidInput

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]
USCC_PATTERN = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

ID_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]
ID_CHECK = "10X98765432"
ID_PATTERN = re.compile(r"^\d{17}[\dX]$")

MOBILE_PATTERN = re.compile(r"^1[3-9]\d{9}$")
PHONE_PATTERN = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?|96333|\d{3,5})$")


def normalize(value: str) -> str:
    return value.strip().upper()


def uscc_check_char(body17: str) -> str:
    total = sum(USCC_CHARS.index(ch) * w for ch, w in zip(body17, USCC_WEIGHTS))
    return USCC_CHARS[(31 - total % 31) % 31]


def uscc_problem(value: str) -> str | None:
    """Why `value` is not a valid USCC, in Chinese; None when it is valid."""
    code = normalize(value)
    if len(code) != 18:
        return "统一社会信用代码应为 18 位。"
    if not USCC_PATTERN.match(code):
        return "统一社会信用代码含有不允许的字符（不使用 I、O、Z、S、V）。"
    if uscc_check_char(code[:17]) != code[17]:
        return "统一社会信用代码校验位不正确，请核对。"
    return None


def uscc_inner_check_ok(value: str) -> bool:
    """The GB 11714 check on the organisation code inside the USCC (a warning only)."""
    body = normalize(value)[8:16]
    total = sum(int(ch, 36) * w for ch, w in zip(body, ORG_WEIGHTS))
    c = 11 - total % 11
    expected = "X" if c == 10 else "0" if c == 11 else str(c)
    return normalize(value)[16] == expected


def id_check_char(body17: str) -> str:
    return ID_CHECK[sum(int(ch) * w for ch, w in zip(body17, ID_WEIGHTS)) % 11]


def id_number_problem(value: str) -> str | None:
    """Why `value` is not a valid 18-digit resident ID number; None when it is valid."""
    code = normalize(value)
    if len(code) != 18 or not ID_PATTERN.match(code):
        return "身份证号码应为 18 位，前 17 位为数字，最后一位为数字或 X。"
    try:
        born = date(int(code[6:10]), int(code[10:12]), int(code[12:14]))
    except ValueError:
        return "身份证号码中的出生日期无效。"
    if born.year < 1900 or born > date.today():
        return "身份证号码中的出生日期无效。"
    if id_check_char(code[:17]) != code[17]:
        return "身份证号码校验位不正确，请核对。"
    return None


def phone_problem(value: str) -> str | None:
    if not PHONE_PATTERN.match(value.strip()):
        return "电话号码格式不正确。"
    return None


def mask_id_number(value: str | None) -> str | None:
    """Keep the region and the check character: 610113********123X -> 6101**********123X."""
    if not value:
        return value
    return value[:4] + "*" * (len(value) - 8) + value[-4:] if len(value) > 8 else "*" * len(value)


def mask_phone(value: str | None) -> str | None:
    if not value:
        return value
    if MOBILE_PATTERN.match(value):
        return value[:3] + "****" + value[-4:]
    return value[:-4] + "****" if len(value) > 4 else "****"


def check_field(data: dict, field: str, problem_of, code: str, normalise=normalize) -> None:
    """Normalise `data[field]` in place when present; a problem is a 422 naming the field."""
    if not data.get(field):
        return
    data[field] = normalise(data[field])
    problem = problem_of(data[field])
    if problem:
        raise InvalidInput.field(field, problem, code=code)
