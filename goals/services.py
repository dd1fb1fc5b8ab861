"""Every write to goals, key results and check-ins.

Each service checks permission and input, writes in one transaction, records an
immutable GoalEvent (who, when, before/after), updates the progress of the goal
and all its ancestors (constant number of queries, rows locked in id order),
and sends notifications with ``transaction.on_commit``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format

from goals.access import (  # the messages stay readable here, as services.NOT_ALLOWED
    CHECKIN_NOT_ACTIVE,  # noqa: F401
    NOT_ALLOWED,
    Actor,
    check_in_refusal,
)
from goals.models import (
    CheckIn,
    Cycle,
    EventKind,
    Goal,
    GoalEvent,
    GoalStatus,
    KeyResult,
    Level,
    Milestone,
)
from goals.rollup import (
    ancestor_ids,
    key_result_progress,
    lock_chain,
    recompute_chain,
    with_changes,
)
from orgs.models import Membership, Unit

TITLE_REQUIRED = "Give the goal a title."
CYCLE_OTHER_ORG = "Choose a cycle of this organisation."
PARENT_OTHER_CYCLE = (
    "The parent goal belongs to another cycle: a goal contributes to a goal of its own cycle."
)
PARENT_LOOP = (
    "This parent would make a loop: a goal cannot contribute to itself or to one of its "
    "own sub-goals."
)
PARENT_NOT_FOUND = "Choose a goal you can see in this organisation."
ORG_OBJECTIVE_PARENT = "Organisation objectives are the top of the cascade and have no parent."
DUE_OUTSIDE_CYCLE = "The due date must fall inside the cycle ({start} – {end})."
DUE_AFTER_PARENT = "The due date cannot be after the parent goal's due date ({due})."
WEIGHT_POSITIVE = "The weight must be greater than 0."
MANUAL_RANGE = "Manual progress must be between 0 and 100."
UNIT_REQUIRED = "A unit goal needs a unit."
TARGET_EQUALS_START = "The target must differ from the start value."
MILESTONES_REQUIRED = "List at least one milestone, one per line."
BOOLEAN_VALUE = "Enter 1 for done or 0 for not done."
BOOLEAN_FROM_VALUE = (
    "Its current value is {value}: a done / not done key result is 1 or 0. Record a check-in "
    "of 1 or 0 first, or add a new key result."
)
MILESTONES_LATER = "Milestones are set when the key result is created: add a new key result."
COMMENT_REQUIRED = "Say what should change: a comment is required."
OWN_GOAL = "Nobody approves their own goal."
BAD_TRANSITION = "A goal that is {status} cannot be {action}."
CYCLE_DATES = "The cycle must end after it starts."
CASCADE_CLOSED = "A completed or cancelled goal cannot be cascaded."
CASCADE_NOT_ACTIVE = "Only an active goal can be cascaded: it needs approval first."
CASCADE_TITLE_REQUIRED = "Give the contributing goals a title of their own."
CASCADE_SAME_TITLE = (
    "Say what the contributing goals achieve toward “{title}” in their own words: "
    "a goal with its parent's title seems to contribute to itself."
)
CASCADE_NOBODY = "Choose at least one unit or person."
CASCADE_OUT_OF_REACH = "You can cascade only to units you lead and people in your subtree."
KR_REMOVAL_PENDING = (
    "The removal of this key result awaits re-approval: it can no longer be edited."
)
COMPLETE_PENDING = (
    "A change to this goal awaits re-approval: have it approved, or undo it, before marking "
    "the goal completed."
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


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def goal_state(goal: Goal) -> dict:
    return {name: _jsonable(getattr(goal, name)) for name in GOAL_FIELDS} | {"status": goal.status}


def kr_state(kr: KeyResult) -> dict:
    return {
        "title": kr.title,
        "kind": kr.kind,
        "direction": kr.direction,
        "start_value": _jsonable(kr.start_value),
        "target_value": _jsonable(kr.target_value),
        "current_value": _jsonable(kr.current_value),
        "weight": _jsonable(kr.weight),
        "unit_label": kr.unit_label,
    }


def approval_snapshot(goal: Goal, key_results: Iterable[KeyResult] | None = None) -> dict:
    """What an approver approves: the parent, the weight and the key results' targets.

    ``key_results`` are the goal's key results when the caller has them (bulk inserts);
    by default they are read."""
    if key_results is None:
        key_results = KeyResult.objects.filter(org=goal.org_id, goal=goal)
    return {
        "parent_id": goal.parent_id,
        "weight": _jsonable(goal.weight),
        "key_results": {
            str(kr.pk): {f: _jsonable(getattr(kr, f)) for f in ("title", *KR_TARGET_FIELDS)}
            for kr in key_results
        },
    }


def review_snapshot(goal: Goal) -> dict:
    """The goal as an approver reviews it: approval_snapshot with title, dates and progress."""
    return approval_snapshot(goal) | {
        "title": goal.title,
        "description": goal.description,
        "due_date": _jsonable(goal.due_date),
        "manual_progress": _jsonable(goal.manual_progress),
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


def _diff(before: dict, after: dict) -> tuple[dict, dict]:
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def _refresh_chains(org_id: int, goal_ids: list[int | None]) -> None:
    ids = [pk for pk in goal_ids if pk is not None]
    if ids:
        recompute_chain(org_id, ids)


# --- Changes awaiting re-approval ----------------------------------------------------
#
# An active goal's stored parent, weight and key result targets are its approved
# version, the one that counts toward its own and its parents' progress. What the
# owner changes waits in ``Goal.pending_changes`` (key results added since approval
# in ``KeyResult.awaiting_approval``) until an approver accepts it.


def _pending(goal: Goal) -> dict:
    return copy.deepcopy(goal.pending_changes or {})


def _goal_or_none(org_id: int, pk: int | None) -> Goal | None:
    return Goal.objects.filter(org=org_id, pk=pk).first() if pk is not None else None


def _store_pending(goal: Goal, pending: dict) -> None:
    """Save the goal's waiting change and whether it needs re-approval."""
    krs = {pk: fields for pk, fields in (pending.get("key_results") or {}).items() if fields}
    removed = list(dict.fromkeys(pending.get("removed") or []))
    pending = {k: v for k, v in pending.items() if k not in ("key_results", "removed")}
    if krs:
        pending["key_results"] = krs
    if removed:
        pending["removed"] = removed
    goal.pending_changes = pending or None
    goal.needs_reapproval = (
        bool(pending)
        or KeyResult.objects.filter(org=goal.org_id, goal=goal, awaiting_approval=True).exists()
    )
    Goal.objects.filter(pk=goal.pk, org=goal.org_id).update(
        pending_changes=goal.pending_changes, needs_reapproval=goal.needs_reapproval
    )


