"""Reporting periods: runs of Asia/Shanghai business days, one type for every statistic.

Times are stored in UTC; the days, weeks (Monday to Sunday), months, quarters and years of the
business are Asia/Shanghai. A period runs from `start` to `end` (both included) and, when it is
looked at on `today`, is counted *through* the earlier of its last day and today — so this week's
figures on Wednesday count Monday to Wednesday. Today is counted but not over (`open_day`): what
was done today counts, what is not done yet is not missed until the day ends.

Periods read from a request come either as a kind and any day in it (`?period=month&date=2026-11-01`),
as a period code (`2026`, `2026-Q4`, `2026-11`) or as a custom range (`date_from` / `date_to`); bad
input is a field error (`period_invalid`, `period_too_long`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Callable

from core.errors import InvalidInput
from core.schemas import YEARS
from core.timeutil import SHANGHAI

KINDS = {"week": "周", "month": "月", "quarter": "季度", "year": "年", "range": "自定义"}
QUARTER_NAMES = "一二三四"


@dataclass(frozen=True)
class Period:
    """A run of business days `start`..`end`, counted through `min(end, today)`.

    `today` None means the period is looked at as a whole (a past month's report): it is counted
    through its end. `kind` is week / month / quarter / year, or range for a custom window.
    """

    start: date
    end: date
    today: date | None = None
    kind: str = "range"

    @property
    def through(self) -> date:
        return self.end if self.today is None else min(self.end, self.today)

    @property
    def open_day(self) -> date | None:
        """Today, when it is one of the days counted: the day still in progress, whose missing
        records are not missed yet (Asia/Shanghai). None for a period looked at as a whole."""
        return self.today if self.today is not None and self.start <= self.today <= self.end else None

    @property
    def days(self) -> int:
        """Days counted (0 when the period starts after today)."""
        return max(0, (self.through - self.start).days + 1)

    def dates(self) -> list[date]:
        """The days counted, in order."""
        return [self.start + timedelta(days=i) for i in range(self.days)]

    @property
    def started(self) -> bool:
        """Whether the period's first day has come (a future period cannot be reported on)."""
        return self.today is None or self.start <= self.today

    @property
    def over(self) -> bool:
        """Whether the period has ended before today (its report is due)."""
        return self.today is not None and self.end < self.today

    @property
    def code(self) -> str:
        """`2026`, `2026-Q4`, `2026-11`, `2026-W47` (ISO week), or `start/end` for a range."""
        if self.kind == "year":
            return str(self.start.year)
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "month":
            return f"{self.start.year}-{self.start.month:02d}"
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.start.isoformat()}/{self.end.isoformat()}"

    @property
    def label(self) -> str:
        """The Chinese name of the period: 2026年、2026年第四季度、2026年11月、2026-11-16 至 2026-11-22."""
        if self.kind == "year":
            return f"{self.start.year}年"
        if self.kind == "quarter":
            return f"{self.start.year}年第{QUARTER_NAMES[(self.start.month - 1) // 3]}季度"
        if self.kind == "month":
            return f"{self.start.year}年{self.start.month}月"
        return f"{self.start.isoformat()} 至 {self.end.isoformat()}"

    def previous(self) -> "Period":
        """The period of the same kind just before this one (a range: the same length before it)."""
        if self.kind == "range":
            length = self.end - self.start
            end = self.start - timedelta(days=1)
            return Period(end - length, end, self.today, "range")
        return period_of(self.kind, self.start - timedelta(days=1), self.today)

    def following(self) -> "Period":
        """The period of the same kind just after this one."""
        if self.kind == "range":
            length = self.end - self.start
            start = self.end + timedelta(days=1)
            return Period(start, start + length, self.today, "range")
        return period_of(self.kind, self.end + timedelta(days=1), self.today)


# -- the periods containing a day -------------------------------------------------------------------

def week_period(day: date, today: date | None = None) -> Period:
    """The Monday-to-Sunday week containing `day`."""
    monday = day - timedelta(days=day.weekday())
    return Period(monday, monday + timedelta(days=6), today, "week")


def month_end(day: date) -> date:
    """The last day of `day`'s month."""
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def month_period(day: date, today: date | None = None) -> Period:
    """The calendar month containing `day`."""
    return Period(day.replace(day=1), month_end(day), today, "month")


def quarter_period(day: date, today: date | None = None) -> Period:
    """The calendar quarter containing `day`."""
    first = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return Period(first, month_end(first.replace(month=first.month + 2)), today, "quarter")


def year_period(day: date, today: date | None = None) -> Period:
    """The calendar year containing `day`."""
    return Period(date(day.year, 1, 1), date(day.year, 12, 31), today, "year")


_OF = {"week": week_period, "month": month_period, "quarter": quarter_period, "year": year_period}


