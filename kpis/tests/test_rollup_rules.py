"""The roll-up's arithmetic: how values combine per aggregation rule, and which
period a day falls in. Pure functions; kpis/tests/test_rollup.py runs the job."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpis.models import Aggregation, Granularity
from kpis.rollup import combine, period_start

VALUES = [D(4), D(10), D(1)]


@pytest.mark.parametrize(
    ("rule", "result"),
    [
        (Aggregation.SUM, D(15)),
        (Aggregation.MEAN, D(5)),
        (Aggregation.MIN, D(1)),
        (Aggregation.MAX, D(10)),
    ],
)
def test_each_rule_combines_values_as_its_name_says(rule, result):
    assert combine(rule, VALUES) == result


def test_a_weighted_mean_weighs_each_child():
    # (4*1 + 10*3 + 1*0.5) / 4.5 = 34.5 / 4.5 = 7.6667
    assert combine(Aggregation.WEIGHTED_MEAN, VALUES, [D(1), D(3), D("0.5")]) == D("7.6667")


def test_a_weighted_mean_without_weights_is_the_plain_mean():
    assert combine(Aggregation.WEIGHTED_MEAN, VALUES) == D(5)
    assert combine(Aggregation.WEIGHTED_MEAN, VALUES, []) == D(5)


def test_weights_change_only_the_weighted_mean():
    weights = [D(5), D(1), D(1)]
    assert combine(Aggregation.SUM, VALUES, weights) == D(15)
    assert combine(Aggregation.MEAN, VALUES, weights) == D(5)
    assert combine(Aggregation.WEIGHTED_MEAN, VALUES, weights) == D("4.4286")  # 31 / 7


def test_results_keep_four_decimal_places():
    assert combine(Aggregation.MEAN, [D(1), D(1), D(2)]) == D("1.3333")
    assert combine(Aggregation.SUM, [D("0.5"), D("-0.25")]).as_tuple().exponent == -4


def test_negative_values_sum_from_zero():
    assert combine(Aggregation.SUM, [D(-2), D(-3)]) == D(-5)
    assert combine(Aggregation.SUM, [D(0)]) == D(0)


@given(st.lists(st.decimals(min_value=-1000, max_value=1000, places=2), min_size=1, max_size=8))
def test_the_mean_lies_between_the_minimum_and_the_maximum(values):
    low, high = combine(Aggregation.MIN, values), combine(Aggregation.MAX, values)
    for rule in (Aggregation.MEAN, Aggregation.WEIGHTED_MEAN):
        assert low <= combine(rule, values, [D(1)] * len(values)) <= high


@pytest.mark.parametrize(
    ("day", "granularity", "start"),
    [
        (date(2026, 12, 9), Granularity.DAY, date(2026, 12, 9)),
        (date(2026, 12, 9), Granularity.WEEK, date(2026, 12, 7)),  # a Wednesday: Monday
        (date(2026, 12, 7), Granularity.WEEK, date(2026, 12, 7)),  # a Monday: itself
        (date(2026, 12, 13), Granularity.WEEK, date(2026, 12, 7)),  # a Sunday: the Monday before
        (date(2027, 1, 1), Granularity.WEEK, date(2026, 12, 28)),  # across the year
        (date(2026, 12, 9), Granularity.MONTH, date(2026, 12, 1)),
        (date(2026, 12, 1), Granularity.MONTH, date(2026, 12, 1)),
        (date(2026, 2, 28), Granularity.MONTH, date(2026, 2, 1)),
    ],
)
def test_a_day_falls_in_the_week_from_monday_and_the_month_from_the_first(day, granularity, start):
    assert period_start(day, granularity) == start
