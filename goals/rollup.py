"""Progress and roll-up: the exact rules, in one place.

Key result: increase/decrease clamp((current - start) / (target - start), 0, 1);
stay above/below 1 when the latest value is on the right side, else 0; boolean
0 or 1; milestones done / total.

Goal: weighted mean over its key results and its counted child goals (approved
or completed); a goal with neither uses its manual progress (0 when unset).

Only approved versions count. An active goal's stored parent, weight and key result
targets are the approved ones; a change waiting for re-approval lives in
``Goal.pending_changes`` and key results added since approval carry
``awaiting_approval``: neither counts here until the change is approved.
``proposed_progress`` shows what the goal's number would be with the change.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from core import hierarchy
from goals.models import COUNTED_STATUSES, Goal, KeyResult, Milestone


def kr_progress(
    *,
    kind: str,
    direction: str,
    start: Decimal,
    target: Decimal,
    current: Decimal,
    milestones: tuple[int, int] = (0, 0),
) -> float:
    """Progress 0..1 of one key result; ``milestones`` is (done, total)."""
    if kind == KeyResult.Kind.BOOLEAN:
        return 1.0 if current >= 1 else 0.0
    if kind == KeyResult.Kind.MILESTONES:
        done, total = milestones
        return done / total if total else 0.0
    if direction == KeyResult.Direction.STAY_ABOVE:
        return 1.0 if current >= target else 0.0
    if direction == KeyResult.Direction.STAY_BELOW:
        return 1.0 if current <= target else 0.0
    span = target - start
    if span == 0:
        return 1.0 if current == target else 0.0
    return float(min(max((current - start) / span, Decimal(0)), Decimal(1)))


def key_result_progress(kr: KeyResult, milestones: tuple[int, int] | None = None) -> float:
    if milestones is None and kr.kind == KeyResult.Kind.MILESTONES:
        items = list(kr.milestones.all())
        milestones = (sum(m.done for m in items), len(items))
    return kr_progress(
        kind=kr.kind,
        direction=kr.direction,
        start=kr.start_value,
        target=kr.target_value,
        current=kr.current_value,
        milestones=milestones or (0, 0),
    )


DECIMAL_FIELDS = ("start_value", "target_value", "current_value", "weight")


def with_changes(kr: KeyResult, changes: dict) -> KeyResult:
    """A copy of ``kr`` with ``changes`` (stored as JSON: numbers as text) applied."""
    changed = copy.copy(kr)
    for name, value in changes.items():
        setattr(changed, name, Decimal(value) if name in DECIMAL_FIELDS else value)
    return changed


def proposed_value(
    goal: Goal, key_results: Iterable[KeyResult], children: Iterable[tuple[float, float]]
) -> float:
    """The goal's progress with the change awaiting re-approval, from all its key results
    and its counted children's (weight, progress)."""
    pending = goal.pending_changes or {}
    removed = set(pending.get("removed") or [])
    changes = pending.get("key_results") or {}
    terms = list(children)
    for kr in key_results:
        if kr.pk in removed:
            continue
        changed = changes.get(str(kr.pk)) or {}
        if set(changed) - {"weight"}:
            progress = key_result_progress(with_changes(kr, changed))
        else:
            progress = kr.progress  # the same targets: the same progress
        terms.append((float(changed.get("weight", kr.weight)), progress))
    return weighted_mean(terms, goal.manual_progress)


def proposed_progress(goal: Goal) -> float:
    """The goal's progress with the change awaiting re-approval (2 queries)."""
    children = Goal.objects.filter(
        org=goal.org_id, parent=goal, status__in=COUNTED_STATUSES
    ).values_list("weight", "progress")
    return proposed_value(
        goal,
        KeyResult.objects.filter(org=goal.org_id, goal=goal),
        ((float(w), p) for w, p in children),
    )


