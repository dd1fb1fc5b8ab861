"""Beat's tick for the roll-up, run by a real Celery worker on Redis and PostgreSQL:
the key result driven by a KPI moves and the run is recorded."""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from core.models import JobRun
from core.periodic import tick
from core.tenancy import tenant_context
from goals.models import CheckIn, GoalStatus, KeyResult
from kpis.models import Kpi, Measurement
from tests.factories import GoalFactory
from tests.test_celery_worker import worker  # noqa: F401 (the fixture)

pytestmark = pytest.mark.postgres


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_roll_up_and_the_key_result_follows_its_kpi(
    cast,
    worker,  # noqa: F811
):
    _mail, log = worker
    goal = GoalFactory(owner=cast.admin, status=GoalStatus.APPROVED, key_results=1)
    with tenant_context(cast.org.pk):
        kpi = Kpi.objects.create(
            org=cast.org,
            owner=cast.admin,
            name="Signups",
            target=D(100),
            amber_threshold=D(80),
            red_threshold=D(50),
            cadence="daily",
            aggregation="sum",
        )
        Measurement.objects.create(
            org=cast.org, kpi=kpi, value=D(42), measured_at=timezone.now() - timedelta(hours=1)
        )
        kr = KeyResult.objects.get(goal=goal)
        KeyResult.objects.filter(pk=kr.pk).update(kpi=kpi)
    tick.delay(job="kpi_rollup")
    deadline = time.monotonic() + 60
    while True:
        with tenant_context(cast.org.pk):
            run = JobRun.objects.filter(org=cast.org, job="kpi_rollup").first()
        if run is not None and run.outcome != JobRun.Outcome.RUNNING:
            break
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.3)
    assert run.outcome == JobRun.Outcome.SUCCESS, run.error
    assert run.counts["key_results_moved"] == 1
    with tenant_context(cast.org.pk):
        kr.refresh_from_db()
        assert kr.current_value == D(42)
        assert CheckIn.objects.get(key_result=kr).kpi_id == kpi.pk
