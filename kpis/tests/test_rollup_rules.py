"""The roll-up's arithmetic: how values combine per aggregation rule, and which
period a day falls in. Pure functions; kpis/tests/test_rollup.py runs the job."""

from __future__ import annotations

from datetime import UTC, date, timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from core.periodic import run_job
from core.tenancy import tenant_context
from kpis.models import Aggregation, Granularity, Kpi, PeriodValue
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


# --- the job, run after run ------------------------------------------------------------


def _run(org, at):
    outcome = run_job("kpi_rollup", org.pk, trigger="manual", now=at)
    assert outcome.status == "ran"
    return outcome


def _day_values(org, kpi, granularity="day"):
    with tenant_context(org.pk):
        return {
            pv.period_start: pv.value
            for pv in PeriodValue.objects.filter(kpi=kpi, granularity=granularity)
        }


def _latest(org, kpi):
    with tenant_context(org.pk):
        kpi.refresh_from_db()
    return kpi.latest_value, kpi.latest_at


def _days_ago(n, hour=12):
    at = timezone.now().astimezone(UTC).replace(hour=hour, minute=0, second=0, microsecond=0)
    return at - timedelta(days=n)


def _hours_ago(n):
    return timezone.now() - timedelta(hours=n)


def test_a_parent_added_after_the_first_run_gets_every_period_of_its_children(
    cast, make_kpi, measure
):
    north, south = make_kpi("North"), make_kpi("South")
    measure(north, (_days_ago(3), 5), (_days_ago(2), 6))
    measure(south, (_days_ago(3), 1))
    _run(cast.org, _hours_ago(5))

    # No new values since: the new parent still gets its children's whole history.
    total = make_kpi("All")
    with tenant_context(cast.org.pk):
        Kpi.objects.filter(pk__in=[north.pk, south.pk]).update(parent=total)
    _run(cast.org, _hours_ago(4))
    day3, day2 = _days_ago(3).date(), _days_ago(2).date()
    assert _day_values(cast.org, total) == {day3: D(6), day2: D(6)}
    assert _latest(cast.org, total)[0] == D(6)


def test_a_parents_own_old_values_never_replace_what_its_children_add_up_to(
    cast, make_kpi, measure
):
    total = make_kpi("All")
    north = make_kpi("North", parent=total)
    measure(north, (_days_ago(2), 5))
    _run(cast.org, _hours_ago(5))
    assert _day_values(cast.org, total) == {_days_ago(2).date(): D(5)}

    # A value stored on the parent itself (as before it had children) after that run.
    measure(total, (_days_ago(2, hour=14), 500), (_days_ago(1), 700))
    _run(cast.org, _hours_ago(4))
    assert _day_values(cast.org, total) == {_days_ago(2).date(): D(5)}
    assert _latest(cast.org, total)[0] == D(5)


def test_a_parent_whose_children_have_no_values_has_no_latest_value(cast, make_kpi, measure):
    total = make_kpi("All")
    make_kpi("North", parent=total)
    _run(cast.org, _hours_ago(5))
    assert _latest(cast.org, total) == (None, None)
    assert _day_values(cast.org, total) == {}


def test_a_parents_latest_value_follows_a_change_within_the_same_day(cast, make_kpi, measure):
    total = make_kpi("All", aggregation="sum")
    north = make_kpi("North", parent=total, aggregation="sum")
    measure(north, (_days_ago(1, hour=9), 5))
    _run(cast.org, _hours_ago(5))
    value, at = _latest(cast.org, total)
    assert value == D(5)

    measure(north, (_days_ago(1, hour=15), 2))
    _run(cast.org, _hours_ago(4))
    assert _latest(cast.org, total) == (D(7), at)


def test_a_late_value_for_an_older_day_does_not_become_the_latest(cast, make_kpi, measure):
    kpi = make_kpi()
    (newest,) = measure(kpi, (_days_ago(1), 6))
    _run(cast.org, _hours_ago(5))
    assert _latest(cast.org, kpi) == (D(6), newest.measured_at)

    measure(kpi, (_days_ago(9), 99))
    _run(cast.org, _hours_ago(4))
    assert _latest(cast.org, kpi) == (D(6), newest.measured_at)

    # A leaf whose latest was never stored takes its newest new value.
    fresh = make_kpi("Fresh")
    _run(cast.org, _hours_ago(3))
    measure(fresh, (_days_ago(4), 1), (_days_ago(2), 3))
    _run(cast.org, _hours_ago(2))
    assert _latest(cast.org, fresh) == (D(3), _days_ago(2))


def test_the_same_value_measured_later_moves_the_latest_time(cast, make_kpi, measure):
    kpi = make_kpi()
    measure(kpi, (_days_ago(2), 6))
    _run(cast.org, _hours_ago(5))
    (later,) = measure(kpi, (_days_ago(1), 6))
    _run(cast.org, _hours_ago(4))
    assert _latest(cast.org, kpi) == (D(6), later.measured_at)
