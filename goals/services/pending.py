"""Changes to an approved goal that wait for re-approval, and refreshing progress up the chain."""

from __future__ import annotations

import copy

from goals.access import (
    CHECKIN_NOT_ACTIVE,  # noqa: F401
)
from goals.models import (
    Goal,
    KeyResult,
)
from goals.rollup import (
    recompute_chain,
    with_changes,
)


def refresh_chains(org_id: int, goal_ids: list[int | None]) -> None:
    ids = [pk for pk in goal_ids if pk is not None]
    if ids:
        recompute_chain(org_id, ids)


def pending_of(goal: Goal) -> dict:
    return copy.deepcopy(goal.pending_changes or {})


def goal_or_none(org_id: int, pk: int | None) -> Goal | None:
    return Goal.objects.filter(org=org_id, pk=pk).first() if pk is not None else None


def store_pending(goal: Goal, pending: dict) -> None:
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
