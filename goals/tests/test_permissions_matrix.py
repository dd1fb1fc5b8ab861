"""The role x action matrix, generated from one table.

Roles are relationships to a goal owned by Bob (the member-owner): Alice the
admin, Mallory (Bob's manager), Bob himself, and Carol (a member of the same
team who neither owns nor manages it). "Someone else" is Sam, who reports to
Alice outside Mallory's team. Each cell is tried through goals.services (views
are thin), checked against what goals.access says beforehand, and a refusal
must leave no goal or event behind. Viewing goes through the goal page (200 or
404); approving, requesting changes and cascading also through their pages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from core.tenancy import tenant_context
from goals import services
from goals.access import Actor
from goals.models import Goal, GoalEvent, GoalStatus, Level
from orgs.models import Membership, Role, Unit
from tests.factories import MembershipFactory

MATRIX = """
action                                          | admin | manager | owner | other
view the owner's public goal                    | yes   | yes     | yes   | yes
view the owner's private goal                   | yes   | yes     | yes   | no
create an individual goal for oneself           | yes   | yes     | yes   | yes
create a goal for a unit one leads              | yes   | yes     | yes   | yes
create a goal for a unit one does not lead      | yes   | no      | no    | no
create an organisation objective                | yes   | no      | no    | no
edit one's own draft                            | yes   | yes     | yes   | yes
edit the owner's draft                          | yes   | yes     | yes   | no
edit someone else's draft                       | yes   | no      | no    | no
submit the owner's draft                        | yes   | yes     | yes   | no
approve the owner's submitted goal              | yes   | yes     | no    | no
approve one's own submitted goal                | no    | no      | no    | no
request changes on the owner's submitted goal   | yes   | yes     | no    | no
check in on one's own active goal               | yes   | yes     | yes   | yes
check in on the owner's active goal             | yes   | yes     | yes   | no
check in on someone else's active goal          | yes   | no      | no    | no
cascade an objective to the owner               | yes   | yes     | no    | no
"""


def parse(table: str) -> dict[tuple[str, str], bool]:
    header, *rows = [line for line in table.strip().splitlines()]
    roles = [cell.strip() for cell in header.split("|")[1:]]
    expected = {}
    for row in rows:
        action, *cells = [cell.strip() for cell in row.split("|")]
        for role, cell in zip(roles, cells, strict=True):
            assert cell in ("yes", "no"), row
            expected[(role, action)] = cell == "yes"
    return expected


EXPECTED = parse(MATRIX)
ROLES = ["admin", "manager", "owner", "other"]


# --- The world each cell runs in ------------------------------------------------------------


@dataclass
class World:
    cast: object
    cycle: object
    objective: Goal
    role: str
    stranger: Membership
    client_for: Callable

    @property
    def me(self) -> Membership:
        return {
            "admin": self.cast.admin,
            "manager": self.cast.manager,
            "owner": self.cast.member,
            "other": self.cast.member2,
        }[self.role]

    @property
    def owner(self) -> Membership:
        return self.cast.member

    def actor(self) -> Actor:
        """A fresh Actor, so that set-up (a unit led) is seen."""
        return Actor(self.me)

    def draft_of(self, owner: Membership, visibility: str = "public") -> Goal:
        return services.goal_create(
            actor=Actor(self.cast.admin),
            cycle=self.cycle,
            owner=owner,
            title=f"{owner.display_name}'s goal",
            parent=self.objective,
            visibility=visibility,
            key_results=[{"title": "Calls", "start_value": Decimal(0), "target_value": 10}],
        )

    def submitted_of(self, owner: Membership) -> Goal:
        return services.goal_submit(actor=Actor(self.cast.admin), goal=self.draft_of(owner))

    def active_of(self, owner: Membership, visibility: str = "public") -> Goal:
        if owner.pk == self.cast.admin.pk:
            return self.objective  # the admin's own organisation objective
        goal = self.draft_of(owner, visibility)
        return services.goal_approve(actor=Actor(self.cast.admin), goal=goal)


def done(service: Callable, **kwargs) -> bool:
    """Run a service: True when it did it, False when it refused."""
    try:
        service(**kwargs)
    except PermissionDenied:
        return False
    except ValidationError as error:
        if services.CASCADE_OUT_OF_REACH in error.messages:
            return False
        raise
    return True


@dataclass
class Attempt:
    act: Callable[[], bool]
    access_says: bool  # what goals.access predicts before trying


# --- The actions ---------------------------------------------------------------------------------


def view(visibility: str) -> Callable[[World], Attempt]:
    def attempt(w: World) -> Attempt:
        goal = w.active_of(w.owner, visibility)
        page = reverse("goals:goal_detail", args=[w.cast.org.slug, goal.pk])

        def act() -> bool:
            status = w.client_for(w.me).get(page).status_code
            assert status in (200, 404)
            return status == 200

        return Attempt(act, w.actor().can_view(goal))

    return attempt


def create(level: str, unit: Callable[[World], Unit | None] = lambda w: None):
    def attempt(w: World) -> Attempt:
        chosen = unit(w)
        actor = w.actor()
        fields = {"level": level, "unit": chosen, "cycle": w.cycle, "title": "New goal"}
        return Attempt(
            lambda: done(services.goal_create, actor=actor, **fields),
            actor.can_create(level=level, owner=w.me, unit=chosen),
        )

    return attempt


def unit_led_by_me(w: World) -> Unit:
    if w.role == "manager":
        return w.cast.engineering
    return Unit.objects.create(org=w.cast.org, name="Guild", parent=w.cast.company, lead=w.me)


def edit_draft_of(whose: Callable[[World], Membership]):
    def attempt(w: World) -> Attempt:
        goal = w.draft_of(whose(w))
        actor = w.actor()
        return Attempt(
            lambda: done(services.goal_update, actor=actor, goal=goal, title="Sharper title"),
            actor.can_edit(goal),
        )

    return attempt


def submit_owners_draft(w: World) -> Attempt:
    goal = w.draft_of(w.owner)
    actor = w.actor()
    return Attempt(lambda: done(services.goal_submit, actor=actor, goal=goal), actor.can_edit(goal))


def approve_submitted_of(whose: Callable[[World], Membership]):
    def attempt(w: World) -> Attempt:
        goal = w.submitted_of(whose(w))
        actor = w.actor()
        return Attempt(
            lambda: done(services.goal_approve, actor=actor, goal=goal), actor.can_approve(goal)
        )

    return attempt


def request_changes(w: World) -> Attempt:
    goal = w.submitted_of(w.owner)
    actor = w.actor()
    return Attempt(
        lambda: done(
            services.goal_request_changes, actor=actor, goal=goal, comment="Add a deadline."
        ),
        actor.can_approve(goal),
    )


def check_in_on(whose: Callable[[World], Membership]):
    def attempt(w: World) -> Attempt:
        goal = w.active_of(whose(w))
        key_result = goal.key_results.first()
        actor = w.actor()
        return Attempt(
            lambda: done(
                services.checkin_create, actor=actor, key_result=key_result, value=Decimal(5)
            ),
            actor.can_check_in(goal),
        )

    return attempt


def cascade_to_owner(w: World) -> Attempt:
    actor = w.actor()
    return Attempt(
        lambda: done(
            services.goal_cascade,
            actor=actor,
            source=w.objective,
            people=[w.owner],
            title="Our part",
        ),
        actor.can_cascade(w.objective) and (actor.is_admin or actor.manages(w.owner.pk)),
    )


def me(w: World) -> Membership:
    return w.me


def the_owner(w: World) -> Membership:
    return w.owner


def someone_else(w: World) -> Membership:
    return w.stranger


ACTIONS: dict[str, Callable[[World], Attempt]] = {
    "view the owner's public goal": view("public"),
    "view the owner's private goal": view("private"),
    "create an individual goal for oneself": create(Level.INDIVIDUAL),
    "create a goal for a unit one leads": create(Level.UNIT, unit_led_by_me),
    "create a goal for a unit one does not lead": create(Level.UNIT, lambda w: w.cast.company),
    "create an organisation objective": create(Level.ORGANISATION),
    "edit one's own draft": edit_draft_of(me),
    "edit the owner's draft": edit_draft_of(the_owner),
    "edit someone else's draft": edit_draft_of(someone_else),
    "submit the owner's draft": submit_owners_draft,
    "approve the owner's submitted goal": approve_submitted_of(the_owner),
    "approve one's own submitted goal": approve_submitted_of(me),
    "request changes on the owner's submitted goal": request_changes,
    "check in on one's own active goal": check_in_on(me),
    "check in on the owner's active goal": check_in_on(the_owner),
    "check in on someone else's active goal": check_in_on(someone_else),
    "cascade an objective to the owner": cascade_to_owner,
}

# The same cells through the pages of goals.views.approval: done is a redirect, refused a 403.
PAGES: dict[str, Callable[[World], tuple[str, dict]]] = {
    "approve the owner's submitted goal": lambda w: (
        reverse("goals:goal_approve", args=[w.cast.org.slug, w.submitted_of(w.owner).pk]),
        {},
    ),
    "request changes on the owner's submitted goal": lambda w: (
        reverse("goals:goal_request_changes", args=[w.cast.org.slug, w.submitted_of(w.owner).pk]),
        {"comment": "Add a deadline."},
    ),
    "cascade an objective to the owner": lambda w: (
        reverse("goals:goal_cascade", args=[w.cast.org.slug, w.objective.pk]),
        {"title": "Our part", "people": [w.owner.pk]},
    ),
}


# --- The generated tests ------------------------------------------------------------------------


@pytest.fixture
def world_for(cast, cycle, objective, login):
    stranger = MembershipFactory(
        org=cast.org,
        role=Role.MEMBER,
        unit=cast.company,
        manager=cast.admin,
        user__email="sam@acme.test",
        user__full_name="Sam Stranger",
        title="Sales",
    )
    return lambda role: World(cast, cycle, objective, role, stranger, login)


def rows() -> tuple[int, int]:
    return Goal.objects.count(), GoalEvent.objects.count()


def test_the_table_covers_every_action_for_every_role():
    assert set(ACTIONS) == {action for _, action in EXPECTED}
    assert {role for role, _ in EXPECTED} == set(ROLES)


@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize("role", ROLES)
def test_role_may_or_may_not(cast, world_for, role, action):
    world = world_for(role)
    with tenant_context(cast.org.pk):
        attempt = ACTIONS[action](world)
        before = rows()
        outcome = attempt.act()
        if not outcome:
            assert rows() == before, "a refused action left something behind"
    assert outcome is EXPECTED[(role, action)], f"{role} may {'' if outcome else 'not '}{action}"
    assert attempt.access_says is outcome, "goals.access disagrees with the services"


@pytest.mark.parametrize("action", list(PAGES))
@pytest.mark.parametrize("role", ROLES)
def test_role_may_or_may_not_through_the_page(cast, world_for, role, action):
    world = world_for(role)
    with tenant_context(cast.org.pk):
        page, data = PAGES[action](world)
        before = rows()
    response = world.client_for(world.me).post(page, data)
    expected = EXPECTED[(role, action)]
    assert response.status_code == (302 if expected else 403), f"{role}: {action}"
    with tenant_context(cast.org.pk):
        assert (rows() != before) is expected


def test_nobody_approves_their_own_goal(cast, world_for):
    own = [allowed for (_, action), allowed in EXPECTED.items() if "own submitted" in action]
    assert own and not any(own)
    # Not even an admin approving their own draft straight away.
    world = world_for("admin")
    with tenant_context(cast.org.pk):
        goal = world.draft_of(cast.admin)
        with pytest.raises(PermissionDenied, match=services.OWN_GOAL):
            services.goal_approve(actor=Actor(cast.admin), goal=goal)
        assert Goal.objects.get(pk=goal.pk).status == GoalStatus.DRAFT
