"""Thin Celery tasks: take ids, set the organisation, call a service.

Invitation emails are notifications: notifications/tasks.py delivers them."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from core.tasks import fan_out, ran_here, tenant_task
from orgs.models import Invitation


@tenant_task
def purge_org_expired_invitations(*, org_id: int) -> int:
    """Delete one organisation's invitations that expired unused more than 30 days ago."""
    cutoff = timezone.now() - timezone.timedelta(days=30)
    deleted, _ = Invitation.objects.filter(
        org=org_id, accepted_at__isnull=True, expires_at__lt=cutoff
    ).delete()
    return deleted


@shared_task
def purge_expired_invitations() -> dict[int, int | None]:
    """One purge_org_expired_invitations task per organisation.

    Returns how many each organisation deleted where the task ran in this process
    (eager mode); None where a worker runs it.
    """
    return ran_here(fan_out(purge_org_expired_invitations))
