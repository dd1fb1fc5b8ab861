"""Who may see and do what with goals. One place, used by pages and the API.

Member: create own goals, edit own drafts, check in on goals they own, see
public goals and their own private ones. Manager: also unit goals for units
they lead, cascade to and approve in their subtree, see their subtree's private
goals, check in on their reports' goals. Admin: everything in the organisation.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from core import hierarchy
from goals.models import Goal, GoalStatus, Level
from orgs.models import Membership, Role, Unit
from orgs.selectors import leads_people

NOT_ALLOWED = "You are not allowed to do this."
CHECKIN_NOT_ACTIVE = "Check-ins are for active (approved) goals."

# Deeper than any real reporting line or unit tree; stops a walk on a loop.
MAX_DEPTH = 1000


def subtree_ids(member: Membership) -> set[int]:
    """Everyone who reports to ``member``, directly or not (one recursive query)."""
    return hierarchy.subtree_ids(
        Membership,
        member.org_id,
        [member.pk],
        parent_field="manager",
        include_root=False,
        max_depth=MAX_DEPTH,
    )


def led_unit_ids(member: Membership) -> set[int]:
    """Units ``member`` leads and every unit below them (one recursive query)."""
    led = Unit.objects.filter(org=member.org_id, lead=member.pk)
    return hierarchy.subtree_ids(Unit, member.org_id, led, max_depth=MAX_DEPTH)


@dataclass
class Actor:
    """A membership with its reporting subtree and led units, read once per request."""

    member: Membership

    @property
    def is_admin(self) -> bool:
        return self.member.is_admin

    @cached_property
    def subtree(self) -> set[int]:
        return subtree_ids(self.member)

    @cached_property
    def led_units(self) -> set[int]:
        return led_unit_ids(self.member)

    @cached_property
    def directly_led_units(self) -> set[int]:
        return set(
            Unit.objects.filter(org=self.member.org_id, lead=self.member).values_list(
                "pk", flat=True
            )
        )

    def manages(self, membership_id: int | None) -> bool:
        return membership_id is not None and membership_id in self.subtree

    # --- reading -------------------------------------------------------------

    def visible_goals(self) -> QuerySet[Goal]:
        qs = Goal.objects.filter(org=self.member.org_id)
        if self.is_admin:
            return qs
        return qs.filter(self.sees_goal_q())

    def sees_goal_q(self, path: str = "") -> Q:
        """The goals this person may see, as a condition on the goal at ``path`` (e.g.
        "goal__" from a row that names a goal): the one rule ``visible_goals`` filters by."""
        if self.is_admin:
            return Q(**{f"{path}pk__isnull": False})
        return (
            Q(**{f"{path}visibility": "public"})
            | Q(**{f"{path}owner": self.member})
            | Q(**{f"{path}owner__in": self.subtree or [0]})
        )

    def can_view(self, goal: Goal) -> bool:
        return (
            self.is_admin
            or goal.visibility == "public"
            or goal.owner_id == self.member.pk
            or self.manages(goal.owner_id)
        )

    # --- writing -------------------------------------------------------------

    def can_create(self, *, level: str, owner: Membership, unit: Unit | None) -> bool:
        if self.is_admin:
            return True
        if level == Level.ORGANISATION:
            return False
        if level == Level.UNIT:
            return unit is not None and unit.pk in self.led_units
        return owner.pk == self.member.pk or self.manages(owner.pk)

    def can_edit(self, goal: Goal) -> bool:
        if self.is_admin:
            return True
        if goal.status in (GoalStatus.COMPLETED, GoalStatus.CANCELLED):
            return False
        if goal.level == Level.UNIT and goal.unit_id in self.led_units:
            return True
        if self.manages(goal.owner_id):
            return True
        return goal.owner_id == self.member.pk and goal.status in (
            GoalStatus.DRAFT,
            GoalStatus.CHANGES_REQUESTED,
            GoalStatus.APPROVED,
        )

    def can_approve(self, goal: Goal) -> bool:
        """Nobody approves their own goal; admins approve any other."""
        if goal.owner_id == self.member.pk:
            return False
        if self.is_admin:
            return True
        if goal.level == Level.ORGANISATION:
            return False
        if goal.level == Level.UNIT:
            # The lead of the goal's parent unit or of any unit above it.
            return goal.unit_id is not None and self._leads_above(goal.unit_id)
        return self.manages(goal.owner_id)

    def _leads_above(self, unit_id: int) -> bool:
        unit = Unit.objects.filter(pk=unit_id, org=self.member.org_id).only("parent_id").first()
        return unit is not None and unit.parent_id is not None and unit.parent_id in self.led_units

    def can_check_in(self, goal: Goal) -> bool:
        if goal.status not in (GoalStatus.APPROVED,):
            return False
        return self.is_admin or goal.owner_id == self.member.pk or self.manages(goal.owner_id)

    def can_cascade(self, goal: Goal) -> bool:
        return self.can_view(goal) and (self.is_admin or bool(self.subtree) or bool(self.led_units))


def may_see_team(membership: Membership | None) -> bool:
    """Whether the team page is in the menu: admins and managers."""
    return membership is not None and (membership.is_admin or membership.role == Role.MANAGER)


def may_approve(membership: Membership | None) -> bool:
    """Whether goals may come to ``membership`` for approval: admins, anyone with a report,
    unit leads.

    Reads ``leads_people`` when the membership was loaded with it
    (``orgs.selectors.leads_people``), else asks the database once.
    """
    if membership is None:
        return False
    if membership.is_admin:
        return True
    leads = getattr(membership, "leads_people", None)
    if leads is None:
        leads = Membership.objects.filter(leads_people(), pk=membership.pk).exists()
    return leads


def check_in_refusal(actor: Actor, goal: Goal) -> str:
    """Why ``actor`` may not check in on ``goal`` now ("" if they may).

    A goal that is not active says so to anyone; an active goal that is not the
    actor's to check in on is PermissionDenied.
    """
    if actor.can_check_in(goal):
        return ""
    if goal.status != GoalStatus.APPROVED:
        return CHECKIN_NOT_ACTIVE
    raise PermissionDenied(NOT_ALLOWED)


def get_goal(actor: Actor, pk: int, *, for_update: bool = False) -> Goal:
    """The one access path to a goal: another org's, a missing or an invisible goal is 404."""
    qs = Goal.objects.select_related("owner__user", "unit", "cycle", "parent")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    goal = qs.filter(org=actor.member.org_id, pk=pk).first()
    if goal is None or not actor.can_view(goal):
        raise Http404("No such goal")
    return goal


def request_actor(request) -> Actor:
    """The Actor for this request's membership, built once per request."""
    actor = getattr(request, "_goals_actor", None)
    if actor is None:
        actor = request._goals_actor = Actor(request.membership)
    return actor
