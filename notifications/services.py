"""Writing notifications: record in the caller's transaction, deliver after commit."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from notifications.models import EmailState, Kind, Notification, NotificationSettings
from orgs.models import Invitation, Membership, Organization

log = logging.getLogger(__name__)


def settings_for(*, membership: Membership) -> NotificationSettings:
    """The person's settings, unsaved defaults when they never changed them."""
    found = NotificationSettings.objects.filter(
        org=membership.org_id, membership=membership
    ).first()
    return found or NotificationSettings(org_id=membership.org_id, membership=membership)


def notify(
    *,
    org: Organization | int,
    recipient: Membership | None,
    kind: Kind,
    actor: Membership | None = None,
    goal=None,
    invitation: Invitation | None = None,
) -> Notification | None:
    """Record that ``actor`` did ``kind`` for ``recipient``; email it after commit.

    Nobody hears about what they did themselves, nor does anyone who left.
    """
    org_id = org if isinstance(org, int) else org.pk
    if kind != Kind.INVITATION:
        if recipient is None or not recipient.is_active:
            return None
        if actor is not None and recipient.pk == actor.pk:
            return None
    state, in_app = EmailState.PENDING, False
    if recipient is not None:
        prefs = settings_for(membership=recipient)
        in_app = prefs.wants_in_app(kind)
        if not prefs.wants_email(kind):
            state = EmailState.SKIPPED
        elif prefs.weekly_digest:
            state = EmailState.DIGEST
    if state == EmailState.SKIPPED and not in_app:
        return None
    notification = Notification.objects.create(
        org_id=org_id,
        recipient=recipient,
        kind=kind,
        actor=actor,
        goal=goal,
        invitation=invitation,
        email_state=state,
        in_app=in_app,
    )
    if state == EmailState.PENDING:
        pk = notification.pk
        transaction.on_commit(lambda: enqueue_delivery(org_id=org_id, notification_id=pk))
    return notification


def enqueue_delivery(*, org_id: int, notification_id: int) -> None:
    """Hand the email to the broker; if the broker is down, the sweep sends it later."""
    from notifications.tasks import deliver

    try:
        deliver.delay(org_id=org_id, notification_id=notification_id)
    except Exception:  # kombu's OperationalError, a refused socket, a DNS failure...
        log.warning(
            "Broker unreachable: notification %s waits for the sweep",
            notification_id,
            exc_info=True,
        )


def notification_mark_read(*, notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(org=notification.org_id, pk=notification.pk).update(
            read_at=notification.read_at
        )
    return notification


def notifications_mark_all_read(*, membership: Membership) -> int:
    return Notification.objects.filter(
        org=membership.org_id, recipient=membership, in_app=True, read_at__isnull=True
    ).update(read_at=timezone.now())


def settings_save(
    *, membership: Membership, email_off: list[str], in_app_off: list[str], weekly_digest: bool
) -> NotificationSettings:
    """Save the person's choices; what waits for the digest goes out now if they stop it."""
    prefs = settings_for(membership=membership)
    prefs.email_off = sorted(set(email_off) & set(Kind.values))
    prefs.in_app_off = sorted(set(in_app_off) & set(Kind.values))
    prefs.weekly_digest = weekly_digest
    prefs.save()
    return prefs
