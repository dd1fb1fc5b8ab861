"""Thin Celery tasks for KPIs (the roll-up and snapshots are periodic jobs: kpis/jobs.py)."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from core.tasks import fan_out, ran_here, tenant_task
from kpis.models import IdempotentRequest

# How long a re-sent Idempotency-Key still answers as the first time did.
IDEMPOTENCY_DAYS = 7


@tenant_task
def purge_org_idempotent_requests(*, org_id: int) -> int:
    """Forget one organisation's API answers kept for Idempotency-Keys older than a week."""
    cutoff = timezone.now() - timedelta(days=IDEMPOTENCY_DAYS)
    deleted, _ = IdempotentRequest.objects.filter(org=org_id, created_at__lt=cutoff).delete()
    return deleted


@shared_task
def purge_idempotent_requests() -> dict[int, int | None]:
    """One purge_org_idempotent_requests task per organisation."""
    return ran_here(fan_out(purge_org_idempotent_requests))
