"""The periodic engine's finer rules: the morning gate's first hour, what a run's
line says, how much of a failure is kept, and how transient failures are retried.

core/tests/test_periodic.py covers the claim (already ran, running elsewhere, stale
takeover, by hand); these pin the edges it leaves open.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from core import periodic
from core.models import JobRun
from core.tenancy import tenant_context
from orgs.models import Organization

NINE = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def test_the_morning_starts_on_the_reminder_hour_itself():
    org = SimpleNamespace(reminder_hour=8)
    at = datetime(2026, 12, 7, tzinfo=UTC)
    assert periodic.in_the_morning(org, at.replace(hour=7, minute=59)) is False
    assert periodic.in_the_morning(org, at.replace(hour=8)) is True
    assert periodic.in_the_morning(org, at.replace(hour=23)) is True


def test_periods_are_the_local_day_or_hour():
    local = datetime(2026, 3, 4, 5, 6)
    assert periodic.daily(local) == "2026-03-04"
    assert periodic.hourly(local) == "2026-03-04T05"


@pytest.fixture
def job(monkeypatch):
    """Register a job whose body is whatever the test puts in ``calls``."""

    def install(body, **options):
        options = {"period": periodic.daily, "due": periodic.in_the_morning} | options
        job = periodic.PeriodicJob(name="rules", title="Rules", run=body, every=3600, **options)
        monkeypatch.setitem(periodic.REGISTRY, "rules", job)
        return job

    return install


def _run(org) -> JobRun:
    with tenant_context(org.pk):
        return JobRun.objects.get(org=org, job="rules")


def test_a_run_with_nothing_to_count_says_so(cast, job):
    job(lambda org, local: None)
    outcome = periodic.run_job("rules", cast.org.pk, now=NINE)
    assert outcome.line() == "rules acme: nothing to do"
    assert _run(cast.org).counts == {}


def test_a_run_says_what_it_counted(cast, job):
    job(lambda org, local: {"reminders_sent": 3, "skipped": 1})
    outcome = periodic.run_job("rules", cast.org.pk, now=NINE)
    assert outcome.line() == "rules acme: 3 reminders sent, 1 skipped"
    assert outcome.run_id == _run(cast.org).pk


def test_a_run_in_progress_says_running_elsewhere(cast, job):
    job(lambda org, local: {})
    with tenant_context(cast.org.pk):
        JobRun.objects.create(org=cast.org, job="rules", period="2026-12-07", started_at=NINE)
    outcome = periodic.run_job("rules", cast.org.pk, now=NINE + timedelta(minutes=29))
    assert outcome.line() == "rules acme: running elsewhere"


def test_a_stale_run_is_taken_over_by_whoever_comes_next(cast, job):
    job(lambda org, local: {"done": 1})
    with tenant_context(cast.org.pk):
        JobRun.objects.create(
            org=cast.org, job="rules", period="2026-12-07", started_at=NINE, error="old"
        )
    later = NINE + timedelta(minutes=30)
    outcome = periodic.run_job("rules", cast.org.pk, trigger="now", now=later)
    assert outcome.status == "ran"
    run = _run(cast.org)
    assert (run.outcome, run.attempts, run.trigger, run.error, run.started_at) == (
        JobRun.Outcome.SUCCESS,
        2,
        "now",
        "",
        later,
    )


def test_a_failed_run_is_retried_by_beat_in_the_same_period(cast, job):
    calls = []

    def body(org, local):
        calls.append(local)
        if len(calls) == 1:
            raise ValueError("first time")
        return {"done": 1}

    job(body)
    assert periodic.run_job("rules", cast.org.pk, now=NINE).status == "failed"
    assert periodic.run_job("rules", cast.org.pk, now=NINE + timedelta(hours=1)).status == "ran"
    assert periodic.run_job("rules", cast.org.pk, now=NINE + timedelta(hours=2)).status == (
        "already_ran"
    )
    assert len(calls) == 2


def test_a_failure_without_a_message_is_named_by_its_type(cast, job):
    def body(org, local):
        raise RuntimeError

    job(body)
    outcome = periodic.run_job("rules", cast.org.pk, now=NINE)
    assert outcome.line() == "rules acme: failed: RuntimeError"


def test_a_failure_keeps_its_last_4000_characters_and_three_frames(cast, job):
    def innermost():
        raise ValueError("x" * 4200 + " the end")

    def middle():
        return innermost()

    def outer():
        return middle()

    job(lambda org, local: outer())
    periodic.run_job("rules", cast.org.pk, now=NINE)
    error = _run(cast.org).error
    assert len(error) == 4000
    assert error.startswith("x")  # the start of a long message goes, the end stays
    assert "the end\n" in error
    # The innermost three frames of the traceback: where it was raised.
    assert error.count('File "') == 3
    assert "in innermost" in error and "in middle" in error and "in outer" in error
    assert "in run_job" not in error


def test_a_short_failure_is_kept_whole(cast, job):
    def body(org, local):
        raise ValueError("no numbers")

    job(body)
    periodic.run_job("rules", cast.org.pk, now=NINE)
    error = _run(cast.org).error
    assert error.startswith("ValueError: no numbers\n")


def test_transient_failures_are_retried_with_backoff_up_to_five_times():
    task = periodic.run_for_org
    assert task.max_retries == 5
    assert (task.retry_backoff, task.retry_backoff_max, task.retry_jitter) == (5, 300, True)
    assert set(task.autoretry_for) == set(periodic.TRANSIENT)
    assert task.acks_late is True


def test_the_task_reports_the_outcome_and_counts(cast, job):
    job(lambda org, local: {"done": 2}, due=periodic.always)
    result = periodic.run_for_org.run(org_id=cast.org.pk, job="rules")
    assert result == {"status": "ran", "counts": {"done": 2}}


def test_beat_waits_for_the_morning_but_by_hand_does_not(cast, job):
    calls = []
    job(lambda org, local: calls.append(local) or {})
    Organization.objects.filter(pk=cast.org.pk).update(reminder_hour=10)
    assert periodic.run_job("rules", cast.org.pk, now=NINE).status == "not_due"
    assert periodic.run_job("rules", cast.org.pk, trigger="manual", now=NINE).status == "ran"
    assert periodic.run_job("rules", cast.org.pk, now=NINE + timedelta(hours=1)).status == (
        "already_ran"
    )
    assert len(calls) == 1
