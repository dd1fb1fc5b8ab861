"""The hourly KPI roll-up: period values, child roll-ups, key results, goal recompute.

Runs for one organisation inside its tenant context (``core.periodic``), set-based:
a handful of queries per step, never one per KPI, key result or goal.

1. Period aggregation. Each leaf KPI (one without children) gets a value per day,
   week and month from its cadence's period up (``GRANULARITIES_FROM``), from its
   current measurements, by its aggregation rule (weighted mean is the plain mean
   within one KPI's own periods). Periods are days, ISO weeks (Monday) and months in
   the organisation's timezone. Incremental: only the periods holding a measurement
   created since the last successful run (a correction is a new row, so it counts);
   the first run computes everything.
2. Child roll-up. A KPI with children gets, for each period its children have at
   its granularities, the aggregation of the children's values (weighted mean by
   each child's weight), bottom-up, any depth.
3. Latest values. A computed KPI's ``latest_value`` is its latest period value at
   its cadence; a leaf keeps its newest current measurement.
4. Key results driven by a KPI (goal active, key result counted) follow the KPI's
   latest period value at the KPI's cadence: when it differs, a check-in made by
   the KPI is recorded (with its goal event, as ``checkin_create`` records one).
5. ``goals.rollup`` recomputes every key result and goal; drifted ones are repaired.
6. Goals with check-ins since the last run (those made by KPIs in step 4 among them;
   every active goal on the first run) store whether a key result's trend misses its
   target (``goals.forecasts.refresh_forecast_misses``).

Every ``PeriodValue`` is computed here, so every one is marked ``source=rollup``;
its explanation says from what: ``{"rule": "sum", "points": 24}`` for a KPI's own
measurements, ``{"rule": "sum", "children": [{"id", "name", "value", "weight"}]}``
for a parent's.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Count, Max, Min, OuterRef, Q, Subquery, Sum
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek

from core.models import JobRun
from goals.forecasts import refresh_forecast_misses
from goals.models import CheckIn, EventKind, Goal, GoalStatus, KeyResult
from goals.rollup import key_result_progress, recompute_all_counted
from goals.services.events import event_build, jsonable, record_events_bulk
from kpis.models import (
    CADENCE_GRANULARITY,
    GRANULARITIES_FROM,
    Aggregation,
    Granularity,
    Kpi,
    Measurement,
    PeriodValue,
    Source,
)

JOB = "kpi_rollup"
PLACES = Decimal("0.0001")
TRUNC = {Granularity.DAY: TruncDay, Granularity.WEEK: TruncWeek, Granularity.MONTH: TruncMonth}
COARSER = {
    Granularity.DAY: [Granularity.DAY, Granularity.WEEK, Granularity.MONTH],
    Granularity.WEEK: [Granularity.WEEK, Granularity.MONTH],
    Granularity.MONTH: [Granularity.MONTH],
}
KPI_NOTE = "Recorded by KPI “{name}”"
NOT_FOLLOWED = (KeyResult.Kind.MILESTONES,)


def period_start(day: date, granularity: str) -> date:
    """The first day of the day's week (Monday) or month."""
    if granularity == Granularity.WEEK:
        return day - timedelta(days=day.weekday())
    if granularity == Granularity.MONTH:
        return day.replace(day=1)
    return day


def combine(rule: str, values: list[Decimal], weights: list[Decimal] | None = None) -> Decimal:
    """Values combined by an aggregation rule (weights only for weighted mean)."""
    if rule == Aggregation.SUM:
        result = sum(values, Decimal(0))
    elif rule == Aggregation.MIN:
        result = min(values)
    elif rule == Aggregation.MAX:
        result = max(values)
    elif rule == Aggregation.WEIGHTED_MEAN and weights:
        total = sum(weights, Decimal(0))
        result = sum((v * w for v, w in zip(values, weights, strict=True)), Decimal(0)) / total
    else:
        result = sum(values, Decimal(0)) / len(values)
    return result.quantize(PLACES)


def watermark(org_id: int):
    """When the last successful roll-up started (None: never)."""
    return (
        JobRun.objects.filter(org=org_id, job=JOB, outcome=JobRun.Outcome.SUCCESS)
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)


