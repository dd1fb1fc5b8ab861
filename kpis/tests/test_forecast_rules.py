"""Forecasts: the least-squares line through the recent points, projected to a date.

Pure functions: series made here, no database.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpis.forecast import MIN_POINTS, RECENT, Forecast, fit, project

START = date(2026, 1, 1)


def daily(values, start=START):
    return [(start + timedelta(days=i), v) for i, v in enumerate(values)]


def test_it_needs_three_points_before_it_forecasts():
    assert MIN_POINTS == 3
    assert fit(daily([1, 2])) is None
    assert project(daily([1, 2]), date(2026, 2, 1), lambda v: True) is None
    assert fit(daily([1, 2, 3])) is not None


def test_points_all_at_one_time_have_no_trend():
    same_day = [(START, 1), (START, 5), (START, 9)]
    assert fit(same_day) is None
    assert project(same_day, date(2026, 2, 1), lambda v: True) is None


def test_the_slope_is_per_day_for_dates():
    slope, intercept = fit(daily([10, 12, 14, 16]))
    assert slope == pytest.approx(2.0)
    # The intercept is the value at the epoch: on START the line gives 10.
    days = (START - date(1970, 1, 1)).days
    assert slope * days + intercept == pytest.approx(10.0)


def test_the_slope_is_per_day_for_times_of_day_too():
    noon = datetime(2026, 1, 1, 12, tzinfo=UTC)
    points = [(noon + timedelta(hours=12 * i), 5 + i) for i in range(4)]  # +1 each half day
    slope, _ = fit(points)
    assert slope == pytest.approx(2.0)


def test_a_least_squares_line_through_noisy_points():
    # y = 1, 2, 2, 5 at x = 0..3: slope 1.2, intercept 0.7 (by hand).
    slope, intercept = fit(daily([1, 2, 2, 5]))
    days = (START - date(1970, 1, 1)).days
    assert slope == pytest.approx(1.2)
    assert slope * days + intercept == pytest.approx(0.7)


def test_it_projects_times_of_day_to_a_date():
    # Measurements at midnight UTC as datetimes, projected to a date: 1 a day.
    midnight = datetime(2026, 1, 1, tzinfo=UTC)
    points = [(midnight + timedelta(days=i), float(i)) for i in range(5)]
    forecast = project(points, date(2026, 1, 31), lambda v: v >= 30)
    assert forecast.value == pytest.approx(30.0)
    assert forecast.slope_per_day == pytest.approx(1.0)
    assert forecast.reaches is True


def test_project_to_the_end_date_and_say_whether_it_reaches():
    points = daily([10, 11, 12, 13])  # 1 a day from 1 Jan
    by = date(2026, 1, 31)
    reaching = project(points, by, lambda v: v >= 40)
    assert reaching == Forecast(
        value=pytest.approx(40.0), by=by, slope_per_day=pytest.approx(1.0), points=4, reaches=True
    )
    missing = project(points, by, lambda v: v >= 41)
    assert missing.reaches is False
    assert missing.value == pytest.approx(40.0)


def test_only_the_twelve_most_recent_points_count():
    assert RECENT == 12
    # An old outlier followed by twelve points climbing 1 a day: the outlier is ignored.
    old = [(START - timedelta(days=30), 1000.0)]
    recent = daily([float(i) for i in range(12)])
    forecast = project(old + recent, START + timedelta(days=20), lambda v: True)
    assert forecast.points == 12
    assert forecast.slope_per_day == pytest.approx(1.0)
    assert forecast.value == pytest.approx(20.0)


def test_points_in_any_order_are_sorted_by_time_first():
    points = daily([float(i) for i in range(14)])
    shuffled = points[7:] + points[:7]
    forecast = project(shuffled, START + timedelta(days=20), lambda v: True)
    assert forecast.points == 12
    assert forecast.value == pytest.approx(20.0)


def test_a_short_series_uses_every_point():
    forecast = project(daily([3, 2, 1]), START + timedelta(days=5), lambda v: v <= 0)
    assert forecast.points == 3
    assert forecast.slope_per_day == pytest.approx(-1.0)
    assert forecast.value == pytest.approx(-2.0)
    assert forecast.reaches is True


def test_the_sentence_says_reach_or_risk_with_the_date():
    by = date(2026, 12, 31)
    hit = Forecast(value=42.0, by=by, slope_per_day=1, points=3, reaches=True)
    miss = Forecast(value=38.25, by=by, slope_per_day=1, points=3, reaches=False)
    assert hit.sentence("50") == "On course to reach 42 of 50 by 31 Dec 2026"
    assert miss.sentence("50 %", unit="%") == (
        "On course for only 38.2 % of 50 % by 31 Dec 2026: at risk"
    )
    big = Forecast(value=12345.0, by=by, slope_per_day=1, points=3, reaches=True)
    assert (
        big.sentence("20,000", unit="EUR")
        == "On course to reach 12,345 EUR of 20,000 by 31 Dec 2026"
    )
    assert hit.sentence("50", formatter=lambda v, unit: f"<{v:g}>") == (
        "On course to reach <42> of 50 by 31 Dec 2026"
    )


def test_where_lower_is_better_the_sentence_says_which_side_of_the_target_it_lands():
    by = date(2026, 12, 31)
    below = Forecast(value=240.0, by=by, slope_per_day=-1, points=3, reaches=True)
    above = Forecast(value=260.0, by=by, slope_per_day=1, points=3, reaches=False)
    assert below.sentence("250 ms", unit="ms", direction="lower") == (
        "On course for 240 ms by 31 Dec 2026, below the 250 ms target"
    )
    assert above.sentence("250 ms", unit="ms", direction="lower") == (
        "On course for 260 ms by 31 Dec 2026, above the 250 ms target: at risk"
    )


def test_within_a_range_the_sentence_says_inside_or_outside():
    by = date(2026, 12, 31)
    inside = Forecast(value=20.0, by=by, slope_per_day=0, points=3, reaches=True)
    outside = Forecast(value=25.0, by=by, slope_per_day=1, points=3, reaches=False)
    assert inside.sentence("19–22", direction="range") == (
        "On course for 20 by 31 Dec 2026, inside the range 19–22"
    )
    assert outside.sentence("19–22", direction="range") == (
        "On course for 25 by 31 Dec 2026, outside the range 19–22: at risk"
    )


@given(
    st.floats(min_value=-100, max_value=100, allow_nan=False),
    st.floats(min_value=-1000, max_value=1000, allow_nan=False),
    st.integers(min_value=3, max_value=20),
)
def test_a_straight_line_is_projected_exactly(slope, start, n):
    points = [(START + timedelta(days=i), start + slope * i) for i in range(n)]
    by = START + timedelta(days=n + 10)
    forecast = project(points, by, lambda v: True)
    assert forecast.slope_per_day == pytest.approx(slope, abs=1e-6)
    assert forecast.value == pytest.approx(start + slope * (n + 10), abs=1e-5)
    assert forecast.points == min(n, 12)
