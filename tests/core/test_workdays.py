"""Working days follow the State Council's calendar (chinesecalendar), the settings override it."""
from __future__ import annotations

import logging
from datetime import date

import pytest

from core import workdays
from core.workdays import add_workdays, is_workday


@pytest.mark.parametrize("day", [date(2026, 2, 15 + n) for n in range(9)])
def test_2026_spring_festival_days_are_off(day):
    # 国办发明电〔2025〕7号: 春节 2月15日至23日放假调休，共9天。
    assert not is_workday(day)


@pytest.mark.parametrize("day", [date(2026, 2, 14), date(2026, 2, 28)])
def test_2026_spring_festival_make_up_saturdays_are_working_days(day):
    assert day.weekday() == 5
    assert is_workday(day)


@pytest.mark.parametrize("day", [date(2026, 10, n) for n in range(1, 8)])
def test_2026_national_day_days_are_off(day):
    assert not is_workday(day)


@pytest.mark.parametrize("day", [date(2026, 9, 20), date(2026, 10, 10)])
def test_2026_national_day_make_up_weekend_days_are_working_days(day):
    assert day.weekday() in (5, 6)
    assert is_workday(day)


def test_add_workdays_skips_the_national_day_week_and_counts_the_make_up_saturday():
    # Wed 30 Sep, then 1-7 Oct off, Thu 8, Fri 9, Sat 10 (make-up) are the first three working days.
    assert add_workdays(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert add_workdays(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert add_workdays(date(2026, 9, 30), 4) == date(2026, 10, 12)


def test_settings_override_the_official_calendar(app, monkeypatch):
    monkeypatch.setitem(app.config, "HOLIDAYS", ["2026-10-08"])
    monkeypatch.setitem(app.config, "EXTRA_WORKDAYS", ["2026-10-07"])
    assert not is_workday(date(2026, 10, 8))
    assert is_workday(date(2026, 10, 7))
    assert add_workdays(date(2026, 9, 30), 2) == date(2026, 10, 9)


def test_a_year_the_package_does_not_know_falls_back_to_weekends_and_warns_once(app, monkeypatch, caplog):
    monkeypatch.setattr(workdays, "_warned_years", set())
    monkeypatch.setitem(app.config, "HOLIDAYS", ["2099-01-01"])
    with caplog.at_level(logging.WARNING, logger="core.workdays"):
        assert not is_workday(date(2099, 1, 1))  # the setting
        assert is_workday(date(2099, 1, 2))  # a Friday
        assert not is_workday(date(2099, 1, 3))  # a Saturday
        assert add_workdays(date(2099, 1, 2), 1) == date(2099, 1, 5)
    assert len([r for r in caplog.records if "2099" in r.getMessage()]) == 1
