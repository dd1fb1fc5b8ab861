"""The goal history: immutable events (who, when, before/after) and the snapshots they keep."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from goals.access import (
    CHECKIN_NOT_ACTIVE,  # noqa: F401
    Actor,
)
from goals.models import (
    EventKind,
    Goal,
    GoalEvent,
    KeyResult,
)

GOAL_FIELDS = (
    "title",
    "description",
    "parent_id",
    "weight",
    "visibility",
    "due_date",
    "manual_progress",
    "unit_id",
    "owner_id",
    "level",
    "cycle_id",
)


# A change to these after approval sends the goal back for re-approval.
REAPPROVAL_FIELDS = ("parent_id", "weight")


KR_TARGET_FIELDS = ("start_value", "target_value", "direction", "weight", "kind")


def jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def goal_state(goal: Goal) -> dict:
    return {name: jsonable(getattr(goal, name)) for name in GOAL_FIELDS} | {"status": goal.status}


def kr_state(kr: KeyResult) -> dict:
    return {
        "title": kr.title,
        "kind": kr.kind,
        "direction": kr.direction,
        "start_value": jsonable(kr.start_value),
        "target_value": jsonable(kr.target_value),
        "current_value": jsonable(kr.current_value),
        "weight": jsonable(kr.weight),
        "unit_label": kr.unit_label,
        "kpi": kr.kpi_id,
    }


def approval_snapshot(goal: Goal, key_results: Iterable[KeyResult] | None = None) -> dict:
    """What an approver approves: the parent, the weight and the key results' targets.

    ``key_results`` are the goal's key results when the caller has them (bulk inserts);
    by default they are read."""
    if key_results is None:
        key_results = KeyResult.objects.filter(org=goal.org_id, goal=goal)
    return {
        "parent_id": goal.parent_id,
        "weight": jsonable(goal.weight),
        "key_results": {
            str(kr.pk): {f: jsonable(getattr(kr, f)) for f in ("title", *KR_TARGET_FIELDS)}
            for kr in key_results
        },
    }


def review_snapshot(goal: Goal) -> dict:
    """The goal as an approver reviews it: approval_snapshot with title, dates and progress."""
    return approval_snapshot(goal) | {
        "title": goal.title,
        "description": goal.description,
        "due_date": jsonable(goal.due_date),
        "manual_progress": jsonable(goal.manual_progress),
    }


def record(
    goal: Goal, actor: Actor | None, kind: EventKind, before=None, after=None, comment=""
) -> None:
    event_build(
        org_id=goal.org_id,
        goal_id=goal.pk,
        actor_id=actor.member.pk if actor else None,
        kind=kind,
        before=before,
        after=after,
        comment=comment,
    ).save()


def event_build(
    *,
    org_id: int,
    goal_id: int,
    actor_id: int | None,
    kind: EventKind | str,
    before: Any = None,
    after: Any = None,
    comment: str = "",
    at: datetime | None = None,
) -> GoalEvent:
    """An unsaved event as ``record`` writes it, for ``record_events_bulk``; ``at``
    dates it in the past (imported or demo history). An unknown kind is a ValueError."""
    return GoalEvent(
        org_id=org_id,
        goal_id=goal_id,
        actor_id=actor_id,
        kind=EventKind(kind),
        before=before,
        after=after,
        comment=comment,
        created_at=at or timezone.now(),
    )


def record_events_bulk(events: Iterable[GoalEvent], *, batch_size: int = 500) -> list[GoalEvent]:
    """The bulk form of ``record``: events from ``event_build``, one insert per batch.
    Events are immutable: one already saved is refused."""
    events = list(events)
    if any(event.pk is not None for event in events):
        raise ValueError("Goal events are immutable")
    return GoalEvent.objects.bulk_create(events, batch_size=batch_size)


def diff(before: dict, after: dict) -> tuple[dict, dict]:
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}
