"""Demo KPIs: a dozen for each demo organisation, with a year of measurements.

The KPIs themselves go through ``kpis.services.create_kpi`` (so their thresholds and
relations are validated like a user's), attached to the goals of the current demo
cycle. Their history is bulk-inserted: a seeded random walk around a trend from a
year ago to now, with weekly seasonality on daily KPIs, ending on a fixed value so
every status shows (on target, needs attention, off target, no data yet), or for a
KPI that drives a key result on the key result's current value (so the first roll-up
leaves the cascade's numbers where they are); a couple of
corrections per organisation (the old row stays, no longer current); one KPI per
organisation stopped being measured a while ago (overdue). Some KPIs are computed
from child KPIs (they have no measurements of their own: the roll-up job computes
them), some drive key results of the demo cascade.

Idempotent: KPIs are keyed on (organisation, name); an existing KPI is left exactly
as it is (no new measurements). Links to goals and key results of the current cycle
are added when missing, so a new quarter's cascade gets them on the next run.
"""

from __future__ import annotations

import math
import random
import time as clock
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from core import periodic
from core.tenancy import tenant_context
from devtools import demo
from goals.access import Actor
from goals.models import COUNTED_STATUSES, Cycle, Goal, KeyResult, ProgressSnapshot
from kpis import services
from kpis.models import (
    CADENCE_GRANULARITY,
    Aggregation,
    Cadence,
    Direction,
    GoalKpi,
    Kpi,
    KpiSnapshot,
    Measurement,
    PeriodValue,
    Source,
)
from orgs.models import Membership, Organization, Unit

BATCH_SIZE = 1000
HISTORY = {Cadence.DAILY: 365, Cadence.WEEKLY: 52, Cadence.MONTHLY: 12}
# Older values of hand-entered KPIs came from the spreadsheet they were kept in before.
SPREADSHEET_BEFORE = timedelta(days=180)
# A new KPI, set up these days ago, has no measurements yet.
NEW_KPI_AGE = timedelta(days=3)


@dataclass(frozen=True)
class Trend:
    """How a KPI's values moved over the year: from ``start`` to ``end`` (the latest
    value, exactly), wandering by ``noise`` around the straight line.

    ``weekly`` (daily KPIs): added to the value on each weekday, Monday first; for
    ``shape="count"`` a factor on the expected count. ``shape``: "level" (a measure),
    "count" (whole events a period, Poisson around the trend) or "dips" (sits at
    ``start`` but for the odd bad day, ``dip_chance`` of them, down by up to ``noise``).
    """

    start: float
    end: float
    noise: float = 0.0
    weekly: tuple[float, ...] = ()
    step: str = "1"
    lo: float | None = None
    hi: float | None = None
    shape: str = "level"
    dip_chance: float = 0.0


@dataclass(frozen=True)
class Fix:
    """A value entered wrong ``ago`` periods back (the true one times ``times`` plus
    ``plus``) and corrected the next day; the wrong row stays in the history."""

    ago: int
    note: str
    times: str = "1"
    plus: str = "0"


@dataclass(frozen=True)
class K:
    """One demo KPI. ``owner`` is an email's local part (at ``<slug>.test``); ``unit`` a
    unit name; ``goals`` keys of the demo cascade (devtools.demo); ``drives`` a key
    result as (goal key, key result title); ``parent`` the name of an earlier KPI.
    ``trend`` None: computed from its children, or (without children) new, no data."""

    name: str
    owner: str
    unit: str
    cadence: str
    direction: str
    target: str
    amber: str
    red: str
    trend: Trend | None = None
    unit_label: str = ""
    target_low: str | None = None
    aggregation: str = Aggregation.MEAN
    description: str = ""
    parent: str = ""
    weight: str = "1"
    source: str = Source.MANUAL
    goals: tuple[str, ...] = ()
    drives: tuple[str, str] | None = None
    overdue_days: int = 0
    fixes: tuple[Fix, ...] = ()


