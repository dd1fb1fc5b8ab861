"""Cycle reminders: final check-ins before a cycle ends, a goal to set when one starts."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from core import periodic
from core.tenancy import tenant_context
from goals.models import Cycle
from notifications.models import Kind, Notification
from tests.factories import CycleFactory, GoalFactory, MembershipFactory

CYCLE_KINDS = [Kind.CYCLE_ENDING, Kind.CYCLE_STARTED, Kind.TEAM_WITHOUT_GOALS]


def _sent(org, kind) -> dict:
    """Who got ``kind``: recipient -> the labels of the items listed."""
    with tenant_context(org.pk):
        found = Notification.objects.filter(org=org, kind=kind).select_related("recipient")
        return {
            n.recipient: [item["label"] for s in n.sections for item in s["items"]] for n in found
        }


def _run(org):
    return periodic.run_job("cycle_reminders", org.pk, trigger="manual")


def _ending_in(org, days: int, **fields) -> Cycle:
    today = timezone.localdate()
    return CycleFactory(
        org=org, start=today - timedelta(days=80), end=today + timedelta(days=days), **fields
    )


def test_owners_are_reminded_of_final_check_ins_when_the_cycle_ends_soon(cast):
    cycle = _ending_in(cast.org, 5, name="Q4")  # Acme reminds 7 days before the end
    GoalFactory(org=cast.org, owner=cast.member, cycle=cycle, status="approved", title="Ship")
    GoalFactory(org=cast.org, owner=cast.member, cycle=cycle, status="approved", title="Hire")
    GoalFactory(org=cast.org, owner=cast.member2, cycle=cycle, status="draft", title="Draft")

    outcome = _run(cast.org)

    assert _sent(cast.org, Kind.CYCLE_ENDING) == {cast.member: ["Hire", "Ship"]}
    with tenant_context(cast.org.pk):
        (reminder,) = Notification.objects.filter(org=cast.org, kind=Kind.CYCLE_ENDING)
    assert reminder.sentence.startswith("“Q4” ends on ")
    assert reminder.dedupe_key == f"cycle-ending:{cycle.pk}"
    assert outcome.status == "ran"


def test_nothing_about_the_end_before_the_configured_days(cast):
    cycle = _ending_in(cast.org, 10)
    GoalFactory(org=cast.org, owner=cast.member, cycle=cycle, status="approved")

    _run(cast.org)
    assert _sent(cast.org, Kind.CYCLE_ENDING) == {}

    cast.org.cycle_reminder_days = 14
    cast.org.save(update_fields=["cycle_reminder_days"])
    _run(cast.org)
    assert list(_sent(cast.org, Kind.CYCLE_ENDING)) == [cast.member]


def test_people_without_a_goal_are_reminded_when_a_cycle_starts_and_their_managers_see_who(cast):
    cycle = CycleFactory(org=cast.org, start=timezone.localdate(), name="H1")
    for owner in (cast.admin, cast.manager, cast.member):
        GoalFactory(org=cast.org, owner=owner, cycle=cycle, status="draft")
    left = MembershipFactory(org=cast.org, manager=cast.manager, is_active=False)

    _run(cast.org)

    assert list(_sent(cast.org, Kind.CYCLE_STARTED)) == [cast.member2]
    assert _sent(cast.org, Kind.TEAM_WITHOUT_GOALS) == {cast.manager: ["Carol Member (Acme)"]}
    assert left not in _sent(cast.org, Kind.CYCLE_STARTED)
    with tenant_context(cast.org.pk):
        (team,) = Notification.objects.filter(org=cast.org, kind=Kind.TEAM_WITHOUT_GOALS)
    item = team.sections[0]["items"][0]
    assert (
        item["path"]
        == reverse("goals:goal_tree", args=[cast.org.slug]) + f"?owner={cast.member2.pk}"
    )
    # Nobody in Globex heard anything about Acme's cycle.
    assert _sent(cast.other_org, Kind.CYCLE_STARTED) == {}


def test_a_planning_or_closed_cycle_reminds_nobody(cast):
    CycleFactory(
        org=cast.org, start=timezone.localdate() - timedelta(days=3), status=Cycle.Status.PLANNING
    )
    _ending_in(cast.org, 2, status=Cycle.Status.CLOSED)

    _run(cast.org)

    for kind in CYCLE_KINDS:
        assert _sent(cast.org, kind) == {}


def test_each_cycle_reminder_is_sent_once_per_person_and_cycle(
    cast, django_capture_on_commit_callbacks
):
    cycle = _ending_in(cast.org, 3)
    GoalFactory(org=cast.org, owner=cast.member, cycle=cycle, status="approved")
    with django_capture_on_commit_callbacks(execute=True):
        first = _run(cast.org)
    # Bob's "ending"; Alice, Mallory and Carol have no goal: 3 "started"; Alice's team
    # (Mallory) and Mallory's (Carol).
    assert first.counts == {"reminders_sent": 6, "already_sent": 0}
    emails = len(mail.outbox)

    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("run_periodic", "cycle_reminders", "--org", "acme", stdout=out)

    assert out.getvalue().strip() == "cycle_reminders acme: 0 reminders sent, 6 already sent"
    assert len(mail.outbox) == emails
    with tenant_context(cast.org.pk):
        assert Notification.objects.filter(org=cast.org, kind__in=CYCLE_KINDS).count() == 6


def test_the_team_page_says_who_has_no_goal_yet(cast, login):
    cycle = CycleFactory(org=cast.org, name="H1")
    GoalFactory(org=cast.org, owner=cast.member, cycle=cycle, status="approved")

    page = (
        login(cast.manager).get(reverse("goals:team_goals", args=[cast.org.slug])).content.decode()
    )

    assert "No goal in H1 yet" in page
    block = page.split("No goal in H1 yet", 1)[1].split("</div>", 1)[0]
    assert "Carol Member (Acme)" in block and "Bob Member" not in block


@pytest.mark.parametrize("who", ["member", "member2"])
def test_the_reminder_emails_link_to_the_goals(cast, who, django_capture_on_commit_callbacks):
    cycle = _ending_in(cast.org, 1)
    goal = GoalFactory(
        org=cast.org, owner=getattr(cast, who), cycle=cycle, status="approved", title="Ship"
    )
    with django_capture_on_commit_callbacks(execute=True):
        _run(cast.org)

    (email,) = [
        m for m in mail.outbox if m.to == [getattr(cast, who).user.email] and "ends on" in m.subject
    ]
    assert reverse("goals:goal_detail", args=[cast.org.slug, goal.pk]) in email.body
