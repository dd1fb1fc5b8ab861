"""The daily review digests: who gets one, what it lists, and never twice a day."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core import periodic
from core.models import JobRun
from core.tenancy import tenant_context
from goals.models import Goal
from kpis.models import Kpi
from notifications import services
from notifications.models import EmailState, Kind, Notification
from notifications.reminders import REVIEW_TITLE, SECTION_LIMIT, TEAM_TITLE, review_reminders
from orgs.models import Membership
from tests.factories import CycleFactory, GoalFactory, MembershipFactory


def _stale(goal: Goal, days: int = 10) -> Goal:
    """Nobody checked in on ``goal`` for ``days`` days (approved that long ago)."""
    with tenant_context(goal.org_id):
        Goal.objects.filter(pk=goal.pk).update(
            updated_at=timezone.now() - timedelta(days=days), last_checkin_at=None
        )
    return goal


def _on_track(goal: Goal) -> Goal:
    """Half-way, as half the cycle is gone."""
    with tenant_context(goal.org_id):
        Goal.objects.filter(pk=goal.pk).update(progress=0.5)
    return goal


def _digests(org, kind=None) -> list[Notification]:
    with tenant_context(org.pk):
        found = Notification.objects.filter(
            org=org, kind__in=[Kind.REVIEW_REMINDER, Kind.TEAM_REVIEW]
        )
        if kind:
            found = found.filter(kind=kind)
        return list(found.select_related("recipient").order_by("recipient_id", "kind"))


def _sections(notification: Notification) -> dict[str, list[str]]:
    return {s["title"]: [i["label"] for i in s["items"]] for s in notification.sections}


def _run(org, **kwargs):
    return periodic.run_job("reminders", org.pk, trigger="manual", **kwargs)


@pytest.fixture
def cycle(cast):
    return CycleFactory(org=cast.org, name="H2")


@pytest.fixture
def stale_goal(cast, cycle):
    """Bob's active goal, with no check-in for ten days (the cadence is weekly)."""
    return _stale(
        GoalFactory(
            org=cast.org, owner=cast.member, cycle=cycle, status="approved", title="Ship search"
        )
    )


def test_it_sends_a_digest_only_to_people_with_something_due(cast, cycle, stale_goal):
    _on_track(
        GoalFactory(org=cast.org, owner=cast.member2, cycle=cycle, status="approved", title="Fresh")
    )

    outcome = _run(cast.org)

    own = _digests(cast.org, Kind.REVIEW_REMINDER)
    assert [n.recipient for n in own] == [cast.member]
    assert own[0].data["title"] == REVIEW_TITLE
    assert _sections(own[0]) == {"Check-ins due": ["Ship search"]}
    item = own[0].sections[0]["items"][0]
    assert item["path"] == reverse("goals:goal_detail", args=[cast.org.slug, stale_goal.pk])
    assert "no check-in yet" in item["detail"]
    # Bob's manager and her manager see it in their team's review.
    team = _digests(cast.org, Kind.TEAM_REVIEW)
    assert {n.recipient for n in team} == {cast.manager, cast.admin}
    assert all(_sections(n) == {"Needs attention in your team": ["Ship search"]} for n in team)
    assert all(n.data["title"] == TEAM_TITLE for n in team)
    assert outcome.counts == {"digests_sent": 3, "already_sent": 0}
    assert outcome.line() == "reminders acme: 3 digests sent, 0 already sent"
    # Nothing for Globex, nothing due there.
    assert _digests(cast.other_org) == []


def test_nothing_due_nothing_sent(cast, cycle):
    _on_track(GoalFactory(org=cast.org, owner=cast.member, cycle=cycle, status="approved"))

    outcome = _run(cast.org)

    assert _digests(cast.org) == []
    assert outcome.line() == "reminders acme: 0 digests sent, 0 already sent"


