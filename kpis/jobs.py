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


def register() -> None:
    periodic.register(
        periodic.PeriodicJob(
            name="kpi_rollup",
            title="KPI roll-up and goal recompute",
            run=kpi_rollup,
            every=3600,
            period=periodic.hourly,
        ),
        periodic.PeriodicJob(
            name="snapshots",
            title="Daily snapshots",
            run=snapshots,
            every=3600,
            period=periodic.daily,
        ),
    )