def rollup_org(org_id: int, *, now: datetime, tz: ZoneInfo | None = None) -> dict:
    """Run the whole roll-up for one organisation (inside its tenant context)."""
    if tz is None:
        from orgs.models import Organization

        tz = ZoneInfo(Organization.objects.values_list("timezone", flat=True).get(pk=org_id))
    since = watermark(org_id)
    kpis = {
        k["pk"]: k
        for k in Kpi.objects.filter(org=org_id).values(
            "pk",
            "name",
            "parent_id",
            "aggregation",
            "weight",
            "cadence",
            "latest_value",
            "latest_at",
        )
    }
    children: dict[int, list[int]] = defaultdict(list)
    for pk, k in kpis.items():
        if k["parent_id"] in kpis:
            children[k["parent_id"]].append(pk)
    touched = _aggregate_leaves(org_id, kpis, children, since=since, tz=tz, now=now)
    period_values = len(touched)
    rolled_up = _roll_up_parents(org_id, kpis, children, touched, full=since is None, now=now)
    latest = _latest_period_values(org_id, kpis, now.astimezone(tz).date())
    _store_latest(org_id, kpis, children, latest, tz, since=since)
    moved = _follow_kpis(org_id, kpis, latest, now=now)
    _computed, _krs, goals_repaired = recompute_all_counted(org_id)
    forecasts_changed = _refresh_forecasts(org_id, since=since)
    return {
        "period_values": period_values,
        "rolled_up": rolled_up,
        "key_results_moved": moved,
        "goals_repaired": goals_repaired,
        "forecasts_changed": forecasts_changed,
    }


def _refresh_forecasts(org_id: int, *, since: datetime | None) -> int:
    """Step 6: the goals whose key results were checked in since ``since`` (all active
    ones when None) store whether a trend misses; returns how many changed."""
    if since is None:
        return refresh_forecast_misses(org_id)
    # Every check-in sets its goal's last_checkin_at (step 4 and checkin_create): the
    # goals table, not every check-in, tells which were checked in.
    checked_in = Goal.objects.filter(org=org_id, last_checkin_at__gte=since).values("pk")
    return refresh_forecast_misses(org_id, checked_in)


def _aggregate_leaves(org_id, kpis, children, *, since, tz, now) -> set[tuple[int, str, date]]:
    """Step 1: upsert the leaf KPIs' period values touched since ``since``; returns
    the (kpi, granularity, period start) keys written."""
    leaves = [pk for pk in kpis if pk not in children]
    if not leaves:
        return set()
    current = Measurement.objects.filter(org=org_id, is_current=True)
    wanted: dict[str, set[tuple[int, date]]] | None = None
    lower: dict[str, datetime] = {}
    if since is not None:
        new_days = (
            Measurement.objects.filter(org=org_id, created_at__gte=since)
            .annotate(day=TruncDay("measured_at", tzinfo=tz))
            .values_list("kpi_id", "day")
            .order_by()  # the model's ordering would make every row distinct
            .distinct()
        )
        wanted = defaultdict(set)
        for kpi_id, day in new_days:
            if kpi_id not in kpis or kpi_id in children:
                continue
            local_day = day.astimezone(tz).date()
            for granularity in GRANULARITIES_FROM[kpis[kpi_id]["cadence"]]:
                wanted[granularity].add((kpi_id, period_start(local_day, granularity)))
        if not wanted:
            return set()
        for granularity, keys in wanted.items():
            lower[granularity] = _local_midnight(min(start for _, start in keys), tz)
    rows: list[PeriodValue] = []
    for granularity in (Granularity.DAY, Granularity.WEEK, Granularity.MONTH):
        ids = [pk for pk in leaves if granularity in GRANULARITIES_FROM[kpis[pk]["cadence"]]]
        if wanted is not None:
            ids = sorted({kpi_id for kpi_id, _ in wanted.get(granularity, ())})
        if not ids:
            continue
        qs = current.filter(kpi__in=ids)
        if granularity in lower:
            qs = qs.filter(measured_at__gte=lower[granularity])
        aggregates = (
            qs.annotate(period=TRUNC[granularity]("measured_at", tzinfo=tz))
            .values("kpi_id", "period")
            .annotate(total=Sum("value"), low=Min("value"), high=Max("value"), n=Count("id"))
            .order_by()
        )
        for a in aggregates:
            start = a["period"].astimezone(tz).date()
            if wanted is not None and (a["kpi_id"], start) not in wanted[granularity]:
                continue
            rule = kpis[a["kpi_id"]]["aggregation"]
            value = {
                Aggregation.SUM: a["total"],
                Aggregation.MIN: a["low"],
                Aggregation.MAX: a["high"],
            }.get(rule)
            if value is None:
                value = Decimal(a["total"]) / a["n"]
            rows.append(
                PeriodValue(
                    org_id=org_id,
                    kpi_id=a["kpi_id"],
                    granularity=granularity,
                    period_start=start,
                    value=Decimal(value).quantize(PLACES),
                    source=Source.ROLLUP,
                    points=a["n"],
                    explanation={"rule": rule, "points": a["n"]},
                    computed_at=now,
                )
            )
    return {(r.kpi_id, r.granularity, r.period_start) for r in _upsert(org_id, rows)}


