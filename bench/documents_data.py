"""Fixed data for the document benchmark: a quarter's periodic risk report content (the plain data
`services.risk.periodic_content.build_content` returns) and a device's month of daily checks (a
`services.checks.records.Record`), the same on every run so before/after figures compare."""
from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

CITIES = ("西安市", "宝鸡市", "咸阳市", "铜川市", "渭南市", "延安市", "榆林市", "汉中市", "安康市", "商洛市", "杨凌示范区",
          "韩城市")
AREAS = ("生产领域", "使用领域", "检验检测领域", "充装领域", "维保领域")
KINDS = ("风险信息", "问题", "建议")
LEVELS = ("一般", "严重", "重大", "未定级")
CATEGORIES = ("电梯", "起重机械", "场（厂）内专用机动车辆", "锅炉", "压力容器", "压力管道", "气瓶", "大型游乐设施",
              "客运索道")
HANDLING = ("县级", "市级", "省级")
STATUSES = ("已提交", "县级处置中", "市级处置中", "省级处置中", "已办结", "已合并")


def _group(rng: random.Random, labels, scale: int = 40) -> list[dict[str, Any]]:
    rows = []
    for label in labels:
        reports = rng.randint(0, scale)
        closed = rng.randint(0, reports)
        merged = rng.randint(0, reports - closed)
        rows.append({"key": label, "label": label, "reports": reports, "closed": closed,
                     "open": reports - closed - merged, "merged": merged,
                     "average_days": round(rng.uniform(1, 20), 1) if closed else None,
                     "median_days": round(rng.uniform(1, 15), 1) if closed else None})
    return rows


def periodic_content() -> dict[str, Any]:
    """A quarter of the province's risk reports, as the PDF renderer receives it."""
    rng = random.Random(20260930)
    by = {"area": _group(rng, AREAS, 80), "kind": _group(rng, KINDS, 120), "level": _group(rng, LEVELS, 90),
          "region": _group(rng, CITIES, 40), "category": _group(rng, CATEGORIES, 50),
          "handling_level": _group(rng, HANDLING, 100), "status": _group(rng, STATUSES, 60)}
    months = [date(2025, 10, 1)]
    while len(months) < 12:
        months.append((months[-1] + timedelta(days=32)).replace(day=1))
    trend = _group(rng, [f"{m:%Y-%m}" for m in months], 90)
    total = sum(r["reports"] for r in by["area"])
    closed = sum(r["closed"] for r in by["area"])
    merged = sum(r["merged"] for r in by["area"])
    serious = [{"id": 1000 + i, "title": f"{rng.choice(CITIES)}{rng.choice(CATEGORIES)}安全附件失效风险信息第{i + 1}条",
                "region": rng.choice(CITIES), "category": rng.choice(CATEGORIES), "level": rng.choice(("严重", "重大")),
                "status": rng.choice(STATUSES),
                "measures": "责令停止使用，限期更换安全阀并重新校验；县级监察机构跟踪复查。" if i % 3 else None}
               for i in range(6)]
    cases = [{"title": "起重机械检验周期典型案例", "region": "西安市", "area": "使用领域", "category": "起重机械",
              "summary": "某单位桥式起重机超期未检仍在使用，风险监测点报送后，县级监察机构当日核查并责令停用，"
                         "使用单位申报检验，整改后恢复使用。",
              "lessons": "使用单位应建立检验到期提醒，安全员日管控时核对检验有效期。"}]
    content: dict[str, Any] = {
        "title": "陕西省特种设备风险监测评估报告", "issuer": "陕西省特种设备风险监测及应急保障中心",
        "period_type": "quarter", "period_code": "2026-Q3", "period_label": "2026年第三季度",
        "date_from": "2026-07-01", "date_to": "2026-09-30", "as_of": "2026-09-30", "partial": False,
        "generated_local": "2026-10-01 02:00",
        "totals": {"reports": total, "closed": closed, "closed_rate": closed / total if total else None,
                   "open": total - closed - merged, "merged": merged, "serious": 9, "major": 3,
                   "handling_days": {"average": 6.4, "median": 5.0}},
        "previous_period": "2026年第二季度", "previous_reports": total - 17, "overdue": 4,
        "by": by, "trend": trend,
        "held_by_level": [{"label": label, "holdings": rng.randint(10, 90), "average_days": round(rng.uniform(1, 9), 1),
                           "median_days": round(rng.uniform(1, 7), 1), "held_now": rng.randint(0, 20)}
                          for label in HANDLING],
        "serious_reports": serious, "serious_total": 8, "cases": cases,
        "non_punitive_note": "说明：本报告依据各风险监测点报送的信息统计形成，不含报送人身份信息。",
        "main_risks": {"summary": ["报送最多的设备种类：电梯 48 条、起重机械 41 条、气瓶 33 条。",
                                   "报送最多的领域：使用领域 77 条、充装领域 52 条、生产领域 30 条。",
                                   "报送最多的地区：西安市 39 条、榆林市 35 条、宝鸡市 31 条。"]},
        "assessment": ["本期全省共报送风险信息若干条，较上期有所增加，办结率保持稳定。",
                       "严重、重大隐患风险信息均已按规定逐级上报并跟踪处置。",
                       "建议各市加强对电梯、起重机械使用单位日管控落实情况的抽查。",
                       "建议充装单位严格执行充装前后检查，杜绝超期未检气瓶充装。"],
    }
    return content