@dataclass(frozen=True)
class Contribution:
    """One term of a goal's weighted mean, for "why 37%"."""

    kind: str  # "key_result" or "goal"
    pk: int
    title: str
    weight: float
    progress: float

    @property
    def share(self) -> float:
        return self.weight * self.progress


def weighted_mean(terms: Iterable[tuple[float, float]], manual: Decimal | None) -> float:
    terms = list(terms)
    total = sum(w for w, _ in terms)
    if not terms or total <= 0:
        return float(manual) / 100 if manual is not None else 0.0
    return sum(w * p for w, p in terms) / total


def explain(goal: Goal) -> tuple[list[Contribution], float]:
    """The contributions behind a goal's progress and the resulting value (2 queries)."""
    terms = [
        Contribution("key_result", kr.pk, kr.title, float(kr.weight), kr.progress)
        for kr in KeyResult.objects.filter(org=goal.org_id, goal=goal, awaiting_approval=False)
    ]
    terms += [
        Contribution("goal", child.pk, child.title, float(child.weight), child.progress)
        for child in Goal.objects.filter(
            org=goal.org_id, parent=goal, status__in=COUNTED_STATUSES
        ).order_by("title")
    ]
    value = weighted_mean(((t.weight, t.progress) for t in terms), goal.manual_progress)
    return terms, value


def proposed_parents(goal: Goal, proposed: float) -> list[tuple[Goal, float, float]]:
    """The goal's parent (and the one it would move to): progress now and with the change
    awaiting re-approval, given the goal's own ``proposed`` progress (3 queries a parent)."""
    pending = goal.pending_changes or {}
    new_parent_id = pending.get("parent_id", goal.parent_id)
    new_weight = float(pending.get("weight", goal.weight))
    effects = []
    for parent_id in dict.fromkeys([goal.parent_id, new_parent_id]):
        parent = Goal.objects.filter(org=goal.org_id, pk=parent_id).first()
        if parent is None:
            continue
        terms, value = explain(parent)
        kept = [(t.weight, t.progress) for t in terms if not (t.kind == "goal" and t.pk == goal.pk)]
        if parent_id == new_parent_id and goal.counts:
            kept.append((new_weight, proposed))
        effects.append((parent, value, weighted_mean(kept, parent.manual_progress)))
    return effects


# Deeper than any real cascade; stops a walk up on a loop written around the services.
CHAIN_DEPTH = 1000


def _ancestor_rows(org_id: int, goal_ids: list[int]) -> list[tuple[int, int | None, int]]:
    """(id, parent_id, depth below the start) of the goals and all their ancestors."""
    return hierarchy.ancestor_rows(Goal, org_id, goal_ids, max_depth=CHAIN_DEPTH)


def ancestor_ids(org_id: int, goal_id: int) -> set[int]:
    """The goal and every goal above it (one upward recursive query)."""
    return {row[0] for row in _ancestor_rows(org_id, [goal_id])}