H, L, R = Direction.HIGHER, Direction.LOWER, Direction.RANGE
DAILY, WEEKLY, MONTHLY = Cadence.DAILY, Cadence.WEEKLY, Cadence.MONTHLY
API, CSV, MANUAL = Source.API, Source.CSV, Source.MANUAL
# Busier weekdays, quiet weekends (Monday first).
WORKWEEK = (1.2, 1.3, 1.2, 1.1, 1.0, 0.35, 0.3)

ACME_KPIS = [
    K(
        "Customer NPS",
        "grace.kim",
        "Product Engineering",
        WEEKLY,
        H,
        target="45",
        amber="40",
        red="30",
        trend=Trend(27, 38, noise=2.2, lo=-100, hi=100),
        description="Net Promoter Score from the in-app survey, for the week before.",
        goals=("customers",),
        drives=("customers", "Net Promoter Score"),
        fixes=(Fix(9, "Decimal point in the wrong place.", times="0.1"),),
    ),
    K(
        "Annual recurring revenue",
        "olivia.grant",
        "Sales & Marketing",
        MONTHLY,
        H,
        target="12000000",
        amber="10000000",
        red="9000000",
        unit_label="€",
        trend=Trend(7_100_000, 9_620_000, noise=70_000, step="1000"),
        source=CSV,
        description="ARR on the first of the month, from Finance's billing export.",
        goals=("revenue",),
        drives=("revenue", "Annual recurring revenue"),
        fixes=(
            Fix(2, "The export counted a cancelled contract; re-run by Finance.", plus="85000"),
        ),
    ),
    K(
        "Customer-facing incidents",
        "priya.raman",
        "Engineering",
        DAILY,
        L,
        target="1",
        amber="2",
        red="4",
        unit_label="incidents",
        aggregation=Aggregation.SUM,
        description="Incidents customers noticed: the engineering teams' counts, summed.",
        goals=("eng", "reliable"),
    ),
    K(
        "Incidents: Platform",
        "manager",
        "Platform",
        DAILY,
        L,
        target="0",
        amber="1",
        red="2",
        unit_label="incidents",
        aggregation=Aggregation.SUM,
        parent="Customer-facing incidents",
        trend=Trend(0.9, 0, weekly=WORKWEEK, shape="count"),
        source=API,
        description="Customer-facing incidents opened against Platform services.",
        goals=("platform",),
    ),
    K(
        "Incidents: Web",
        "noah.schmidt",
        "Web",
        DAILY,
        L,
        target="0",
        amber="1",
        red="2",
        unit_label="incidents",
        aggregation=Aggregation.SUM,
        parent="Customer-facing incidents",
        trend=Trend(0.6, 1, weekly=WORKWEEK, shape="count"),
        source=API,
        description="Customer-facing incidents opened against the web app.",
    ),
    K(
        "Incidents: Mobile",
        "aisha.bello",
        "Mobile",
        DAILY,
        L,
        target="0",
        amber="1",
        red="2",
        unit_label="incidents",
        aggregation=Aggregation.SUM,
        parent="Customer-facing incidents",
        trend=Trend(0.5, 2, weekly=WORKWEEK, shape="count"),
        source=API,
        description="Customer-facing incidents opened against the mobile apps.",
        goals=("mobile",),
    ),
    K(
        "p95 API latency",
        "ravi.patel",
        "Infrastructure",
        DAILY,
        L,
        target="250",
        amber="300",
        red="400",
        unit_label="ms",
        trend=Trend(465, 282, noise=9, weekly=(14, 18, 16, 12, 8, -26, -30), lo=120),
        source=API,
        description="95th percentile of public API response times over the day.",
        goals=("reliable",),
        drives=("reliable", "p95 API latency"),
    ),
    K(
        "Uptime",
        "marta.kowalski",
        "Infrastructure",
        DAILY,
        H,
        target="99.95",
        amber="99.9",
        red="99.5",
        unit_label="%",
        trend=Trend(100, 100, noise=1.4, step="0.001", lo=97, shape="dips", dip_chance=0.05),
        source=API,
        description="Share of the day the public API answered health checks.",
        goals=("reliable",),
    ),
    K(
        "Pipeline runs failing on a flaky test",
        "member",
        "Platform",
        WEEKLY,
        L,
        target="2",
        amber="5",
        red="8",
        unit_label="%",
        trend=Trend(14, 6.2, noise=0.7, step="0.1", lo=0),
        description="Share of last week's CI runs that failed only on a known flaky test.",
        goals=("jamie-flaky",),
        overdue_days=12,
    ),
    K(
        "Candidates in the hiring pipeline",
        "chloe.martin",
        "People",
        WEEKLY,
        H,
        target="60",
        amber="40",
        red="25",
        unit_label="candidates",
        trend=Trend(31, 57, noise=3, lo=0),
        description="Candidates past the first interview for open roles, every Monday.",
        goals=("team", "people"),
    ),
    K(
        "Monthly hosting cost",
        "yuki.tanaka",
        "Finance",
        MONTHLY,
        L,
        target="80000",
        amber="90000",
        red="100000",
        unit_label="€",
        aggregation=Aggregation.SUM,
        trend=Trend(88_000, 103_400, noise=1_500, step="100"),
        source=CSV,
        description="Cloud and data-centre invoices for the month before.",
        goals=("infra",),
    ),
    K(
        "Trial-to-paid conversion",
        "hannah.weiss",
        "Marketing",
        WEEKLY,
        H,
        target="20",
        amber="15",
        red="10",
        unit_label="%",
        description="Trials that became paying accounts; tracked from this week.",
        goals=("marketing",),
    ),
]

