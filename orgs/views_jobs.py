"""The job health page: each periodic job's last runs for this organisation (admins).

Two queries whatever the number of jobs and runs: the last RUNS_PER_JOB runs of every
job in one windowed query, and the organisation switcher. "Run now" (only the jobs in
RUN_NOW) queues ``core.periodic.run_for_org`` after commit: it runs on a worker, as
beat's runs do, and ignores the time-of-day gate like a run by hand.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.contrib import messages
from django.db import transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from core import periodic
from core.models import JobRun
from orgs.views import admin_required

log = logging.getLogger(__name__)
RUNS_PER_JOB = 10
# Jobs an admin may start from the page (the others wait for beat or run_periodic).
RUN_NOW = ("kpi_rollup",)
QUEUED = "Queued; refresh to see it."
TRIGGERS = {"beat": "Scheduled", "manual": "By hand (run_periodic)", "now": "Run now"}


@dataclass
class JobRow:
    job: periodic.PeriodicJob
    runs: list[JobRun] = field(default_factory=list)

    @property
    def can_run_now(self) -> bool:
        return self.job.name in RUN_NOW


def _describe(run: JobRun, job: periodic.PeriodicJob) -> JobRun:
    """What the page says about a run: its counts in words, its trigger, its duration."""
    run.said = job.summary(run.counts) if run.outcome == JobRun.Outcome.SUCCESS else ""
    run.trigger_label = TRIGGERS.get(run.trigger, run.trigger)
    # A run is one per period; a retry or a run by hand in the same period runs it again.
    run.period_noun = "hour" if job.period is periodic.hourly else "day"
    run.error_line = (run.error.strip().splitlines() or [""])[0][:300]
    seconds = max(run.duration.total_seconds(), 0) if run.duration is not None else None
    if seconds is None:
        run.took = ""
    elif seconds < 0.05:
        run.took = "under 0.1 s"
    elif seconds < 60:
        run.took = f"{seconds:.1f} s"
    else:
        run.took = f"{int(seconds // 60)} min {int(seconds % 60)} s"
    return run


@admin_required
@require_GET
def jobs(request: HttpRequest, org_slug: str) -> HttpResponse:
    rows = {name: JobRow(job) for name, job in sorted(periodic.REGISTRY.items())}
    latest = Window(
        RowNumber(), partition_by=[F("job")], order_by=[F("started_at").desc(), F("pk").desc()]
    )
    runs = (
        JobRun.objects.filter(org=request.org, job__in=list(rows))
        .annotate(rank=latest)
        .filter(rank__lte=RUNS_PER_JOB)
        .order_by("job", "-started_at", "-pk")
    )
    for run in runs:
        rows[run.job].runs.append(_describe(run, rows[run.job].job))
    return render(request, "orgs/jobs.html", {"rows": list(rows.values())})


@admin_required
@require_POST
def job_run_now(request: HttpRequest, org_slug: str) -> HttpResponse:
    name = request.POST.get("job", "")
    if name not in RUN_NOW or name not in periodic.REGISTRY:
        raise Http404("No such job")
    org_id = request.org.pk

    def enqueue() -> None:
        try:
            periodic.run_for_org.delay(org_id=org_id, job=name, trigger="now")
        except Exception:  # the broker is down: beat's next tick runs it anyway
            log.warning("Could not queue %s for organisation %s", name, org_id, exc_info=True)

    transaction.on_commit(enqueue)
    messages.success(request, f"{periodic.REGISTRY[name].title}: {QUEUED}")
    return redirect("orgs:jobs", org_slug=org_slug)
