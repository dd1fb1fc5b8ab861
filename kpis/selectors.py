"""Reads for the KPI pages, each a fixed number of queries however many rows there are.

The list: one query for a page of KPIs (with owners), one for every row's recent
points (a window function numbers each KPI's current measurements, newest first).
The detail: the recent points, a page of measurements with who entered and what
they replaced, the children, the goals served and the active cycle: one query each.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import F, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from goals.access import Actor
from goals.charts import with_unit
from goals.models import Cycle, Goal
from kpis import access, forecast, status
from kpis.charts import sparkline, value_text
from kpis.models import Cadence, Kpi, Measurement, PeriodValue

SPARK_POINTS = 12  # recent values per row of the list
CHART_POINTS = 120  # values drawn on a KPI's chart
FORECAST_DAYS = 90  # how far to project when there is no active cycle
CHILDREN_SHOWN = 50
GOALS_SHOWN = 50
CADENCE_DAYS = {Cadence.DAILY: 1, Cadence.WEEKLY: 7, Cadence.MONTHLY: 31}


def is_overdue(kpi: Kpi, now: datetime | None = None) -> bool:
    """No measurement within the KPI's cadence (counted from its latest one)."""
    if kpi.latest_at is None:
        return False
    now = now or timezone.now()
    return now - kpi.latest_at > timedelta(days=CADENCE_DAYS.get(kpi.cadence, 7))


def kpi_list(actor: Actor, *, mine: bool) -> QuerySet[Kpi]:
    qs = access.visible_kpis(actor).select_related("owner__user")
    if mine:
        qs = qs.filter(owner=actor.member)
    return qs.order_by("name", "pk")


def recent_points(kpis: list[Kpi], per_kpi: int) -> dict[int, list[tuple[datetime, Decimal]]]:
    """The latest ``per_kpi`` current values of each KPI, oldest first: one query."""
    if not kpis:
        return {}
    org_id = kpis[0].org_id
    rows = (
        Measurement.objects.filter(org=org_id, kpi__in=[k.pk for k in kpis], is_current=True)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("kpi_id")],
                order_by=[F("measured_at").desc(), F("id").desc()],
            )
        )
        .filter(rank__lte=per_kpi)
        .values_list("kpi_id", "measured_at", "value")
    )
    points: dict[int, list[tuple[datetime, Decimal]]] = defaultdict(list)
    for kpi_id, when, value in rows:
        points[kpi_id].append((when, value))
    # A KPI computed from children has no measurements: its roll-up values per period.
    for kpi_id, day, value in _recent_period_values(
        [k for k in kpis if k.pk not in points], per_kpi
    ):
        points[kpi_id].append((_start_of(day), value))
    for series in points.values():
        series.sort(key=lambda p: p[0])
    return points


def _recent_period_values(kpis: list[Kpi], per_kpi: int) -> list[tuple[int, date, Decimal]]:
    """The latest ``per_kpi`` roll-up values of each KPI at its cadence: one query, none
    when every KPI has measurements."""
    if not kpis:
        return []
    at_cadence = Q()
    for kpi in kpis:
        at_cadence |= Q(kpi=kpi.pk, granularity=kpi.granularity)
    return list(
        PeriodValue.objects.filter(at_cadence, org=kpis[0].org_id)
        .annotate(
            rank=Window(
                RowNumber(), partition_by=[F("kpi_id")], order_by=[F("period_start").desc()]
            )
        )
        .filter(rank__lte=per_kpi)
        .values_list("kpi_id", "period_start", "value")
    )


@dataclass
class KpiRow:
    kpi: Kpi
    value_text: str
    status: status.Status
    overdue: bool
    spark: object


def list_rows(kpis: list[Kpi]) -> list[KpiRow]:
    points = recent_points(kpis, SPARK_POINTS)
    now = timezone.now()
    return [
        KpiRow(
            kpi=kpi,
            value_text=value_text(kpi, kpi.latest_value),
            status=status.status_of(kpi, kpi.latest_value),
            overdue=is_overdue(kpi, now),
            spark=sparkline(kpi, points.get(kpi.pk, [])),
        )
        for kpi in kpis
    ]