def lock_chain(org_id: int, goal_ids: list[int]) -> list[int]:
    """Lock the goals and their ancestors (in id order, so no deadlock); return their ids."""
    rows = _ancestor_rows(org_id, goal_ids)
    ids = sorted(row[0] for row in rows)
    if connection.vendor != "sqlite":
        list(
            Goal.objects.select_for_update()
            .filter(org=org_id, pk__in=ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    return ids


def recompute_chain(org_id: int, goal_ids: list[int]) -> dict[int, float]:
    """Recompute the goals and every ancestor, bottom-up, with a constant number of queries.

    Call inside a transaction after ``lock_chain``. Returns the new progress by id.
    """
    rows = _ancestor_rows(org_id, goal_ids)
    chain = {pk: parent for pk, parent, _ in rows}
    goals = {
        g["pk"]: g
        for g in Goal.objects.filter(org=org_id, pk__in=chain).values(
            "pk", "parent_id", "progress", "manual_progress", "status", "weight"
        )
    }
    kr_terms: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for goal_id, weight, progress in KeyResult.objects.filter(
        org=org_id, goal__in=chain, awaiting_approval=False
    ).values_list("goal_id", "weight", "progress"):
        kr_terms[goal_id].append((float(weight), progress))
    children: dict[int, list[tuple[int, float, float]]] = defaultdict(list)
    for pk, parent_id, weight, progress in Goal.objects.filter(
        org=org_id, parent__in=chain, status__in=COUNTED_STATUSES
    ).values_list("pk", "parent_id", "weight", "progress"):
        children[parent_id].append((pk, float(weight), progress))

    computed: dict[int, float] = {}

    def compute(pk: int) -> float:
        if pk not in computed:
            terms = list(kr_terms[pk])
            for child_pk, weight, progress in children[pk]:
                terms.append((weight, compute(child_pk) if child_pk in chain else progress))
            computed[pk] = weighted_mean(terms, goals[pk]["manual_progress"])
        return computed[pk]

    for pk in chain:
        compute(pk)
    changed = [
        Goal(pk=pk, progress=value)
        for pk, value in computed.items()
        if abs(goals[pk]["progress"] - value) > 1e-12
    ]
    if changed:
        Goal.objects.bulk_update(changed, ["progress"])
    return computed


def recompute_all(org_id: int, *, save: bool = True) -> dict[int, float]:
    """Recompute every key result and goal of an organisation from scratch (set-based).

    Returns {goal id: progress}; with ``save`` it stores values that drifted.
    """
    return recompute_all_counted(org_id, save=save)[0]


def recompute_all_counted(org_id: int, *, save: bool = True) -> tuple[dict[int, float], int, int]:
    """``recompute_all`` with how many key results and goals had drifted (4 queries
    and the updates)."""
    milestone_counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for kr_id, done in Milestone.objects.filter(org=org_id).values_list("key_result_id", "done"):
        milestone_counts[kr_id][0] += int(done)
        milestone_counts[kr_id][1] += 1
    kr_terms: dict[int, list[tuple[float, float]]] = defaultdict(list)
    kr_changed = []
    for kr in KeyResult.objects.filter(org=org_id).only(
        "pk",
        "goal_id",
        "kind",
        "direction",
        "start_value",
        "target_value",
        "current_value",
        "weight",
        "progress",
        "awaiting_approval",
    ):
        value = key_result_progress(kr, tuple(milestone_counts[kr.pk]))
        if abs(kr.progress - value) > 1e-12:
            kr.progress = value
            kr_changed.append(kr)
        if not kr.awaiting_approval:
            kr_terms[kr.goal_id].append((float(kr.weight), value))
    goals = list(
        Goal.objects.filter(org=org_id).values(
            "pk", "parent_id", "progress", "manual_progress", "status", "weight"
        )
    )
    by_parent: dict[int | None, list[dict]] = defaultdict(list)
    for g in goals:
        by_parent[g["parent_id"]].append(g)
    computed: dict[int, float] = {}

    def compute(g: dict) -> float:
        pk = g["pk"]
        if pk not in computed:
            terms = list(kr_terms[pk])
            terms += [
                (float(child["weight"]), compute(child))
                for child in by_parent[pk]
                if child["status"] in COUNTED_STATUSES
            ]
            computed[pk] = weighted_mean(terms, g["manual_progress"])
            # Uncounted children still get their own progress computed.
            for child in by_parent[pk]:
                compute(child)
        return computed[pk]

    for g in goals:
        compute(g)
    if save:
        if kr_changed:
            KeyResult.objects.bulk_update(kr_changed, ["progress"], batch_size=1000)
    drifted = [
        Goal(pk=g["pk"], progress=computed[g["pk"]])
        for g in goals
        if abs(g["progress"] - computed[g["pk"]]) > 1e-12
    ]
    if save and drifted:
        Goal.objects.bulk_update(drifted, ["progress"], batch_size=1000)
    return computed, len(kr_changed), len(drifted)
