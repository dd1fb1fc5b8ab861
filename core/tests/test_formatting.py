from __future__ import annotations

from datetime import date
from decimal import Decimal

from core.formatting import day, number, percent
from goals.views.approval import approval_changes


def test_it_writes_numbers_as_people_do():
    assert number(Decimal("74.5000")) == "74.5"
    assert number(Decimal("1200.0000")) == "1,200"
    assert number(Decimal("-3.0000")) == "-3"
    assert number(Decimal("-0.0000")) == "0"
    assert number(2 / 3) == "0.6667"
    assert number(12) == "12"
    assert number("12.50") == "12.5"


def test_it_shows_a_dash_for_nothing_and_text_as_it_is():
    assert number(None) == "—"
    assert number("") == "—"
    assert number("lots") == "lots"


def test_it_writes_shares_as_percentages():
    assert percent(0.5) == "50%"
    assert percent(1 / 3) == "33.3%"


def test_it_writes_days_in_the_apps_format():
    assert day(date(2027, 1, 16)) == "16 Jan 2027"


def test_the_approval_queue_writes_thousands_like_the_goal_page():
    (change,) = approval_changes(
        {"weight": "1200"}, {"parent_id": None, "weight": "1500.5000", "key_results": {}}, {}
    )
    assert (change.before, change.after) == ("1,200", "1,500.5")
