"""The goal factories: one line builds goal state, inside one organisation, through the
services (events, approval and roll-up as the app makes them)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.tenancy import tenant_context
from goals.models import CheckIn, Cycle, EventKind, Goal, GoalEvent, GoalStatus, KeyResult, Level
from orgs.models import Organization
from tests.factories import (
    CheckInFactory,
    CycleFactory,
    GoalFactory,
    KeyResultFactory,
    MembershipFactory,
    UnitFactory,
)

pytestmark = pytest.mark.django_db


def kinds(goal: Goal) -> list[str]:
    with tenant_context(goal.org_id):
        return list(
            GoalEvent.objects.filter(goal=goal).order_by("pk").values_list("kind", flat=True)
        )


def test_it_builds_an_active_goal_with_key_results_in_one_line(cast):
    goal = GoalFactory(owner=cast.member, key_results=2, status="active")

    assert goal.org_id == cast.org.pk
    assert goal.status == GoalStatus.APPROVED
    with tenant_context(cast.org.pk):
        key_results = list(KeyResult.objects.filter(goal=goal))
        assert goal.cycle.org_id == cast.org.pk
        approved = GoalEvent.objects.get(goal=goal, kind=EventKind.APPROVED)
    assert [kr.org_id for kr in key_results] == [cast.org.pk, cast.org.pk]
    assert set(goal.approved_snapshot["key_results"]) == {str(kr.pk) for kr in key_results}
    # Approved the way the app does it: by Bob's manager, with the events it records.
    assert approved.actor_id == cast.manager.pk
    assert kinds(goal) == [EventKind.CREATED, EventKind.APPROVED]


def test_it_takes_the_organisation_from_the_owner_and_creates_no_other(cast):
    orgs = Organization.objects.count()
    goal = GoalFactory(owner=cast.member2, key_results=0)
    assert goal.org_id == cast.org.pk
    assert Organization.objects.count() == orgs


def test_a_child_goal_joins_its_parents_cycle(cast):
    parent = GoalFactory(owner=cast.manager, status=GoalStatus.APPROVED)
    child = GoalFactory(owner=cast.member, parent=parent, status="active")
    assert child.cycle_id == parent.cycle_id
    with tenant_context(cast.org.pk):
        assert Cycle.objects.filter(org=cast.org).count() == 1


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (GoalStatus.DRAFT, [EventKind.CREATED]),
        (GoalStatus.SUBMITTED, [EventKind.CREATED, EventKind.SUBMITTED]),
        (
            GoalStatus.CHANGES_REQUESTED,
            [EventKind.CREATED, EventKind.SUBMITTED, EventKind.CHANGES_REQUESTED],
        ),
        (GoalStatus.COMPLETED, [EventKind.CREATED, EventKind.APPROVED, EventKind.COMPLETED]),
        (GoalStatus.CANCELLED, [EventKind.CREATED, EventKind.CANCELLED]),
    ],
)
def test_it_reaches_every_state_the_way_people_do(cast, status, expected):
    goal = GoalFactory(owner=cast.member, status=status, comment="Say by when.")
    assert goal.status == status
    assert kinds(goal) == expected


def test_an_organisation_objective_and_a_unit_goal_are_approved_by_who_may(cast):
    objective = GoalFactory(owner=cast.admin, level=Level.ORGANISATION, status="active")
    unit_goal = GoalFactory(
        owner=cast.manager,
        level=Level.UNIT,
        unit=cast.engineering,
        parent=objective,
        status="active",
    )
    assert (objective.status, unit_goal.status) == (GoalStatus.APPROVED, GoalStatus.APPROVED)
    with tenant_context(cast.org.pk):
        objective.refresh_from_db()
    assert objective.progress == 0.0


def test_related_objects_from_another_organisation_are_refused(cast):
    with tenant_context(cast.other_org.pk):
        elsewhere = CycleFactory(org=cast.other_org)
    with pytest.raises(ValueError, match="another organisation"):
        GoalFactory(owner=cast.member, cycle=elsewhere)
    with pytest.raises(ValueError, match="another organisation"):
        GoalFactory(org=cast.org, owner=cast.other_member)
    kr = KeyResultFactory(goal=GoalFactory(owner=cast.member, key_results=0))
    with pytest.raises(ValueError, match="another organisation"):
        CheckInFactory(key_result=kr, author=cast.other_member)


def test_people_and_units_take_the_organisation_of_their_manager_or_parent(cast):
    assert MembershipFactory(manager=cast.manager).org_id == cast.org.pk
    assert UnitFactory(parent=cast.other_unit).org_id == cast.other_org.pk


def test_a_check_in_rolls_up_like_one_made_in_the_app(cast):
    goal = GoalFactory(owner=cast.member, status="active", key_results=1)
    with tenant_context(cast.org.pk):
        kr = KeyResult.objects.get(goal=goal)

    checkin = CheckInFactory(key_result=kr, value=Decimal(40))

    assert (checkin.org_id, checkin.author_id) == (cast.org.pk, cast.member.pk)
    with tenant_context(cast.org.pk):
        goal.refresh_from_db()
    assert goal.progress == pytest.approx(0.4)
    assert kinds(goal)[-1] == EventKind.CHECKED_IN


def test_a_check_in_with_no_arguments_builds_everything_in_one_new_organisation(db):
    checkin = CheckInFactory()
    org_id = checkin.org_id
    with tenant_context(org_id):
        checkin = CheckIn.objects.select_related("goal__cycle", "goal__owner", "key_result").get(
            pk=checkin.pk
        )
        goal = checkin.goal
        assert {
            goal.org_id,
            goal.cycle.org_id,
            goal.owner.org_id,
            checkin.key_result.org_id,
            checkin.author.org_id,
        } == {org_id}
        assert goal.status == GoalStatus.APPROVED
        assert checkin.value == Decimal(50)
        assert goal.progress == pytest.approx(0.5)


def test_a_key_result_added_to_a_draft_counts_at_once(cast):
    goal = GoalFactory(owner=cast.member, key_results=0)
    kr = KeyResultFactory(goal=goal, title="Signups", target_value=Decimal(10))
    assert (kr.org_id, kr.goal_id, kr.awaiting_approval) == (cast.org.pk, goal.pk, False)
    assert kinds(goal) == [EventKind.CREATED, EventKind.KEY_RESULT_ADDED]


@pytest.mark.postgres
def test_factories_write_inside_the_right_tenant_context_under_rls(cast):
    """On PostgreSQL a row written for another organisation than the transaction's is
    refused (WITH CHECK), and rows are visible only inside their organisation's context."""
    goal = GoalFactory(owner=cast.member, key_results=2, status="active")
    with tenant_context(cast.org.pk):
        kr = KeyResult.objects.filter(goal=goal).first()
    ours = CheckInFactory(key_result=kr, value=Decimal(10))
    checkin = CheckInFactory()  # no arguments: a new organisation of its own
    assert checkin.org_id != cast.org.pk

    with tenant_context(cast.org.pk):
        assert Goal.objects.filter(pk=goal.pk).exists()
        assert KeyResult.objects.filter(goal_id=goal.pk).count() == 2
        assert CheckIn.objects.filter(pk=ours.pk).exists()
        assert not CheckIn.objects.filter(pk=checkin.pk).exists()
    with tenant_context(cast.other_org.pk):
        assert not Goal.objects.filter(pk=goal.pk).exists()
    with tenant_context(checkin.org_id):
        assert CheckIn.objects.filter(pk=checkin.pk).exists()
    assert not Goal.objects.filter(pk=goal.pk).exists()  # outside any organisation
