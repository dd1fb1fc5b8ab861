"""A KPI's status from its value: the thresholds per direction and where they start.

The module's docstring is the rule: higher is better turns amber *below* the amber
threshold (a value exactly at it is still on target) and red *below* the red one;
lower is better mirrors it; within a range the thresholds are distances *beyond*
the band. Pure functions on unsaved KPIs: no database.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpis.models import Direction, Kpi
from kpis.status import Status, distance_outside, meets_target, status_of


def kpi(direction, target, amber, red, target_low=None) -> Kpi:
    return Kpi(
        direction=direction,
        target=D(target),
        amber_threshold=D(amber),
        red_threshold=D(red),
        target_low=None if target_low is None else D(target_low),
    )


SALES = kpi(Direction.HIGHER, 100, 80, 50)  # more is better
INCIDENTS = kpi(Direction.LOWER, 2, 5, 10)  # fewer is better
TEMPERATURE = kpi(Direction.RANGE, 22, 1, 3, target_low=19)  # 19..22, 1 and 3 degrees out


@pytest.mark.parametrize(
    ("value", "status"),
    [
        (120, Status.ON_TARGET),
        (100, Status.ON_TARGET),
        (80, Status.ON_TARGET),  # exactly at amber: not yet below it
        ("79.99", Status.AMBER),
        (51, Status.AMBER),
        (50, Status.AMBER),  # exactly at red: not yet below it
        ("49.99", Status.RED),
        (0, Status.RED),
    ],
)
def test_higher_is_better_turns_amber_then_red_below_each_threshold(value, status):
    assert status_of(SALES, D(str(value))) == status


@pytest.mark.parametrize(
    ("value", "status"),
    [
        (0, Status.ON_TARGET),
        (2, Status.ON_TARGET),
        (5, Status.ON_TARGET),  # exactly at amber: not yet above it
        ("5.01", Status.AMBER),
        (10, Status.AMBER),  # exactly at red: not yet above it
        ("10.01", Status.RED),
        (99, Status.RED),
    ],
)
def test_lower_is_better_turns_amber_then_red_above_each_threshold(value, status):
    assert status_of(INCIDENTS, D(str(value))) == status


@pytest.mark.parametrize(
    ("value", "status"),
    [
        (19, Status.ON_TARGET),
        ("20.5", Status.ON_TARGET),
        (22, Status.ON_TARGET),
        (18, Status.ON_TARGET),  # 1 below the band: exactly the amber distance
        (23, Status.ON_TARGET),  # 1 above
        ("17.9", Status.AMBER),
        ("23.1", Status.AMBER),
        (16, Status.AMBER),  # 3 below: exactly the red distance
        (25, Status.AMBER),
        ("15.9", Status.RED),
        ("25.1", Status.RED),
    ],
)
def test_within_a_range_the_thresholds_are_distances_outside_the_band(value, status):
    assert status_of(TEMPERATURE, D(str(value))) == status


def test_a_range_without_a_low_end_is_a_single_point_at_the_target():
    exact = kpi(Direction.RANGE, 22, 1, 3)
    assert status_of(exact, D(22)) == Status.ON_TARGET
    assert status_of(exact, D(21)) == Status.ON_TARGET
    assert status_of(exact, D("20.5")) == Status.AMBER
    assert status_of(exact, D(18)) == Status.RED


def test_no_value_means_no_data_and_says_so():
    assert status_of(SALES, None) == Status.NO_DATA
    assert Status.NO_DATA.label == "No data yet"


def test_floats_are_read_as_the_decimals_they_print_as():
    assert status_of(SALES, 79.99) == Status.AMBER
    assert status_of(INCIDENTS, 5.0) == Status.ON_TARGET


def test_statuses_are_said_in_words_not_only_colour():
    assert [s.label for s in (Status.ON_TARGET, Status.AMBER, Status.RED)] == [
        "On track",
        "Needs attention",
        "Off track",
    ]


def test_distance_outside_a_band():
    assert distance_outside(D(5), D(10), D(20)) == D(5)
    assert distance_outside(D(25), D(10), D(20)) == D(5)
    assert distance_outside(D(10), D(10), D(20)) == D(0)
    assert distance_outside(D(15), D(10), D(20)) == D(0)
    assert distance_outside(D(20), D(10), D(20)) == D(0)


@pytest.mark.parametrize(
    ("the_kpi", "value", "meets"),
    [
        (SALES, 100, True),
        (SALES, 101, True),
        (SALES, "99.99", False),
        (INCIDENTS, 2, True),
        (INCIDENTS, 1, True),
        (INCIDENTS, "2.01", False),
        (TEMPERATURE, 19, True),
        (TEMPERATURE, 22, True),
        (TEMPERATURE, 20, True),
        (TEMPERATURE, "18.99", False),
        (TEMPERATURE, "22.01", False),
        (kpi(Direction.RANGE, 22, 1, 3), 22, True),
        (kpi(Direction.RANGE, 22, 1, 3), 21, False),
    ],
)
def test_meets_target_is_the_target_itself_not_the_thresholds(the_kpi, value, meets):
    assert meets_target(the_kpi, D(str(value))) is meets


values = st.decimals(min_value=-1000, max_value=1000, places=2)


@given(values)
def test_reaching_the_target_is_always_on_target(value):
    for the_kpi in (SALES, INCIDENTS, TEMPERATURE):
        if meets_target(the_kpi, value):
            assert status_of(the_kpi, value) == Status.ON_TARGET


@given(values, values)
def test_a_better_value_never_has_a_worse_status(a, b):
    order = [Status.RED, Status.AMBER, Status.ON_TARGET]
    low, high = sorted((a, b))
    assert order.index(status_of(SALES, high)) >= order.index(status_of(SALES, low))
    assert order.index(status_of(INCIDENTS, low)) >= order.index(status_of(INCIDENTS, high))
