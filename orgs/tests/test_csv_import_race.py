"""Two imports adding the same new person at the same moment (PostgreSQL, one
connection per thread): the second one is refused with a fresh preview, not a 500."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from core.tenancy import tenant_context
from orgs.csv_import import CHANGED_MEANWHILE, people_import_apply
from orgs.models import Membership, User

pytestmark = pytest.mark.postgres

TEXT = "email,full_name,unit\ndana@example.test,Dana New,Engineering\n"


@pytest.mark.django_db(transaction=True)
def test_a_second_import_of_the_same_new_person_gets_a_new_preview(cast):
    globex_wrote = threading.Event()
    results: dict = {}
    errors: list[BaseException] = []

    def globex_imports_dana() -> None:
        """Creates Dana's account, and commits only once Acme's import waits on it."""
        try:
            with tenant_context(cast.other_org.pk):
                people_import_apply(org=cast.other_org, text=TEXT, invited_by=cast.other_admin)
                globex_wrote.set()
                time.sleep(1.5)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
            globex_wrote.set()
        finally:
            connection.close()

    def acme_imports_dana() -> None:
        try:
            assert globex_wrote.wait(timeout=30)
            client = Client()
            client.force_login(cast.admin.user, backend="django.contrib.auth.backends.ModelBackend")
            results["acme"] = client.post(
                reverse("orgs:people_import", args=[cast.org.slug]),
                {"csv_text": TEXT, "invite_new_people": "on"},
            )
        except BaseException as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=globex_imports_dana),
        threading.Thread(target=acme_imports_dana),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []

    response = results["acme"]
    assert response.status_code == 409
    assert CHANGED_MEANWHILE in response.content.decode()
    # Dana joined Globex; Acme wrote nothing and now plans to invite her.
    assert User.objects.filter(email="dana@example.test").count() == 1
    with tenant_context(cast.org.pk):
        assert not Membership.objects.filter(org=cast.org, user__email="dana@example.test").exists()
    plan = response.context["plan"]
    assert [p.email for p in plan.people_to_invite] == ["dana@example.test"]
