"""Reading notifications: the inbox and the unread count."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from notifications.models import Notification
from orgs.models import Membership


def inbox(*, membership: Membership) -> QuerySet[Notification]:
    """The person's in-app notifications, newest first, with what their sentences need."""
    return Notification.objects.filter(
        org=membership.org_id, recipient=membership, in_app=True
    ).select_related("actor__user", "goal__owner__user", "goal__parent")


def get_notification(*, membership: Membership, pk: int) -> Notification:
    """One of the person's own notifications; anyone else's (or none) is a 404."""
    return get_object_or_404(inbox(membership=membership), pk=pk)


def unread_count() -> Coalesce:
    """A membership's unread in-app notifications, as an expression on memberships: the
    header folds it into the organisation switcher's query, so the bell costs no query."""
    unread = (
        Notification.objects.filter(
            org=OuterRef("org"), recipient=OuterRef("pk"), in_app=True, read_at__isnull=True
        )
        .order_by()
        .values("recipient")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(unread, output_field=IntegerField()), 0)