# Line start-ups on Monday cost some yield; weekends run the steadiest products.
LINE_WEEK = (-1.1, 0, 0.2, 0.2, -0.2, 0.4, 0.5)

GLOBEX_KPIS = [
    K(
        "First-pass yield",
        "rachel.stone",
        "Manufacturing",
        DAILY,
        H,
        target="96",
        amber="93",
        red="90",
        unit_label="%",
        aggregation=Aggregation.WEIGHTED_MEAN,
        description="Parts right first time across the three lines, weighted by volume.",
        goals=("yield", "mfg"),
        drives=("yield", "First-pass yield"),
    ),
    K(
        "First-pass yield: line 1",
        "jonas.berg",
        "Plant Operations",
        DAILY,
        H,
        target="96",
        amber="93",
        red="90",
        unit_label="%",
        parent="First-pass yield",
        weight="3",
        trend=Trend(90.5, 94.6, noise=0.5, weekly=LINE_WEEK, step="0.1", hi=100),
        source=API,
        description="From the line's inspection station (MES export).",
    ),
    K(
        "First-pass yield: line 2",
        "peter.kowal",
        "Plant Operations",
        DAILY,
        H,
        target="96",
        amber="93",
        red="90",
        unit_label="%",
        parent="First-pass yield",
        weight="2",
        trend=Trend(88.0, 92.1, noise=0.6, weekly=LINE_WEEK, step="0.1", hi=100),
        source=API,
        description="From the line's inspection station (MES export).",
    ),
    K(
        "First-pass yield: line 3",
        "jonas.berg",
        "Plant Operations",
        DAILY,
        H,
        target="96",
        amber="93",
        red="90",
        unit_label="%",
        parent="First-pass yield",
        weight="1",
        trend=Trend(91.0, 95.8, noise=0.5, weekly=LINE_WEEK, step="0.1", hi=100),
        source=API,
        description="From the line's inspection station (MES export).",
    ),
    K(
        "Overall equipment effectiveness",
        "rachel.stone",
        "Manufacturing",
        DAILY,
        H,
        target="80",
        amber="75",
        red="70",
        unit_label="%",
        trend=Trend(68.5, 76.4, noise=1.0, weekly=(-2, 0.5, 1, 1, 0, -1, -1.5), step="0.1"),
        source=API,
        description="Availability × performance × quality over the plant's shifts.",
        goals=("mfg",),
    ),
    K(
        "Unplanned downtime",
        "jonas.berg",
        "Plant Operations",
        WEEKLY,
        L,
        target="5",
        amber="8",
        red="12",
        unit_label="h",
        aggregation=Aggregation.SUM,
        trend=Trend(13.5, 12.5, noise=1.6, step="0.5", lo=0),
        description="Hours the lines stood still for breakdowns last week.",
        goals=("plant",),
    ),
    K(
        "Customer satisfaction (CSAT)",
        "mei.lin",
        "Customer Success",
        MONTHLY,
        H,
        target="88",
        amber="82",
        red="75",
        trend=Trend(76, 83, noise=1.0, hi=100),
        source=CSV,
        description="Average score of the monthly customer survey, out of 100.",
        goals=("keep", "success"),
        drives=("keep", "Customer satisfaction (CSAT)"),
    ),
    K(
        "Hours per tensile report",
        "member",
        "Materials Lab",
        WEEKLY,
        L,
        target="0.5",
        amber="1.5",
        red="2.5",
        unit_label="h",
        trend=Trend(3.1, 1.2, noise=0.12, step="0.05", lo=0.3),
        description="Average time from a finished tensile test to its report.",
        goals=("ming-tensile",),
        fixes=(Fix(4, "Typed without the decimal point.", times="10"),),
    ),
    K(
        "Test runs needing a repeat",
        "manager",
        "Materials Lab",
        WEEKLY,
        L,
        target="5",
        amber="8",
        red="12",
        unit_label="%",
        trend=Trend(16, 9.5, noise=0.9, step="0.5", lo=0),
        description="Share of last week's test runs that had to be repeated.",
        goals=("lab",),
        overdue_days=17,
    ),
    K(
        "Ageing oven temperature",
        "ana.souza",
        "Polymers",
        DAILY,
        R,
        target="252",
        target_low="248",
        amber="1",
        red="3",
        unit_label="°C",
        trend=Trend(250, 250.8, noise=0.35, step="0.1"),
        source=API,
        description="Daily mean of the heat-ageing oven; the test plan allows 248–252 °C.",
        goals=("polymers",),
    ),
    K(
        "Customer complaints",
        "amara.nwosu",
        "Quality",
        MONTHLY,
        L,
        target="2",
        amber="4",
        red="6",
        unit_label="complaints",
        aggregation=Aggregation.SUM,
        trend=Trend(5, 3, shape="count"),
        description="Formal complaints received in the month before.",
        goals=("quality",),
        fixes=(Fix(3, "Two complaints logged late by the distributor.", plus="-2"),),
    ),
    K(
        "Days from order to prototype",
        "oscar.diaz",
        "Prototyping",
        WEEKLY,
        L,
        target="14",
        amber="21",
        red="30",
        unit_label="days",
        description="Median days from a customer's prototype order to shipping it.",
        goals=("proto",),
    ),
]

