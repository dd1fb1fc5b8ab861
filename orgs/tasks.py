"""Thin Celery tasks: take ids, set the organisation, call a service."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from core.tasks import fan_out, ran_here, tenant_task
from core.tenancy import tenant_context
from orgs.models import Invitation, Organization


@shared_task(
    autoretry_for=(ConnectionError, TimeoutError, OSError),
    retry_backoff=True,
    max_retries=5,
)
def send_invitation_email(*, org_id: int, invitation_id: int, token: str) -> bool:
    """Email the one-time link. Idempotent enough: an accepted invitation is not re-sent."""
    with tenant_context(org_id):
        invitation = (
            Invitation.objects.select_related("invited_by__user")
            .filter(org=org_id, pk=invitation_id, accepted_at__isnull=True)
            .first()
        )
        if invitation is None:
            return False
        org = Organization.objects.get(pk=org_id)
        link = settings.SITE_URL + reverse(
            "orgs:invitation_accept", kwargs={"org_slug": org.slug, "token": token}
        )
        context = {"invitation": invitation, "org": org, "link": link}
        send_mail(
            subject=f"You are invited to {org.name} on Cairn",
            message=render_to_string("orgs/email/invitation.txt", context),
            from_email=None,
            recipient_list=[invitation.email],
        )
        return True


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