def proposed_key_result(kr: KeyResult, pending: dict | None) -> KeyResult:
    """A copy of the key result with its targets as changed since approval."""
    changes = ((pending or {}).get("key_results") or {}).get(str(kr.pk)) or {}
    return with_changes(kr, changes)


def _apply_pending(goal: Goal) -> int | None:
    """Make the waiting change the goal's stored version; return the parent it had."""
    pending = goal.pending_changes or {}
    old_parent_id = goal.parent_id
    if "parent_id" in pending or "weight" in pending:
        if "parent_id" in pending:
            goal.parent = _goal_or_none(goal.org_id, pending["parent_id"])
        if "weight" in pending:
            goal.weight = Decimal(pending["weight"])
        if goal.parent is not None:
            lock_chain(goal.org_id, [goal.parent.pk])
        _validate_goal(goal, parent=goal.parent)
    removed = [int(pk) for pk in pending.get("removed") or []]
    for pk, fields in (pending.get("key_results") or {}).items():
        kr = KeyResult.objects.filter(org=goal.org_id, goal=goal, pk=int(pk)).first()
        if kr is None or kr.pk in removed:
            continue
        kr = with_changes(kr, fields)
        kr_prepare(kr)
        kr_validate(kr)
        kr.progress = key_result_progress(kr)
        kr.save()
    KeyResult.objects.filter(org=goal.org_id, goal=goal, pk__in=removed).delete()
    KeyResult.objects.filter(org=goal.org_id, goal=goal, awaiting_approval=True).update(
        awaiting_approval=False
    )
    goal.pending_changes = None
    goal.needs_reapproval = False
    goal.save(update_fields=["parent", "weight", "pending_changes", "needs_reapproval"])
    return old_parent_id


