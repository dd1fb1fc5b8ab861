"""The demo KPIs seed_demo adds to Acme and Globex (devtools.demo_kpis)."""

from __future__ import annotations

import itertools
import random
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from core.models import JobRun
from core.tenancy import tenant_context
from devtools import demo, demo_kpis
from goals.models import COUNTED_STATUSES, CheckIn, Goal, KeyResult, Level, ProgressSnapshot
from kpis import services
from kpis.models import (
    Aggregation,
    Cadence,
    GoalKpi,
    Granularity,
    Kpi,
    KpiSnapshot,
    Measurement,
    PeriodValue,
    Source,
)
from kpis.status import Status, status_of
from orgs.models import Organization

pytestmark = pytest.mark.django_db

SLUGS = ("acme", "globex")
CADENCE = {Cadence.DAILY: timedelta(days=1), Cadence.WEEKLY: timedelta(days=7)}
CADENCE[Cadence.MONTHLY] = timedelta(days=31)
# The current cycle's cascade goals (the backfill's goals), by organisation.
TITLES = {slug: [g.title for g in demo.CASCADES[slug][1]] for slug in SLUGS}


@dataclass
class Kpis:
    """One organisation's demo KPIs, their measurements, goal links and driven KRs."""

    org: Organization
    kpis: list[Kpi]
    measurements: list[Measurement]
    links: list[GoalKpi]
    driven: list[KeyResult]

    def named(self, name: str) -> Kpi:
        return next(k for k in self.kpis if k.name == name)

    def current(self, kpi: Kpi) -> list[Measurement]:
        """The KPI's current values, oldest first."""
        rows = [m for m in self.measurements if m.kpi_id == kpi.pk and m.is_current]
        return sorted(rows, key=lambda m: m.measured_at)

    def children(self, kpi: Kpi) -> list[Kpi]:
        return [k for k in self.kpis if k.parent_id == kpi.pk]


def kpis_of(slug: str) -> Kpis:
    org = Organization.objects.get(slug=slug)
    with tenant_context(org.pk):
        return Kpis(
            org=org,
            kpis=list(Kpi.objects.filter(org=org).select_related("owner__user")),
            measurements=list(Measurement.objects.filter(org=org)),
            links=list(GoalKpi.objects.filter(org=org).select_related("goal")),
            driven=list(
                KeyResult.objects.filter(org=org, kpi__isnull=False).select_related("goal__cycle")
            ),
        )


def overdue(kpi: Kpi, now) -> bool:
    return kpi.latest_at is not None and now - kpi.latest_at > CADENCE[kpi.cadence]


@pytest.mark.parametrize("slug", SLUGS)
def test_it_gives_each_organisation_about_a_dozen_kpis_in_every_cadence(seeded, slug):
    q = kpis_of(slug)

    assert 8 <= len(q.kpis) <= 12
    assert {k.cadence for k in q.kpis} == set(Cadence.values)
    assert all(k.unit_id is not None and k.owner.is_active for k in q.kpis)
    assert {k.name for k in q.kpis} == {s.name for s in demo_kpis.KPIS[slug]}


@pytest.mark.parametrize(("slug", "rule"), [("acme", "sum"), ("globex", "weighted_mean")])
def test_it_computes_a_kpi_from_child_kpis_that_have_the_measurements(seeded, slug, rule):
    q = kpis_of(slug)
    parents = [k for k in q.kpis if q.children(k)]

    assert len(parents) == 1
    parent = parents[0]
    assert parent.aggregation == Aggregation(rule)
    assert len(q.children(parent)) == 3
    assert q.current(parent) == []  # the roll-up job computes it
    assert all(len(q.current(child)) == 365 for child in q.children(parent))
    with tenant_context(q.org.pk):
        assert services.is_computed(parent)
    if rule == Aggregation.WEIGHTED_MEAN:
        assert len({child.weight for child in q.children(parent)}) == 3


@pytest.mark.parametrize("slug", SLUGS)
def test_it_drives_numeric_key_results_of_the_current_cycle_by_kpis(seeded, slug):
    q = kpis_of(slug)
    cycle = demo.quarter(timezone.localdate())[0]

    assert 2 <= len(q.driven) <= 3
    for kr in q.driven:
        kpi = next(k for k in q.kpis if k.pk == kr.kpi_id)
        assert kr.goal.cycle.name == cycle
        assert kr.kind in (KeyResult.Kind.NUMBER, KeyResult.Kind.PERCENT, KeyResult.Kind.CURRENCY)
        assert kpi.unit_label == kr.unit_label, kr.title
        assert any(link.kpi_id == kpi.pk and link.goal_id == kr.goal_id for link in q.links)
        if not q.children(kpi):  # the KPI's latest value is where the check-ins left the KR
            assert kpi.latest_value == kr.current_value, kr.title
            low, high = sorted([kr.start_value, kr.target_value])
            assert low - abs(high - low) <= kpi.latest_value <= high + abs(high - low)
    assert any(q.children(k) for k in q.kpis if k.pk in {kr.kpi_id for kr in q.driven}) == (
        slug == "globex"
    )


