"""The words an inspection report may conclude with, per category and inspection type
(domain.md §3.3), and what each conclusion means for the device's use.

| family (catalogue)                          | types                       | conclusions                            | 安全状况等级 |
|---------------------------------------------|-----------------------------|----------------------------------------|-------------|
| 电梯 3000                                    | supervision, periodic       | 合格 不合格 复检合格 复检不合格           | —           |
| 电梯 3000                                    | self_test (TSG T7008-2023)  | 符合 不符合                             | —           |
| 起重机械 4000                                 | supervision, first, periodic | 合格 不合格 复检合格 复检不合格          | —           |
| 场（厂）内车辆 5000                          | first, periodic             | 合格 不合格 复检合格 复检不合格           | —           |
| 大型游乐设施 6000, 客运索道 9000               | supervision, periodic       | 合格 不合格 复检合格 复检不合格           | —           |
| 锅炉 1000                                    | supervision                 | 合格 不合格                             | —           |
| 锅炉 1000                                    | external, internal          | 符合要求 基本符合要求 不符合要求          | —           |
| 压力容器 2100 固定式, 2200 移动式, 2400 氧舱   | supervision                 | 合格 不合格                             | —           |
| 压力容器                                     | first, periodic             | 符合要求 基本符合要求 不符合要求          | 1–5, required |
| 压力容器                                     | annual                      | 符合要求 基本符合要求 不符合要求          | —           |
| 压力管道 8000 (8300 工业管道)                 | supervision                 | 合格 不合格                             | —           |
| 压力管道                                     | first, periodic             | 符合要求 基本符合要求 不符合要求          | 1–4, required |
| 压力管道                                     | annual                      | 符合要求 基本符合要求 不符合要求          | —           |

气瓶 (2300) belong to the cylinders' own inspection (TSG 23-2021) and take no result here. 公用管道 and 长输管道 are outside inspection on
the platform (INSPECTION_EXCLUDED_CATEGORIES).

Use (法 §40: failed equipment must not be used): 不合格, 复检不合格, 不符合要求 and 不符合 forbid
use, and so does the worst 安全状况等级: grade 5 of a vessel (TSG 21-2016: 不允许使用) and, our
decision, grade 4 of a pipe — TSG D7005-2018 lets a grade-4 pipe run only once its defects are dealt
with ("fix or stop"), so the platform treats the report as forbidding use until a re-inspection (or a
later inspection of that type) passes. 基本符合要求 passes: use under monitoring, its problems become
findings with deadlines.
"""
from __future__ import annotations

PASS_FAIL = ("合格", "不合格", "复检合格", "复检不合格")
SUPERVISION = ("合格", "不合格")
SELF_TEST = ("符合", "不符合")
REQUIREMENTS = ("符合要求", "基本符合要求", "不符合要求")
FAILING = frozenset({"不合格", "复检不合格", "不符合要求", "不符合"})

FAMILY_NAMES = {"boiler": "锅炉", "vessel": "压力容器", "cylinder": "气瓶", "elevator": "电梯", "crane": "起重机械",
                "vehicle": "场（厂）内专用机动车辆", "ride": "大型游乐设施", "pipe": "压力管道", "ropeway": "客运索道"}

# family -> {inspection type: conclusions}
VOCABULARY: dict[str, dict[str, tuple[str, ...]]] = {
    "elevator": {"supervision": PASS_FAIL, "periodic": PASS_FAIL, "self_test": SELF_TEST},
    "crane": {"supervision": PASS_FAIL, "first": PASS_FAIL, "periodic": PASS_FAIL},
    "vehicle": {"first": PASS_FAIL, "periodic": PASS_FAIL},
    "ride": {"supervision": PASS_FAIL, "periodic": PASS_FAIL},
    "ropeway": {"supervision": PASS_FAIL, "periodic": PASS_FAIL},
    "boiler": {"supervision": SUPERVISION, "external": REQUIREMENTS, "internal": REQUIREMENTS},
    "vessel": {"supervision": SUPERVISION, "first": REQUIREMENTS, "periodic": REQUIREMENTS, "annual": REQUIREMENTS},
    "pipe": {"supervision": SUPERVISION, "first": REQUIREMENTS, "periodic": REQUIREMENTS, "annual": REQUIREMENTS},
}
# family -> the worst 安全状况等级 (grades run 1..worst); required with a first or periodic inspection.
GRADED = {"vessel": 5, "pipe": 4}
GRADED_TYPES = ("first", "periodic")


def family(catalogue_code: str | None) -> str | None:
    """The inspection family of a catalogue code (a kind, category or variety), None when unknown."""
    if not catalogue_code:
        return None
    code = catalogue_code.upper()
    if code.startswith("23"):
        return "cylinder"
    return {"1": "boiler", "2": "vessel", "3": "elevator", "4": "crane", "5": "vehicle", "6": "ride", "8": "pipe",
            "9": "ropeway"}.get(code[0])


def types_for(catalogue_code: str | None) -> tuple[str, ...]:
    """The inspection types whose results a device of this category takes (empty: none here)."""
    return tuple(VOCABULARY.get(family(catalogue_code) or "", {}))


def allowed(catalogue_code: str | None, inspection_type: str) -> tuple[str, ...]:
    """The §3.3 vocabulary of a category and inspection type (empty: the type is not for the category)."""
    return VOCABULARY.get(family(catalogue_code) or "", {}).get(inspection_type, ())


def grade_range(catalogue_code: str | None, inspection_type: str) -> tuple[int, int] | None:
    """(1, worst) when a 安全状况等级 is required with this result; None when none is given."""
    worst = GRADED.get(family(catalogue_code) or "")
    return (1, worst) if worst and inspection_type in GRADED_TYPES else None


def forbids_use(catalogue_code: str | None, inspection_type: str, conclusion: str,
                safety_grade: int | None) -> bool:
    """The result forbids use (法 §40): a failing conclusion, or the family's worst grade (vessel 5, pipe 4)."""
    if conclusion in FAILING:
        return True
    worst = GRADED.get(family(catalogue_code) or "")
    return worst is not None and safety_grade is not None and safety_grade >= worst


def is_reinspection_word(conclusion: str) -> bool:
    """复检合格 / 复检不合格: the conclusion itself says it is a re-inspection."""
    return conclusion.startswith("复检")