# --- Cycles -------------------------------------------------------------------


@transaction.atomic
def cycle_save(
    *,
    actor: Actor,
    cycle: Cycle | None = None,
    name: str,
    start: date,
    end: date,
    status: str = Cycle.Status.PLANNING,
) -> Cycle:
    if not actor.is_admin:
        raise PermissionDenied(NOT_ALLOWED)
    if end <= start:
        raise ValidationError({"end": CYCLE_DATES})
    org_id = actor.member.org_id
    clash = Cycle.objects.filter(org=org_id, name__iexact=name.strip())
    if cycle is not None:
        clash = clash.exclude(pk=cycle.pk)
    if clash.exists():
        raise ValidationError({"name": "There is already a cycle with this name."})
    cycle = cycle or Cycle(org_id=org_id)
    cycle.name, cycle.start, cycle.end, cycle.status = name.strip(), start, end, status
    cycle.save()
    return cycle


# --- Goals --------------------------------------------------------------------


def _validate_goal(goal: Goal, *, parent: Goal | None) -> None:
    errors: dict[str, str] = {}
    if not goal.title.strip():
        errors["title"] = TITLE_REQUIRED
    cycle = goal.cycle
    if cycle.org_id != goal.org_id:
        errors["cycle"] = CYCLE_OTHER_ORG
    if goal.weight is None or goal.weight <= 0:
        errors["weight"] = WEIGHT_POSITIVE
    if goal.manual_progress is not None and not (0 <= goal.manual_progress <= 100):
        errors["manual_progress"] = MANUAL_RANGE
    if goal.level == Level.UNIT and goal.unit_id is None:
        errors["unit"] = UNIT_REQUIRED
    if goal.level == Level.ORGANISATION and parent is not None:
        errors["parent"] = ORG_OBJECTIVE_PARENT
    if parent is not None:
        if parent.org_id != goal.org_id:
            errors["parent"] = PARENT_NOT_FOUND
        elif parent.cycle_id != goal.cycle_id:
            errors["parent"] = PARENT_OTHER_CYCLE
        elif goal.pk is not None and (goal.pk in ancestor_ids(goal.org_id, parent.pk)):
            errors["parent"] = PARENT_LOOP
    if goal.due_date is not None:
        if not (cycle.start <= goal.due_date <= cycle.end):
            errors["due_date"] = DUE_OUTSIDE_CYCLE.format(
                start=date_format(cycle.start), end=date_format(cycle.end)
            )
        elif parent is not None and "parent" not in errors and goal.due_date > parent.due_date:
            errors["due_date"] = DUE_AFTER_PARENT.format(due=date_format(parent.due_date))
    if errors:
        raise ValidationError(errors)


def kr_validate(kr: KeyResult) -> None:
    """Field errors of a key result (forms and the API show them before saving)."""
    errors = {}
    if not kr.title.strip():
        errors["title"] = "Say what the key result measures."
    if kr.weight is None or kr.weight <= 0:
        errors["weight"] = WEIGHT_POSITIVE
    if (
        kr.kind not in (KeyResult.Kind.BOOLEAN, KeyResult.Kind.MILESTONES)
        and kr.direction in (KeyResult.Direction.INCREASE, KeyResult.Direction.DECREASE)
        and kr.target_value == kr.start_value
    ):
        errors["target_value"] = TARGET_EQUALS_START
    if kr.kind == KeyResult.Kind.BOOLEAN and kr.current_value not in (0, 1):
        errors["current_value"] = BOOLEAN_VALUE
    if errors:
        raise ValidationError(errors)


