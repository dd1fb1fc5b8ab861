"""On PostgreSQL, row-level security hides another organisation's notifications."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.tenancy import tenant_context
from notifications.models import Kind, Notification, NotificationSettings

pytestmark = pytest.mark.postgres


def test_another_organisations_notifications_are_invisible_and_404(cast, login):
    with tenant_context(cast.org.pk):
        ours = Notification.objects.create(
            org=cast.org, recipient=cast.member, actor=cast.manager, kind=Kind.GOAL_APPROVED
        )
        NotificationSettings.objects.create(org=cast.org, membership=cast.member)
    with tenant_context(cast.other_org.pk):
        # Even an explicit filter on the first organisation finds nothing.
        assert not Notification.objects.filter(org=cast.org).exists()
        assert not NotificationSettings.objects.exists()
    client = login(cast.other_member)
    smuggled = reverse("notifications:notification_read", args=[cast.other_org.slug, ours.pk])
    assert client.post(smuggled).status_code == 404
    page = client.get(reverse("notifications:notifications", args=[cast.other_org.slug]))
    assert page.status_code == 200 and "notification-" not in page.content.decode()
    with tenant_context(cast.org.pk):
        assert Notification.objects.get(pk=ours.pk).read_at is None