def record_book_parts() -> tuple[str, str, list[tuple[str, Any]], list[tuple[str, tuple, list[list[Any]]]], str]:
    """《每日电梯安全检查记录》 for one device and one month: 30 days, a few missed, some findings."""
    weekdays = "一二三四五六日"
    rows = []
    for offset in range(30):
        day = date(2026, 9, 1) + timedelta(days=offset)
        label = f"{day.isoformat()}（{weekdays[day.weekday()]}）"
        if offset % 9 == 4:
            rows.append([label, "未检查（漏检）", "", "", "", ""])
        elif offset % 5 == 2:
            rows.append([label, "已检查", "王安全", f"{day.isoformat()} 08:{10 + offset:02d}", "异常 2 项",
                         "层门门锁啮合长度不足；轿厢应急照明不亮；已通知维保单位处理"])
        else:
            rows.append([label, "已检查", "王安全", f"{day.isoformat()} 08:{10 + offset:02d}", "零风险", ""])
    findings = [[500 + i, f"2026-09-{3 + 5 * i:02d}", ("一般", "严重")[i % 2], "层门门锁啮合长度不足，存在开门走车风险",
                 f"2026-09-{10 + 5 * i:02d}", ("已整改", "整改中")[i % 2],
                 f"2026-09-{8 + 5 * i:02d} 16:30" if i % 2 == 0 else ""]
                for i in range(4)]
    meta = [("使用单位", "西安市某商业综合体有限公司"), ("设备代码", "31106101002026090001"),
            ("使用登记证编号", "梯11陕A00001(26)"), ("设备", "曳引驱动乘客电梯 客梯1号"),
            ("设备地点", "西安市雁塔区科技路1号A座"), ("负责安全员", "王安全"), ("月份", "2026年09月"),
            ("已检查 / 漏检（天）", "26 / 4")]
    sections = [("每日检查记录", (("日期", 3), ("检查情况", 3), ("检查人", 2), ("提交时间", 3), ("结论", 2),
                                ("异常项及备注", 5)), rows),
                ("隐患及整改", (("编号", 1), ("发现日期", 2), ("等级", 1), ("问题描述", 5), ("整改期限", 2),
                             ("状态", 2), ("整改完成", 3)), findings)]
    return ("《每日电梯安全检查记录》", "31106101002026090001　2026年09月", meta, sections,
            "每日电梯安全检查记录-31106101002026090001-2026-09")
