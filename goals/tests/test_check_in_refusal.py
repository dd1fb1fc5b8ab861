"""One rule says why someone may not check in: pages, the API and services ask it."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from core.tenancy import tenant_context
from goals.access import CHECKIN_NOT_ACTIVE, Actor, check_in_refusal
from goals.models import Goal, GoalStatus, Level


@pytest.fixture(autouse=True)
def in_the_organisation(cast):
    """The manager's subtree is read under row-level security on PostgreSQL."""
    with tenant_context(cast.org.pk):
        yield


def _goal(owner, status) -> Goal:
    return Goal(org_id=owner.org_id, owner_id=owner.pk, status=status, level=Level.INDIVIDUAL)


def test_it_lets_the_owner_check_in_on_an_active_goal(cast):
    assert check_in_refusal(Actor(cast.member), _goal(cast.member, GoalStatus.APPROVED)) == ""


def test_it_lets_the_manager_check_in_on_a_reports_active_goal(cast):
    assert check_in_refusal(Actor(cast.manager), _goal(cast.member, GoalStatus.APPROVED)) == ""


@pytest.mark.parametrize(
    "status", [GoalStatus.DRAFT, GoalStatus.SUBMITTED, GoalStatus.COMPLETED, GoalStatus.CANCELLED]
)
def test_it_says_a_goal_that_is_not_active_takes_no_check_ins(cast, status):
    assert check_in_refusal(Actor(cast.admin), _goal(cast.member, status)) == CHECKIN_NOT_ACTIVE
    assert check_in_refusal(Actor(cast.member2), _goal(cast.member, status)) == CHECKIN_NOT_ACTIVE


def test_it_refuses_someone_elses_active_goal(cast):
    with pytest.raises(PermissionDenied):
        check_in_refusal(Actor(cast.member2), _goal(cast.member, GoalStatus.APPROVED))


def test_levels_sort_organisation_then_unit_then_individual(cast):
    levels = ["individual", "org", "unit"]
    assert sorted(levels, key=Level.rank) == ["org", "unit", "individual"]
    assert Level.rank("something else") > Level.rank(Level.INDIVIDUAL)
