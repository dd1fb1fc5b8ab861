"""End to end with a real Celery worker on the configured broker (Redis in CI): an approval
emails the goal's owner and puts an entry in their inbox."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from core.tenancy import tenant_context
from notifications.models import EmailState, Kind, Notification
from tests.test_celery_worker import worker  # noqa: F401  (the fixture)


def sent_state(cast) -> str:
    with tenant_context(cast.org.pk):
        return Notification.objects.get(kind=Kind.GOAL_APPROVED).email_state


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_emails_the_approval_and_the_inbox_shows_it(
    cast,
    submitted_goal,
    login,
    worker,  # noqa: F811
):
    mail_dir, log = worker
    manager = login(cast.manager)
    response = manager.post(reverse("goals:goal_approve", args=[cast.org.slug, submitted_goal.pk]))
    assert response.status_code in {200, 302}
    deadline = time.monotonic() + 60
    while not (mail_dir.exists() and any(mail_dir.iterdir())):
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.2)
    message = next(mail_dir.iterdir()).read_text()
    assert "To: member@acme.test" in message
    assert "Mallory Manager (Acme) approved your goal" in message
    assert "text/html" in message
    # The row is marked before the file is written; wait for it all the same.
    while sent_state(cast) != EmailState.SENT:
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.2)
    member = login(cast.member)
    inbox = member.get(
        reverse("notifications:notifications", args=[cast.org.slug])
    ).content.decode()
    assert "approved your goal “Onboard ten teams”" in inbox
    assert 'data-testid="bell-count">1<' in inbox
