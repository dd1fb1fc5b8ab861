"""Settings for the beat processes of test_reminders_worker: the reminders tick every second."""

from __future__ import annotations

from config.settings import *  # noqa: F403

CELERY_BEAT_SCHEDULE = {
    "periodic-reminders": {
        "task": "core.periodic.tick",
        "schedule": 1.0,
        "kwargs": {"job": "reminders"},
    }
}