@pytest.mark.parametrize("slug", SLUGS)
def test_it_attaches_kpis_to_objectives_and_unit_goals_of_the_current_cycle(seeded, slug):
    q = kpis_of(slug)
    cycle = demo.quarter(timezone.localdate())[0]
    with tenant_context(q.org.pk):
        cycles = dict(Goal.objects.filter(org=q.org).values_list("pk", "cycle__name"))

    levels = Counter(link.goal.level for link in q.links)
    assert levels[Level.ORGANISATION] >= 2
    assert levels[Level.UNIT] >= 3
    assert levels[Level.INDIVIDUAL] >= 1
    assert all(cycles[link.goal_id] == cycle for link in q.links)
    assert len({link.kpi_id for link in q.links}) >= len(q.kpis) - 3


@pytest.mark.parametrize("slug", SLUGS)
def test_it_records_a_year_of_daily_values_and_weeks_and_months_at_their_cadence(seeded, slug):
    q = kpis_of(slug)
    now = timezone.now()
    expected = {Cadence.DAILY: 365, Cadence.WEEKLY: 52, Cadence.MONTHLY: 12}

    measured = [k for k in q.kpis if q.current(k)]
    assert sum(k.cadence == Cadence.DAILY for k in measured) >= 4
    for kpi in measured:
        rows = q.current(kpi)
        assert len(rows) == expected[kpi.cadence], kpi.name
        gaps = {(b.measured_at - a.measured_at).days for a, b in itertools.pairwise(rows)}
        if kpi.cadence == Cadence.DAILY:
            assert gaps == {1}, kpi.name  # one value a day for a year
            assert rows[-1].measured_at - rows[0].measured_at == timedelta(days=364)
        elif kpi.cadence == Cadence.WEEKLY:
            assert gaps <= {6, 7, 8}, kpi.name
        else:
            assert gaps <= {28, 29, 30, 31}, kpi.name
        assert len({r.value for r in rows}) > 1, kpi.name  # a series, not a constant
        assert (kpi.latest_value, kpi.latest_at) == (rows[-1].value, rows[-1].measured_at)
        assert all(r.measured_at <= now and r.created_at <= now for r in rows)
        assert kpi.created_at < rows[0].created_at


@pytest.mark.parametrize("slug", SLUGS)
def test_it_shows_every_status_and_one_overdue_kpi_of_the_demo_logins(seeded, slug):
    q = kpis_of(slug)
    now = timezone.now()
    owners = {k.name: k.owner.user.email for k in q.kpis}

    statuses = Counter(status_of(k, k.latest_value) for k in q.kpis)
    assert set(statuses) == set(Status)
    late = [k.name for k in q.kpis if overdue(k, now)]
    assert len(late) == 1
    assert owners[late[0]] in {f"member@{slug}.test", f"manager@{slug}.test"}
    for login in ("member", "manager"):
        assert f"{login}@{slug}.test" in owners.values()


@pytest.mark.parametrize("slug", SLUGS)
def test_it_keeps_corrected_values_in_the_history(seeded, slug):
    q = kpis_of(slug)
    by_pk = {m.pk: m for m in q.measurements}

    corrections = [m for m in q.measurements if m.replaces_id is not None]
    assert len(corrections) == 2
    for new in corrections:
        old = by_pk[new.replaces_id]
        assert not old.is_current and new.is_current
        assert old.kpi_id == new.kpi_id and old.measured_at == new.measured_at
        assert old.value != new.value
        assert new.note and new.source == Source.MANUAL and new.entered_by_id is not None
        assert new.created_at > old.created_at
    current = Counter((m.kpi_id, m.measured_at) for m in q.measurements if m.is_current)
    assert max(current.values()) == 1


@pytest.mark.parametrize("slug", SLUGS)
def test_it_mixes_sources_and_says_who_entered_each_value(seeded, slug):
    q = kpis_of(slug)

    assert {m.source for m in q.measurements} == {Source.MANUAL, Source.CSV, Source.API}
    owners = {k.pk: k.owner_id for k in q.kpis}
    assert all(m.entered_by_id == owners[m.kpi_id] for m in q.measurements)


