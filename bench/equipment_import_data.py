"""Data for the equipment import benchmark: a legacy ledger as a regulator would get it,
written into the platform's own import template.

Rows mix categories (a few retired codes among them), 设备代码 on most rows and only
the old 注册代码 on some, use units partly registered on the platform and partly not,
and places across the counties of one city. Seeded, so every run imports the same file.
"""
from __future__ import annotations

import io
import random
from collections.abc import Iterator
from datetime import date, timedelta

from openpyxl import load_workbook

from services.demo.orgs import demo_uscc

# (catalogue code, product name, certificate symbol, share of rows)
CATEGORIES = (
    ("3110", "曳引驱动乘客电梯", "梯", 45), ("3120", "曳引驱动载货电梯", "梯", 8), ("3310", "自动扶梯", "梯", 6),
    ("4D00", "机械式停车设备", "起", 5), ("4110", "通用桥式起重机", "起", 8), ("2150", "第二类压力容器", "容", 12),
    ("1200", "承压热水锅炉", "锅", 4), ("5110", "叉车", "车", 11), ("4B00", "桅杆式起重机（旧代码）", "起", 1),
)
STATUSES = (("在用", "在册", 85), ("停用", "在册", 8), ("报废", "注销登记", 4), ("在用未注册", "待注册", 3))


def registered_usccs(region_codes: list[str], count: int) -> list[str]:
    """USCCs of the use units the benchmark registers on the platform beforehand."""
    return [demo_uscc(region_codes[i % len(region_codes)], f"B{i:05d}") for i in range(count)]


def _weighted(rng: random.Random, choices: tuple) -> tuple:
    return rng.choices(choices, weights=[c[-1] for c in choices])[0]


def ledger_rows(count: int, region_codes: list[str], registered: list[str], seed: int = 2026) -> Iterator[dict]:
    """`count` rows keyed by template header (every 设备代码 and 注册代码 unique)."""
    rng = random.Random(seed)
    for n in range(count):
        code, name, symbol, _ = _weighted(rng, CATEGORIES)
        use, reg, _ = _weighted(rng, STATUSES)
        region = region_codes[n % len(region_codes)]
        year = rng.randint(2005, 2022)
        made = date(year, rng.randint(1, 12), rng.randint(1, 28))
        used = made + timedelta(days=rng.randint(30, 300))
        last = date(2025, rng.randint(1, 12), rng.randint(1, 28))
        row = {
            "设备类别代码": code, "使用登记证编号": f"{symbol}{code[1:3]}陕A{n % 100000:05d}({used.year % 100:02d})",
            "产品名称": name, "规格型号": f"XH-{rng.randint(100, 999)}", "制造单位": f"演示制造有限公司{n % 40}",
            "出厂编号": f"SN{year}{n:06d}", "设备地点": f"演示路 {n} 号", "行政区划代码": region,
            "是否公众聚集场所": "是" if code.startswith("3") and rng.random() < 0.6 else "否",
            "使用状态": use, "注册状态": reg, "投入使用日期": used, "制造日期": made, "上次检验日期": last,
            "检验结论": "合格", "下次检验日期": last.replace(year=last.year + 1), "检验类型": "定期检验",
        }
        if rng.random() < 0.9:
            row["设备代码"] = f"{code}61{n % 1000:03d}{year}{n:05d}"  # 18 characters
        # 注册代码: category, region, registration year and month, serial (20 characters).
        row["注册代码"] = f"{code}{region}{used.year}{n // 10000 + 1:02d}{n % 10000:04d}"
        if rng.random() < 0.3:
            row["使用单位统一社会信用代码"] = registered[n % len(registered)]
        else:
            row["使用单位统一社会信用代码"] = demo_uscc(region, f"L{n:05d}")
            row["使用单位名称"] = f"演示历史使用单位{n}"
        yield row


def fill_template(template: bytes, rows: Iterator[dict]) -> bytes:
    """The template with `rows` written below its header, as a user would fill it."""
    workbook = load_workbook(io.BytesIO(template))
    sheet = workbook["设备清单"]
    columns = {cell.value.lstrip("*△"): cell.column for cell in sheet[1]}
    for number, row in enumerate(rows, start=2):
        for header, value in row.items():
            sheet.cell(row=number, column=columns[header], value=value)
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()
