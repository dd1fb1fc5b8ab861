"""A real Celery worker process, on the configured broker (Redis in CI), sends the
invitation email that a page enqueued after its transaction committed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from config.celery import app

ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    # The owner role: row-level security is forced, so it binds the worker too.
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def worker(tmp_path):
    mail_dir = tmp_path / "mail"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
    }
    log = open(tmp_path / "worker.log", "w+")  # noqa: SIM115
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "info",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while "ready." not in (tmp_path / "worker.log").read_text():
        assert process.poll() is None, (tmp_path / "worker.log").read_text()
        assert time.monotonic() < deadline, "worker did not start"
        time.sleep(0.2)
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield mail_dir, tmp_path / "worker.log"
    app.conf.task_always_eager = eager
    process.terminate()
    process.wait(timeout=30)
    log.close()


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_emails_the_invitation(cast, client, worker):
    mail_dir, log = worker
    client.force_login(cast.admin.user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(
        reverse("orgs:person_invite", args=[cast.org.slug]),
        {"email": "worker-test@example.test", "role": "member"},
    )
    assert response.status_code == 302
    deadline = time.monotonic() + 60
    while not (mail_dir.exists() and any(mail_dir.iterdir())):
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.2)
    message = next(mail_dir.iterdir()).read_text()
    assert "To: worker-test@example.test" in message
    assert "/o/acme/join/" in message
    assert "succeeded" in log.read_text()
