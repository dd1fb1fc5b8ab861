"""Test settings: the same settings module, with fast hashing and in-memory email."""

from __future__ import annotations

import os

os.environ.setdefault("CAIRN_VAR_DIR", os.path.join(os.path.dirname(__file__), "..", "var", "test"))

from config.settings import *  # noqa: E402,F403
from config.settings import DATABASES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
AXES_FAILURE_LIMIT = 5
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"].setdefault("TEST", {})
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"]["NAME"] = os.path.join(
        os.environ["CAIRN_VAR_DIR"], "test-cairn.sqlite3"
    )
elif os.environ.get("CAIRN_TEST_DB_NAME"):
    # Lets several test runs share one PostgreSQL server side by side.
    DATABASES["default"]["TEST"]["NAME"] = os.environ["CAIRN_TEST_DB_NAME"]
