"""Shared by the demo tests: seed_demo once per test module."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker) -> str:
    """``seed_demo`` once for this module, in a transaction rolled back at its end.

    The cascade goes through the services (hundreds of check-ins), which takes seconds;
    each test runs in a savepoint inside this transaction, so it starts from the seeded
    data and leaves it as it found it.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        out = StringIO()
        call_command("seed_demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)
