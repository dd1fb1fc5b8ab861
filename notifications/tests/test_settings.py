"""Each person chooses, per kind, email and in-app, and may take a weekly digest instead."""

from __future__ import annotations

from django.core import mail
from django.urls import reverse

from core.tenancy import tenant_context
from goals import services as goal_services
from goals.access import Actor
from notifications import tasks
from notifications.models import EmailState, Kind, Notification
from notifications.views import SETTINGS_SAVED

APPROVED = Kind.GOAL_APPROVED.value


def save(client, cast, *, off: tuple[str, ...] = (), **data) -> None:
    """Post the settings form: every box ticked except those in ``off``."""
    boxes = {f"{channel}_{kind}": "on" for kind in Kind.values for channel in ("email", "in_app")}
    for name in off:
        del boxes[name]
    response = client.post(
        reverse("notifications:notification_settings", args=[cast.org.slug]),
        {**boxes, **data},
        follow=True,
    )
    assert SETTINGS_SAVED in response.content.decode()


def approve(cast, goal, capture) -> None:
    mail.outbox.clear()
    with capture(execute=True), tenant_context(cast.org.pk):
        goal_services.goal_approve(actor=Actor(cast.manager), goal=goal)


def approval_row(cast) -> Notification | None:
    with tenant_context(cast.org.pk):
        return Notification.objects.filter(kind=Kind.GOAL_APPROVED).first()


def test_the_profile_links_to_the_settings_page(cast, login):
    page = login(cast.member).get(reverse("orgs:profile", args=[cast.org.slug])).content.decode()
    assert reverse("notifications:notification_settings", args=[cast.org.slug]) in page


def test_email_off_keeps_the_inbox_entry_and_sends_nothing(
    cast, submitted_goal, login, django_capture_on_commit_callbacks
):
    client = login(cast.member)
    save(client, cast, off=(f"email_{APPROVED}",))
    page = client.get(
        reverse("notifications:notification_settings", args=[cast.org.slug])
    ).content.decode()
    assert f'name="email_{APPROVED}" id="email_{APPROVED}">' in page  # unchecked now
    approve(cast, submitted_goal, django_capture_on_commit_callbacks)
    assert mail.outbox == []
    row = approval_row(cast)
    assert (row.email_state, row.in_app) == (EmailState.SKIPPED, True)


def test_in_app_off_keeps_the_email_and_leaves_the_inbox_empty(
    cast, submitted_goal, login, django_capture_on_commit_callbacks
):
    client = login(cast.member)
    save(client, cast, off=(f"in_app_{APPROVED}",))
    approve(cast, submitted_goal, django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [["member@acme.test"]]
    inbox = client.get(
        reverse("notifications:notifications", args=[cast.org.slug])
    ).content.decode()
    assert "approved your goal" not in inbox


def test_the_weekly_digest_sends_one_email_per_person_per_week(
    cast, submitted_goal, login, django_capture_on_commit_callbacks
):
    save(login(cast.member), cast, delivery="weekly")
    approve(cast, submitted_goal, django_capture_on_commit_callbacks)
    assert mail.outbox == []
    assert approval_row(cast).email_state == EmailState.DIGEST
    assert tasks.sweep() == 0  # the sweep leaves digest items alone

    assert tasks.weekly_digest() == 1
    (digest,) = mail.outbox
    assert digest.to == ["member@acme.test"]
    assert digest.subject == "Your week on Cairn: 1 update in Acme"
    assert "Mallory Manager (Acme) approved your goal “Onboard ten teams”" in digest.body
    assert approval_row(cast).email_state == EmailState.SENT

    with tenant_context(cast.org.pk):  # something new the same week waits for next week
        Notification.objects.create(
            org=cast.org, recipient=cast.member, kind=Kind.GOAL_CASCADED,
            email_state=EmailState.DIGEST,
        )  # fmt: skip
    assert tasks.weekly_digest() == 0
    assert len(mail.outbox) == 1


def test_a_digest_that_fails_to_send_waits_for_the_next_run_and_is_sent_once(
    cast, submitted_goal, login, django_capture_on_commit_callbacks, monkeypatch
):
    """The week is claimed before the email goes out, and given back if sending fails."""
    save(login(cast.member), cast, delivery="weekly")
    approve(cast, submitted_goal, django_capture_on_commit_callbacks)
    real_send = tasks._send

    def broken(email):
        raise OSError("mail server down")

    monkeypatch.setattr(tasks, "_send", broken)
    assert tasks.weekly_digest() == 0
    assert mail.outbox == []
    assert approval_row(cast).email_state == EmailState.DIGEST

    monkeypatch.setattr(tasks, "_send", real_send)
    assert tasks.weekly_digest() == 1
    assert tasks.weekly_digest() == 0
    assert [m.to for m in mail.outbox] == [["member@acme.test"]]
    assert approval_row(cast).email_state == EmailState.SENT
