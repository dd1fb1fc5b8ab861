"""Approval and editing rules of goals.access that the role matrix does not reach.

The matrix (test_permissions_matrix) tries each action for admin, manager, owner and
a teammate on an individual goal. These pin the edges around it: unit leads and the
unit tree, organisation objectives, admins outside the reporting line, long manager
chains, finished goals, and leads facing goals of people they do not manage. Each
answer of Actor is checked together with the service the pages call, so a flipped
comparison or a dropped branch in goals.access shows up as a user-visible change.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from rest_framework.test import APIClient

from core.tenancy import tenant_context
from goals import services
from goals.access import Actor
from goals.models import CheckIn, Goal, GoalStatus, Level
from orgs.models import Membership, Role, Unit
from tests.factories import MembershipFactory, UnitFactory

KRS = [{"title": "Calls", "start_value": Decimal(0), "target_value": Decimal(10)}]


def make_goal(cast, cycle, owner: Membership, *, level=Level.INDIVIDUAL, unit=None, **extra):
    """A draft created by the admin (who may create anything) for ``owner``."""
    return services.goal_create(
        actor=Actor(cast.admin),
        cycle=cycle,
        owner=owner,
        level=level,
        unit=unit,
        title=f"{level} goal of {owner.display_name}",
        key_results=KRS,
        **extra,
    )


def submitted(cast, cycle, owner, **kwargs) -> Goal:
    return services.goal_submit(
        actor=Actor(cast.admin), goal=make_goal(cast, cycle, owner, **kwargs)
    )


def active(cast, cycle, owner, **kwargs) -> Goal:
    goal = make_goal(cast, cycle, owner, **kwargs)
    return services.goal_approve(actor=Actor(cast.admin), goal=goal)


def person(cast, email: str, *, manager, unit, role=Role.MEMBER) -> Membership:
    return MembershipFactory(
        org=cast.org, role=role, unit=unit, manager=manager, user__email=email, title="Engineer"
    )


def status_of(goal: Goal) -> str:
    return Goal.objects.values_list("status", flat=True).get(pk=goal.pk)


# --- Unit leads and the unit tree --------------------------------------------------------------


def test_unit_lead_may_not_approve_their_own_units_goal_even_when_a_report_owns_it(cast, cycle):
    """Mallory leads Engineering: its unit goal is approved from above, not by her."""
    with tenant_context(cast.org.pk):
        goal = submitted(cast, cycle, cast.member, level=Level.UNIT, unit=cast.engineering)
        mallory = Actor(cast.manager)
        assert mallory.manages(cast.member.pk)  # the owner reports to her, yet:
        assert mallory.can_approve(goal) is False
        with pytest.raises(PermissionDenied):
            services.goal_approve(actor=mallory, goal=goal)
        assert status_of(goal) == GoalStatus.SUBMITTED
        # Alice, above Engineering (as admin), may.
        assert Actor(cast.admin).can_approve(goal) is True


def test_unit_lead_approves_goals_of_units_below_at_any_depth(cast, cycle):
    with tenant_context(cast.org.pk):
        runtime = UnitFactory(org=cast.org, name="Runtime", parent=cast.platform)
        owner = person(cast, "dana@acme.test", manager=cast.admin, unit=runtime)
        mallory = Actor(cast.manager)
        for unit in (cast.platform, runtime):  # one and two levels below Engineering
            goal = submitted(cast, cycle, owner, level=Level.UNIT, unit=unit)
            assert not mallory.manages(owner.pk)
            assert mallory.can_approve(goal) is True, unit.name
            services.goal_approve(actor=mallory, goal=goal)
            assert status_of(goal) == GoalStatus.APPROVED


def test_unit_lead_may_not_approve_a_unit_goal_outside_their_tree(cast, cycle):
    with tenant_context(cast.org.pk):
        sales = UnitFactory(org=cast.org, name="Sales", parent=cast.company)
        goal = submitted(cast, cycle, cast.member, level=Level.UNIT, unit=sales)
        assert Actor(cast.manager).can_approve(goal) is False
        with pytest.raises(PermissionDenied):
            services.goal_approve(actor=Actor(cast.manager), goal=goal)


# --- Organisation objectives ---------------------------------------------------------------------


def test_non_admins_never_approve_an_organisation_objective_even_their_reports(cast, cycle):
    with tenant_context(cast.org.pk):
        Unit.objects.filter(pk=cast.company.pk).update(lead=cast.manager)  # leads the top too
        goal = submitted(cast, cycle, cast.member, level=Level.ORGANISATION)
        mallory = Actor(cast.manager)
        assert mallory.manages(goal.owner_id)
        assert mallory.can_approve(goal) is False
        assert Actor(cast.member2).can_approve(goal) is False
        for actor in (mallory, Actor(cast.member2)):
            with pytest.raises(PermissionDenied):
                services.goal_approve(actor=actor, goal=goal)
        assert status_of(goal) == GoalStatus.SUBMITTED
        assert Actor(cast.admin).can_approve(goal) is True
        services.goal_approve(actor=Actor(cast.admin), goal=goal)
        assert status_of(goal) == GoalStatus.APPROVED


# --- An admin outside the reporting line --------------------------------------------------------


def test_admin_outside_the_reporting_line_approves_and_edits_as_admin(cast, cycle):
    with tenant_context(cast.org.pk):
        admin2 = person(cast, "zoe@acme.test", manager=None, unit=cast.platform, role=Role.ADMIN)
        goal = submitted(cast, cycle, cast.member, visibility="private")
        zoe = Actor(admin2)
        assert not zoe.manages(cast.member.pk) and not zoe.led_units
        assert zoe.can_view(goal) and zoe.can_edit(goal) and zoe.can_approve(goal)
        services.goal_approve(actor=zoe, goal=goal)
        assert status_of(goal) == GoalStatus.APPROVED


# --- Long manager chains -------------------------------------------------------------------------


def test_manager_chains_deeper_than_three_levels_reach_the_bottom(cast, cycle):
    """Mallory > Bob > d1 > d2 > d3 > d4: the subtree has no depth limit that users meet."""
    with tenant_context(cast.org.pk):
        boss, chain = cast.member, []
        for depth in range(1, 5):
            boss = person(cast, f"d{depth}@acme.test", manager=boss, unit=cast.platform)
            chain.append(boss)
        bottom = chain[-1]
        goal = submitted(cast, cycle, bottom, visibility="private")
        for above, levels in ((cast.member, 4), (cast.manager, 5)):
            actor = Actor(above)
            assert actor.manages(bottom.pk), f"{levels} levels up"
            assert actor.can_view(goal) and actor.can_edit(goal) and actor.can_approve(goal)
            assert goal.pk in set(actor.visible_goals().values_list("pk", flat=True))
        # A teammate beside the chain still sees nothing of it.
        assert Actor(cast.member2).can_view(goal) is False
        services.goal_approve(actor=Actor(cast.manager), goal=goal)
        goal.refresh_from_db()
        assert Actor(cast.member).can_check_in(goal) is True
        services.checkin_create(
            actor=Actor(cast.member), key_result=goal.key_results.first(), value=Decimal(4)
        )
        assert CheckIn.objects.filter(key_result__goal=goal).count() == 1


# --- Finished goals ------------------------------------------------------------------------------


@pytest.mark.parametrize("finish", ["complete", "cancel"])
def test_finished_goals_are_not_edited_by_their_owner_or_manager(cast, cycle, finish):
    with tenant_context(cast.org.pk):
        goal = active(cast, cycle, cast.member)
        for who in (cast.member, cast.manager):
            assert Actor(who).can_edit(goal) is True  # while active, both may
        if finish == "complete":
            services.goal_complete(actor=Actor(cast.member), goal=goal)
        else:
            services.goal_cancel(actor=Actor(cast.member), goal=goal)
        goal.refresh_from_db()
        for who in (cast.member, cast.manager):
            assert Actor(who).can_edit(goal) is False, who.display_name
            with pytest.raises(PermissionDenied):
                services.goal_update(actor=Actor(who), goal=goal, title="Rewritten afterwards")
        assert Goal.objects.get(pk=goal.pk).title == goal.title
        # goals.access: an admin may still edit anything, finished or not.
        assert Actor(cast.admin).can_edit(goal) is True


# --- Check-ins by an admin -----------------------------------------------------------------------


def test_admin_checks_in_only_on_active_goals(cast, cycle):
    """Admins may check in on anyone's goal, but only while it is active."""
    with tenant_context(cast.org.pk):
        alice = Actor(cast.admin)
        draft = make_goal(cast, cycle, cast.member)
        sent = submitted(cast, cycle, cast.member)
        done = active(cast, cycle, cast.member)
        services.goal_complete(actor=alice, goal=done)
        done.refresh_from_db()
        live = active(cast, cycle, cast.member)
        for goal in (draft, sent, done):
            assert alice.can_check_in(goal) is False, goal.status
            with pytest.raises(ValidationError):
                services.checkin_create(
                    actor=alice, key_result=goal.key_results.first(), value=Decimal(3)
                )
        assert CheckIn.objects.count() == 0
        assert alice.can_check_in(live) is True
        services.checkin_create(actor=alice, key_result=live.key_results.first(), value=Decimal(3))
        assert CheckIn.objects.count() == 1


