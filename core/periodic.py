"""Periodic jobs: one registry, one idempotent path for beat, retries and run-by-hand.

An app registers a ``PeriodicJob`` in its AppConfig.ready: a name, how often beat
fires it, the period a run belongs to (in the organisation's own timezone), an
optional gate (reminders wait for the organisation's morning) and the body, which
runs for one organisation inside its tenant context and returns counts.

Beat sends ``core.periodic.tick(job)``; the tick fans out one ``run_for_org`` task
per organisation (core.tasks.fan_out). ``run_job`` claims the run first, in its own
committed transaction: ``JobRun`` is unique per (organisation, job, period), so beat
firing twice, two beats, a retry after success or a second worker find the claim
and do nothing. The body runs in a second transaction; its outcome and counts are
written to the same row for the job health page. Run by hand (``run_periodic``,
the health page's "run now") the gate is ignored and a finished period runs again;
bodies are written so that running again is safe (recomputes, upserts, and
reminders recorded once per person and period by the notifications' dedupe key).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from celery import shared_task
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.utils import timezone

from core.models import JobRun
from core.tasks import fan_out, tenant_task
from core.tenancy import tenant_context

logger = logging.getLogger(__name__)

# Errors worth retrying: the database or broker went away for a moment.
TRANSIENT = (OperationalError, InterfaceError, ConnectionError, TimeoutError)
# A run still "running" after this long died with its worker: the next attempt takes over.
STALE_AFTER = timedelta(minutes=30)


def hourly(local: datetime) -> str:
    return local.strftime("%Y-%m-%dT%H")


def daily(local: datetime) -> str:
    return local.strftime("%Y-%m-%d")


def always(org, local: datetime) -> bool:
    return True


def in_the_morning(org, local: datetime) -> bool:
    """From the organisation's reminder hour on (beat fires hourly; the period key
    makes the first run after that hour the only one of the day)."""
    return local.hour >= org.reminder_hour


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    title: str
    # The body: (organisation, local time of the run) -> counts, e.g. {"sent": 3}.
    run: Callable
    every: int  # seconds between beat ticks
    period: Callable[[datetime], str] = daily
    due: Callable = always
    # How to print a run's counts on one line (run_periodic, the health page).
    summary: Callable[[dict], str] = field(
        default=lambda counts: ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items())
    )


REGISTRY: dict[str, PeriodicJob] = {}


def register(*jobs: PeriodicJob) -> None:
    for job in jobs:
        REGISTRY[job.name] = job


def beat_schedule() -> dict[str, dict]:
    """The beat entries of every registered job (config/celery.py adds them)."""
    return {
        f"periodic-{job.name}": {
            "task": "core.periodic.tick",
            "schedule": job.every,
            "kwargs": {"job": job.name},
        }
        for job in REGISTRY.values()
    }


@dataclass
class Outcome:
    """What ``run_job`` did for one organisation."""

    job: str
    org_slug: str
    status: str  # ran, already_ran, running_elsewhere, not_due, failed
    counts: dict = field(default_factory=dict)
    error: str = ""
    run_id: int | None = None

    def line(self) -> str:
        job = REGISTRY[self.job]
        if self.status == "ran":
            said = job.summary(self.counts) or "nothing to do"
        elif self.status == "already_ran":
            said = "already ran for this period"
        elif self.status == "running_elsewhere":
            said = "running elsewhere"
        elif self.status == "not_due":
            said = "not due yet"
        else:
            said = f"failed: {self.error}"
        return f"{self.job} {self.org_slug}: {said}"


def _claim(org_id: int, job: str, period: str, trigger: str, now: datetime):
    """Take the run for (org, job, period) in a committed transaction.

    Returns (run, None) when this caller runs it, or (None, status) when it must not.
    """
    with tenant_context(org_id):
        try:
            with transaction.atomic():
                return (
                    JobRun.objects.create(
                        org_id=org_id, job=job, period=period, trigger=trigger, started_at=now
                    ),
                    None,
                )
        except IntegrityError:
            pass
        run = JobRun.objects.select_for_update().get(org_id=org_id, job=job, period=period)
        by_hand = trigger != "beat"
        if run.outcome == JobRun.Outcome.SUCCESS and not by_hand:
            return None, "already_ran"
        if run.outcome == JobRun.Outcome.RUNNING and now - run.started_at < STALE_AFTER:
            return None, "running_elsewhere"
        run.outcome = JobRun.Outcome.RUNNING
        run.started_at, run.finished_at = now, None
        run.attempts += 1
        run.trigger = trigger
        run.error = ""
        run.save(
            update_fields=["outcome", "started_at", "finished_at", "attempts", "trigger", "error"]
        )
        return run, None


def _finish(run: JobRun, *, outcome: str, counts: dict | None = None, error: str = "") -> None:
    with tenant_context(run.org_id):
        run.outcome = outcome
        run.finished_at = timezone.now()
        run.counts = counts or {}
        run.error = error[-4000:]
        run.save(update_fields=["outcome", "finished_at", "counts", "error"])


def run_job(
    name: str,
    org_id: int,
    *,
    trigger: str = "beat",
    now: datetime | None = None,
) -> Outcome:
    """Run one job for one organisation, at most once per period unless by hand."""
    from orgs.models import Organization

    job = REGISTRY[name]
    now = now or timezone.now()
    org = Organization.objects.get(pk=org_id)
    local = now.astimezone(ZoneInfo(org.timezone))
    if trigger == "beat" and not job.due(org, local):
        return Outcome(name, org.slug, "not_due")
    run, refused = _claim(org_id, name, job.period(local), trigger, now)
    if run is None:
        return Outcome(name, org.slug, refused)
    try:
        with tenant_context(org_id):
            counts = job.run(org, local) or {}
    except Exception as exc:
        _finish(run, outcome=JobRun.Outcome.FAILED, error=_describe(exc))
        if isinstance(exc, TRANSIENT):
            raise  # the task retries it with backoff
        logger.exception("%s failed for %s", name, org.slug)
        return Outcome(
            name, org.slug, "failed", error=str(exc) or type(exc).__name__, run_id=run.pk
        )
    _finish(run, outcome=JobRun.Outcome.SUCCESS, counts=counts)
    return Outcome(name, org.slug, "ran", counts=counts, run_id=run.pk)


def _describe(exc: Exception) -> str:
    return (
        "".join(traceback.format_exception_only(type(exc), exc)).strip()
        + "\n"
        + ("".join(traceback.format_tb(exc.__traceback__)[-3:]))
    )


@tenant_task(
    name="core.periodic.run_for_org",
    opens_context=False,
    autoretry_for=TRANSIENT,
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
    acks_late=True,
)
def run_for_org(*, org_id: int, job: str, trigger: str = "beat") -> dict:
    """One organisation's run of ``job`` (what beat's tick fans out)."""
    outcome = run_job(job, org_id, trigger=trigger)
    return {"status": outcome.status, "counts": outcome.counts}


@shared_task(name="core.periodic.tick")
def tick(*, job: str) -> None:
    """Beat's entry point for every periodic job: one task per organisation."""
    if job not in REGISTRY:
        raise ValueError(f"Unknown periodic job {job!r}")
    fan_out(run_for_org, job=job)
