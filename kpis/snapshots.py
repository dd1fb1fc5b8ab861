"""The daily snapshots: each counted goal's progress and each KPI's latest value,
dated the organisation's previous local day ("as the day ended"), upserted so a
second run the same day rewrites the same rows."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from goals.models import COUNTED_STATUSES, Goal, ProgressSnapshot
from kpis.models import Kpi, KpiSnapshot

BATCH = 2000


def snapshot_day(local: datetime) -> date:
    """The day a run at ``local`` (the organisation's time) records: the one that ended."""
    return local.date() - timedelta(days=1)


def take_snapshots(org_id: int, *, day: date) -> dict:
    """One ProgressSnapshot per counted goal and one KpiSnapshot per KPI with a value
    (two reads, two upserts)."""
    goals = [
        ProgressSnapshot(org_id=org_id, goal_id=pk, day=day, progress=progress, status=status)
        for pk, progress, status in Goal.objects.filter(
            org=org_id, status__in=COUNTED_STATUSES
        ).values_list("pk", "progress", "status")
    ]
    ProgressSnapshot.objects.bulk_create(
        goals,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["goal", "day"],
        update_fields=["progress", "status"],
    )
    kpis = [
        KpiSnapshot(org_id=org_id, kpi_id=pk, day=day, value=value)
        for pk, value in Kpi.objects.filter(org=org_id, latest_value__isnull=False).values_list(
            "pk", "latest_value"
        )
    ]
    KpiSnapshot.objects.bulk_create(
        kpis,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["kpi", "day"],
        update_fields=["value"],
    )
    return {"goal_snapshots": len(goals), "kpi_snapshots": len(kpis)}
