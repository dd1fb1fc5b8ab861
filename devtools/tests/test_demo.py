"""The demo goals that seed_demo plants for Acme and Globex, and --goals-per-person."""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from core.tenancy import tenant_context
from devtools import demo
from goals.access import Actor
from goals.health import health
from goals.models import (
    CheckIn,
    Cycle,
    Goal,
    GoalEvent,
    GoalStatus,
    KeyResult,
    Level,
    Milestone,
    Visibility,
)
from goals.rollup import key_result_progress, recompute_all
from orgs.models import Membership, Organization, Unit

pytestmark = pytest.mark.django_db

SLUGS = ("acme", "globex")
# A past date whose quarter (2020 Q4) and the one before can't clash with the real ones.
BACK_THEN = date(2020, 11, 20)


@pytest.fixture(scope="module")
def back_then(seeded, django_db_blocker) -> date:
    """Acme's cascade planted as if today were BACK_THEN (two more cycles, for this module)."""
    with django_db_blocker.unblock():
        demo.seed_goals(Organization.objects.get(slug="acme"), today=BACK_THEN)
    return BACK_THEN


@dataclass
class Quarter:
    """One organisation's demo data for the quarter containing ``today``."""

    org: Organization
    cycle: Cycle
    previous: Cycle
    goals: list[Goal]
    key_results: list[KeyResult]
    checkins: list[CheckIn]
    events: list[GoalEvent]
    units: dict[int, Unit]

    def level(self, level: str) -> list[Goal]:
        return [g for g in self.goals if g.level == level]

    def owned_by(self, email: str) -> list[Goal]:
        return [g for g in self.goals if g.owner.user.email == email]


def quarter_of(slug: str, today: date | None = None) -> Quarter:
    org = Organization.objects.get(slug=slug)
    name, start, _end = demo.quarter(today or timezone.localdate())
    previous_name = demo.quarter(start - timedelta(days=1))[0]
    with tenant_context(org.pk):
        cycle = Cycle.objects.get(org=org, name=name)
        return Quarter(
            org=org,
            cycle=cycle,
            previous=Cycle.objects.get(org=org, name=previous_name),
            goals=list(
                Goal.objects.filter(org=org, cycle=cycle).select_related(
                    "owner__user", "unit", "parent", "cycle"
                )
            ),
            key_results=list(
                KeyResult.objects.filter(org=org, goal__cycle=cycle).prefetch_related("milestones")
            ),
            checkins=list(CheckIn.objects.filter(org=org, goal__cycle=cycle)),
            events=list(GoalEvent.objects.filter(org=org, goal__cycle=cycle)),
            units={u.pk: u for u in Unit.objects.filter(org=org)},
        )


def counts(slug: str) -> dict:
    """Everything a re-run could change: rows, states, values and progress."""
    org = Organization.objects.get(slug=slug)
    with tenant_context(org.pk):
        return {
            "cycles": sorted(Cycle.objects.filter(org=org).values_list("name", "status")),
            "goals": sorted(
                Goal.objects.filter(org=org).values_list(
                    "pk", "status", "progress", "needs_reapproval", "last_checkin_at"
                )
            ),
            "key_results": sorted(
                KeyResult.objects.filter(org=org).values_list("pk", "current_value", "progress")
            ),
            "milestones": sorted(Milestone.objects.filter(org=org).values_list("pk", "done")),
            "checkins": CheckIn.objects.filter(org=org).count(),
            "events": GoalEvent.objects.filter(org=org).count(),
        }


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


# --- The cascade ----------------------------------------------------------------------


@pytest.mark.parametrize("slug", SLUGS)
def test_it_runs_this_quarter_with_the_last_one_closed(seeded, slug):
    q = quarter_of(slug)
    today = timezone.localdate()

    assert q.cycle.start <= today <= q.cycle.end
    assert q.cycle.status == Cycle.Status.ACTIVE
    assert q.cycle.start.day == 1 and q.cycle.start.month in (1, 4, 7, 10)
    assert q.cycle.name == f"{q.cycle.start.year} Q{(q.cycle.start.month + 2) // 3}"
    assert q.previous.status == Cycle.Status.CLOSED
    assert q.previous.end == q.cycle.start - timedelta(days=1)
    with tenant_context(q.org.pk):
        assert q.previous.goals.filter(status=GoalStatus.COMPLETED).exists()
        assert CheckIn.objects.filter(org=q.org, goal__cycle=q.previous).count() > 10