def kr_validate_new(kr: KeyResult, milestones: list[str] | None) -> None:
    """kr_validate, and a milestones key result needs its milestones."""
    errors = {}
    try:
        kr_validate(kr)
    except ValidationError as error:
        errors = error.message_dict
    if kr.kind == KeyResult.Kind.MILESTONES and not [t for t in milestones or [] if t.strip()]:
        errors["milestones"] = [MILESTONES_REQUIRED]
    if errors:
        raise ValidationError(errors)


def kr_prepare(kr: KeyResult) -> None:
    """Normalise kind-dependent fields (done/not done is 0 → 1; percent reads "%")."""
    if kr.kind == KeyResult.Kind.BOOLEAN:
        kr.start_value, kr.target_value = Decimal(0), Decimal(1)
        kr.direction = KeyResult.Direction.INCREASE
    elif kr.kind == KeyResult.Kind.PERCENT and not kr.unit_label:
        kr.unit_label = "%"


@transaction.atomic
def goal_create(
    *,
    actor: Actor,
    cycle: Cycle,
    title: str,
    owner: Membership | None = None,
    level: str = Level.INDIVIDUAL,
    parent: Goal | None = None,
    unit: Unit | None = None,
    description: str = "",
    weight: Decimal = Decimal(1),
    visibility: str = "public",
    due_date: date | None = None,
    manual_progress: Decimal | None = None,
    key_results: list[dict] | None = None,
    status: str = GoalStatus.DRAFT,
) -> Goal:
    owner = owner or actor.member
    if not actor.can_create(level=level, owner=owner, unit=unit):
        raise PermissionDenied(NOT_ALLOWED)
    if parent is not None and not actor.can_view(parent):
        raise ValidationError({"parent": PARENT_NOT_FOUND})
    goal = Goal(
        org_id=actor.member.org_id,
        cycle=cycle,
        title=title.strip(),
        owner=owner,
        level=level,
        parent=parent,
        unit=unit,
        description=description,
        weight=weight,
        visibility=visibility,
        due_date=due_date or (parent.due_date if parent else cycle.end),
        manual_progress=manual_progress,
        status=GoalStatus.DRAFT,
        created_by=actor.member,
    )
    _validate_goal(goal, parent=parent)
    for field_name in ("owner", "unit"):
        related = getattr(goal, field_name)
        if related is not None and related.org_id != goal.org_id:
            raise ValidationError({field_name: "Choose from this organisation."})
    goal.save()
    for position, data in enumerate(key_results or []):
        kr_add(actor=actor, goal=goal, position=position, _record=False, **data)
    record(goal, actor, EventKind.CREATED, None, goal_state(goal))
    if status == GoalStatus.APPROVED:
        goal_approve(actor=actor, goal=goal, _on_creation=True)
    else:
        _refresh_chains(goal.org_id, [goal.pk])
    goal.refresh_from_db()
    return goal