# --- The detail page ----------------------------------------------------------------


def chart_points(kpi: Kpi, *, computed: bool = False) -> list[tuple[datetime, Decimal]]:
    """The KPI's latest CHART_POINTS values, oldest first: its current measurements, or
    for a KPI computed from children, the roll-up's values per period of its cadence."""
    if computed:
        rows = list(
            PeriodValue.objects.filter(org=kpi.org_id, kpi=kpi, granularity=kpi.granularity)
            .order_by("-period_start")
            .values_list("period_start", "value")[:CHART_POINTS]
        )
        rows = [(_start_of(day), value) for day, value in rows]
    else:
        rows = list(
            Measurement.objects.filter(org=kpi.org_id, kpi=kpi, is_current=True)
            .order_by("-measured_at", "-pk")
            .values_list("measured_at", "value")[:CHART_POINTS]
        )
    rows.reverse()
    return rows


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time()))


def measurements(kpi: Kpi) -> QuerySet[Measurement]:
    """The KPI's current values, newest first, with who entered them and what they replaced."""
    return (
        Measurement.objects.filter(org=kpi.org_id, kpi=kpi, is_current=True)
        .select_related("entered_by__user", "replaces")
        .order_by("-measured_at", "-pk")
    )


def children(kpi: Kpi) -> list[Kpi]:
    """The first CHILDREN_SHOWN child KPIs, by name (the page lists those the viewer may see)."""
    return list(
        Kpi.objects.filter(org=kpi.org_id, parent=kpi).order_by("name", "pk")[:CHILDREN_SHOWN]
    )


def served_goals(actor: Actor, kpi: Kpi) -> list[Goal]:
    return list(
        actor.visible_goals()
        .filter(kpi_links__kpi=kpi)
        .select_related("cycle")
        .order_by("-cycle__start", "title", "pk")[:GOALS_SHOWN]
    )


def forecast_end(org_id: int) -> date:
    """The active cycle's end, or FORECAST_DAYS ahead when none is active."""
    cycle = (
        Cycle.objects.filter(org=org_id, status=Cycle.Status.ACTIVE)
        .order_by("-start")
        .only("end")
        .first()
    )
    today = timezone.localdate()
    if cycle is not None and cycle.end > today:
        return cycle.end
    return today + timedelta(days=FORECAST_DAYS)


def kpi_forecast(kpi: Kpi, points, by: date) -> forecast.Forecast | None:
    return forecast.project(
        [(when, float(value)) for when, value in points],
        by,
        lambda value: status.meets_target(kpi, value),
    )


def target_text(kpi: Kpi) -> str:
    fmt = lambda v: with_unit(v, kpi.unit_label)  # noqa: E731
    if kpi.direction == "range":
        low = kpi.target_low if kpi.target_low is not None else kpi.target
        return f"{fmt(low)}–{fmt(kpi.target)}"
    return fmt(kpi.target)


def forecast_sentence(kpi: Kpi, result: forecast.Forecast | None) -> str:
    if result is None:
        return ""
    return result.sentence(
        target_text(kpi),
        unit=kpi.unit_label,
        formatter=lambda v, unit: with_unit(round(v, 1), unit),
        direction=kpi.direction,
    )


# --- The goal page ------------------------------------------------------------------

GOAL_KPIS_SHOWN = 20


def goal_kpis(actor: Actor, goal: Goal, key_results=()) -> list[KpiRow]:
    """The KPIs informing a goal that the actor may see (one query), and on each key
    result driven by a KPI the KPI when the actor may see it (``kr.followed_kpi``)."""
    kpis = list(
        access.visible_kpis(actor)
        .filter(goal_links__goal=goal)
        .order_by("name", "pk")[:GOAL_KPIS_SHOWN]
    )
    for kr in key_results:
        kpi = kr.kpi if kr.kpi_id else None
        kr.followed_kpi = kpi if kpi is not None and access.can_view(actor, kpi) else None
    return [
        KpiRow(
            kpi=kpi,
            value_text=value_text(kpi, kpi.latest_value),
            status=status.status_of(kpi, kpi.latest_value),
            overdue=is_overdue(kpi),
            spark=None,
        )
        for kpi in kpis
    ]