KPIS = {"acme": ACME_KPIS, "globex": GLOBEX_KPIS}


# --- Series ------------------------------------------------------------------------------


def moments(cadence: str, until: datetime, salt: int) -> list[datetime]:
    """When a KPI was measured over the year up to ``until``, oldest first.

    Daily values describe the day at 06:00 UTC; weekly ones a weekday (by ``salt``,
    so not every KPI is entered the same day) at 09:00; monthly ones the 1st at 06:00.
    """
    count = HISTORY[cadence]
    day = until.date()
    if cadence == Cadence.DAILY:
        last = datetime.combine(day, time(6), tzinfo=UTC)
        if last > until:
            last -= timedelta(days=1)
        return [last - timedelta(days=k) for k in range(count - 1, -1, -1)]
    if cadence == Cadence.WEEKLY:
        last = datetime.combine(day - timedelta(days=salt % 4), time(9), tzinfo=UTC)
        if last > until:
            last -= timedelta(days=7)
        return [last - timedelta(weeks=k) for k in range(count - 1, -1, -1)]
    month = date(day.year, day.month, 1)
    if datetime.combine(month, time(6), tzinfo=UTC) > until:
        month = (month - timedelta(days=1)).replace(day=1)
    firsts = [month]
    while len(firsts) < count:
        firsts.append((firsts[-1] - timedelta(days=1)).replace(day=1))
    return [datetime.combine(d, time(6), tzinfo=UTC) for d in reversed(firsts)]


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method; the means here are small)."""
    limit, k, p = math.exp(-max(mean, 0.0)), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def series(trend: Trend, when: list[datetime], rng: random.Random) -> list[Decimal]:
    """One value per moment: the trend line, a slow wander, weekday seasonality, noise;
    the last value is ``trend.end`` exactly."""
    step = Decimal(trend.step)
    n = len(when)
    values: list[Decimal] = []
    wander = 0.0
    for i, moment in enumerate(when):
        share = i / (n - 1) if n > 1 else 1.0
        line = trend.start + (trend.end - trend.start) * share
        weekly = trend.weekly[moment.weekday()] if trend.weekly else None
        if trend.shape == "count":
            value = float(_poisson(rng, line * (weekly if weekly is not None else 1.0)))
        elif trend.shape == "dips":
            value = trend.start
            if rng.random() < trend.dip_chance:
                value -= rng.uniform(0.02, 1.0) * trend.noise
        else:
            wander = 0.8 * wander + rng.gauss(0, trend.noise)
            value = line + wander + (weekly or 0.0) + rng.gauss(0, trend.noise / 2)
        if i == n - 1:
            value = trend.end
        if trend.lo is not None:
            value = max(value, trend.lo)
        if trend.hi is not None:
            value = min(value, trend.hi)
        values.append((Decimal(round(value / float(step))) * step).quantize(step))
    return values


# --- Seeding -----------------------------------------------------------------------------


@dataclass
class KpiTotals:
    kpis: int = 0
    measurements: int = 0
    corrections: int = 0
    links: int = 0
    goal_snapshots: int = 0
    kpi_snapshots: int = 0
    seconds: float = 0.0

    def add(self, other: KpiTotals) -> None:
        self.kpis += other.kpis
        self.measurements += other.measurements
        self.corrections += other.corrections
        self.links += other.links
        self.goal_snapshots += other.goal_snapshots
        self.kpi_snapshots += other.kpi_snapshots
        self.seconds += other.seconds


def seed_kpis(org: Organization, *, now: datetime | None = None) -> KpiTotals:
    """The demo KPIs of ``org`` (acme or globex) with their history and links."""
    started = clock.perf_counter()
    now = now or timezone.now()
    totals = KpiTotals()
    specs = KPIS.get(org.slug, [])
    with tenant_context(org.pk):
        members = {
            m.user.email: m for m in Membership.objects.filter(org=org).select_related("user")
        }
        units = {u.name: u for u in Unit.objects.filter(org=org)}
        admin = members[f"admin@{org.slug}.test"]
        actor = Actor(admin)
        existing = {k.name: k for k in Kpi.objects.filter(org=org)}
        goals, key_results = _current_goals(org, members, now)
        created: list[tuple[K, Kpi]] = []
        for spec in specs:
            if spec.name in existing:
                continue
            kpi = services.create_kpi(
                actor=actor,
                name=spec.name,
                description=spec.description,
                unit_label=spec.unit_label,
                direction=spec.direction,
                target=Decimal(spec.target),
                target_low=Decimal(spec.target_low) if spec.target_low else None,
                amber_threshold=Decimal(spec.amber),
                red_threshold=Decimal(spec.red),
                cadence=spec.cadence,
                aggregation=spec.aggregation,
                owner=members[f"{spec.owner}@{org.slug}.test"],
                unit=units[spec.unit],
                parent=existing[spec.parent] if spec.parent else None,
                weight=Decimal(spec.weight),
            )
            existing[spec.name] = kpi
            created.append((spec, kpi))
        totals.kpis = len(created)
        _add_history(org, created, now, totals, _ends(created, goals, key_results))
        totals.links = _link(org, specs, existing, goals, key_results)
        if created:
            initial_rollup(org, now=now)
        totals.goal_snapshots, totals.kpi_snapshots = backfill_snapshots(org, goals, now=now)
    totals.seconds = clock.perf_counter() - started
    return totals


def initial_rollup(org: Organization, *, now: datetime | None = None) -> None:
    """The first KPI roll-up after seeding, so computed KPIs, period values and
    KPI-driven key results show values before the hourly job first runs.

    Through ``core.periodic.run_job`` like ``run_periodic kpi_rollup``: the run is
    recorded, so the next hourly run is incremental from it. Its claim and body nest
    as savepoints in the caller's tenant transaction.
    """
    outcome = periodic.run_job("kpi_rollup", org.pk, trigger="manual", now=now)
    if outcome.status != "ran":
        raise RuntimeError(outcome.line())


def backfill_snapshots(
    org: Organization, goals: dict[str, Goal], *, now: datetime
) -> tuple[int, int]:
    """Daily history for the charts of a fresh demo, for each past day of the current
    cycle: a ProgressSnapshot per counted cascade goal (a ramp from 0 to its progress
    now, with a little seeded noise) and a KpiSnapshot per KPI (its value as that day
    ended). Existing rows are kept (the snapshot job's, or an earlier seed's); returns
    how many rows of each were new."""
    tz = ZoneInfo(org.timezone)
    today = now.astimezone(tz).date()
    _name, start, _end = demo.quarter(today)
    days = [start + timedelta(days=i) for i in range((today - start).days)]
    if not days:
        return 0, 0
    counted = Goal.objects.filter(
        org=org, pk__in=[g.pk for g in goals.values()], status__in=COUNTED_STATUSES
    ).values_list("pk", "title", "progress", "status")
    progress_rows = []
    for pk, title, progress, status in counted:
        rng = random.Random(f"cairn-snapshot-{org.slug}-{title}")
        # Progress moves on check-in days (weekly, on the goal's own weekday), by
        # uneven steps around a slightly late-starting ramp.
        offset, value = rng.randrange(7), 0.0
        for i, day in enumerate(days):
            if (i + offset) % 7 == 6:
                share = (i + 1) / (len(days) + 1)
                value = progress * share**1.15 + rng.gauss(0, 0.03) * share
            progress_rows.append(
                ProgressSnapshot(
                    org=org,
                    goal_id=pk,
                    day=day,
                    progress=round(min(max(value, 0.0), 1.0), 4),
                    status=status,
                )
            )
    kpi_rows = [
        KpiSnapshot(org=org, kpi_id=kpi_id, day=day, value=value)
        for kpi_id, values in _values_as_days_ended(org, days, tz).items()
        for day, value in values
    ]
    before = (
        ProgressSnapshot.objects.filter(org=org, day__gte=start).count(),
        KpiSnapshot.objects.filter(org=org, day__gte=start).count(),
    )
    ProgressSnapshot.objects.bulk_create(
        progress_rows, batch_size=BATCH_SIZE, ignore_conflicts=True
    )
    KpiSnapshot.objects.bulk_create(kpi_rows, batch_size=BATCH_SIZE, ignore_conflicts=True)
    return (
        ProgressSnapshot.objects.filter(org=org, day__gte=start).count() - before[0],
        KpiSnapshot.objects.filter(org=org, day__gte=start).count() - before[1],
    )


def _values_as_days_ended(
    org: Organization, days: list[date], tz: ZoneInfo
) -> dict[int, list[tuple[date, Decimal]]]:
    """Each KPI's latest value as each of ``days`` ended: a measured KPI's newest current
    measurement by then, a computed one's latest period value at its cadence."""
    end = datetime.combine(days[-1] + timedelta(days=1), time.min, tzinfo=tz)
    points: dict[int, list[tuple[date, Decimal]]] = {}
    for kpi_id, measured_at, value in (
        Measurement.objects.filter(org=org, is_current=True, measured_at__lt=end)
        .order_by("kpi_id", "measured_at")
        .values_list("kpi_id", "measured_at", "value")
    ):
        points.setdefault(kpi_id, []).append((measured_at.astimezone(tz).date(), value))
    cadences = dict(Kpi.objects.filter(org=org).values_list("pk", "cadence"))
    computed = [pk for pk in cadences if pk not in points]
    for kpi_id, granularity, period, value in (
        PeriodValue.objects.filter(org=org, kpi__in=computed, period_start__lte=days[-1])
        .order_by("kpi_id", "period_start")
        .values_list("kpi_id", "granularity", "period_start", "value")
    ):
        if granularity == CADENCE_GRANULARITY[cadences[kpi_id]]:
            points.setdefault(kpi_id, []).append((period, value))
    result: dict[int, list[tuple[date, Decimal]]] = {}
    for kpi_id, series_ in points.items():
        i, latest, rows = 0, None, []
        for day in days:
            while i < len(series_) and series_[i][0] <= day:
                latest = series_[i][1]
                i += 1
            if latest is not None:
                rows.append((day, latest))
        result[kpi_id] = rows
    return result


