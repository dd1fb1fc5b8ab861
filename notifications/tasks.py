"""Delivering notifications: one email per row, after commit; a sweep; a weekly digest.

Tasks take ids and read everything else from the database inside the
organisation's context: nothing secret (an invitation token) travels through
the broker. A row is locked and claimed before its email goes out, so a retried
task, the sweep and a second worker never email it twice; a failed send puts it
back to pending.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from core.tasks import fan_out, ran_here, tenant_task
from core.tenancy import tenant_context
from notifications import emails
from notifications.models import MESSAGE_KINDS, EmailState, Kind, Notification
from notifications.services import settings_for
from orgs.models import Invitation, Organization

SWEEP_AFTER = timedelta(minutes=1)
log = logging.getLogger(__name__)


def _send(email: emails.Email) -> None:
    message = EmailMultiAlternatives(email.subject, email.text, None, [email.to])
    message.attach_alternative(email.html, "text/html")
    message.send()


def _send_claimed(email: emails.Email, *, org_id: int, unclaim) -> None:
    """Send an email whose rows are already claimed (committed as sent); if sending fails,
    give the claim back (``unclaim`` runs in the organisation's context) and re-raise."""
    try:
        _send(email)
    except Exception:
        with tenant_context(org_id):
            unclaim()
        raise


def _compose(notification: Notification, org: Organization) -> emails.Email | None:
    """The email for the row, or None when nobody should get one."""
    if notification.kind == Kind.INVITATION:
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("invited_by__user")
            .filter(org=org.pk, pk=notification.invitation_id, accepted_at__isnull=True)
            .first()
        )
        if invitation is None:
            return None
        # Only the hash is stored, so the link's token is minted here, in the transaction
        # that marks the row sent: the link in the email is the one that works.
        token, invitation.token_hash = Invitation.new_token()
        invitation.save(update_fields=["token_hash"])
        return emails.invitation_email(invitation, org, token)
    recipient = notification.recipient
    if recipient is None or not recipient.is_active:
        return None
    if notification.goal_id is None and not notification.data:
        return None
    if not settings_for(membership=recipient).wants_email(notification.kind):
        return None
    if notification.kind in MESSAGE_KINDS:
        return emails.message_email(notification, org)
    if notification.goal_id is None:
        return emails.reminder_email(notification, org)
    return emails.goal_email(notification, org)


def deliver_now(*, org_id: int, notification_id: int) -> bool:
    """Email one pending notification once; True when an email went out.

    The row is claimed (marked sent) and committed before the email goes out, so no
    transaction or lock is held while the mail server answers and nothing is sent
    twice; if sending fails the row is pending again, for the retry or the sweep.
    """
    with tenant_context(org_id):
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("recipient__user", "actor__user", "goal__owner__user", "goal__parent")
            .filter(org=org_id, pk=notification_id, email_state=EmailState.PENDING)
            .first()
        )
        if notification is None:
            return False
        email = _compose(notification, Organization.objects.get(pk=org_id))
        notification.email_state = EmailState.SENT if email else EmailState.SKIPPED
        notification.emailed_at = timezone.now() if email else None
        notification.save(update_fields=["email_state", "emailed_at"])
    if email is None:
        return False

    def unclaim() -> None:
        Notification.objects.filter(org=org_id, pk=notification_id).update(
            email_state=EmailState.PENDING, emailed_at=None
        )

    _send_claimed(email, org_id=org_id, unclaim=unclaim)
    return True


@shared_task(
    autoretry_for=(ConnectionError, TimeoutError, OSError), retry_backoff=True, max_retries=5
)
def deliver(*, org_id: int, notification_id: int) -> bool:
    return deliver_now(org_id=org_id, notification_id=notification_id)


@shared_task
def sweep() -> int:
    """Email what is still pending a minute after it was written (a broker that was down,
    a worker that died): one ``sweep_org`` task per organisation, so one organisation's
    failure holds up nobody else. Returns the emails sent in this process (eager mode)."""
    return sum(sent or 0 for sent in ran_here(fan_out(sweep_org)).values())


@tenant_task(opens_context=False)  # each row is claimed and committed before its email
def sweep_org(*, org_id: int) -> int:
    cutoff = timezone.now() - SWEEP_AFTER
    with tenant_context(org_id):
        pending = list(
            Notification.objects.filter(
                org=org_id, email_state=EmailState.PENDING, created_at__lt=cutoff
            ).values_list("pk", flat=True)
        )
    sent = 0
    for pk in pending:
        try:
            sent += deliver_now(org_id=org_id, notification_id=pk)
        except Exception:  # the next sweep tries again; the other rows go on
            log.exception("Notification %s could not be delivered", pk)
    return sent


def week_of(moment) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


@shared_task
def weekly_digest() -> int:
    """One email per person listing what waited for their digest; once per person a week.
    One ``digest_org`` task per organisation; returns the emails sent in this process."""
    return sum(sent or 0 for sent in ran_here(fan_out(digest_org)).values())


@tenant_task(opens_context=False)  # each digest is claimed and committed before it is sent
def digest_org(*, org_id: int) -> int:
    week = week_of(timezone.now())
    with tenant_context(org_id):
        recipients = set(
            Notification.objects.filter(org=org_id, email_state=EmailState.DIGEST).values_list(
                "recipient", flat=True
            )
        )
    sent = 0
    for recipient_id in sorted(recipients):
        try:
            sent += digest_now(org_id=org_id, recipient_id=recipient_id, week=week)
        except Exception:  # the next run tries again; the other people go on
            log.exception("The digest of membership %s could not be sent", recipient_id)
    return sent


def digest_now(*, org_id: int, recipient_id: int, week: str) -> bool:
    """Email one person their week's digest, once: the items and the week are claimed and
    committed first, then the email goes out; if sending fails the claim is undone."""
    from notifications.models import NotificationSettings

    with tenant_context(org_id):
        prefs = (
            NotificationSettings.objects.select_for_update()
            .filter(org=org_id, membership=recipient_id)
            .first()
        )
        if prefs is not None and prefs.last_digest_week == week:
            return False
        items = list(
            Notification.objects.select_for_update(of=("self",))
            .select_related("recipient__user", "actor__user", "goal__owner__user", "goal__parent")
            .filter(org=org_id, recipient=recipient_id, email_state=EmailState.DIGEST)
            .order_by("created_at", "pk")
        )
        if not items:
            return False
        recipient = items[0].recipient
        email = (
            emails.digest_email(items, Organization.objects.get(pk=org_id))
            if recipient.is_active
            else None
        )
        claimed = [n.pk for n in items]
        Notification.objects.filter(org=org_id, pk__in=claimed).update(
            email_state=EmailState.SENT if email else EmailState.SKIPPED,
            emailed_at=timezone.now(),
        )
        previous_week = prefs.last_digest_week if prefs is not None else None
        if prefs is not None:
            prefs.last_digest_week = week
            prefs.save(update_fields=["last_digest_week"])
    if email is None:
        return False

    def unclaim() -> None:
        Notification.objects.filter(org=org_id, pk__in=claimed).update(
            email_state=EmailState.DIGEST, emailed_at=None
        )
        if prefs is not None:
            NotificationSettings.objects.filter(org=org_id, pk=prefs.pk).update(
                last_digest_week=previous_week
            )

    _send_claimed(email, org_id=org_id, unclaim=unclaim)
    return True
