"""The daily snapshots: one row per counted goal and per KPI for the day that ended."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from core.periodic import run_job
from core.tenancy import tenant_context
from goals.models import Goal, GoalStatus, Level, ProgressSnapshot
from kpis.models import Kpi, KpiSnapshot
from orgs.models import Organization
from tests.factories import CycleFactory, GoalFactory


def test_it_records_each_counted_goal_and_each_kpi_once_per_day(cast, make_kpi):
    active = GoalFactory(owner=cast.admin, status=GoalStatus.APPROVED, key_results=1)
    GoalFactory(owner=cast.admin, status=GoalStatus.DRAFT, key_results=1)
    kpi = make_kpi()
    make_kpi("Never measured")
    other = GoalFactory(owner=cast.other_admin, status=GoalStatus.APPROVED, key_results=1)
    with tenant_context(cast.org.pk):
        Goal.objects.filter(pk=active.pk).update(progress=0.4)
        Kpi.objects.filter(pk=kpi.pk).update(latest_value=D(7))
    # 00:30 in Auckland on 8 Dec is 11:30 UTC on 7 Dec: the day that ended is 7 Dec.
    Organization.objects.filter(pk=cast.org.pk).update(timezone="Pacific/Auckland")
    at = datetime(2026, 12, 7, 11, 30, tzinfo=UTC)
    outcome = run_job("snapshots", cast.org.pk, trigger="manual", now=at)
    assert outcome.counts == {"goal_snapshots": 1, "kpi_snapshots": 1}
    with tenant_context(cast.org.pk):
        Goal.objects.filter(pk=active.pk).update(progress=0.6)
        Kpi.objects.filter(pk=kpi.pk).update(latest_value=D(9))
    run_job("snapshots", cast.org.pk, trigger="manual", now=at)
    with tenant_context(cast.org.pk):
        goals = list(ProgressSnapshot.objects.values_list("goal_id", "day", "progress", "status"))
        kpis = list(KpiSnapshot.objects.values_list("kpi_id", "day", "value"))
    assert goals == [(active.pk, date(2026, 12, 7), 0.6, "approved")]
    assert kpis == [(kpi.pk, date(2026, 12, 7), D(9))]
    with tenant_context(cast.other_org.pk):
        assert not ProgressSnapshot.objects.filter(goal=other).exists()


def test_beat_takes_one_snapshot_a_day(cast):
    GoalFactory(owner=cast.admin, status=GoalStatus.APPROVED, key_results=1)
    at = datetime(2026, 12, 7, 11, 30, tzinfo=UTC)
    assert run_job("snapshots", cast.org.pk, now=at).status == "ran"
    assert run_job("snapshots", cast.org.pk, now=at.replace(hour=15)).status == "already_ran"
    assert run_job("snapshots", cast.org.pk, now=at.replace(day=8)).status == "ran"
    with tenant_context(cast.org.pk):
        days = sorted(ProgressSnapshot.objects.values_list("day", flat=True))
    assert days == [date(2026, 12, 6), date(2026, 12, 7)]


@pytest.mark.parametrize("objectives", [2, 6])
def test_the_org_home_draws_the_objectives_trend_in_a_fixed_number_of_queries(
    cast, login, objectives, django_assert_num_queries
):
    cycle = CycleFactory(org=cast.org, name="This quarter")
    goals = [
        GoalFactory(
            owner=cast.admin,
            cycle=cycle,
            level=Level.ORGANISATION,
            status=GoalStatus.APPROVED,
            key_results=1,
        )
        for _ in range(objectives)
    ]
    GoalFactory(owner=cast.member, cycle=cycle, status=GoalStatus.APPROVED, key_results=1)
    yesterday = timezone.localdate() - timedelta(days=1)
    with tenant_context(cast.org.pk):
        for index, goal in enumerate(goals):
            for back in (3, 2, 1):
                ProgressSnapshot.objects.create(
                    org=cast.org,
                    goal=goal,
                    day=yesterday - timedelta(days=back - 1),
                    progress=0.1 * (4 - back) + (0.2 if index % 2 else 0.0),
                    status="approved",
                )
        Goal.objects.filter(pk__in=[g.pk for g in goals]).update(progress=0.5)
    client = login(cast.member)
    url = reverse("orgs:org_home", args=[cast.org.slug])
    client.get(url)
    # the request's queries, reports, people, units, the switcher, the active cycle,
    # the snapshots' daily means, today's live mean; recognition: the cycle, kudos per value
    rls = 2 if connection.vendor == "postgresql" else 0
    with django_assert_num_queries(6 + rls + 9):
        response = client.get(url)
    html = response.content.decode()
    assert 'id="organisation-trend-title"' in html
    assert "Mean progress by day, as a table" in html
    # Day one: half the objectives at 10%, half at 30%: 20%; today: 50%.
    assert '<td class="num">20%</td>' in html
    assert '<td class="num">40%</td>' in html
    assert '<td class="num">50%</td>' in html