@pytest.mark.parametrize("slug", SLUGS)
def test_it_sets_objectives_with_measurable_key_results_owned_by_the_admin(seeded, slug):
    q = quarter_of(slug)
    objectives = q.level(Level.ORGANISATION)

    assert 3 <= len(objectives) <= 4
    for objective in objectives:
        assert objective.owner.user.email == f"admin@{slug}.test"
        assert objective.status == GoalStatus.APPROVED
        assert objective.parent is None
        krs = [kr for kr in q.key_results if kr.goal_id == objective.pk]
        assert len(krs) >= 2
        for kr in krs:
            if kr.direction in (KeyResult.Direction.INCREASE, KeyResult.Direction.DECREASE):
                assert kr.target_value != kr.start_value


@pytest.mark.parametrize("slug", SLUGS)
def test_it_cascades_unit_goals_owned_by_their_leads_up_to_an_objective(seeded, slug):
    q = quarter_of(slug)
    by_pk = {g.pk: g for g in q.goals}
    unit_goals = q.level(Level.UNIT)

    assert len(unit_goals) >= 8
    for goal in unit_goals:
        assert goal.owner_id == q.units[goal.unit_id].lead_id, goal.title
        top = goal
        while top.parent_id is not None:
            top = by_pk[top.parent_id]
        assert top.level == Level.ORGANISATION, goal.title
    depth = {u.pk: 0 for u in q.units.values() if u.parent_id is None}
    while len(depth) < len(q.units):
        depth |= {u.pk: depth[u.parent_id] + 1 for u in q.units.values() if u.parent_id in depth}
    levels = {depth[g.unit_id] for g in unit_goals}
    assert {1, 2, 3} <= levels  # divisions, departments and the teams below them


@pytest.mark.parametrize("slug", SLUGS)
def test_it_aligns_individual_goals_to_unit_goals_in_every_approval_state(seeded, slug):
    q = quarter_of(slug)
    individual = q.level(Level.INDIVIDUAL)

    assert all(g.parent is not None and g.parent.level == Level.UNIT for g in individual)
    states = Counter(g.status for g in individual)
    assert set(states) == set(GoalStatus.values)
    assert states[GoalStatus.APPROVED] > sum(states.values()) / 2  # most are approved
    assert any(g.needs_reapproval for g in individual)
    assert any(g.visibility == Visibility.PRIVATE for g in individual)
    sent_back = [g.pk for g in individual if g.status == GoalStatus.CHANGES_REQUESTED]
    comments = [e.comment for e in q.events if e.kind == "changes_requested"]
    assert {e.goal_id for e in q.events if e.kind == "changes_requested"} >= set(sent_back)
    assert all(len(comment) > 20 for comment in comments)
    completed = [g for g in individual if g.status == GoalStatus.COMPLETED]
    assert all(g.progress == 1.0 for g in completed)
    cancelled = [e for e in q.events if e.kind == "cancelled"]
    assert cancelled and all(e.comment for e in cancelled)


@pytest.mark.parametrize("slug", SLUGS)
def test_it_uses_every_kind_and_direction_of_key_result(seeded, slug):
    q = quarter_of(slug)

    assert {kr.kind for kr in q.key_results} == set(KeyResult.Kind.values)
    assert {kr.direction for kr in q.key_results} == set(KeyResult.Direction.values)
    milestones = [m for kr in q.key_results for m in kr.milestones.all()]
    assert any(m.done for m in milestones) and not all(m.done for m in milestones)
    assert all(kr.unit_label == "%" for kr in q.key_results if kr.kind == KeyResult.Kind.PERCENT)
    assert {kr.unit_label for kr in q.key_results if kr.kind == KeyResult.Kind.CURRENCY} >= {"€"}


@pytest.mark.parametrize("slug", SLUGS)
def test_it_stores_the_progress_a_recomputation_finds(seeded, slug):
    q = quarter_of(slug)

    with tenant_context(q.org.pk):
        stored = dict(Goal.objects.filter(org=q.org).values_list("pk", "progress"))
        assert recompute_all(q.org.pk, save=False) == pytest.approx(stored, abs=1e-9)
        for kr in KeyResult.objects.filter(org=q.org).prefetch_related("milestones"):
            assert kr.progress == pytest.approx(key_result_progress(kr), abs=1e-12)
    assert any(0 < g.progress < 1 for g in q.level(Level.ORGANISATION))


# --- Check-in history ---------------------------------------------------------------