def _current_goals(
    org: Organization, members: dict[str, Membership], now: datetime
) -> tuple[dict[str, Goal], dict[tuple[int, str], KeyResult]]:
    """The demo cascade's goals of the current cycle by their key, and their key results."""
    name, _start, _end = demo.quarter(timezone.localdate(now))
    cycle = Cycle.objects.filter(org=org, name=name).first()
    if cycle is None:
        return {}, {}
    _previous, current = demo.CASCADES[org.slug]
    by_title = {
        (g.title, g.owner_id): g for g in Goal.objects.filter(org=org, cycle=cycle).only("pk")
    }
    goals = {}
    for spec in current:
        owner = members.get(spec.owner if "@" in spec.owner else f"{spec.owner}@{org.slug}.test")
        goal = by_title.get((spec.title, owner.pk)) if owner else None
        if goal is not None:
            goals[spec.key] = goal
    key_results = {
        (kr.goal_id, kr.title): kr
        for kr in KeyResult.objects.filter(org=org, goal__in=[g.pk for g in goals.values()])
    }
    return goals, key_results


def _ends(
    created: list[tuple[K, Kpi]],
    goals: dict[str, Goal],
    key_results: dict[tuple[int, str], KeyResult],
) -> dict[str, float]:
    """The latest value of each KPI that drives a key result: the key result's current
    value (from the cascade's check-ins), so the first roll-up does not move it. A
    computed KPI's children end shifted alike, so that their weighted mean lands on it
    (the lightest child takes the rounding)."""
    ends: dict[str, float] = {}
    for spec, _kpi in created:
        goal = goals.get(spec.drives[0]) if spec.drives else None
        kr = key_results.get((goal.pk, spec.drives[1])) if goal is not None else None
        if kr is None:
            continue
        if spec.trend:
            ends[spec.name] = float(kr.current_value)
            continue
        children = [s for s, _k in created if s.parent == spec.name and s.trend]
        if not children or spec.aggregation not in (Aggregation.MEAN, Aggregation.WEIGHTED_MEAN):
            continue
        weigh = spec.aggregation == Aggregation.WEIGHTED_MEAN
        weights = [Decimal(c.weight) if weigh else Decimal(1) for c in children]
        goal_value = Decimal(kr.current_value)
        mean = sum(
            (w * Decimal(str(c.trend.end)) for c, w in zip(children, weights, strict=True)),
            Decimal(0),
        ) / sum(weights)
        shifted = [
            (Decimal(str(c.trend.end)) + goal_value - mean).quantize(Decimal(c.trend.step))
            for c in children
        ]
        rest = goal_value * sum(weights) - sum(
            (w * e for w, e in zip(weights, shifted, strict=True)), Decimal(0)
        )
        lightest = weights.index(min(weights))
        shifted[lightest] += rest / weights[lightest]
        for child, end in zip(children, shifted, strict=True):
            ends[child.name] = float(end)
    return ends


