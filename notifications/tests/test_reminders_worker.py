"""Review reminders on real Celery workers and beats (the configured broker: Redis in CI).

Two workers take the same tick at once, and two beat processes started by mistake
tick every second: each person still gets one digest, the job one run a day.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from config.celery import app
from core import periodic
from core.models import JobRun
from core.tenancy import tenant_context
from goals.models import Goal
from notifications.models import Kind, Notification
from notifications.reminders import REVIEW_TITLE, TEAM_TITLE
from orgs.models import Organization
from tests.factories import CycleFactory, GoalFactory
from tests.test_celery_worker import ROOT, database_url

pytestmark = pytest.mark.django_db(transaction=True)


def _env(tmp_path: Path, **extra) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        **extra,
    }


def _start(args: list[str], log_path: Path, env: dict) -> subprocess.Popen:
    log = open(log_path, "w")  # noqa: SIM115  (closed by _stop)
    process = subprocess.Popen(  # noqa: S603  (our own interpreter and arguments)
        [sys.executable, "-m", "celery", "-A", "config", *args],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    process.log_file = log
    return process


def _wait(condition, what: str, logs: list[Path], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(what + "\n" + "\n".join(p.read_text() for p in logs))
        time.sleep(0.2)


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=30)
        process.log_file.close()


@pytest.fixture
def due(cast):
    """Bob's goal is stale; both organisations remind from midnight (always due)."""
    Organization.objects.update(reminder_hour=0)
    cycle = CycleFactory(org=cast.org)
    goal = GoalFactory(org=cast.org, owner=cast.member, cycle=cycle, status="approved")
    with tenant_context(cast.org.pk):
        Goal.objects.filter(pk=goal.pk).update(updated_at=timezone.now() - timedelta(days=10))
    return goal


@pytest.fixture
def workers(tmp_path, due):
    """Two worker processes on the broker; tasks sent from the test go to them."""
    env = _env(tmp_path)
    logs = [tmp_path / f"worker{n}.log" for n in (1, 2)]
    processes = [
        _start(
            [
                "worker",
                "--pool=solo",
                f"--hostname=reminders{n}@%h",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "-l",
                "info",
            ],
            log,
            env,
        )
        for n, log in zip((1, 2), logs, strict=True)
    ]
    eager = app.conf.task_always_eager
    try:
        for process, log in zip(processes, logs, strict=True):
            _wait(lambda log=log: "ready." in log.read_text(), "a worker did not start", logs)
            assert process.poll() is None
        app.conf.task_always_eager = False
        yield tmp_path, logs
    finally:
        app.conf.task_always_eager = eager
        _stop(processes)


def _succeeded(logs: list[Path], task: str) -> int:
    return sum(
        len(re.findall(rf"Task {re.escape(task)}\[[^\]]+\] succeeded", p.read_text())) for p in logs
    )


def _digest_subjects(mail_dir: Path) -> list[str]:
    if not mail_dir.exists():
        return []
    found = []
    for path in mail_dir.iterdir():
        found += [
            line
            for line in path.read_text().splitlines()
            if line.startswith("Subject:") and (REVIEW_TITLE in line or TEAM_TITLE in line)
        ]
    return found


def _assert_one_digest_each(cast, tmp_path: Path, logs: list[Path]) -> None:
    # Bob (his goal), Mallory and Alice (their team's): three emails, no more.
    _wait(lambda: len(_digest_subjects(tmp_path / "mail")) >= 3, "three digests", logs)
    time.sleep(1.5)  # anything doubled would arrive now
    assert len(_digest_subjects(tmp_path / "mail")) == 3
    with tenant_context(cast.org.pk):
        digests = Notification.objects.filter(
            org=cast.org, kind__in=[Kind.REVIEW_REMINDER, Kind.TEAM_REVIEW]
        )
        assert sorted(digests.values_list("recipient_id", "kind")) == sorted(
            [
                (cast.member.pk, Kind.REVIEW_REMINDER),
                (cast.manager.pk, Kind.TEAM_REVIEW),
                (cast.admin.pk, Kind.TEAM_REVIEW),
            ]
        )
        (run,) = JobRun.objects.filter(org=cast.org, job="reminders")
        assert run.outcome == JobRun.Outcome.SUCCESS
        assert run.counts == {"digests_sent": 3, "already_sent": 0}


def test_two_workers_given_the_same_tick_twice_send_one_digest_each(cast, workers):
    tmp_path, logs = workers

    first = periodic.tick.delay(job="reminders")
    second = periodic.tick.delay(job="reminders")
    assert first.id != second.id

    # Two ticks, each fanned out to both organisations.
    _wait(lambda: _succeeded(logs, "core.periodic.run_for_org") >= 4, "four runs", logs)
    _assert_one_digest_each(cast, tmp_path, logs)


def test_two_beat_processes_started_by_mistake_double_nothing(cast, workers):
    tmp_path, logs = workers
    env = _env(tmp_path, DJANGO_SETTINGS_MODULE="notifications.tests.beat_settings")
    beat_logs = [tmp_path / f"beat{n}.log" for n in (1, 2)]
    beats = [
        _start(
            ["beat", f"--schedule={tmp_path / f'beat{n}.db'}", "--max-interval=1", "-l", "info"],
            log,
            env,
        )
        for n, log in zip((1, 2), beat_logs, strict=True)
    ]
    try:

        def ticks(log: Path) -> int:
            return log.read_text().count("Sending due task periodic-reminders")

        # Each beat sends a few ticks (one a second).
        _wait(
            lambda: all(ticks(log) >= 3 for log in beat_logs),
            "both beats ticking",
            logs + beat_logs,
        )
    finally:
        _stop(beats)
    sent = sum(ticks(log) for log in beat_logs)
    _wait(
        lambda: _succeeded(logs, "core.periodic.run_for_org") >= 2 * sent,
        f"{2 * sent} runs",
        logs + beat_logs,
    )
    _assert_one_digest_each(cast, tmp_path, logs)