@transaction.atomic
def goal_update(*, actor: Actor, goal: Goal, **changes) -> Goal:
    """Edit a goal. On an active goal a new parent or weight waits for re-approval
    (``pending_changes``): until then the approved ones count."""
    if not actor.can_edit(goal):
        raise PermissionDenied(NOT_ALLOWED)
    lock_chain(goal.org_id, [goal.pk])
    goal.refresh_from_db()
    staged = goal.status == GoalStatus.APPROVED
    pending = _pending(goal)
    approved = {"parent_id": goal.parent_id, "weight": goal.weight}
    proposed_parent = goal.parent
    if "parent_id" in pending:
        proposed_parent = _goal_or_none(goal.org_id, pending["parent_id"])
    if "weight" in pending:
        goal.weight = Decimal(pending["weight"])
    goal.parent = proposed_parent
    # What the owner sees as the goal now: the approved version with their change.
    before = goal_state(goal)
    parent = changes.pop("parent", proposed_parent)
    if parent is not None and parent.pk != goal.parent_id and not actor.can_view(parent):
        raise ValidationError({"parent": PARENT_NOT_FOUND})
    goal.parent = parent
    for name, value in changes.items():
        setattr(goal, name, value)
    _validate_goal(goal, parent=parent)
    moved = goal.unit_id != before["unit_id"] or goal.owner_id != before["owner_id"]
    if moved and not actor.can_create(level=goal.level, owner=goal.owner, unit=goal.unit):
        # Moving a goal to a unit or owner out of the actor's reach is refused.
        raise PermissionDenied(NOT_ALLOWED)
    before, after = _diff(before, goal_state(goal))
    if staged:
        for name in REAPPROVAL_FIELDS:
            if getattr(goal, name) == approved[name]:
                pending.pop(name, None)
            else:
                pending[name] = _jsonable(getattr(goal, name))
        goal.parent_id, goal.weight = approved["parent_id"], approved["weight"]
    goal.save()
    if not after:
        return goal
    if staged and any(k in after for k in REAPPROVAL_FIELDS):
        after["awaits_approval"] = True
    record(goal, actor, EventKind.EDITED, before, after)
    if staged:
        _store_pending(goal, pending)
    elif parent is not None:
        lock_chain(goal.org_id, [parent.pk])
    _refresh_chains(goal.org_id, [goal.pk, approved["parent_id"]])
    goal.refresh_from_db()
    return goal


def _transition(goal: Goal, allowed: tuple[str, ...], action: str) -> None:
    if goal.status not in allowed:
        raise ValidationError(
            BAD_TRANSITION.format(status=goal.get_status_display().lower(), action=action)
        )


@transaction.atomic
def goal_submit(*, actor: Actor, goal: Goal) -> Goal:
    if not actor.can_edit(goal):
        raise PermissionDenied(NOT_ALLOWED)
    _transition(goal, (GoalStatus.DRAFT, GoalStatus.CHANGES_REQUESTED), "submitted")
    goal = _set_status(actor, goal, GoalStatus.SUBMITTED, EventKind.SUBMITTED)
    _notify(goal, EventKind.SUBMITTED, actor)
    return goal


@transaction.atomic
def goal_approve(*, actor: Actor, goal: Goal, _on_creation: bool = False) -> Goal:
    # Nobody approves their own goal. The one exception: an admin's organisation
    # objective may be activated as it is created, since nobody sits above it.
    if goal.owner_id == actor.member.pk and not (
        _on_creation and goal.level == Level.ORGANISATION and actor.is_admin
    ):
        raise PermissionDenied(OWN_GOAL)
    if goal.owner_id != actor.member.pk and not actor.can_approve(goal):
        raise PermissionDenied(NOT_ALLOWED)
    if not (goal.status == GoalStatus.APPROVED and goal.needs_reapproval):
        _transition(
            goal, (GoalStatus.DRAFT, GoalStatus.SUBMITTED, GoalStatus.CHANGES_REQUESTED), "approved"
        )
    lock_chain(goal.org_id, [goal.pk])
    goal.refresh_from_db()
    before = {"status": goal.status, "snapshot": goal.approved_snapshot}
    applied = goal.pending_changes
    old_parent_id = _apply_pending(goal)
    goal.status = GoalStatus.APPROVED
    goal.needs_reapproval = False
    goal.approved_snapshot = approval_snapshot(goal)
    goal.last_changes_request = None
    goal.save(
        update_fields=[
            "status",
            "needs_reapproval",
            "approved_snapshot",
            "last_changes_request",
            "updated_at",
        ]
    )
    after = {"status": goal.status, "snapshot": goal.approved_snapshot}
    if applied:
        after["applied"] = applied
    record(goal, actor, EventKind.APPROVED, before, after)
    _refresh_chains(goal.org_id, [goal.pk, old_parent_id])
    _notify(goal, EventKind.APPROVED, actor)
    return goal