def test_it_creates_no_kpis_measurements_links_or_snapshots_when_run_again(seeded):
    def rows() -> dict:
        found = {}
        for slug in SLUGS:
            q = kpis_of(slug)
            found[slug] = (
                sorted((k.pk, k.name, k.latest_value, k.latest_at) for k in q.kpis),
                sorted((m.pk, m.value, m.is_current) for m in q.measurements),
                sorted((link.kpi_id, link.goal_id) for link in q.links),
                sorted((kr.pk, kr.kpi_id, kr.current_value) for kr in q.driven),
            )
            with tenant_context(q.org.pk):
                found[slug] += (
                    ProgressSnapshot.objects.filter(org=q.org).count(),
                    KpiSnapshot.objects.filter(org=q.org).count(),
                    PeriodValue.objects.filter(org=q.org).count(),
                    JobRun.objects.filter(org=q.org).count(),
                )
        return found

    before = rows()

    out = StringIO()
    call_command("seed_demo", stdout=out)

    assert rows() == before
    assert "nothing to create" in out.getvalue()
    assert "Added" not in out.getvalue()


def test_it_says_how_many_kpis_and_measurements_it_added(seeded):
    for slug in SLUGS:
        q = kpis_of(slug)
        assert f"; {len(q.kpis)} KPIs, {len(q.measurements):,} measurements" in seeded
    total = sum(len(kpis_of(slug).kpis) for slug in SLUGS)
    assert f"Added {total} KPIs with " in seeded


def test_it_draws_the_same_series_every_time():
    trend = demo_kpis.ACME_KPIS[0].trend
    when = demo_kpis.moments(Cadence.WEEKLY, timezone.now(), salt=3)

    first = demo_kpis.series(trend, when, random.Random("x"))
    again = demo_kpis.series(trend, when, random.Random("x"))

    assert first == again
    assert first[-1] == trend.end
    assert len(when) == 52 and when[-1] <= timezone.now()


@pytest.mark.parametrize("slug", SLUGS)
def test_it_runs_the_first_roll_up_so_computed_kpis_and_their_key_results_have_values(seeded, slug):
    q = kpis_of(slug)
    parent = next(k for k in q.kpis if q.children(k))
    with tenant_context(q.org.pk):
        runs = list(JobRun.objects.filter(org=q.org, job="kpi_rollup"))
        periods = set(
            PeriodValue.objects.filter(org=q.org, kpi=parent).values_list("granularity", flat=True)
        )

    assert [(r.outcome, r.trigger) for r in runs] == [(JobRun.Outcome.SUCCESS, "manual")]
    assert parent.latest_value is not None  # not "no data yet" on a fresh demo
    assert periods == {Granularity.DAY, Granularity.WEEK, Granularity.MONTH}
    for kr in q.driven:
        kpi = next(k for k in q.kpis if k.pk == kr.kpi_id)
        assert kr.current_value == kpi.latest_value, kr.title
    # The KPIs end where the cascade's check-ins left their key results (a computed
    # KPI's children average to it): the first roll-up moves none of them.
    with tenant_context(q.org.pk):
        assert not CheckIn.objects.filter(org=q.org, kpi__isnull=False).exists()


@pytest.mark.parametrize("slug", SLUGS)
def test_it_backfills_a_daily_history_for_this_cycles_charts(seeded, slug):
    q = kpis_of(slug)
    today = timezone.localdate(timezone.now(), timezone=ZoneInfo(q.org.timezone))
    _name, start, _end = demo.quarter(today)
    past = (today - start).days
    with tenant_context(q.org.pk):
        goals = list(
            Goal.objects.filter(
                org=q.org, cycle__name=_name, status__in=COUNTED_STATUSES, title__in=TITLES[slug]
            )
        )
        snapshots = list(ProgressSnapshot.objects.filter(org=q.org, goal__in=goals))
        kpi_days = Counter(KpiSnapshot.objects.filter(org=q.org).values_list("kpi_id", flat=True))

    assert len(goals) >= 10
    if past == 0:
        # The cycle starts today: no day of it has ended, so nothing is back-filled.
        assert snapshots == [] and not kpi_days
        return
    by_goal: dict[int, list] = {}
    for s in sorted(snapshots, key=lambda s: s.day):
        by_goal.setdefault(s.goal_id, []).append(s)
    for goal in goals:
        days = [s.day for s in by_goal[goal.pk]]
        assert days == [start + timedelta(days=i) for i in range(past)], goal.title
        values = [s.progress for s in by_goal[goal.pk]]
        assert all(0 <= v <= 1 for v in values)
        assert values[0] <= 0.05 and abs(values[-1] - goal.progress) <= 0.15, goal.title
    assert len(set(values)) > 1
    # Every KPI with a value before yesterday has one a day; the new one has none.
    measured = [k for k in q.kpis if k.latest_value is not None]
    assert len(kpi_days) >= len(measured) - 1
    assert max(kpi_days.values()) == past
    new = next(k for k in q.kpis if k.latest_value is None)
    assert new.pk not in kpi_days