def _upsert(org_id: int, rows: list[PeriodValue]) -> list[PeriodValue]:
    """Write the rows whose value or explanation changed (one read, one upsert);
    returns them, so running again changes nothing."""
    if not rows:
        return []
    stored = {
        (kpi_id, granularity, start): (value, explanation)
        for kpi_id, granularity, start, value, explanation in PeriodValue.objects.filter(
            org=org_id,
            kpi__in={r.kpi_id for r in rows},
            period_start__gte=min(r.period_start for r in rows),
        )
        .values_list("kpi_id", "granularity", "period_start", "value", "explanation")
        .order_by()
    }
    changed = [
        r
        for r in rows
        if stored.get((r.kpi_id, r.granularity, r.period_start)) != (r.value, r.explanation)
    ]
    if changed:
        PeriodValue.objects.bulk_create(
            changed,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["kpi", "granularity", "period_start"],
            update_fields=["value", "source", "points", "explanation", "computed_at"],
        )
    return changed


def _levels(kpis: dict, children: dict[int, list[int]]) -> list[list[int]]:
    """Parent KPIs grouped by height (those over leaves only first); a loop is skipped."""
    height: dict[int, int] = {}

    def measure(pk: int, seen: frozenset) -> int:
        if pk in height:
            return height[pk]
        if pk in seen:
            return -1
        below = [measure(c, seen | {pk}) for c in children.get(pk, ())]
        height[pk] = 1 + max(below, default=-1) if all(b >= 0 for b in below) else -1
        return height[pk]

    by_height: dict[int, list[int]] = defaultdict(list)
    for pk in children:
        if measure(pk, frozenset()) > 0:
            by_height[height[pk]].append(pk)
    return [by_height[h] for h in sorted(by_height)]


