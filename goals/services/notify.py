"""Who is told about a change to a goal: an outbox row in the change's transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from goals.access import (
    CHECKIN_NOT_ACTIVE,  # noqa: F401
    Actor,
)
from goals.models import (
    EventKind,
    Goal,
    Level,
)
from orgs.models import Membership, Unit

_notifications_on: ContextVar[bool] = ContextVar("goal_notifications_on", default=True)


@contextmanager
def notifications_paused() -> Iterator[None]:
    """Write without emailing owners (demo data, bulk imports)."""
    token = _notifications_on.set(False)
    try:
        yield
    finally:
        _notifications_on.reset(token)


def _recipient(goal: Goal, kind: EventKind) -> Membership | None:
    """The owner; for a submitted goal, who approves it: the owner's manager, or for a unit
    goal the lead of the unit above."""
    if kind != EventKind.SUBMITTED:
        return goal.owner
    if goal.level == Level.UNIT and goal.unit_id:
        unit = Unit.objects.filter(org=goal.org_id, pk=goal.unit_id).select_related("parent__lead")
        parent = unit.first().parent if unit.exists() else None
        return parent.lead if parent is not None else None
    return goal.owner.manager


def notify_goal(goal: Goal, kind: EventKind, actor: Actor) -> None:
    """Tell who is concerned that ``actor`` did ``kind`` to the goal: an outbox row now,
    emailed after commit."""
    if not _notifications_on.get():
        return
    from notifications.models import Kind
    from notifications.services import notify

    notify(
        org=goal.org_id,
        recipient=_recipient(goal, kind),
        kind={
            EventKind.CASCADED: Kind.GOAL_CASCADED,
            EventKind.SUBMITTED: Kind.GOAL_SUBMITTED,
            EventKind.APPROVED: Kind.GOAL_APPROVED,
            EventKind.CHANGES_REQUESTED: Kind.GOAL_CHANGES_REQUESTED,
        }[kind],
        actor=actor.member,
        goal=goal,
    )
