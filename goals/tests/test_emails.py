"""Goal emails greet the person by name and say who did what."""

from __future__ import annotations

from decimal import Decimal

from django.core import mail
from django.urls import reverse

from core.tenancy import tenant_context
from goals import services
from goals.access import Actor
from goals.models import Goal, GoalStatus, Level
from orgs.models import Unit

BOB, MALLORY = "Bob Member (Acme)", "Mallory Manager (Acme)"


def emails(cast, capture, service, who, **kwargs) -> list:
    mail.outbox.clear()
    with capture(execute=True), tenant_context(cast.org.pk):
        service(actor=Actor(who), **kwargs)
    return list(mail.outbox)


def test_each_email_greets_its_reader_and_says_who_did_what(
    cast, objective, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    (cascaded,) = emails(
        cast, capture, services.goal_cascade, cast.manager, source=objective,
        people=[cast.member], title="Onboard ten teams",
    )  # fmt: skip
    assert cascaded.to == ["member@acme.test"]
    assert cascaded.body.startswith(f"Hi {BOB},\n\n{MALLORY} cascaded “Double weekly active teams”")
    assert "Your draft goal “Onboard ten teams” contributes to it" in cascaded.body
    with tenant_context(cast.org.pk):
        goal = Goal.objects.get(parent=objective, owner=cast.member)
        link = reverse("goals:goal_detail", args=[cast.org.slug, goal.pk])
    assert link in cascaded.body

    (submitted,) = emails(cast, capture, services.goal_submit, cast.member, goal=goal)
    assert (submitted.to, submitted.subject) == (
        ["manager@acme.test"],
        "A goal awaits your approval: Onboard ten teams",
    )
    assert submitted.body.startswith(
        f"Hi {MALLORY},\n\n{BOB} submitted “Onboard ten teams” for your approval."
    )

    comment = "Give it a number we can measure."
    (sent_back,) = emails(
        cast, capture, services.goal_request_changes, cast.manager, goal=goal, comment=comment
    )
    assert sent_back.body.startswith(
        f"Hi {BOB},\n\n{MALLORY} asked for changes to your goal “Onboard ten teams”:\n\n"
        f"> {comment}\n"
    )

    emails(cast, capture, services.goal_submit, cast.member, goal=goal)
    (approved,) = emails(cast, capture, services.goal_approve, cast.manager, goal=goal)
    assert approved.to == ["member@acme.test"]
    assert approved.body.startswith(
        f"Hi {BOB},\n\n{MALLORY} approved your goal “Onboard ten teams”"
    )

    with tenant_context(cast.org.pk):
        services.goal_update(actor=Actor(cast.member), goal=goal, weight=Decimal(2))
    (reapproved,) = emails(cast, capture, services.goal_approve, cast.manager, goal=goal)
    assert f"{MALLORY} approved the changes to your goal “Onboard ten teams”" in reapproved.body


def test_a_unit_goal_goes_to_the_lead_of_the_unit_above(
    cast, cycle, objective, django_capture_on_commit_callbacks
):
    with tenant_context(cast.org.pk):
        Unit.objects.filter(pk=cast.engineering.pk).update(lead=cast.admin)
        Unit.objects.filter(pk=cast.platform.pk).update(lead=cast.manager, parent=cast.engineering)
        goal = services.goal_create(
            actor=Actor(cast.manager), cycle=cycle, level=Level.UNIT, unit=cast.platform,
            parent=objective, title="Faster onboarding on Platform",
        )  # fmt: skip
    (sent,) = emails(
        cast, django_capture_on_commit_callbacks, services.goal_submit, cast.manager, goal=goal
    )
    assert sent.to == [cast.admin.user.email]
    assert sent.body.startswith(f"Hi {cast.admin.display_name},\n\n{MALLORY} submitted")


def test_nobody_is_emailed_about_what_they_did_themselves(
    cast, cycle, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), tenant_context(cast.org.pk):
        goal = services.goal_create(
            actor=Actor(cast.admin), cycle=cycle, level=Level.ORGANISATION, title="Retention",
            status=GoalStatus.APPROVED,
        )  # fmt: skip
    assert goal.status == GoalStatus.APPROVED
    assert mail.outbox == []
