"""The outbox: a row in the change's transaction, one email after commit, never two."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from kombu import pools

from config.celery import app
from core.tenancy import tenant_context
from goals import services as goal_services
from goals.access import Actor
from notifications import tasks
from notifications.models import EmailState, Kind, Notification
from notifications.services import notify


def rows(cast, **filters) -> list[Notification]:
    with tenant_context(cast.org.pk):
        return list(Notification.objects.filter(org=cast.org, **filters))


def age(cast, minutes: int = 2) -> None:
    """Make every row old enough for the sweep."""
    with tenant_context(cast.org.pk):
        Notification.objects.filter(org=cast.org).update(
            created_at=Notification.objects.model._meta.get_field("created_at").default()
            - timedelta(minutes=minutes)
        )


def test_it_records_the_row_in_the_changes_transaction_and_emails_after_commit(
    cast, submitted_goal, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks() as callbacks, tenant_context(cast.org.pk):
        goal_services.goal_approve(actor=Actor(cast.manager), goal=submitted_goal)
    (row,) = rows(cast, kind=Kind.GOAL_APPROVED)
    assert (row.recipient_id, row.actor_id, row.goal_id) == (
        cast.member.pk, cast.manager.pk, submitted_goal.pk,
    )  # fmt: skip
    assert row.email_state == EmailState.PENDING and mail.outbox == []
    for callback in callbacks:
        callback()
    assert [m.to for m in mail.outbox] == [["member@acme.test"]]
    (row,) = rows(cast, kind=Kind.GOAL_APPROVED)
    assert row.email_state == EmailState.SENT and row.emailed_at is not None


def test_a_rolled_back_change_leaves_no_row_and_sends_nothing(cast, submitted_goal):
    mail.outbox.clear()
    with pytest.raises(RuntimeError), tenant_context(cast.org.pk):
        goal_services.goal_approve(actor=Actor(cast.manager), goal=submitted_goal)
        raise RuntimeError("the request failed after the approval")
    assert rows(cast, kind=Kind.GOAL_APPROVED) == []
    assert mail.outbox == []


def test_the_email_has_text_and_html_with_greeting_and_an_absolute_link(
    cast, submitted_goal, settings
):
    (row,) = rows(cast, kind=Kind.GOAL_SUBMITTED)
    (email,) = [m for m in mail.outbox if m.subject.startswith("A goal awaits")]
    link = settings.SITE_URL + reverse("goals:goal_detail", args=[cast.org.slug, submitted_goal.pk])
    assert email.body.startswith("Hi Mallory Manager (Acme),")
    assert link in email.body
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    assert "<p>Hi Mallory Manager (Acme),</p>" in html
    assert f'href="{link}"' in html
    assert "Bob Member (Acme) submitted “Onboard ten teams”" in html


def test_delivering_twice_sends_one_email(cast, submitted_goal):
    (row,) = rows(cast, kind=Kind.GOAL_SUBMITTED)
    mail.outbox.clear()
    assert tasks.deliver_now(org_id=cast.org.pk, notification_id=row.pk) is False
    assert mail.outbox == []


def test_nobody_is_notified_of_what_they_did_themselves(cast):
    with tenant_context(cast.org.pk):
        assert (
            notify(org=cast.org, recipient=cast.member, kind=Kind.GOAL_APPROVED, actor=cast.member)
            is None
        )
    assert rows(cast) == []


def test_the_sweep_delivers_old_pending_rows_once(
    cast, submitted_goal, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(), tenant_context(cast.org.pk):  # never delivered
        goal_services.goal_approve(actor=Actor(cast.manager), goal=submitted_goal)
    assert tasks.sweep() == 0  # too fresh: its own task may still be on the way
    age(cast)
    assert tasks.sweep() == 1
    assert tasks.sweep() == 0
    assert [m.to for m in mail.outbox] == [["member@acme.test"]]


def forget_connections() -> None:
    """Drop every cached connection and producer pool: the next publish connects anew to
    whatever ``broker_url`` says (kombu keeps pools per URL, so reset them all)."""
    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def dead_broker():
    """The Celery app pointed at a Redis port nobody listens on, tasks no longer eager."""
    eager, url = app.conf.task_always_eager, app.conf.broker_url
    app.conf.task_always_eager = False
    app.conf.broker_url = "redis://127.0.0.1:9/0"
    forget_connections()
    yield
    forget_connections()
    app.conf.task_always_eager, app.conf.broker_url = eager, url


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_the_approval_succeeds_and_the_sweep_emails_once(
    cast, submitted_goal, login, dead_broker, caplog
):
    mail.outbox.clear()
    client = login(cast.manager)
    response = client.post(reverse("goals:goal_approve", args=[cast.org.slug, submitted_goal.pk]))
    assert response.status_code in {200, 302}
    with tenant_context(cast.org.pk):
        submitted_goal.refresh_from_db()
    assert submitted_goal.status == "approved"
    (row,) = rows(cast, kind=Kind.GOAL_APPROVED)
    assert row.email_state == EmailState.PENDING
    assert mail.outbox == []
    assert "Broker unreachable" in caplog.text
    age(cast)
    app.conf.task_always_eager = True  # the broker is back: the sweep's tasks run
    assert tasks.sweep() == 1
    assert tasks.sweep() == 0
    assert [m.to for m in mail.outbox] == [["member@acme.test"]]


def test_a_failed_send_leaves_the_row_pending_for_the_sweep(
    cast, submitted_goal, monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(), tenant_context(cast.org.pk):  # not delivered
        goal_services.goal_approve(actor=Actor(cast.manager), goal=submitted_goal)
    (row,) = rows(cast, kind=Kind.GOAL_APPROVED)

    def refuse(email):
        raise ConnectionRefusedError("the mail server is down")

    monkeypatch.setattr(tasks, "_send", refuse)
    with pytest.raises(ConnectionRefusedError):
        tasks.deliver_now(org_id=cast.org.pk, notification_id=row.pk)
    (row,) = rows(cast, kind=Kind.GOAL_APPROVED)
    assert (row.email_state, row.emailed_at) == (EmailState.PENDING, None)
    monkeypatch.undo()
    mail.outbox.clear()
    assert tasks.deliver_now(org_id=cast.org.pk, notification_id=row.pk) is True
    assert [m.to for m in mail.outbox] == [["member@acme.test"]]
