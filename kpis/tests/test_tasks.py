"""Answers kept for Idempotency-Keys are forgotten after a week, per organisation."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from core.tenancy import tenant_context
from kpis.models import IdempotentRequest
from kpis.tasks import IDEMPOTENCY_DAYS, purge_idempotent_requests


def keep(org, membership, key: str, age: timedelta) -> None:
    with tenant_context(org.pk):
        IdempotentRequest.objects.create(
            org=org,
            key=key,
            membership=membership,
            path="/api/v1/orgs/x/kpis/1/measurements/",
            request_hash="h",
            status_code=201,
            response={},
            created_at=timezone.now() - age,
        )


def keys(org) -> set[str]:
    with tenant_context(org.pk):
        return set(IdempotentRequest.objects.filter(org=org).values_list("key", flat=True))


def test_a_week_old_key_is_forgotten_and_a_recent_one_kept_in_every_org(cast):
    week = timedelta(days=IDEMPOTENCY_DAYS)
    keep(cast.org, cast.admin, "old", week + timedelta(hours=1))
    keep(cast.org, cast.admin, "recent", week - timedelta(hours=1))
    keep(cast.other_org, cast.other_admin, "theirs-old", week + timedelta(days=3))
    deleted = purge_idempotent_requests.delay().get()
    assert deleted == {cast.org.pk: 1, cast.other_org.pk: 1}
    assert keys(cast.org) == {"recent"}
    assert keys(cast.other_org) == set()
