"""Writing notifications: record in the caller's transaction, deliver after commit.

Reminders and digests carry a ``dedupe_key`` (such as ``review:2026-12-07``): the
database keeps one row per (organisation, recipient, key), so a job that runs
twice, is retried or races on two workers records a person's reminder once. The
unique constraint decides, not a read before the write.
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
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


QUOTE_LENGTH = 300


def excerpt(text: str) -> str:
    """What a notification quotes of a text: at most QUOTE_LENGTH characters, "…" if cut."""
    return text if len(text) <= QUOTE_LENGTH else text[: QUOTE_LENGTH - 1].rstrip() + "…"


def notify(
    *,
    org: Organization | int,
    recipient: Membership | None,
    kind: Kind,
    actor: Membership | None = None,
    goal=None,
    invitation: Invitation | None = None,
    data: dict | None = None,
    dedupe_key: str = "",
) -> Notification | None:
    """Record that ``actor`` did ``kind`` for ``recipient``; email it after commit.

    Nobody hears about what they did themselves, nor does anyone who left. With a
    ``dedupe_key`` the row is written once per recipient and key: a second call
    returns None (also when another worker wrote it a moment before).
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
    fields = dict(
        org_id=org_id,
        recipient=recipient,
        kind=kind,
        actor=actor,
        goal=goal,
        invitation=invitation,
        email_state=state,
        in_app=in_app,
        data=data,
        dedupe_key=dedupe_key,
    )
    if dedupe_key:
        try:
            with transaction.atomic():  # a savepoint: the caller's transaction goes on
                notification = Notification.objects.create(**fields)
        except IntegrityError:
            return None  # already recorded for this person and key
    else:
        notification = Notification.objects.create(**fields)
    if state == EmailState.PENDING:
        pk = notification.pk
        transaction.on_commit(lambda: enqueue_delivery(org_id=org_id, notification_id=pk))
    return notification


def _state_for(prefs: NotificationSettings, kind: str) -> tuple[str, bool]:
    """How a person's settings deliver ``kind``: the email state and whether it is in the app."""
    if not prefs.wants_email(kind):
        return EmailState.SKIPPED, prefs.wants_in_app(kind)
    if prefs.weekly_digest:
        return EmailState.DIGEST, prefs.wants_in_app(kind)
    return EmailState.PENDING, prefs.wants_in_app(kind)


def notify_many(
    *, org_id: int, kind: Kind, dedupe_key: str, data_for: dict[Membership, dict]
) -> tuple[int, int]:
    """One reminder of ``kind`` for each person in ``data_for`` (their ``data``), once per
    person and ``dedupe_key``; emailed after commit. Returns (recorded, already recorded).

    Three queries whatever the number of people: their settings, who already has it,
    one insert (conflicts ignored, so a worker racing this one loses quietly), and one
    to read back the rows this call wrote. A person who turned both email and the app
    off for ``kind`` gets nothing and is in neither count.
    """
    people = {m.pk: m for m in data_for if m.is_active}
    if not people:
        return 0, 0
    prefs = {
        s.membership_id: s
        for s in NotificationSettings.objects.filter(org=org_id, membership__in=list(people))
    }
    already = set(
        Notification.objects.filter(
            org=org_id, recipient__in=list(people), dedupe_key=dedupe_key
        ).values_list("recipient_id", flat=True)
    )
    now = timezone.now()
    rows = []
    for member in data_for:
        if member.pk not in people or member.pk in already:
            continue
        state, in_app = _state_for(
            prefs.get(member.pk) or NotificationSettings(org_id=org_id, membership=member), kind
        )
        if state == EmailState.SKIPPED and not in_app:
            continue
        rows.append(
            Notification(
                org_id=org_id,
                recipient=member,
                kind=kind,
                created_at=now,
                email_state=state,
                in_app=in_app,
                data=data_for[member],
                dedupe_key=dedupe_key,
            )
        )
    if not rows:
        return 0, len(already)
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    # Ours are the rows of this key stamped with this call's time; a racing worker's
    # rows (skipped here as conflicts) carry its own time.
    written = list(
        Notification.objects.filter(
            org=org_id,
            dedupe_key=dedupe_key,
            recipient__in=[n.recipient_id for n in rows],
            created_at=now,
        ).values_list("pk", "email_state")
    )
    for pk, state in written:
        if state == EmailState.PENDING:
            transaction.on_commit(lambda pk=pk: enqueue_delivery(org_id=org_id, notification_id=pk))
    return len(written), len(already) + len(rows) - len(written)


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
