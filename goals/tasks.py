"""Thin Celery tasks for goals: take ids, set the organisation, do one thing.

Goal emails are notifications: notifications/tasks.py delivers them."""

from __future__ import annotations

from celery import shared_task

from core.tasks import fan_out, ran_here, tenant_task
from goals.models import Goal


@tenant_task
def recompute_org_progress(*, org_id: int) -> int:
    """Recompute one organisation's progress set-based; how many goals had drifted."""
    from goals.rollup import recompute_all

    before = dict(Goal.objects.filter(org=org_id).values_list("pk", "progress"))
    after = recompute_all(org_id)
    return sum(1 for pk, value in after.items() if abs(before[pk] - value) > 1e-9)


@shared_task
def recompute_progress() -> dict[int, int | None]:
    """Nightly safety net: one recompute_org_progress task per organisation.

    Returns each organisation's drift where the task ran in this process (eager
    mode); None where a worker runs it.
    """
    return ran_here(fan_out(recompute_org_progress))
