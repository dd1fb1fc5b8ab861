"""Invitation emails go through the outbox without the token ever reaching the broker."""

from __future__ import annotations

import re

from django.core import mail

from core.tenancy import tenant_context
from notifications import tasks
from notifications.models import EmailState, Kind, Notification
from orgs.services import invitation_create


def test_the_broker_gets_ids_only_and_the_emailed_link_works(
    cast, client, monkeypatch, django_capture_on_commit_callbacks
):
    sent: list[dict] = []
    monkeypatch.setattr(tasks.deliver, "delay", lambda **kwargs: sent.append(kwargs))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), tenant_context(cast.org.pk):
        invitation = invitation_create(org=cast.org, invited_by=cast.admin, email="x@example.test")
    with tenant_context(cast.org.pk):
        row = Notification.objects.get(kind=Kind.INVITATION, invitation=invitation)
    assert sent == [{"org_id": cast.org.pk, "notification_id": row.pk}]
    assert mail.outbox == []

    assert tasks.deliver_now(org_id=cast.org.pk, notification_id=row.pk) is True
    assert tasks.deliver_now(org_id=cast.org.pk, notification_id=row.pk) is False
    (email,) = mail.outbox
    assert email.to == ["x@example.test"]
    path = re.search(r"https?://[^/\s]+(/o/acme/join/[\w-]+/)", email.body).group(1)
    assert path in email.alternatives[0][0]
    assert client.get(path).status_code == 200
    with tenant_context(cast.org.pk):
        assert Notification.objects.get(pk=row.pk).email_state == EmailState.SENT


def test_an_invitation_accepted_before_delivery_is_not_emailed(
    cast, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(tasks.deliver, "delay", lambda **kwargs: None)
    with django_capture_on_commit_callbacks(execute=True), tenant_context(cast.org.pk):
        invitation = invitation_create(org=cast.org, invited_by=cast.admin, email="y@example.test")
        invitation.accepted_at = invitation.created_at
        invitation.save(update_fields=["accepted_at"])
        row = Notification.objects.get(invitation=invitation)
    mail.outbox.clear()
    assert tasks.deliver_now(org_id=cast.org.pk, notification_id=row.pk) is False
    assert mail.outbox == []
    with tenant_context(cast.org.pk):
        assert Notification.objects.get(pk=row.pk).email_state == EmailState.SKIPPED