def _add_history(
    org: Organization,
    created: list[tuple[K, Kpi]],
    now: datetime,
    totals: KpiTotals,
    ends: dict[str, float],
) -> None:
    """A year of measurements for each new measured KPI, corrections, latest values."""
    rows: list[Measurement] = []
    fixes: list[tuple[Measurement, Fix]] = []
    touched: list[Kpi] = []
    for spec, kpi in created:
        rng = random.Random(f"cairn-kpi-{org.slug}-{spec.name}")
        if spec.trend is None:
            has_children = any(s.parent == spec.name for s, _k in created)
            kpi.created_at = now - (timedelta(days=400) if has_children else NEW_KPI_AGE)
            touched.append(kpi)
            continue
        until = now - timedelta(days=spec.overdue_days, minutes=1)
        when = moments(spec.cadence, until, rng.randrange(1000))
        trend = spec.trend
        if spec.name in ends:
            trend = replace(trend, end=ends[spec.name])
        values = series(trend, when, rng)
        own = []
        for moment, value in zip(when, values, strict=True):
            source, entered = spec.source, moment
            if spec.source == MANUAL:
                entered = moment + timedelta(minutes=rng.randrange(0, 90))
                if moment < now - SPREADSHEET_BEFORE:
                    source, entered = CSV, now - SPREADSHEET_BEFORE
            elif spec.source == CSV:
                entered = moment + timedelta(days=1)
            else:
                entered = moment + timedelta(minutes=2)
            own.append(
                Measurement(
                    org=org,
                    kpi=kpi,
                    value=value,
                    measured_at=min(entered, until) if source == MANUAL else moment,
                    source=source,
                    entered_by=kpi.owner,
                    created_at=min(entered, until),
                )
            )
        for fix in spec.fixes:
            fixes.append((own[-1 - fix.ago], fix))
        rows += own
        kpi.created_at = own[0].created_at - timedelta(days=2)
        kpi.latest_value, kpi.latest_at = own[-1].value, own[-1].measured_at
        touched.append(kpi)
    # The rows first entered wrong stay in the history, no longer current.
    corrections = []
    for wrong, fix in fixes:
        corrections.append(
            Measurement(
                org=org,
                kpi=wrong.kpi,
                value=wrong.value,
                measured_at=wrong.measured_at,
                source=MANUAL,
                entered_by=wrong.kpi.owner,
                created_at=min(wrong.created_at + timedelta(days=1), now - timedelta(minutes=1)),
                replaces=wrong,
                note=fix.note,
            )
        )
        wrong.value = (wrong.value * Decimal(fix.times) + Decimal(fix.plus)).quantize(
            Decimal("0.0001")
        )
        wrong.is_current = False
    Measurement.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    Measurement.objects.bulk_create(corrections, batch_size=BATCH_SIZE)
    Kpi.objects.bulk_update(
        touched, ["created_at", "latest_value", "latest_at"], batch_size=BATCH_SIZE
    )
    totals.measurements = len(rows) + len(corrections)
    totals.corrections = len(corrections)