@transaction.atomic
def goal_request_changes(*, actor: Actor, goal: Goal, comment: str) -> Goal:
    if goal.owner_id == actor.member.pk or not actor.can_approve(goal):
        raise PermissionDenied(NOT_ALLOWED)
    if not comment.strip():
        raise ValidationError({"comment": COMMENT_REQUIRED})
    if not (goal.status == GoalStatus.APPROVED and goal.needs_reapproval):
        _transition(goal, (GoalStatus.SUBMITTED,), "sent back")
    goal = _set_status(
        actor, goal, GoalStatus.CHANGES_REQUESTED, EventKind.CHANGES_REQUESTED, comment
    )
    goal.last_changes_request = {
        "comment": comment.strip(),
        "by": actor.member.display_name,
        "at": timezone.now().isoformat(),
        "snapshot": review_snapshot(goal),
    }
    goal.save(update_fields=["last_changes_request"])
    _notify(goal, EventKind.CHANGES_REQUESTED, actor)
    return goal


@transaction.atomic
def goal_complete(*, actor: Actor, goal: Goal) -> Goal:
    if not actor.can_edit(goal):
        raise PermissionDenied(NOT_ALLOWED)
    _transition(goal, (GoalStatus.APPROVED,), "completed")
    if goal.needs_reapproval:
        raise ValidationError(COMPLETE_PENDING)
    return _set_status(actor, goal, GoalStatus.COMPLETED, EventKind.COMPLETED)


@transaction.atomic
def goal_cancel(*, actor: Actor, goal: Goal, comment: str = "") -> Goal:
    if not actor.can_edit(goal):
        raise PermissionDenied(NOT_ALLOWED)
    _transition(
        goal,
        (GoalStatus.DRAFT, GoalStatus.SUBMITTED, GoalStatus.CHANGES_REQUESTED, GoalStatus.APPROVED),
        "cancelled",
    )
    return _set_status(actor, goal, GoalStatus.CANCELLED, EventKind.CANCELLED, comment)


def _set_status(actor: Actor, goal: Goal, status: str, kind: EventKind, comment: str = "") -> Goal:
    lock_chain(goal.org_id, [goal.pk])
    before = {"status": goal.status}
    after: dict[str, Any] = {"status": status}
    old_parent_id = goal.parent_id
    if goal.status == GoalStatus.APPROVED and status != GoalStatus.APPROVED:
        goal.refresh_from_db()
        if goal.pending_changes or goal.needs_reapproval:
            # No longer counted: the owner's waiting change becomes the goal as it stands.
            after["applied"] = goal.pending_changes
            try:
                with transaction.atomic():
                    old_parent_id = _apply_pending(goal)
            except ValidationError:
                # The waiting parent no longer fits (a loop, another cycle): keep the approved one.
                goal.refresh_from_db()
                goal.pending_changes = {
                    k: v for k, v in (goal.pending_changes or {}).items() if k != "parent_id"
                }
                old_parent_id = _apply_pending(goal)
    goal.status = status
    if status != GoalStatus.APPROVED:
        goal.needs_reapproval = False
    goal.save(update_fields=["status", "needs_reapproval", "updated_at"])
    record(goal, actor, kind, before, after, comment)
    _refresh_chains(goal.org_id, [goal.pk, old_parent_id])
    return goal


# --- Key results and check-ins -----------------------------------------------------


def kr_add(
    *,
    actor: Actor,
    goal: Goal,
    title: str,
    kind: str = KeyResult.Kind.NUMBER,
    direction: str = KeyResult.Direction.INCREASE,
    start_value: Decimal = Decimal(0),
    target_value: Decimal = Decimal(1),
    current_value: Decimal | None = None,
    unit_label: str = "",
    weight: Decimal = Decimal(1),
    owner: Membership | None = None,
    milestones: list[str] | None = None,
    position: int | None = None,
    _record: bool = True,
) -> KeyResult:
    if _record and not actor.can_edit(goal):
        raise PermissionDenied(NOT_ALLOWED)
    kr = KeyResult(
        org_id=goal.org_id,
        goal=goal,
        title=title.strip(),
        kind=kind,
        direction=direction,
        start_value=start_value,
        target_value=target_value,
        current_value=Decimal(0) if current_value is None else current_value,
        unit_label=unit_label,
        weight=weight,
        owner=owner,
        position=position if position is not None else goal.key_results.count(),
        # Added to an active goal: counts once the change is approved.
        awaiting_approval=_record and goal.status == GoalStatus.APPROVED,
    )
    kr_prepare(kr)
    if current_value is None:
        kr.current_value = kr.start_value
    kr_validate_new(kr, milestones)
    kr.save()
    Milestone.objects.bulk_create(
        Milestone(org_id=goal.org_id, key_result=kr, title=t.strip(), position=i)
        for i, t in enumerate(milestones or [])
        if t.strip()
    )
    kr.progress = key_result_progress(kr)
    kr.save(update_fields=["progress"])
    if _record:
        with transaction.atomic():
            lock_chain(goal.org_id, [goal.pk])
            record(goal, actor, EventKind.KEY_RESULT_ADDED, None, kr_state(kr))
            if kr.awaiting_approval:
                goal.refresh_from_db()
                _store_pending(goal, _pending(goal))
            _refresh_chains(goal.org_id, [goal.pk])
    return kr


