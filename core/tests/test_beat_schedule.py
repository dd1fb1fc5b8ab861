"""Beat's schedule names only tasks the worker knows, and ticks every periodic job."""

from __future__ import annotations

from django.conf import settings

from config.celery import app
from core import periodic


def test_every_beat_entry_is_a_registered_task():
    app.loader.import_default_modules()
    unknown = [
        name
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
        if entry["task"] not in app.tasks
    ]
    assert unknown == []


def test_beat_ticks_each_periodic_job_the_issue_names():
    ticked = {
        entry["kwargs"]["job"]
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "core.periodic.tick"
    }
    assert (
        ticked
        == set(periodic.REGISTRY)
        == {
            "kpi_rollup",
            "snapshots",
            "reminders",
            "cycle_reminders",
        }
    )
    assert periodic.beat_schedule().keys() <= settings.CELERY_BEAT_SCHEDULE.keys()