@pytest.mark.parametrize("slug", SLUGS)
def test_it_checks_in_every_week_since_the_cycle_started(seeded, slug):
    q = quarter_of(slug)
    today = timezone.localdate()
    weeks_so_far = (today - q.cycle.start).days // 7 + 1
    mine = [g for g in q.owned_by(f"member@{slug}.test") if g.status == GoalStatus.APPROVED]

    assert mine
    numbers = (KeyResult.Kind.NUMBER, KeyResult.Kind.PERCENT, KeyResult.Kind.CURRENCY)
    for goal in mine:
        for kr in [kr for kr in q.key_results if kr.goal_id == goal.pk]:
            days = sorted(c.created_at.date() for c in q.checkins if c.key_result_id == kr.pk)
            assert days[0] - q.cycle.start < timedelta(days=7)
            assert today - days[-1] < timedelta(days=7)
            gaps = {later - earlier for earlier, later in itertools.pairwise(days)}
            if kr.kind in numbers:  # done / not done and checklists: when they change
                assert len(days) >= weeks_so_far - 1, kr.title
                assert gaps <= {timedelta(days=7)}
            else:
                assert gaps <= {timedelta(days=7), timedelta(days=14)}
        latest = max(c.created_at for c in q.checkins if c.goal_id == goal.pk)
        assert goal.last_checkin_at == latest
    assert all(c.created_at <= timezone.now() for c in q.checkins)
    # People say how confident they are; a check-in recorded by a KPI (the roll-up) does not.
    assert all(c.confidence for c in q.checkins if c.kpi_id is None)
    assert sum(bool(c.note) for c in q.checkins) > len(q.checkins) / 10


@pytest.mark.parametrize("slug", SLUGS)
def test_it_records_an_event_at_the_time_of_each_check_in(seeded, slug):
    q = quarter_of(slug)
    checked_in = Counter((e.goal_id, e.created_at) for e in q.events if e.kind == "checked_in")

    assert checked_in == Counter((c.goal_id, c.created_at) for c in q.checkins)
    for goal in q.goals:
        created = [e for e in q.events if e.goal_id == goal.pk and e.kind == "created"]
        assert [e.created_at for e in created] == [goal.created_at]
        assert goal.created_at <= min(
            (e.created_at for e in q.events if e.goal_id == goal.pk), default=goal.created_at
        )


def test_it_spreads_history_over_weeks_so_goals_are_on_track_at_risk_and_off_track(back_then):
    q = quarter_of("acme", today=back_then)
    approved = [g for g in q.goals if g.status == GoalStatus.APPROVED]
    end_of_day = datetime.combine(back_then, time(18), tzinfo=UTC)

    weeks = {c.created_at.isocalendar()[:2] for c in q.checkins}
    assert len(weeks) >= 7  # 1 October to 20 November
    assert max(c.created_at.date() for c in q.checkins) <= back_then
    states = Counter(
        health(
            g,
            cycle_start=q.cycle.start,
            cycle_end=q.cycle.end,
            cadence="weekly",
            today=back_then,
            now=end_of_day,
        ).code
        for g in approved
    )
    assert states["on_track"] > states["off_track"] > 0
    assert states["at_risk"] > 0
    stale = [
        g
        for g in approved
        if health(
            g,
            cycle_start=q.cycle.start,
            cycle_end=q.cycle.end,
            cadence="weekly",
            today=back_then,
            now=end_of_day,
        ).stale
    ]
    assert stale and len(stale) < len(approved) / 5


def test_it_closes_last_quarter_when_run_in_a_new_one(back_then):
    acme = Organization.objects.get(slug="acme")

    demo.seed_goals(acme, today=date(2021, 1, 12))

    with tenant_context(acme.pk):
        cycles = dict(Cycle.objects.filter(org=acme).values_list("name", "status"))
    assert cycles["2020 Q4"] == Cycle.Status.CLOSED
    assert cycles["2021 Q1"] == Cycle.Status.ACTIVE
    assert len(quarter_of("acme", today=date(2021, 1, 12)).goals) == len(demo.ACME_CURRENT)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 11, 27), ("2026 Q4", date(2026, 10, 1), date(2026, 12, 31))),
        (date(2027, 1, 1), ("2027 Q1", date(2027, 1, 1), date(2027, 3, 31))),
        (date(2028, 6, 30), ("2028 Q2", date(2028, 4, 1), date(2028, 6, 30))),
    ],
)
def test_it_names_quarters_by_year_and_number(day, expected):
    assert demo.quarter(day) == expected


# --- The demo logins ------------------------------------------------------------------