@transaction.atomic
def kr_update(*, actor: Actor, key_result: KeyResult, **changes) -> KeyResult:
    """Edit a key result. On an active goal new targets, kinds, directions and weights wait
    for re-approval (the approved ones count until then); titles and units apply at once."""
    goal = key_result.goal
    if not actor.can_edit(goal):
        raise PermissionDenied(NOT_ALLOWED)
    lock_chain(goal.org_id, [goal.pk])
    goal.refresh_from_db()
    kr = KeyResult.objects.select_for_update().get(pk=key_result.pk, org=goal.org_id)
    staged = goal.status == GoalStatus.APPROVED and not kr.awaiting_approval
    pending = _pending(goal)
    if kr.pk in (pending.get("removed") or []):
        raise ValidationError(KR_REMOVAL_PENDING)
    proposed = proposed_key_result(kr, pending)
    before = kr_state(proposed)
    for name, value in changes.items():
        setattr(proposed, name, value)
    if proposed.kind != kr.kind:
        _check_kind_change(kr, proposed)
    kr_prepare(proposed)
    kr_validate(proposed)
    if staged:
        for name in {*changes, "unit_label"} - set(KR_TARGET_FIELDS):
            setattr(kr, name, getattr(proposed, name))
        waiting = {
            name: _jsonable(getattr(proposed, name))
            for name in KR_TARGET_FIELDS
            if getattr(proposed, name) != getattr(kr, name)
        }
        pending.setdefault("key_results", {})[str(kr.pk)] = waiting
    else:
        kr = proposed
    kr.progress = key_result_progress(kr)
    kr.save()
    before, after = _diff(before, kr_state(proposed))
    if after:
        if staged and any(k in after for k in KR_TARGET_FIELDS):
            after["awaits_approval"] = True
        record(goal, actor, EventKind.KEY_RESULT_EDITED, before | {"key_result": kr.pk}, after)
        if staged:
            _store_pending(goal, pending)
        _refresh_chains(goal.org_id, [goal.pk])
    return kr


def _check_kind_change(kr: KeyResult, proposed: KeyResult) -> None:
    """Its values must make sense in the new kind: no 5 as "done", no milestones from nothing."""
    if proposed.kind == KeyResult.Kind.MILESTONES and not kr.milestones.exists():
        raise ValidationError({"kind": MILESTONES_LATER})
    if proposed.kind == KeyResult.Kind.BOOLEAN and kr.current_value not in (0, 1):
        value = format(kr.current_value.normalize(), "f")
        raise ValidationError({"kind": BOOLEAN_FROM_VALUE.format(value=value)})


