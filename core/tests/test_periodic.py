"""The periodic engine: a job runs once per organisation and period, whoever starts it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import OperationalError

from core import periodic
from core.models import JobRun
from core.tenancy import tenant_context
from orgs.models import Organization


class Body:
    """A job body that counts its runs and fails when told to."""

    def __init__(self) -> None:
        self.runs: list[tuple[str, str]] = []
        self.fail_with: Exception | None = None

    def __call__(self, org, local):
        if self.fail_with is not None:
            raise self.fail_with
        self.runs.append((org.slug, local.isoformat()))
        return {"things_done": len(self.runs)}


@pytest.fixture
def body(monkeypatch) -> Body:
    body = Body()
    job = periodic.PeriodicJob(
        name="morning",
        title="A morning job",
        run=body,
        every=3600,
        period=periodic.daily,
        due=periodic.in_the_morning,
    )
    monkeypatch.setitem(periodic.REGISTRY, "morning", job)
    return body


# 09:00 UTC: past Acme's reminder hour (8, in UTC).
NINE = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def _runs(org) -> list[JobRun]:
    with tenant_context(org.pk):
        return list(JobRun.objects.filter(org=org, job="morning"))


def test_a_second_beat_run_in_the_same_period_does_nothing(cast, body):
    first = periodic.run_job("morning", cast.org.pk, now=NINE)
    second = periodic.run_job("morning", cast.org.pk, now=NINE + timedelta(hours=1))

    assert (first.status, second.status) == ("ran", "already_ran")
    assert second.line() == "morning acme: already ran for this period"
    assert len(body.runs) == 1
    (run,) = _runs(cast.org)
    assert (run.period, run.outcome, run.counts) == (
        "2026-12-07",
        JobRun.Outcome.SUCCESS,
        {"things_done": 1},
    )


def test_the_next_day_is_a_new_period(cast, body):
    periodic.run_job("morning", cast.org.pk, now=NINE)
    periodic.run_job("morning", cast.org.pk, now=NINE + timedelta(days=1))

    assert [r.period for r in _runs(cast.org)] == ["2026-12-08", "2026-12-07"]


def test_a_failed_run_is_retried_by_the_next_attempt(cast, body):
    body.fail_with = ValueError("the numbers do not add up")
    failed = periodic.run_job("morning", cast.org.pk, now=NINE)
    assert failed.status == "failed"
    assert failed.line() == "morning acme: failed: the numbers do not add up"
    (run,) = _runs(cast.org)
    assert run.outcome == JobRun.Outcome.FAILED
    assert "ValueError: the numbers do not add up" in run.error

    body.fail_with = None
    again = periodic.run_job("morning", cast.org.pk, now=NINE + timedelta(hours=1))

    assert again.status == "ran"
    (run,) = _runs(cast.org)
    assert (run.outcome, run.attempts, run.error) == (JobRun.Outcome.SUCCESS, 2, "")


def test_a_transient_failure_is_raised_for_the_task_to_retry(cast, body):
    body.fail_with = OperationalError("server closed the connection unexpectedly")

    with pytest.raises(OperationalError):
        periodic.run_job("morning", cast.org.pk, now=NINE)

    (run,) = _runs(cast.org)
    assert run.outcome == JobRun.Outcome.FAILED


def test_run_by_hand_runs_a_finished_period_again(cast, body):
    periodic.run_job("morning", cast.org.pk, now=NINE)
    by_hand = periodic.run_job("morning", cast.org.pk, trigger="manual", now=NINE)

    assert by_hand.status == "ran"
    assert len(body.runs) == 2
    (run,) = _runs(cast.org)
    assert (run.trigger, run.attempts) == ("manual", 2)


def test_a_run_in_progress_elsewhere_is_left_alone_until_it_is_stale(cast, body):
    with tenant_context(cast.org.pk):
        JobRun.objects.create(org=cast.org, job="morning", period="2026-12-07", started_at=NINE)

    busy = periodic.run_job("morning", cast.org.pk, now=NINE + timedelta(minutes=5))
    by_hand = periodic.run_job("morning", cast.org.pk, trigger="manual", now=NINE)
    assert (busy.status, by_hand.status) == ("running_elsewhere", "running_elsewhere")
    assert body.runs == []

    # Its worker died: half an hour later the next attempt takes over.
    later = periodic.run_job("morning", cast.org.pk, now=NINE + periodic.STALE_AFTER)
    assert later.status == "ran"
    assert len(body.runs) == 1


def test_it_waits_for_the_reminder_hour_in_the_organisations_own_timezone(cast, body):
    Organization.objects.filter(pk=cast.org.pk).update(timezone="Pacific/Auckland")
    # 18:00 UTC on the 6th is 07:00 on the 7th in Auckland (UTC+13 in December).
    evening = datetime(2026, 12, 6, 18, 0, tzinfo=UTC)

    early = periodic.run_job("morning", cast.org.pk, now=evening)
    elsewhere = periodic.run_job("morning", cast.other_org.pk, now=evening)  # UTC: 18:00
    on_time = periodic.run_job("morning", cast.org.pk, now=evening + timedelta(hours=1))

    assert early.status == "not_due" and early.line() == "morning acme: not due yet"
    assert elsewhere.status == "ran"
    assert on_time.status == "ran"
    assert [r.period for r in _runs(cast.org)] == ["2026-12-07"]
    assert [r.period for r in _runs(cast.other_org)] == ["2026-12-06"]
    assert body.runs[-1] == ("acme", "2026-12-07T08:00:00+13:00")


def test_run_by_hand_ignores_the_hour(cast, body):
    Organization.objects.filter(pk=cast.org.pk).update(reminder_hour=23)

    outcome = periodic.run_job("morning", cast.org.pk, trigger="manual", now=NINE)

    assert outcome.status == "ran"


def test_the_tick_runs_the_job_once_per_organisation(cast, body, monkeypatch):
    any_hour = periodic.PeriodicJob(name="morning", title="Any hour", run=body, every=60)
    monkeypatch.setitem(periodic.REGISTRY, "morning", any_hour)

    periodic.tick(job="morning")
    periodic.tick(job="morning")

    assert sorted(slug for slug, _ in body.runs) == ["acme", "globex"]
    assert len(_runs(cast.org)) == len(_runs(cast.other_org)) == 1


def test_the_tick_refuses_an_unknown_job(cast):
    with pytest.raises(ValueError, match="Unknown periodic job 'nope'"):
        periodic.tick(job="nope")


def test_the_reminder_jobs_are_registered_with_beat():
    assert {"reminders", "cycle_reminders"} <= set(periodic.REGISTRY)
    schedule = periodic.beat_schedule()
    assert schedule["periodic-reminders"]["kwargs"] == {"job": "reminders"}
    assert periodic.REGISTRY["reminders"].due is periodic.in_the_morning
