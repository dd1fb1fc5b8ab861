"""Two sends of one batch with one Idempotency-Key at the same moment (PostgreSQL, one
connection per thread): one writes, the other waits on the key and answers the same."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from core.tenancy import tenant_context
from goals.access import Actor
from kpis import services
from kpis.api import views
from kpis.models import IdempotentRequest, Measurement

pytestmark = pytest.mark.postgres


@pytest.mark.django_db(transaction=True)
def test_two_racing_sends_of_one_key_write_once(cast, monkeypatch):
    with tenant_context(cast.org.pk):
        kpi = services.create_kpi(
            actor=Actor(cast.member),
            name="Uptime",
            target=Decimal(99),
            amber_threshold=Decimal(98),
            red_threshold=Decimal(95),
        )
    when = (timezone.now() - timedelta(days=1)).replace(microsecond=0).isoformat()
    body = {"measurements": [{"value": "99.1", "measured_at": when}]}
    path = f"/api/v1/orgs/{cast.org.slug}/kpis/{kpi.pk}/measurements/"

    claimed, go = threading.Event(), threading.Event()
    record, stored = views.MeasurementListView.record, views.MeasurementListView.stored
    lookups: dict[str, int] = {}

    def slow_record(self, kpi, data):
        """The first send holds its claim on the key until the main thread says go."""
        claimed.set()
        assert go.wait(timeout=30)
        return record(self, kpi, data)

    def counted_stored(self, request, key):
        name = threading.current_thread().name
        lookups[name] = lookups.get(name, 0) + 1
        return stored(self, request, key)

    monkeypatch.setattr(views.MeasurementListView, "record", slow_record)
    monkeypatch.setattr(views.MeasurementListView, "stored", counted_stored)
    results: dict = {}
    errors: list[BaseException] = []

    def send(name: str) -> None:
        try:
            client = APIClient()
            client.force_login(
                cast.member.user, backend="django.contrib.auth.backends.ModelBackend"
            )
            results[name] = client.post(path, body, "json", HTTP_IDEMPOTENCY_KEY="nightly")
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
            claimed.set()
        finally:
            connection.close()

    first = threading.Thread(target=send, args=("first",), name="first")
    second = threading.Thread(target=send, args=("second",), name="second")
    first.start()
    assert claimed.wait(timeout=30)
    second.start()
    time.sleep(1.5)  # the second send looks the key up (not committed yet) and waits on it
    go.set()
    for thread in (first, second):
        thread.join(timeout=60)
    assert not first.is_alive() and not second.is_alive()
    assert errors == []

    assert results["first"].status_code == results["second"].status_code == 201
    assert results["second"].json() == results["first"].json()
    assert results["second"]["Idempotent-Replayed"] == "true"
    # The second looked up the key, lost the insert to the first and read its answer.
    assert lookups == {"first": 1, "second": 2}
    with tenant_context(cast.org.pk):
        assert Measurement.objects.filter(kpi=kpi).count() == 1
        assert IdempotentRequest.objects.count() == 1