# --- A unit lead and other people's individual goals ---------------------------------------------


def test_unit_lead_may_not_edit_individual_goals_of_people_they_do_not_manage(cast, cycle):
    """Dana works in Platform (under Mallory's Engineering) but reports to Alice."""
    with tenant_context(cast.org.pk):
        dana = person(cast, "dana@acme.test", manager=cast.admin, unit=cast.platform)
        mallory = Actor(cast.manager)
        assert cast.platform.pk in mallory.led_units and not mallory.manages(dana.pk)
        own = make_goal(cast, cycle, dana, unit=cast.platform)
        assert own.unit_id == cast.platform.pk
        assert mallory.can_edit(own) is False
        assert mallory.can_approve(services.goal_submit(actor=Actor(dana), goal=own)) is False
        with pytest.raises(PermissionDenied):
            services.goal_update(actor=mallory, goal=own, title="Mallory's wording")
        # The same unit's unit goal, though, is hers to edit.
        unit_goal = make_goal(cast, cycle, dana, level=Level.UNIT, unit=cast.platform)
        assert mallory.can_edit(unit_goal) is True
        services.goal_update(actor=mallory, goal=unit_goal, title="Mallory's wording")
        assert Goal.objects.get(pk=unit_goal.pk).title == "Mallory's wording"


# --- Reading: a member with no reports ---------------------------------------------------------


def test_a_member_without_reports_sees_no_private_goal_but_their_own(cast, cycle):
    """Everyone else's private goals stay hidden from a member nobody reports to, the
    admin's (the organisation's first member) included; public ones and their own show."""
    with tenant_context(cast.org.pk):
        hidden = {
            make_goal(cast, cycle, owner, visibility="private").pk
            for owner in (cast.admin, cast.manager, cast.member)
        }
        own = make_goal(cast, cycle, cast.member2, visibility="private").pk
        public = make_goal(cast, cycle, cast.admin, visibility="public").pk
        actor = Actor(cast.member2)
        assert actor.subtree == set()
        seen = set(actor.visible_goals().values_list("pk", flat=True))
    assert seen == {own, public}
    assert seen.isdisjoint(hidden)
    client = APIClient()
    client.force_login(cast.member2.user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(f"/api/v1/orgs/{cast.org.slug}/goals/")
    assert response.status_code == 200
    body = response.json()
    listed = {goal["id"] for goal in body.get("results", body)}
    assert listed == {own, public}