def test_a_manager_gets_approvals_waiting_and_team_items(cast, cycle, stale_goal):
    GoalFactory(
        org=cast.org, owner=cast.member2, cycle=cycle, status="submitted", title="Cut costs"
    )

    _run(cast.org)

    (mallory,) = [n for n in _digests(cast.org, Kind.TEAM_REVIEW) if n.recipient == cast.manager]
    assert _sections(mallory) == {
        "Waiting for your approval": ["Cut costs"],
        "Needs attention in your team": ["Ship search"],
    }
    approvals = mallory.sections[0]["items"][0]
    assert approvals["path"] == reverse("goals:approvals", args=[cast.org.slug])
    assert approvals["detail"] == "Carol Member (Acme) · Submitted"  # capitalised like "Off track"
    # Alice is not who approves Carol's goal (Mallory is): she sees only the team items.
    (alice,) = [n for n in _digests(cast.org, Kind.TEAM_REVIEW) if n.recipient == cast.admin]
    assert _sections(alice) == {"Needs attention in your team": ["Ship search"]}


def test_off_track_goals_are_listed_for_the_manager_before_stale_ones(cast, cycle, stale_goal):
    behind = GoalFactory(
        org=cast.org, owner=cast.member2, cycle=cycle, status="approved", title="Behind"
    )
    with tenant_context(cast.org.pk):
        Goal.objects.filter(pk=behind.pk).update(progress=0.0)  # half the cycle gone, 0%

    _run(cast.org)

    (mallory,) = [n for n in _digests(cast.org, Kind.TEAM_REVIEW) if n.recipient == cast.manager]
    items = mallory.sections[0]["items"]
    assert [i["label"] for i in items] == ["Behind", "Ship search"]
    assert "Off track" in items[0]["detail"]
    assert "stale" in items[1]["detail"].lower()


def test_a_long_team_list_stops_at_the_limit_and_says_how_many_more(cast, cycle):
    for n in range(SECTION_LIMIT + 3):
        _stale(
            GoalFactory(
                org=cast.org, owner=cast.member, cycle=cycle, status="approved", title=f"G{n:02d}"
            )
        )

    _run(cast.org)

    (mallory,) = [n for n in _digests(cast.org, Kind.TEAM_REVIEW) if n.recipient == cast.manager]
    section = mallory.sections[0]
    assert len(section["items"]) == SECTION_LIMIT
    assert section["more"] == 3
    assert section["more_path"] == reverse("goals:team_goals", args=[cast.org.slug])


def test_kpis_due_for_a_measurement_are_listed_for_their_owner_and_managers(cast):
    def kpi(name, **fields):
        with tenant_context(cast.org.pk):
            return Kpi.objects.create(
                org=cast.org,
                name=name,
                owner=cast.member,
                target=Decimal(10),
                amber_threshold=Decimal(8),
                red_threshold=Decimal(5),
                **fields,
            )

    now = timezone.now()
    kpi("Never measured")
    kpi("Weekly, 8 days old", cadence="weekly", latest_at=now - timedelta(days=8))
    kpi("Weekly, 2 days old", cadence="weekly", latest_at=now - timedelta(days=2))
    kpi("Daily, 2 days old", cadence="daily", latest_at=now - timedelta(days=2))
    kpi("Monthly, 20 days old", cadence="monthly", latest_at=now - timedelta(days=20))
    parent = kpi("Computed from its teams")
    kpi("A team's", parent=parent, latest_at=now)

    _run(cast.org)

    (bob,) = _digests(cast.org, Kind.REVIEW_REMINDER)
    due = ["Never measured", "Weekly, 8 days old", "Daily, 2 days old"]
    assert sorted(_sections(bob)["Measurements due"]) == sorted(due)
    (mallory,) = [n for n in _digests(cast.org, Kind.TEAM_REVIEW) if n.recipient == cast.manager]
    assert sorted(_sections(mallory)["Overdue KPIs in your team"]) == sorted(due)


