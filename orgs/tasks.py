"""Thin Celery tasks: take ids, set the organisation, call a service.

Invitation emails are notifications: notifications/tasks.py delivers them."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from orgs.models import Invitation, Organization
from orgs.tenancy import tenant_context


@shared_task
def purge_expired_invitations() -> int:
    """Delete invitations that expired unused more than 30 days ago, org by org."""
    cutoff = timezone.now() - timezone.timedelta(days=30)
    total = 0
    for org_id in Organization.objects.values_list("pk", flat=True):
        with tenant_context(org_id):
            deleted, _ = Invitation.objects.filter(
                org=org_id, accepted_at__isnull=True, expires_at__lt=cutoff
            ).delete()
            total += deleted
    return total
