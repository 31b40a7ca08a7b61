"""Plan offers and schedules (pure functions, no database)."""

from __future__ import annotations

from datetime import date

import pytest

from alerts.settings import DEFAULT_SETTINGS, merged, validate_settings
from payments.plans import add_months, offers_for, retry_date, split_amount

POLICY = {"installments": [2, 3, 4, 6], "frequencies": ["weekly", "monthly"],
          "min_installment_major": {"COP": 20000}, "max_duration_days": 80,
          "first_due_today": True}


def test_split_puts_the_remainder_on_the_last_instalment():
    assert split_amount(100_00, 3) == [33_33, 33_33, 33_34]
    assert split_amount(7, 4) == [1, 1, 1, 4]
    assert sum(split_amount(123_456_789, 6)) == 123_456_789
    with pytest.raises(ValueError):
        split_amount(0, 2)


def test_months_are_added_with_the_day_clamped_to_the_month_end():
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)


def test_offers_respect_minimum_instalment_and_longest_duration():
    today = date(2026, 11, 22)
    offers = offers_for(100_000_00, "COP", POLICY, today)
    keys = {offer.key for offer in offers}
    # 6 × 16.666 COP is below the 20.000 minimum; 4 monthly ends after 80 days.
    assert "6-weekly-COP" not in keys and "6-monthly-COP" not in keys
    assert "4-monthly-COP" not in keys and "3-monthly-COP" in keys
    assert "4-weekly-COP" in keys
    for offer in offers:
        assert offer.total_minor == 100_000_00
        assert offer.schedule[0][0] == today
    weekly = next(o for o in offers if o.key == "2-weekly-COP")
    assert [d for d, _ in weekly.schedule] == [today, date(2026, 11, 29)]


def test_first_instalment_can_be_one_period_away():
    policy = dict(POLICY, first_due_today=False, max_duration_days=120)
    offer = next(o for o in offers_for(90_000_00, "COP", policy, date(2026, 1, 31))
                 if o.key == "3-monthly-COP")
    assert [d for d, _ in offer.schedule] == [date(2026, 2, 28), date(2026, 3, 31),
                                             date(2026, 4, 30)]


def test_retries_follow_the_policy_then_give_up():
    due = date(2026, 12, 1)
    assert retry_date(due, 1, [1, 3], due) == date(2026, 12, 2)
    assert retry_date(due, 2, [1, 3], date(2026, 12, 2)) == date(2026, 12, 4)
    assert retry_date(due, 3, [1, 3], date(2026, 12, 4)) is None


def test_plan_settings_are_validated():
    assert validate_settings(merged(None)) == []
    bad = merged({"plans": {**DEFAULT_SETTINGS["plans"], "installments": [1, 30],
                            "retry_days": [3, 1]}})
    problems = validate_settings(bad)
    assert any("instalment counts" in p for p in problems)
    assert any("Retry days" in p for p in problems)
