"""Key results, check-ins and milestones: every write to them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from goals.access import (
    CHECKIN_NOT_ACTIVE,  # noqa: F401
    NOT_ALLOWED,
    Actor,
    check_in_refusal,
)
from goals.forecasts import forecastable, refresh_forecast_misses
from goals.models import (
    CheckIn,
    EventKind,
    Goal,
    GoalStatus,
    KeyResult,
    Milestone,
)
from goals.rollup import (
    key_result_progress,
    lock_chain,
    recompute_chain,
)
from goals.services.events import (
    KR_TARGET_FIELDS,
    diff,
    jsonable,
    kr_state,
    record,
)
from goals.services.messages import (
    BOOLEAN_FROM_VALUE,
    BOOLEAN_VALUE,
    KPI_NEEDS_NUMBER,
    KPI_NOT_FOUND,
    KR_REMOVAL_PENDING,
    MILESTONES_LATER,
    MILESTONES_REQUIRED,
    TARGET_EQUALS_START,
    WEIGHT_POSITIVE,
)
from goals.services.pending import pending_of, proposed_key_result, refresh_chains, store_pending
from orgs.models import Membership


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
    if kr.kpi_id is not None and kr.kind in (KeyResult.Kind.BOOLEAN, KeyResult.Kind.MILESTONES):
        errors["kpi"] = KPI_NEEDS_NUMBER
    if errors:
        raise ValidationError(errors)


def check_kpi(actor: Actor, kr: KeyResult) -> None:
    """The KPI a key result follows must be one of its organisation's that the actor sees."""
    if kr.kpi_id is None:
        return
    from kpis.access import can_view
    from kpis.models import Kpi

    kpi = Kpi.objects.filter(org=kr.org_id, pk=kr.kpi_id).first()
    if kpi is None or not can_view(actor, kpi):
        raise ValidationError({"kpi": KPI_NOT_FOUND})


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
    kpi=None,
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
        kpi=kpi,
        position=position if position is not None else goal.key_results.count(),
        # Added to an active goal: counts once the change is approved.
        awaiting_approval=_record and goal.status == GoalStatus.APPROVED,
    )
    kr_prepare(kr)
    if current_value is None:
        kr.current_value = kr.start_value
    kr_validate_new(kr, milestones)
    check_kpi(actor, kr)
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
                store_pending(goal, pending_of(goal))
            refresh_chains(goal.org_id, [goal.pk])
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
    pending = pending_of(goal)
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
    if "kpi" in changes:
        check_kpi(actor, proposed)
    if staged:
        for name in {*changes, "unit_label"} - set(KR_TARGET_FIELDS):
            setattr(kr, name, getattr(proposed, name))
        waiting = {
            name: jsonable(getattr(proposed, name))
            for name in KR_TARGET_FIELDS
            if getattr(proposed, name) != getattr(kr, name)
        }
        pending.setdefault("key_results", {})[str(kr.pk)] = waiting
    else:
        kr = proposed
    kr.progress = key_result_progress(kr)
    kr.save()
    before, after = diff(before, kr_state(proposed))
    if after:
        if staged and any(k in after for k in KR_TARGET_FIELDS):
            after["awaits_approval"] = True
        record(goal, actor, EventKind.KEY_RESULT_EDITED, before | {"key_result": kr.pk}, after)
        if staged:
            store_pending(goal, pending)
        refresh_chains(goal.org_id, [goal.pk])
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
    pending = pending_of(goal)
    if key_result.pk in (pending.get("removed") or []):
        return  # already waiting to go
    record(goal, actor, EventKind.KEY_RESULT_REMOVED, kr_state(key_result), None)
    if goal.status == GoalStatus.APPROVED and not key_result.awaiting_approval:
        pending.setdefault("removed", []).append(key_result.pk)
        (pending.get("key_results") or {}).pop(str(key_result.pk), None)
    else:
        key_result.delete()
    if goal.status == GoalStatus.APPROVED:
        store_pending(goal, pending)
    refresh_chains(goal.org_id, [goal.pk])


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
        "value": jsonable(kr.current_value),
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
    if forecastable(kr):  # only this key result's trend moved
        refresh_forecast_misses(goal.org_id, [goal.pk])
    record(
        goal,
        actor,
        EventKind.CHECKED_IN,
        before,
        {
            "key_result": kr.pk,
            "value": jsonable(value),
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