def _roll_up_parents(org_id, kpis, children, touched: set, *, full: bool, now) -> int:
    """Step 2: each level of parents from its children's period values (two reads and
    one upsert a level), for the periods whose children changed; a parent with no
    value yet (new, or its children moved under it) gets every period."""
    if not children:
        return 0
    have_values = set(
        PeriodValue.objects.filter(org=org_id, kpi__in=list(children))
        .values_list("kpi_id", flat=True)
        .distinct()
        .order_by()
    )
    by_kpi: dict[int, list[tuple[str, date]]] = defaultdict(list)
    for kpi_id, granularity, start in touched:
        by_kpi[kpi_id].append((granularity, start))
    written = 0
    for level in _levels(kpis, children):
        whole = {p for p in level if full or p not in have_values}
        wanted: set[tuple[int, str, date]] = set()
        for parent in level:
            grains = GRANULARITIES_FROM[kpis[parent]["cadence"]]
            for child in children[parent]:
                for granularity, start in by_kpi.get(child, ()):
                    if granularity in grains:
                        wanted.add((parent, granularity, start))
        if not wanted and not whole:
            continue
        child_ids = [
            c for p in level if p in whole or any(k[0] == p for k in wanted) for c in children[p]
        ]
        qs = PeriodValue.objects.filter(org=org_id, kpi__in=child_ids)
        if not whole:
            qs = qs.filter(period_start__gte=min(start for _, _, start in wanted))
        values: dict[tuple[int, str, date], list[tuple[int, Decimal]]] = defaultdict(list)
        for kpi_id, granularity, start, value in qs.values_list(
            "kpi_id", "granularity", "period_start", "value"
        ).order_by():
            parent = kpis[kpi_id]["parent_id"]
            if granularity not in GRANULARITIES_FROM[kpis[parent]["cadence"]]:
                continue
            key = (parent, granularity, start)
            if parent in whole or key in wanted:
                values[key].append((kpi_id, value))
        rows = []
        for (parent, granularity, start), terms in values.items():
            rule = kpis[parent]["aggregation"]
            terms.sort()
            weights = [kpis[c]["weight"] for c, _ in terms]
            rows.append(
                PeriodValue(
                    org_id=org_id,
                    kpi_id=parent,
                    granularity=granularity,
                    period_start=start,
                    value=combine(rule, [v for _, v in terms], weights),
                    source=Source.ROLLUP,
                    points=len(terms),
                    explanation={
                        "rule": rule,
                        "children": [
                            {
                                "id": c,
                                "name": kpis[c]["name"],
                                "value": jsonable(v),
                                "weight": jsonable(kpis[c]["weight"]),
                            }
                            for c, v in terms
                        ],
                    },
                    computed_at=now,
                )
            )
        for r in _upsert(org_id, rows):
            by_kpi[r.kpi_id].append((r.granularity, r.period_start))
            written += 1
    return written


# How far back the latest period value is looked for first; KPIs with none in that
# window (stale ones) are read in full afterwards.
RECENT_WINDOW = {
    Granularity.DAY: timedelta(days=7),
    Granularity.WEEK: timedelta(weeks=3),
    Granularity.MONTH: timedelta(days=93),
}


def _latest_period_values(org_id: int, kpis: dict, today: date) -> dict[int, tuple[Decimal, date]]:
    """Each KPI's latest period value at its cadence: the recent periods of every KPI
    (one query a granularity, a few rows a KPI), then the whole history of the few with
    none lately (one more query).

    Not a "latest row" subquery per KPI: row-level security adds ``org_id = <setting>``
    to it, and the planner, taking that for independent of the KPI, intersected each
    KPI's index entries with the organisation's (120 ms for 100 KPIs; benchmarks/README.md).
    """
    latest: dict[int, tuple[Decimal, date]] = {}

    def keep(kpi_id: int, start: date, value: Decimal) -> None:
        if kpi_id not in latest or latest[kpi_id][1] < start:
            latest[kpi_id] = (value, start)

    by_granularity: dict[str, list[int]] = defaultdict(list)
    for pk, k in kpis.items():
        by_granularity[CADENCE_GRANULARITY[k["cadence"]]].append(pk)
    for granularity, ids in by_granularity.items():
        for kpi_id, start, value in (
            PeriodValue.objects.filter(
                org=org_id,
                granularity=granularity,
                period_start__gte=today - RECENT_WINDOW[granularity],
                kpi__in=ids,
            )
            .values_list("kpi_id", "period_start", "value")
            .order_by()
        ):
            keep(kpi_id, start, value)
    stale = Q()
    for granularity, ids in by_granularity.items():
        missing = [pk for pk in ids if pk not in latest]
        if missing:
            stale |= Q(granularity=granularity, kpi__in=missing)
    if stale:
        for kpi_id, start, value in (
            PeriodValue.objects.filter(stale, org=org_id)
            .values_list("kpi_id", "period_start", "value")
            .order_by()
        ):
            keep(kpi_id, start, value)
    return latest