def period_of(kind: str, day: date, today: date | None = None) -> Period:
    """The week, month, quarter or year containing `day` (ValueError for another kind)."""
    try:
        return _OF[kind](day, today)
    except KeyError:
        raise ValueError(f"unknown period kind {kind!r}") from None


def month_starts(start: date, end: date) -> list[date]:
    """First days of the months that overlap `start`..`end`, in order."""
    months, first = [], start.replace(day=1)
    while first <= end:
        months.append(first)
        first = month_end(first) + timedelta(days=1)
    return months


def weeks_of(start: date, end: date) -> list[date]:
    """Mondays of the weeks that belong to `start`..`end`: those whose Thursday falls in it
    (as ISO 8601 assigns weeks to years), so every week belongs to exactly one month."""
    thursday = start + timedelta(days=(3 - start.weekday()) % 7)
    mondays = []
    while thursday <= end:
        mondays.append(thursday - timedelta(days=3))
        thursday += timedelta(days=7)
    return mondays


# -- days as UTC instants --------------------------------------------------------------------------

def day_start_utc(day: date) -> datetime:
    """The start of an Asia/Shanghai day (its midnight), in UTC."""
    return datetime.combine(day, time.min, SHANGHAI).astimezone(timezone.utc)


def day_end_utc(day: date) -> datetime:
    """The end of an Asia/Shanghai day (its next midnight), in UTC."""
    return day_start_utc(day + timedelta(days=1))


def utc_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start of `start`, end of `end`) in UTC: the half-open window of timestamps in those days."""
    return day_start_utc(start), day_end_utc(end)


# -- reading a period from a request ----------------------------------------------------------------

def _check_year(year: int, field: str) -> None:
    if not YEARS[0] <= year <= YEARS[1]:
        raise InvalidInput.field(field, f"期间应在 {YEARS[0]} 年到 {YEARS[1]} 年之间。", code="period_invalid")


def parse_code(text: str | None, field: str = "period", today: date | None = None) -> Period:
    """`2026`, `2026-Q4` or `2026-11` as a year, quarter or month. 422 `period_invalid` otherwise."""
    value = (text or "").strip().upper()
    if year := re.match(r"\d{4}", value):
        _check_year(int(year[0]), field)
    if match := re.fullmatch(r"(\d{4})-Q([1-4])", value):
        return quarter_period(date(int(match[1]), 3 * int(match[2]) - 2, 1), today)
    if match := re.fullmatch(r"(\d{4})-(0[1-9]|1[0-2])", value):
        return month_period(date(int(match[1]), int(match[2]), 1), today)
    if match := re.fullmatch(r"(\d{4})", value):
        return year_period(date(int(match[1]), 1, 1), today)
    raise InvalidInput.field(field, "期间格式应为 2026、2026-Q4 或 2026-11。", code="period_invalid")


def custom_range(date_from: date | None, date_to: date | None, today: date, *, max_days: int,
                 default_end: date | None = None,
                 default_start: Callable[[date], date] = lambda end: end.replace(month=1, day=1),
                 started: bool = False) -> Period:
    """A custom window `date_from`..`date_to` (both included), counted through today.

    Defaults: the end `default_end` (today), the start `default_start(end)` (the first of January).
    422 `period_invalid` when the start is after the end, `period_not_started` when `started` is
    asked for and the start is after today, `period_too_long` past `max_days` days.
    """
    end = date_to or default_end or today
    start = date_from or default_start(end)
    if start > end:
        raise InvalidInput.field("date_from", "开始日期不能晚于结束日期。", code="period_invalid")
    if started and start > today:
        raise InvalidInput.field("date_from", "开始日期不能晚于今天。", code="period_not_started")
    if (end - start).days >= max_days:
        raise InvalidInput.field("date_to", f"统计区间不能超过 {max_days} 天。", code="period_too_long")
    return Period(start, end, today, "range")


def from_params(args: dict, today: date, *, max_days: int = 3 * 366, default_kind: str = "month") -> Period:
    """A period from query parameters: `period` (week / month / quarter / year / range, or a code
    such as `2026-Q4`) with `date` (any day in it, default today), or `date_from` / `date_to`.

    422 `period_invalid` for an unknown kind or code, `period_too_long` for a range past `max_days`.
    """
    kind = (args.get("period") or "").strip() or ("range" if args.get("date_from") or args.get("date_to")
                                                  else default_kind)
    if kind == "range":
        return custom_range(args.get("date_from"), args.get("date_to"), today, max_days=max_days)
    if kind in _OF:
        day = args.get("date") or today
        if isinstance(day, str):
            try:
                day = date.fromisoformat(day)
            except ValueError:
                raise InvalidInput.field("date", "日期格式应为 2026-11-01。", code="period_invalid") from None
        _check_year(day.year, "date")
        return period_of(kind, day, today)
    return parse_code(kind, "period", today)