@transaction.atomic
def kr_delete(*, actor: Actor, key_result: KeyResult) -> None:
    """Remove a key result; from an active goal only once the removal is approved."""
    goal = key_result.goal
    if not actor.can_edit(goal):
        raise PermissionDenied(NOT_ALLOWED)
    lock_chain(goal.org_id, [goal.pk])
    goal.refresh_from_db()
    pending = _pending(goal)
    if key_result.pk in (pending.get("removed") or []):
        return  # already waiting to go
    record(goal, actor, EventKind.KEY_RESULT_REMOVED, kr_state(key_result), None)
    if goal.status == GoalStatus.APPROVED and not key_result.awaiting_approval:
        pending.setdefault("removed", []).append(key_result.pk)
        (pending.get("key_results") or {}).pop(str(key_result.pk), None)
    else:
        key_result.delete()
    if goal.status == GoalStatus.APPROVED:
        _store_pending(goal, pending)
    _refresh_chains(goal.org_id, [goal.pk])


@transaction.atomic
def checkin_create(
    *, actor: Actor, key_result: KeyResult, value: Decimal, confidence: str = "", note: str = ""
) -> CheckIn:
    """Record a new value; the key result, its goal and all ancestors update together."""
    goal = key_result.goal
    if refusal := check_in_refusal(actor, goal):
        raise ValidationError(refusal)
    lock_chain(goal.org_id, [goal.pk])
    kr = KeyResult.objects.select_for_update().get(pk=key_result.pk, org=goal.org_id)
    if kr.kind == KeyResult.Kind.BOOLEAN and value not in (0, 1):
        raise ValidationError({"value": BOOLEAN_VALUE})
    previous_confidence = (
        Goal.objects.filter(pk=goal.pk, org=goal.org_id).values_list("confidence", flat=True).get()
    )
    before = {
        "key_result": kr.pk,
        "value": _jsonable(kr.current_value),
        "progress": kr.progress,
        "confidence": previous_confidence,
    }
    kr.current_value = value
    kr.progress = key_result_progress(kr)
    kr.save(update_fields=["current_value", "progress"])
    now = timezone.now()
    checkin = CheckIn.objects.create(
        org_id=goal.org_id,
        key_result=kr,
        goal=goal,
        author=actor.member,
        value=value,
        confidence=confidence,
        note=note.strip(),
        created_at=now,
    )
    updates: dict[str, Any] = {"last_checkin_at": now}
    if confidence:
        updates["confidence"] = confidence
    Goal.objects.filter(pk=goal.pk, org=goal.org_id).update(**updates)
    record(
        goal,
        actor,
        EventKind.CHECKED_IN,
        before,
        {
            "key_result": kr.pk,
            "value": _jsonable(value),
            "progress": kr.progress,
            "confidence": confidence,
        },
        note.strip(),
    )
    recompute_chain(goal.org_id, [goal.pk])
    return checkin


@transaction.atomic
def milestone_set_done(*, actor: Actor, milestone: Milestone, done: bool) -> Milestone:
    kr = milestone.key_result
    goal = kr.goal
    if refusal := check_in_refusal(actor, goal):
        raise ValidationError(refusal)
    lock_chain(goal.org_id, [goal.pk])
    milestone.done = done
    milestone.save(update_fields=["done"])
    # Counted afresh: a key result loaded with prefetched milestones would be stale.
    states = list(
        Milestone.objects.filter(org=goal.org_id, key_result=kr).values_list("done", flat=True)
    )
    done_count = sum(states)
    kr.progress = key_result_progress(kr, (done_count, len(states)))
    kr.current_value = Decimal(done_count)
    kr.save(update_fields=["progress", "current_value"])
    Goal.objects.filter(pk=goal.pk).update(last_checkin_at=timezone.now())
    record(
        goal,
        actor,
        EventKind.MILESTONE_DONE if done else EventKind.MILESTONE_REOPENED,
        None,
        {"key_result": kr.pk, "milestone": milestone.title},
    )
    recompute_chain(goal.org_id, [goal.pk])
    return milestone


# --- Cascade ------------------------------------------------------------------


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
            _notify(goal, EventKind.CASCADED, actor)
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
    _validate_goal(goal, parent=source)
    goal.save()
    record(goal, actor, EventKind.CASCADED, None, goal_state(goal) | {"from": source.pk})
    return goal


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


def _notify(goal: Goal, kind: EventKind, actor: Actor) -> None:
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


UNIT_DELETED = "The unit “{name}” was deleted; its goals moved here."


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
