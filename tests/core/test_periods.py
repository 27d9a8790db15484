"""`core.periods`: the one reporting-period type — Asia/Shanghai weeks, months, quarters and years,
counted through the earlier of their end and today, and read from a request."""
from datetime import date, datetime, timezone

import pytest

from core import periods
from core.errors import InvalidInput


def test_a_week_runs_monday_to_sunday_across_a_month_and_a_year_boundary():
    week = periods.week_period(date(2026, 1, 1), today=date(2026, 1, 10))  # a Thursday
    assert (week.start, week.end, week.kind) == (date(2025, 12, 29), date(2026, 1, 4), "week")
    assert week.code == "2026-W01"  # ISO: the week of 2026's first Thursday belongs to 2026
    assert week.over and week.days == 7


def test_this_weeks_figures_are_counted_through_today():
    week = periods.week_period(date(2026, 11, 18), today=date(2026, 11, 18))  # Wednesday
    assert week.through == date(2026, 11, 18)
    assert week.days == 3
    assert week.dates() == [date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 18)]
    assert not week.over


def test_a_period_that_has_not_started_counts_no_day():
    month = periods.month_period(date(2026, 12, 5), today=date(2026, 11, 30))
    assert not month.started
    assert month.days == 0 and month.dates() == []


def test_a_period_looked_at_as_a_whole_is_counted_through_its_end():
    month = periods.month_period(date(2026, 2, 10))
    assert month.through == date(2026, 2, 28) and month.days == 28


@pytest.mark.parametrize("day, start, end", [
    (date(2024, 2, 29), date(2024, 2, 1), date(2024, 2, 29)),  # leap February
    (date(2026, 12, 31), date(2026, 12, 1), date(2026, 12, 31)),
    (date(2026, 1, 31), date(2026, 1, 1), date(2026, 1, 31)),
])
def test_month_boundaries(day, start, end):
    month = periods.month_period(day)
    assert (month.start, month.end) == (start, end)


@pytest.mark.parametrize("day, start, end, code, label", [
    (date(2026, 1, 1), date(2026, 1, 1), date(2026, 3, 31), "2026-Q1", "2026年第一季度"),
    (date(2026, 6, 30), date(2026, 4, 1), date(2026, 6, 30), "2026-Q2", "2026年第二季度"),
    (date(2026, 9, 1), date(2026, 7, 1), date(2026, 9, 30), "2026-Q3", "2026年第三季度"),
    (date(2026, 12, 31), date(2026, 10, 1), date(2026, 12, 31), "2026-Q4", "2026年第四季度"),
])
def test_quarter_boundaries(day, start, end, code, label):
    quarter = periods.quarter_period(day)
    assert (quarter.start, quarter.end, quarter.code, quarter.label) == (start, end, code, label)


def test_the_period_before_the_first_quarter_is_last_years_fourth():
    previous = periods.period_of("quarter", date(2026, 2, 1)).previous()
    assert (previous.start, previous.end, previous.code) == (date(2025, 10, 1), date(2025, 12, 31), "2025-Q4")
    assert periods.month_period(date(2026, 1, 15)).previous().code == "2025-12"
    assert periods.month_period(date(2025, 12, 15)).following().code == "2026-01"
    assert periods.year_period(date(2026, 5, 1)).previous().label == "2025年"


def test_a_business_day_is_a_shanghai_day_in_utc():
    # 2026-11-01 00:00 in Shanghai is 2026-10-31 16:00 UTC; the day ends at the next midnight.
    assert periods.day_start_utc(date(2026, 11, 1)) == datetime(2026, 10, 31, 16, tzinfo=timezone.utc)
    assert periods.day_end_utc(date(2026, 11, 1)) == datetime(2026, 11, 1, 16, tzinfo=timezone.utc)
    assert periods.utc_bounds(date(2026, 1, 1), date(2026, 12, 31)) == (
        datetime(2025, 12, 31, 16, tzinfo=timezone.utc), datetime(2026, 12, 31, 16, tzinfo=timezone.utc))


def test_weeks_belong_to_the_month_holding_their_thursday():
    # December 2025 starts on a Monday; its last week (29 Dec - 4 Jan) has its Thursday in January.
    assert periods.weeks_of(date(2025, 12, 1), date(2025, 12, 31)) == [
        date(2025, 12, 1), date(2025, 12, 8), date(2025, 12, 15), date(2025, 12, 22)]
    assert periods.weeks_of(date(2026, 1, 1), date(2026, 1, 31))[0] == date(2025, 12, 29)


def test_month_starts_cover_a_window_across_a_year():
    assert periods.month_starts(date(2025, 11, 20), date(2026, 2, 1)) == [
        date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)]


@pytest.mark.parametrize("text, kind, start, end", [
    ("2026", "year", date(2026, 1, 1), date(2026, 12, 31)),
    ("2026-q4", "quarter", date(2026, 10, 1), date(2026, 12, 31)),
    (" 2026-11 ", "month", date(2026, 11, 1), date(2026, 11, 30)),
])
def test_period_codes(text, kind, start, end):
    period = periods.parse_code(text)
    assert (period.kind, period.start, period.end) == (kind, start, end)
    assert periods.parse_code(period.code) == period


@pytest.mark.parametrize("text", ["2026-13", "2026-Q5", "26-11", "", "1899", "2026-11-01"])
def test_a_bad_period_code_is_a_field_error(text):
    with pytest.raises(InvalidInput) as raised:
        periods.parse_code(text)
    assert raised.value.code == "period_invalid"


def test_query_params_name_a_kind_and_any_day_in_it():
    today = date(2026, 11, 18)
    period = periods.from_params({"period": "month", "date": "2026-11-01"}, today)
    assert (period.start, period.end, period.through) == (date(2026, 11, 1), date(2026, 11, 30), today)
    assert periods.from_params({"period": "week"}, today).start == date(2026, 11, 16)
    assert periods.from_params({"period": "2026-Q3"}, today).code == "2026-Q3"
    custom = periods.from_params({"date_from": date(2026, 11, 1), "date_to": date(2026, 11, 30)}, today)
    assert (custom.kind, custom.start, custom.through, custom.days) == ("range", date(2026, 11, 1), today, 18)


@pytest.mark.parametrize("args, code", [
    ({"period": "fortnight"}, "period_invalid"),
    ({"period": "month", "date": "2026-02-30"}, "period_invalid"),
    ({"date_from": date(2026, 2, 1), "date_to": date(2026, 1, 1)}, "period_invalid"),
    ({"date_from": date(2020, 1, 1), "date_to": date(2026, 1, 1)}, "period_too_long"),
])
def test_bad_query_params_are_field_errors(args, code):
    with pytest.raises(InvalidInput) as raised:
        periods.from_params(args, date(2026, 11, 18))
    assert raised.value.code == code


def test_a_custom_range_may_be_required_to_have_started():
    with pytest.raises(InvalidInput) as raised:
        periods.custom_range(date(2026, 12, 1), date(2026, 12, 5), date(2026, 11, 18), max_days=366, started=True)
    assert raised.value.code == "period_not_started"
