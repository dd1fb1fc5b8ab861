"""Every write to goals, key results and check-ins.

Each service checks permission and input, writes in one transaction, records an
immutable GoalEvent (who, when, before/after), updates the progress of the goal
and all its ancestors (constant number of queries, rows locked in id order),
and sends notifications with ``transaction.on_commit``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format

from goals.access import (
    CHECKIN_NOT_ACTIVE,  # noqa: F401
    NOT_ALLOWED,
    Actor,
)
from goals.forecasts import refresh_forecast_misses
from goals.models import (
    Cycle,
    EventKind,
    Goal,
    GoalStatus,
    KeyResult,
    Level,
)
from goals.rollup import (
    ancestor_ids,
    key_result_progress,
    lock_chain,
    with_changes,
)
from goals.services.events import (
    REAPPROVAL_FIELDS,
    approval_snapshot,
    diff,
    goal_state,
    jsonable,
    record,
    review_snapshot,
)
from goals.services.key_results import (
    kr_add,
    kr_prepare,
    kr_validate,
)
from goals.services.messages import (
    BAD_TRANSITION,
    COMMENT_REQUIRED,
    COMPLETE_PENDING,
    CYCLE_DATES,
    CYCLE_OTHER_ORG,
    DUE_AFTER_PARENT,
    DUE_OUTSIDE_CYCLE,
    MANUAL_RANGE,
    ORG_OBJECTIVE_PARENT,
    OWN_GOAL,
    PARENT_LOOP,
    PARENT_NOT_FOUND,
    PARENT_OTHER_CYCLE,
    TITLE_REQUIRED,
    UNIT_REQUIRED,
    WEIGHT_POSITIVE,
)
from goals.services.notify import (
    notify_goal,
)
from goals.services.pending import (
    goal_or_none,
    pending_of,
    refresh_chains,
    store_pending,
)
from orgs.models import Membership, Unit

# --- Changes awaiting re-approval ----------------------------------------------------
#
# An active goal's stored parent, weight and key result targets are its approved
# version, the one that counts toward its own and its parents' progress. What the
# owner changes waits in ``Goal.pending_changes`` (key results added since approval
# in ``KeyResult.awaiting_approval``) until an approver accepts it.


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
    moved_end = cycle is not None and cycle.end != end
    cycle = cycle or Cycle(org_id=org_id)
    cycle.name, cycle.start, cycle.end, cycle.status = name.strip(), start, end, status
    cycle.save()
    if moved_end:
        # Every trend is projected to the cycle's end.
        refresh_forecast_misses(org_id, Goal.objects.filter(org=org_id, cycle=cycle).values("pk"))
    return cycle


# --- Goals --------------------------------------------------------------------


def validate_goal(goal: Goal, *, parent: Goal | None) -> None:
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
    validate_goal(goal, parent=parent)
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
        refresh_chains(goal.org_id, [goal.pk])
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
    pending = pending_of(goal)
    approved = {"parent_id": goal.parent_id, "weight": goal.weight}
    proposed_parent = goal.parent
    if "parent_id" in pending:
        proposed_parent = goal_or_none(goal.org_id, pending["parent_id"])
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
    validate_goal(goal, parent=parent)
    moved = goal.unit_id != before["unit_id"] or goal.owner_id != before["owner_id"]
    if moved and not actor.can_create(level=goal.level, owner=goal.owner, unit=goal.unit):
        # Moving a goal to a unit or owner out of the actor's reach is refused.
        raise PermissionDenied(NOT_ALLOWED)
    before, after = diff(before, goal_state(goal))
    if staged:
        for name in REAPPROVAL_FIELDS:
            if getattr(goal, name) == approved[name]:
                pending.pop(name, None)
            else:
                pending[name] = jsonable(getattr(goal, name))
        goal.parent_id, goal.weight = approved["parent_id"], approved["weight"]
    goal.save()
    if not after:
        return goal
    if staged and any(k in after for k in REAPPROVAL_FIELDS):
        after["awaits_approval"] = True
    record(goal, actor, EventKind.EDITED, before, after)
    if staged:
        store_pending(goal, pending)
    elif parent is not None:
        lock_chain(goal.org_id, [parent.pk])
    refresh_chains(goal.org_id, [goal.pk, approved["parent_id"]])
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
    notify_goal(goal, EventKind.SUBMITTED, actor)
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
    old_parent_id = apply_pending(goal)
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
    # Approved targets, directions and key results change where the trends lead.
    refresh_forecast_misses(goal.org_id, [goal.pk])
    refresh_chains(goal.org_id, [goal.pk, old_parent_id])
    notify_goal(goal, EventKind.APPROVED, actor)
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
    notify_goal(goal, EventKind.CHANGES_REQUESTED, actor)
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
                    old_parent_id = apply_pending(goal)
            except ValidationError:
                # The waiting parent no longer fits (a loop, another cycle): keep the approved one.
                goal.refresh_from_db()
                goal.pending_changes = {
                    k: v for k, v in (goal.pending_changes or {}).items() if k != "parent_id"
                }
                old_parent_id = apply_pending(goal)
    goal.status = status
    if status != GoalStatus.APPROVED:
        goal.needs_reapproval = False
    goal.save(update_fields=["status", "needs_reapproval", "updated_at"])
    record(goal, actor, kind, before, after, comment)
    refresh_chains(goal.org_id, [goal.pk, old_parent_id])
    return goal


# --- Key results and check-ins -----------------------------------------------------


# --- Cascade ------------------------------------------------------------------


def apply_pending(goal: Goal) -> int | None:
    """Make the waiting change the goal's stored version; return the parent it had."""
    pending = goal.pending_changes or {}
    old_parent_id = goal.parent_id
    if "parent_id" in pending or "weight" in pending:
        if "parent_id" in pending:
            goal.parent = goal_or_none(goal.org_id, pending["parent_id"])
        if "weight" in pending:
            goal.weight = Decimal(pending["weight"])
        if goal.parent is not None:
            lock_chain(goal.org_id, [goal.parent.pk])
        validate_goal(goal, parent=goal.parent)
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
