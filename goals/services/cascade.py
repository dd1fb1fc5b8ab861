"""Cascading a goal into contributing goals, and moving goals off a deleted unit."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from goals.access import (
    CHECKIN_NOT_ACTIVE,  # noqa: F401
    NOT_ALLOWED,
    Actor,
)
from goals.models import (
    EventKind,
    Goal,
    GoalStatus,
    Level,
)
from goals.services.events import (
    event_build,
    goal_state,
    record,
    record_events_bulk,
)
from goals.services.goals import goal_approve, validate_goal
from goals.services.messages import (
    CASCADE_CLOSED,
    CASCADE_NOBODY,
    CASCADE_NOT_ACTIVE,
    CASCADE_OUT_OF_REACH,
    CASCADE_SAME_TITLE,
    CASCADE_TITLE_REQUIRED,
    UNIT_DELETED,
)
from goals.services.notify import (
    notify_goal,
)
from orgs.models import Membership, Unit


@transaction.atomic
def goal_cascade(
    *,
    actor: Actor,
    source: Goal,
    units: list[Unit] = (),
    people: list[Membership] = (),
    approve: bool = False,
    title: str = "",
) -> list[Goal]:
    """Create linked child drafts, titled ``title``, for units the actor leads and people in
    their subtree. Only an active goal is cascaded."""
    if not actor.can_view(source):
        raise PermissionDenied(NOT_ALLOWED)
    if source.status in (GoalStatus.CANCELLED, GoalStatus.COMPLETED):
        raise ValidationError(CASCADE_CLOSED)
    if source.status != GoalStatus.APPROVED:
        raise ValidationError(CASCADE_NOT_ACTIVE)
    errors = {}
    title = title.strip()
    if not title:
        errors["title"] = CASCADE_TITLE_REQUIRED
    elif title.casefold() == source.title.strip().casefold():
        errors["title"] = CASCADE_SAME_TITLE.format(title=source.title)
    if not units and not people:
        errors[NON_FIELD_ERRORS] = CASCADE_NOBODY
    if errors:
        raise ValidationError(errors)
    if any(not person.is_active for person in people):
        raise ValidationError({"people": CASCADE_OUT_OF_REACH})
    created = []
    for unit in units:
        if not (actor.is_admin or unit.pk in actor.led_units):
            raise ValidationError({"units": CASCADE_OUT_OF_REACH})
        owner = unit.lead if unit.lead_id and unit.lead.is_active else actor.member
        created.append(
            _cascade_one(actor, source, title=title, owner=owner, unit=unit, level=Level.UNIT)
        )
    for person in people:
        if not (actor.is_admin or actor.manages(person.pk)):
            raise ValidationError({"people": CASCADE_OUT_OF_REACH})
        goal = _cascade_one(
            actor, source, title=title, owner=person, unit=person.unit, level=Level.INDIVIDUAL
        )
        if approve and person.manager_id == actor.member.pk:
            goal_approve(actor=actor, goal=goal)
            goal.refresh_from_db()
        created.append(goal)
    for goal in created:
        if goal.status == GoalStatus.DRAFT:
            notify_goal(goal, EventKind.CASCADED, actor)
    return created


def _cascade_one(
    actor: Actor, source: Goal, *, title: str, owner: Membership, unit: Unit | None, level: str
) -> Goal:
    goal = Goal(
        org_id=source.org_id,
        cycle=source.cycle,
        level=level,
        title=title,
        description=f"Contributes to “{source.title}”.",
        owner=owner,
        unit=unit if level == Level.UNIT else owner.unit,
        parent=source,
        weight=Decimal(1),
        visibility=source.visibility,
        due_date=source.due_date,
        created_by=actor.member,
    )
    validate_goal(goal, parent=source)
    goal.save()
    record(goal, actor, EventKind.CASCADED, None, goal_state(goal) | {"from": source.pk})
    return goal


@transaction.atomic
def goals_move_unit(*, from_unit: Unit, to_unit: Unit | None, actor: Membership | None) -> int:
    """Move every goal of ``from_unit`` (a unit being deleted) to ``to_unit``: one update
    and an "edited" event per goal. Progress does not depend on the unit: nothing to roll up."""
    org_id = from_unit.org_id
    moved = list(Goal.objects.filter(org=org_id, unit=from_unit).values_list("pk", flat=True))
    if not moved:
        return 0
    to_id = to_unit.pk if to_unit is not None else None
    Goal.objects.filter(org=org_id, pk__in=moved).update(unit=to_id, updated_at=timezone.now())
    comment = UNIT_DELETED.format(name=from_unit.name)
    record_events_bulk(
        event_build(
            org_id=org_id,
            goal_id=pk,
            actor_id=actor.pk if actor else None,
            kind=EventKind.EDITED,
            before={"unit_id": from_unit.pk},
            after={"unit_id": to_id},
            comment=comment,
        )
        for pk in moved
    )
    return len(moved)