def _link(
    org: Organization,
    specs: list[K],
    kpis: dict[str, Kpi],
    goals: dict[str, Goal],
    key_results: dict[tuple[int, str], KeyResult],
) -> int:
    """Attach KPIs to the current cycle's goals and let some drive key results, where
    not done yet; the number of links made."""
    linked = set(GoalKpi.objects.filter(org=org).values_list("kpi_id", "goal_id"))
    new_links = []
    driven = []
    for spec in specs:
        kpi = kpis.get(spec.name)
        if kpi is None:
            continue
        for key in spec.goals:
            goal = goals.get(key)
            if goal is not None and (kpi.pk, goal.pk) not in linked:
                new_links.append(GoalKpi(org=org, kpi=kpi, goal=goal))
                linked.add((kpi.pk, goal.pk))
        if spec.drives:
            goal = goals.get(spec.drives[0])
            kr = key_results.get((goal.pk, spec.drives[1])) if goal is not None else None
            if kr is not None and kr.kpi_id is None:
                kr.kpi = kpi
                driven.append(kr)
    GoalKpi.objects.bulk_create(new_links, batch_size=BATCH_SIZE)
    KeyResult.objects.bulk_update(driven, ["kpi"], batch_size=BATCH_SIZE)
    return len(new_links) + len(driven)
