"""Thin Celery tasks for goals: take ids, set the organisation, do one thing.

Goal emails are notifications: notifications/tasks.py delivers them."""

from __future__ import annotations

from celery import shared_task

from goals.models import Goal
from orgs.models import Organization
from orgs.tenancy import tenant_context


@shared_task
def recompute_progress() -> dict[int, int]:
    """Nightly safety net: recompute every organisation's progress set-based; report drift."""
    from goals.rollup import recompute_all

    drift: dict[int, int] = {}
    for org_id in Organization.objects.values_list("pk", flat=True):
        with tenant_context(org_id):
            before = dict(Goal.objects.filter(org=org_id).values_list("pk", "progress"))
            after = recompute_all(org_id)
            drift[org_id] = sum(1 for pk, value in after.items() if abs(before[pk] - value) > 1e-9)
    return drift