def _store_latest(org_id, kpis, children, latest, tz, *, since) -> None:
    """Step 3: computed KPIs store their latest period value; leaves their newest
    current measurement.

    On the first run every leaf's is read (a subquery a KPI). Afterwards only rows
    created since the last run can change it (a correction is a new row, current, at
    the time it corrects, so it wins a tie): one query for those, compared with what
    is stored. Not the subquery every time: row-level security adds
    ``org_id = <setting>`` to it, the planner takes that for independent of the KPI,
    expects 5 of a KPI's 365 rows and reads them all by the foreign key index and
    sorts, instead of the newest one from measurement_current (70 ms an organisation
    of 200 KPIs; benchmarks/README.md)."""
    changed = []

    def store(pk: int, value, at) -> None:
        if value is not None:
            value = Decimal(value).quantize(PLACES)
        k = kpis[pk]
        if k["latest_value"] != value or k["latest_at"] != at:
            changed.append(Kpi(pk=pk, latest_value=value, latest_at=at))

    for pk in children:
        value, start = latest.get(pk, (None, None))
        store(pk, value, _local_midnight(start, tz) if start else None)
    if since is None:
        newest = Measurement.objects.filter(
            org=org_id, kpi=OuterRef("pk"), is_current=True
        ).order_by("-measured_at", "-pk")
        rows = (
            Kpi.objects.filter(org=org_id)
            .exclude(pk__in=list(children))
            .annotate(
                m_value=Subquery(newest.values("value")[:1]),
                m_at=Subquery(newest.values("measured_at")[:1]),
            )
            .values_list("pk", "m_value", "m_at")
        )
        for pk, value, at in rows:
            store(pk, value, at)
    else:
        best: dict[int, tuple] = {}
        for pk, kpi_id, value, at in (
            Measurement.objects.filter(org=org_id, created_at__gte=since, is_current=True)
            .values_list("pk", "kpi_id", "value", "measured_at")
            .order_by()
        ):
            if kpi_id in kpis and kpi_id not in children:
                if kpi_id not in best or (at, pk) > best[kpi_id][:2]:
                    best[kpi_id] = (at, pk, value)
        for kpi_id, (at, _pk, value) in best.items():
            stored_at = kpis[kpi_id]["latest_at"]
            if stored_at is None or at >= stored_at:
                store(kpi_id, value, at)
    if changed:
        Kpi.objects.bulk_update(changed, ["latest_value", "latest_at"], batch_size=1000)


def _follow_kpis(org_id: int, kpis: dict, latest: dict, *, now: datetime) -> int:
    """Step 4: key results driven by a KPI take its latest period value, each with a
    check-in made by the KPI and its goal event (a few bulk statements in all)."""
    followers = list(
        KeyResult.objects.filter(
            org=org_id,
            kpi__isnull=False,
            goal__status=GoalStatus.APPROVED,
            awaiting_approval=False,
        )
        .exclude(kind__in=NOT_FOLLOWED)
        .select_related("goal")
        .only(
            "pk",
            "goal_id",
            "kpi_id",
            "kind",
            "direction",
            "start_value",
            "target_value",
            "current_value",
            "progress",
            "goal__confidence",
            "goal__org_id",
        )
    )
    moved, checkins, events = [], [], []
    for kr in followers:
        if kr.kpi_id not in latest:
            continue
        value = latest[kr.kpi_id][0]
        if kr.current_value == value:
            continue
        before = {
            "key_result": kr.pk,
            "value": jsonable(kr.current_value),
            "progress": kr.progress,
            "confidence": kr.goal.confidence,
        }
        kr.current_value = value
        kr.progress = key_result_progress(kr)
        moved.append(kr)
        note = KPI_NOTE.format(name=kpis[kr.kpi_id]["name"])
        checkins.append(
            CheckIn(
                org_id=org_id,
                key_result_id=kr.pk,
                goal_id=kr.goal_id,
                author=None,
                kpi_id=kr.kpi_id,
                value=value,
                note=note,
                created_at=now,
            )
        )
        after = {
            "key_result": kr.pk,
            "value": jsonable(value),
            "progress": kr.progress,
            "confidence": "",
        }
        events.append(
            event_build(
                org_id=org_id,
                goal_id=kr.goal_id,
                actor_id=None,
                kind=EventKind.CHECKED_IN,
                before=before,
                after=after,
                comment=note,
                at=now,
            )
        )
    if moved:
        KeyResult.objects.bulk_update(moved, ["current_value", "progress"], batch_size=1000)
        CheckIn.objects.bulk_create(checkins, batch_size=1000)
        record_events_bulk(events, batch_size=1000)
        Goal.objects.filter(org=org_id, pk__in={kr.goal_id for kr in moved}).update(
            last_checkin_at=now
        )
    return len(moved)