@pytest.mark.parametrize("slug", SLUGS)
def test_it_gives_the_member_approved_goals_to_check_in_on_and_a_draft(seeded, slug, login):
    q = quarter_of(slug)
    member = f"member@{slug}.test"
    individual = [g for g in q.owned_by(member) if g.level == Level.INDIVIDUAL]
    approved = [g for g in individual if g.status == GoalStatus.APPROVED]

    assert 2 <= len(approved) <= 3
    assert [g.status for g in individual].count(GoalStatus.DRAFT) == 1
    for goal in approved:
        assert any(kr.goal_id == goal.pk for kr in q.key_results)
    with tenant_context(q.org.pk):
        membership = Membership.objects.get(org=q.org, user__email=member)
    assert all(Actor(membership).can_check_in(g) for g in approved)

    page = login(membership).get(reverse("goals:my_goals", args=[slug]))

    assert page.status_code == 200
    for goal in individual:
        assert escape(goal.title) in page.content.decode()


@pytest.mark.parametrize("slug", SLUGS)
def test_it_gives_the_manager_reports_goals_to_approve(seeded, slug, login):
    q = quarter_of(slug)
    with tenant_context(q.org.pk):
        manager = Membership.objects.get(org=q.org, user__email=f"manager@{slug}.test")
        actor = Actor(manager)
        waiting = [
            g
            for g in q.goals
            if (g.status == GoalStatus.SUBMITTED or g.needs_reapproval) and actor.can_approve(g)
        ]
    submitted = [g for g in waiting if g.status == GoalStatus.SUBMITTED]

    assert len(submitted) >= 2
    assert all(actor.manages(g.owner_id) for g in submitted)
    assert [g for g in waiting if g.needs_reapproval]
    assert q.owned_by(f"manager@{slug}.test")  # and a unit goal of their own

    page = login(manager).get(reverse("goals:approvals", args=[slug]))

    assert page.status_code == 200
    for goal in waiting:
        assert escape(goal.title) in page.content.decode()


# --- Re-running and scaling ---------------------------------------------------------------


def test_it_says_what_it_created(seeded):
    assert "4 cycles" in seeded  # last quarter and this one, in both organisations
    for slug in SLUGS:
        q = quarter_of(slug)
        line = f"{q.cycle.name}: {len(q.goals):,} goals, {len(q.checkins):,} check-ins"
        assert f"{q.org.name} (/o/{slug}/): " in seeded
        assert line in seeded


def test_it_changes_nothing_when_run_again(seeded):
    before = {slug: counts(slug) for slug in SLUGS}

    out = seed()

    assert {slug: counts(slug) for slug in SLUGS} == before
    assert "nothing to create" in out


def test_it_scales_to_goals_per_person_without_drift(seeded):
    out = seed("--people", "60", "--goals-per-person", "2")

    q = quarter_of("acme")
    with tenant_context(q.org.pk):
        people = list(Membership.objects.filter(org=q.org, is_active=True))
    individual = q.level(Level.INDIVIDUAL)
    owned = Counter(g.owner_id for g in individual)
    assert len(people) == 60
    assert len(individual) >= 120
    assert all(owned[p.pk] >= 2 for p in people)
    unit_goal = {g.unit_id for g in q.level(Level.UNIT)}
    assert all(u.pk in unit_goal for u in q.units.values() if u.parent_id is not None)
    scaled = [g for g in individual if g.title not in {s.title for s in demo.ACME_CURRENT}]
    for goal in scaled:  # aligned to their unit's goal; at the top, to an objective
        if q.units[goal.unit_id].parent_id is None:
            assert goal.parent.level == Level.ORGANISATION
        else:
            assert goal.parent.level == Level.UNIT
            assert goal.parent.unit_id == goal.unit_id
    krs = Counter(kr.goal_id for kr in q.key_results)
    assert all(krs[g.pk] == 2 for g in scaled)
    approved = [g for g in scaled if g.status == GoalStatus.APPROVED]
    assert all(g.last_checkin_at is not None for g in approved)
    assert {g.status for g in scaled} >= {GoalStatus.APPROVED, GoalStatus.SUBMITTED}
    with tenant_context(q.org.pk):
        demo.assert_no_drift(q.org.pk)  # raises DriftError otherwise
    assert "Adding goals [" in out
    assert " goals to Acme Corporation (2 a person, plus unit goals)" in out

    before = counts("acme")
    again = seed("--people", "60", "--goals-per-person", "2")

    assert counts("acme") == before
    assert "already have 2 goals each" in again
