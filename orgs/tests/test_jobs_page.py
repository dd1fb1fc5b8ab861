"""The job health page: admins see each job's last runs here; members may not look."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.urls import reverse

from core import periodic
from core.models import JobRun
from core.tenancy import tenant_context
from orgs.models import Organization
from orgs.views_jobs import QUEUED, RUNS_PER_JOB
from tests.test_query_counts import request_queries


@pytest.fixture
def rollup(monkeypatch):
    """A KPI roll-up job in the registry (the kpis app registers the real one)."""
    job = periodic.PeriodicJob(
        name="kpi_rollup",
        title="KPI roll-ups",
        run=lambda org, local: {"values_computed": 4},
        every=3600,
        period=periodic.hourly,
    )
    monkeypatch.setitem(periodic.REGISTRY, "kpi_rollup", job)
    return job


def _url(org) -> str:
    return reverse("orgs:jobs", args=[org.slug])


def _run(org, job: str, *, at: datetime, **fields) -> JobRun:
    with tenant_context(org.pk):
        return JobRun.objects.create(
            org=org, job=job, period=at.isoformat(), started_at=at, **fields
        )


def test_it_shows_each_jobs_runs_in_the_organisations_time(cast, login):
    Organization.objects.filter(pk=cast.org.pk).update(timezone="Pacific/Auckland")
    at = datetime(2026, 12, 6, 19, 30, tzinfo=UTC)  # 08:30 on the 7th in Auckland
    _run(
        cast.org,
        "reminders",
        at=at,
        finished_at=at + timedelta(seconds=2.5),
        outcome=JobRun.Outcome.SUCCESS,
        counts={"digests_sent": 14, "already_sent": 3},
        trigger="beat",
    )
    _run(
        cast.org,
        "cycle_reminders",
        at=at,
        finished_at=at + timedelta(seconds=1),
        outcome=JobRun.Outcome.FAILED,
        error="OperationalError: the database went away",
        trigger="manual",
        attempts=2,
    )
    _run(cast.other_org, "reminders", at=at, counts={"digests_sent": 99}, trigger="beat")

    page = login(cast.admin).get(_url(cast.org)).content.decode()

    assert "Review reminders" in page and "Cycle reminders" in page
    assert "7 Dec 2026" in page and "08:30" in page
    assert "2.5 s" in page
    assert "Succeeded" in page and "14 digests sent, 3 already sent" in page
    # Cycle reminders run daily: a second try that day is said in those words.
    assert "Failed" in page and "(ran 2 times for this day)" in page
    # Titles in words; the job's name only where it is typed, in the command.
    assert "(reminders)" not in page and "run_periodic reminders</code>" in page
    assert '<p class="job-error-line">OperationalError: the database went away</p>' in page
    assert "Scheduled" in page and "By hand (run_periodic)" in page
    assert "99 digests" not in page  # Globex's runs are Globex's


def test_it_lists_the_last_ten_runs_of_a_job(cast, login):
    start = datetime(2026, 12, 1, tzinfo=UTC)
    for day in range(RUNS_PER_JOB + 2):
        _run(
            cast.org,
            "reminders",
            at=start + timedelta(days=day),
            outcome=JobRun.Outcome.SUCCESS,
            counts={"digests_sent": day, "already_sent": 0},
        )

    page = login(cast.admin).get(_url(cast.org)).content.decode()

    assert page.count("digests sent") + page.count("digest sent") == RUNS_PER_JOB
    assert "11 digests sent" in page  # the newest
    assert "1 digest sent," not in page  # among the two oldest, left out


@pytest.mark.parametrize("runs", [1, 12])
def test_the_page_reads_a_fixed_number_of_queries(cast, login, django_assert_num_queries, runs):
    start = datetime(2026, 12, 1, tzinfo=UTC)
    for job in ("reminders", "cycle_reminders"):
        for n in range(runs):
            _run(cast.org, job, at=start + timedelta(hours=n), outcome=JobRun.Outcome.SUCCESS)
    client = login(cast.admin)
    # The request's own, the organisation switcher and the runs of every job.
    with django_assert_num_queries(request_queries() + 2):
        assert client.get(_url(cast.org)).status_code == 200


@pytest.mark.parametrize("who", ["manager", "member"])
def test_members_and_managers_may_not_see_it_nor_run_anything(cast, login, rollup, who):
    client = login(getattr(cast, who))
    assert client.get(_url(cast.org)).status_code == 403
    with mock.patch.object(periodic.run_for_org, "delay") as delay:
        response = client.post(
            reverse("orgs:job_run_now", args=[cast.org.slug]), {"job": "kpi_rollup"}
        )
    assert response.status_code == 403
    delay.assert_not_called()


def test_run_now_queues_the_roll_up_after_commit(
    cast, login, rollup, django_capture_on_commit_callbacks
):
    client = login(cast.admin)
    assert "Run now" in client.get(_url(cast.org)).content.decode()

    with mock.patch.object(periodic.run_for_org, "delay") as delay:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("orgs:job_run_now", args=[cast.org.slug]),
                {"job": "kpi_rollup"},
                follow=True,
            )

    delay.assert_called_once_with(org_id=cast.org.pk, job="kpi_rollup", trigger="now")
    assert QUEUED in response.content.decode()


def test_run_now_runs_the_job_and_the_page_shows_the_run(
    cast, login, rollup, django_capture_on_commit_callbacks
):
    client = login(cast.admin)
    with django_capture_on_commit_callbacks(execute=True):  # eager in tests: runs here
        client.post(reverse("orgs:job_run_now", args=[cast.org.slug]), {"job": "kpi_rollup"})

    page = client.get(_url(cast.org)).content.decode()

    assert "4 values computed" in page and "Run now" in page
    with tenant_context(cast.org.pk):
        assert JobRun.objects.get(org=cast.org, job="kpi_rollup").trigger == "now"


@pytest.mark.parametrize("job", ["reminders", "nope", "", "\x00"])
def test_run_now_is_only_for_the_roll_up(cast, login, rollup, job):
    with mock.patch.object(periodic.run_for_org, "delay") as delay:
        response = login(cast.admin).post(
            reverse("orgs:job_run_now", args=[cast.org.slug]), {"job": job}
        )
    assert response.status_code == 404
    delay.assert_not_called()


def test_the_settings_menu_links_the_page_for_admins_only(cast, login, client):
    settings_page = reverse("goals:cycles", args=[cast.org.slug])
    assert _url(cast.org) in login(cast.admin).get(settings_page).content.decode()
    client.logout()
    assert _url(cast.org) not in login(cast.member).get(settings_page).content.decode()


def test_it_says_what_the_kpi_jobs_did_in_words(cast, login):
    at = datetime(2026, 12, 6, 19, 30, tzinfo=UTC)
    _run(cast.org, "snapshots", at=at, finished_at=at + timedelta(seconds=0.01),
         outcome=JobRun.Outcome.SUCCESS, counts={"goal_snapshots": 39, "kpi_snapshots": 11},
         trigger="beat")  # fmt: skip

    page = login(cast.admin).get(_url(cast.org)).content.decode()

    assert "39 goal snapshots, 11 KPI snapshots" in page  # not "11 kpi snapshots"
    assert "under 0.1 s" in page  # not "0.0 s"