def test_running_again_the_same_day_sends_nothing_new(
    cast, stale_goal, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = periodic.run_job("reminders", cast.org.pk, trigger="beat", now=_morning())
    assert first.status == "ran"
    emails = len(mail.outbox)
    assert emails == 3

    again = periodic.run_job(
        "reminders", cast.org.pk, trigger="beat", now=_morning() + timedelta(hours=1)
    )
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("run_periodic", "reminders", "--org", "acme", stdout=out)

    assert again.status == "already_ran"
    assert out.getvalue().strip() == "reminders acme: 0 digests sent, 3 already sent"
    assert len(_digests(cast.org)) == 3
    assert len(mail.outbox) == emails
    with tenant_context(cast.org.pk):
        run = JobRun.objects.get(org=cast.org, job="reminders")
    assert run.counts == {"digests_sent": 0, "already_sent": 3}
    assert run.trigger == "manual"


def test_the_digest_email_lists_the_items_with_absolute_links(
    cast, stale_goal, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _run(cast.org)

    (email,) = [m for m in mail.outbox if m.to == [cast.member.user.email]]
    link = settings.SITE_URL + reverse("goals:goal_detail", args=[cast.org.slug, stale_goal.pk])
    assert email.subject == f"{REVIEW_TITLE} (Acme)"
    assert "Check-ins due" in email.body
    assert "- Ship search (0% · no check-in yet)" in email.body
    assert link in email.body
    html = email.alternatives[0][0]
    assert f'<a href="{link}"' in html
    with tenant_context(cast.org.pk):
        assert (
            Notification.objects.get(recipient=cast.member, kind=Kind.REVIEW_REMINDER).email_state
            == EmailState.SENT
        )


def test_email_off_for_reminders_leaves_only_the_inbox_entry(
    cast, stale_goal, django_capture_on_commit_callbacks
):
    with tenant_context(cast.org.pk):
        services.settings_save(
            membership=cast.member,
            email_off=[Kind.REVIEW_REMINDER],
            in_app_off=[],
            weekly_digest=False,
        )

    with django_capture_on_commit_callbacks(execute=True):
        _run(cast.org)

    (bob,) = _digests(cast.org, Kind.REVIEW_REMINDER)
    assert bob.in_app and bob.email_state == EmailState.SKIPPED
    assert cast.member.user.email not in [to for m in mail.outbox for to in m.to]
    # His manager still gets hers by email.
    assert any(m.to == [cast.manager.user.email] for m in mail.outbox)


def test_a_weekly_digest_reader_finds_the_reminder_items_in_it(
    cast, stale_goal, django_capture_on_commit_callbacks
):
    from notifications.tasks import digest_org

    with tenant_context(cast.org.pk):
        services.settings_save(
            membership=cast.member, email_off=[], in_app_off=[], weekly_digest=True
        )
    _run(cast.org)

    digest_org(org_id=cast.org.pk)

    (email,) = [m for m in mail.outbox if m.to == [cast.member.user.email]]
    assert REVIEW_TITLE in email.body
    assert "Ship search" in email.body
    assert (
        settings.SITE_URL + reverse("goals:goal_detail", args=[cast.org.slug, stale_goal.pk])
        in email.body
    )


def test_the_inbox_shows_the_digest_with_its_items_as_links(cast, stale_goal, login):
    _run(cast.org)

    response = login(cast.member).get(reverse("notifications:notifications", args=[cast.org.slug]))

    page = response.content.decode()
    assert REVIEW_TITLE in page
    assert "Check-ins due" in page
    goal_link = reverse("goals:goal_detail", args=[cast.org.slug, stale_goal.pk])
    assert f'<a href="{goal_link}">Ship search</a>' in page


def test_notify_with_a_dedupe_key_records_once(cast):
    with tenant_context(cast.org.pk):
        first = services.notify(
            org=cast.org,
            recipient=cast.member,
            kind=Kind.CYCLE_STARTED,
            data={"title": "Hi"},
            dedupe_key="k:1",
        )
        second = services.notify(
            org=cast.org,
            recipient=cast.member,
            kind=Kind.CYCLE_STARTED,
            data={"title": "Hi"},
            dedupe_key="k:1",
        )
        other = services.notify(
            org=cast.org,
            recipient=cast.member2,
            kind=Kind.CYCLE_STARTED,
            data={"title": "Hi"},
            dedupe_key="k:1",
        )
        assert first is not None and second is None and other is not None
        assert Notification.objects.filter(org=cast.org, dedupe_key="k:1").count() == 2


def _morning():
    """Today 09:00 UTC (Acme's timezone; its reminder hour is 8)."""
    return timezone.now().replace(hour=9, minute=0, second=0, microsecond=0)


def _queries(org) -> int:
    local = timezone.now()
    with tenant_context(org.pk), CaptureQueriesContext(connection) as captured:
        review_reminders(org, local)
    return len(captured)


def test_the_job_reads_the_same_number_of_queries_for_3_or_15_people(cast, cycle):
    def team_of(n):
        for _ in range(n):
            person = MembershipFactory(org=cast.org, manager=cast.manager)
            _stale(GoalFactory(org=cast.org, owner=person, cycle=cycle, status="approved"))

    team_of(3)
    small = _queries(cast.org)
    with tenant_context(cast.org.pk):
        Notification.objects.filter(org=cast.org).delete()
    team_of(12)
    large = _queries(cast.org)

    assert small == large
    # Sections: check-ins due (1), approvals (1), team goals (cycles, goals, lines: 3),
    # KPIs due (1), team KPIs (1, no reporting lines when none is due), feedback requests
    # waiting (1); then per digest kind: the people, their settings, already sent, the
    # insert, the read back (5 x 2).
    assert large == 18
    with tenant_context(cast.org.pk):
        assert Membership.objects.filter(org=cast.org).count() == 19


def test_run_periodic_runs_every_organisation_or_the_one_named(cast, stale_goal):
    out = StringIO()
    call_command("run_periodic", "reminders", stdout=out)
    assert out.getvalue().splitlines() == [
        "reminders acme: 3 digests sent, 0 already sent",
        "reminders globex: 0 digests sent, 0 already sent",
    ]

    out = StringIO()
    call_command("run_periodic", "reminders", "--org", "globex", stdout=out)
    assert out.getvalue().splitlines() == ["reminders globex: 0 digests sent, 0 already sent"]

    with pytest.raises(CommandError, match="No organisation with the slug 'nope'"):
        call_command("run_periodic", "reminders", "--org", "nope")


def test_a_worker_that_loses_the_race_records_nothing_twice(cast, monkeypatch):
    """Another worker writes Bob's reminder after this one looked and before it writes:
    the unique constraint decides, and the counts say so."""
    real_now = timezone.now

    def racing_now():
        if not racing_now.done:
            racing_now.done = True
            services.notify(
                org=cast.org,
                recipient=cast.member,
                kind=Kind.REVIEW_REMINDER,
                data={"title": "the other worker's"},
                dedupe_key="review:race",
            )
        return real_now()

    racing_now.done = False
    monkeypatch.setattr(services.timezone, "now", racing_now)
    with tenant_context(cast.org.pk):
        counts = services.notify_many(
            org_id=cast.org.pk,
            kind=Kind.REVIEW_REMINDER,
            dedupe_key="review:race",
            data_for={cast.member: {"title": "ours"}, cast.member2: {"title": "ours"}},
        )
        rows = dict(
            Notification.objects.filter(org=cast.org, dedupe_key="review:race").values_list(
                "recipient_id", "data__title"
            )
        )

    assert counts == (1, 1)
    assert rows == {cast.member.pk: "the other worker's", cast.member2.pk: "ours"}
