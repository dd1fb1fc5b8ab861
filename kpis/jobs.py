"""The KPI app's periodic jobs (registered in KpisConfig.ready): bodies called by
``core.periodic.run_job`` for one organisation, inside its tenant context."""

from __future__ import annotations

from datetime import datetime

from core import periodic
from kpis.rollup import rollup_org
from kpis.snapshots import snapshot_day, take_snapshots


def kpi_rollup(org, local: datetime) -> dict:
    return rollup_org(org.pk, now=local, tz=local.tzinfo)


def snapshots(org, local: datetime) -> dict:
    return take_snapshots(org.pk, day=snapshot_day(local))


def rollup_summary(counts: dict) -> str:
    return (
        f"{counts.get('period_values', 0)} period values computed, "
        f"{counts.get('rolled_up', 0)} rolled up from child KPIs, "
        f"{counts.get('key_results_moved', 0)} key results moved, "
        f"{counts.get('goals_repaired', 0)} goals repaired"
    )


def snapshots_summary(counts: dict) -> str:
    return (
        f"{counts.get('goal_snapshots', 0)} goal snapshots, "
        f"{counts.get('kpi_snapshots', 0)} KPI snapshots"
    )


def register() -> None:
    periodic.register(
        periodic.PeriodicJob(
            name="kpi_rollup",
            title="KPI roll-up and goal recompute",
            run=kpi_rollup,
            every=3600,
            period=periodic.hourly,
            summary=rollup_summary,
        ),
        periodic.PeriodicJob(
            name="snapshots",
            title="Daily snapshots",
            run=snapshots,
            every=3600,
            period=periodic.daily,
            summary=snapshots_summary,
        ),
    )
