"""Cascading a goal down to units and people, and the manager's approval queue.

Views parse, call a service from goals.services, render. Goals are loaded only
through goals.access.get_goal (another organisation's goal answers 404).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.formatting import number
from core.params import to_id
from goals import services
from goals.access import Actor, get_goal, request_actor
from goals.models import COUNTED_STATUSES, Goal, GoalStatus, KeyResult, Level
from goals.rollup import proposed_value
from orgs.models import Membership, Unit

BULK_NOTHING_CHOSEN = "Tick at least one goal to approve."
BULK_REFUSED = (
    "Nothing was approved: {count} of the goals you ticked {verb} not waiting for your approval."
)

# What an approver approves for each key result (see services.approval_snapshot).
KR_FIELDS = ("title", *services.KR_TARGET_FIELDS)
KR_FIELD_LABELS = {
    "title": "Title",
    "kind": "Kind",
    "direction": "Direction",
    "start_value": "Start",
    "target_value": "Target",
    "weight": "Weight",
}

APPROVALS = "goals/approvals.html"


# --- Reading the queue ----------------------------------------------------------------


def goals_awaiting_approval(actor: Actor) -> QuerySet[Goal]:
    """Goals ``actor`` may approve now: submitted ones, and approved ones changed since.

    Individual goals of people in their subtree, unit goals of units below the
    units they lead; admins: every goal. Never their own.
    """
    waiting = Q(status=GoalStatus.SUBMITTED) | Q(status=GoalStatus.APPROVED, needs_reapproval=True)
    qs = actor.visible_goals().filter(waiting).exclude(owner=actor.member)
    if actor.is_admin:
        return qs
    return qs.filter(
        Q(level=Level.INDIVIDUAL, owner__in=list(actor.subtree))
        | Q(level=Level.UNIT, unit__parent__in=list(actor.led_units))
    )


@dataclass
class Change:
    """One line of the re-approval diff."""

    kind: str  # "changed", "added" or "removed"
    what: str
    before: str = ""
    after: str = ""


@dataclass
class QueueItem:
    """A goal waiting for approval, with what the approver needs to decide."""

    goal: Goal
    parent_visible: bool = False
    changes: list[Change] = field(default_factory=list)
    error: str = ""
    comment: str = ""
    comment_error: str = ""
    proposed: float | None = None  # progress with the waiting change, when it differs
    request: dict | None = None  # the request for changes a resubmitted goal answers

    @property
    def counted_percent(self) -> int:
        return round(self.goal.progress * 100)

    @property
    def proposed_percent(self) -> int | None:
        return None if self.proposed is None else round(self.proposed * 100)

    @property
    def reapproval(self) -> bool:
        return self.goal.status == GoalStatus.APPROVED and self.goal.needs_reapproval

    @property
    def weight(self) -> str:
        return number(self.goal.weight)

    @property
    def key_results(self) -> list[dict]:
        """Each key result's title, aim in words ("Decrease to 200 ms, from 480 ms") and weight."""
        rows = []
        for kr in self.goal.key_results.all():
            if kr.kind == KeyResult.Kind.BOOLEAN:
                aim = "Done / not done"
            elif kr.kind == KeyResult.Kind.MILESTONES:
                aim = "All milestones done"
            else:
                start, target = (
                    _amount(kr.start_value, kr.unit_label),
                    _amount(kr.target_value, kr.unit_label),
                )
                aim = f"{kr.get_direction_display()} {target}"
                if kr.direction in (KeyResult.Direction.INCREASE, KeyResult.Direction.DECREASE):
                    aim += f", from {start}"
            rows.append({"title": kr.title, "aim": aim, "weight": number(kr.weight)})
        return rows


def _amount(value: Decimal, unit_label: str) -> str:
    text = number(value)
    if not unit_label:
        return text
    return f"{text}{unit_label}" if unit_label == "%" else f"{text} {unit_label}"


def _shown(name: str, value: Any) -> str:
    if name == "direction":
        return _label(KeyResult.Direction, value)
    if name == "kind":
        return _label(KeyResult.Kind, value)
    if name == "title":
        return str(value)
    return number(value)


def _label(choices, value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _kr_summary(kr: dict) -> str:
    direction = _shown("direction", kr.get("direction"))
    start, target = number(kr.get("start_value")), number(kr.get("target_value"))
    return f"{direction} {target}, from {start}; weight {number(kr.get('weight'))}"


def approval_changes(approved: dict, now: dict, parent_titles: dict[int, str]) -> list[Change]:
    """What changed between the approved snapshot and the goal as it is now."""

    def parent(pk: int | None) -> str:
        if pk is None:
            return "nothing"
        return f"“{parent_titles[pk]}”" if pk in parent_titles else "a goal you cannot see"

    changes = []
    if approved.get("parent_id") != now["parent_id"]:
        changes.append(
            Change(
                "changed",
                "Contributes to",
                parent(approved.get("parent_id")),
                parent(now["parent_id"]),
            )
        )
    if number(approved.get("weight")) != number(now["weight"]):
        changes.append(
            Change("changed", "Weight", number(approved.get("weight")), number(now["weight"]))
        )
    before_krs: dict = approved.get("key_results") or {}
    for pk, kr in now["key_results"].items():
        old = before_krs.get(pk)
        if old is None:
            changes.append(Change("added", f"Key result “{kr['title']}”", "", _kr_summary(kr)))
            continue
        for name in KR_FIELDS:
            before, after = _shown(name, old.get(name)), _shown(name, kr.get(name))
            if before != after:
                what = f"{KR_FIELD_LABELS[name]} of “{kr['title']}”"
                changes.append(Change("changed", what, before, after))
    for pk, old in before_krs.items():
        if pk not in now["key_results"]:
            changes.append(Change("removed", f"Key result “{old['title']}”", _kr_summary(old)))
    return changes


def _snapshot(goal: Goal, *, proposed: bool) -> dict:
    """services.approval_snapshot from the prefetched key results (no query per goal):
    the approved version as stored, or with the change awaiting re-approval."""
    pending = (goal.pending_changes or {}) if proposed else {}
    removed = set(pending.get("removed") or [])
    key_results = {}
    for kr in goal.key_results.all():
        if kr.pk in removed or (kr.awaiting_approval and not proposed):
            continue
        kr = services.proposed_key_result(kr, pending)
        key_results[str(kr.pk)] = {name: getattr(kr, name) for name in KR_FIELDS}
    return {
        "parent_id": pending.get("parent_id", goal.parent_id),
        "weight": pending.get("weight", goal.weight),
        "key_results": key_results,
    }


REVIEW_FIELDS = {"title": "Title", "description": "Description", "due_date": "Due date"}


def changes_since_request(goal: Goal, parent_titles: dict[int, str]) -> list[Change]:
    """What the owner changed since the approver asked for changes (key results prefetched)."""
    asked = (goal.last_changes_request or {}).get("snapshot")
    if not asked:
        return []
    changes = [
        Change("changed", label, str(asked.get(name) or "—"), str(now or "—"))
        for name, label in REVIEW_FIELDS.items()
        if (asked.get(name) or "") != (now := services.jsonable(getattr(goal, name)) or "")
    ]
    before_manual = number(asked.get("manual_progress"))
    if before_manual != number(goal.manual_progress):
        changes.append(
            Change("changed", "Manual progress", before_manual, number(goal.manual_progress))
        )
    return changes + approval_changes(asked, _snapshot(goal, proposed=True), parent_titles)


def pending_changes(goal: Goal, parent_titles: dict[int, str]) -> list[Change]:
    """What the change awaiting re-approval would change (key results prefetched)."""
    return approval_changes(
        _snapshot(goal, proposed=False), _snapshot(goal, proposed=True), parent_titles
    )


def approval_queue(actor: Actor, *, only: int | None = None) -> list[QueueItem]:
    """The queue with owners, parents, key results and re-approval diffs.

    Queries, whatever its length: the subtree and the led units (not for admins),
    the goals with owner, unit, parent and cycle, their key results, the titles
    of the parents they would move to or had when sent back (only when some goal in
    the queue moved), and
    the counted children of goals whose key results would change (for both numbers).
    """
    qs = (
        goals_awaiting_approval(actor)
        .select_related("owner__user", "owner__unit", "unit", "parent", "cycle")
        .prefetch_related("key_results")
        .order_by("updated_at", "pk")
    )
    if only is not None:
        qs = qs.filter(pk=only)
    goals = list(qs)
    reapproval = {g.pk: g for g in goals if g.needs_reapproval}
    titles = {g.parent_id: g.parent.title for g in goals if g.parent and actor.can_view(g.parent)}
    new_parents = {(g.pending_changes or {}).get("parent_id") for g in reapproval.values()}
    resubmitted = [g for g in goals if g.status == GoalStatus.SUBMITTED and g.last_changes_request]
    new_parents |= {
        (g.last_changes_request.get("snapshot") or {}).get("parent_id") for g in resubmitted
    }
    new_parents -= {None, *titles}
    if new_parents:
        titles |= dict(actor.visible_goals().filter(pk__in=new_parents).values_list("pk", "title"))
    # Both numbers for goals whose key results would change (their counted children).
    kr_changes = [pk for pk, g in reapproval.items() if _changes_key_results(g)]
    children: dict[int, list[tuple[float, float]]] = defaultdict(list)
    if kr_changes:
        for parent_id, weight, progress in Goal.objects.filter(
            org=actor.member.org_id, parent__in=kr_changes, status__in=COUNTED_STATUSES
        ).values_list("parent_id", "weight", "progress"):
            children[parent_id].append((float(weight), progress))
    items = []
    for goal in goals:
        item = QueueItem(goal, parent_visible=goal.parent_id in titles)
        if goal.pk in reapproval:
            item.changes = pending_changes(goal, titles)
        elif goal in resubmitted:
            item.request = goal.last_changes_request
            item.changes = changes_since_request(goal, titles)
        if goal.pk in kr_changes:
            item.proposed = proposed_value(goal, goal.key_results.all(), children[goal.pk])
        items.append(item)
    return items


def _changes_key_results(goal: Goal) -> bool:
    pending = goal.pending_changes or {}
    added = any(kr.awaiting_approval for kr in goal.key_results.all())
    return added or bool(pending.get("key_results") or pending.get("removed"))


@require_GET
def approvals(request: HttpRequest, org_slug: str) -> HttpResponse:
    items = approval_queue(request_actor(request))
    return render(request, APPROVALS, {"items": items, "nav": "approvals"})


# --- Acting on one goal -----------------------------------------------------------------


def _message(error: ValidationError) -> str:
    return " ".join(error.messages)


def _back(request: HttpRequest) -> str:
    """Where a form without JavaScript returns: a safe ``next`` or the queue."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("goals:approvals", args=[request.org.slug])


def _outcome(request: HttpRequest, actor: Actor, goal: Goal, text: str) -> HttpResponse:
    """The short row that replaces an item once it has been dealt with."""
    if request.htmx:
        context = {
            "goal": goal,
            "text": text,
            "count": goals_awaiting_approval(actor).count(),
        }
        return render(request, f"{APPROVALS}#outcome", context)
    messages.success(request, text)
    return redirect(_back(request))


def _refused(
    request: HttpRequest, actor: Actor, goal: Goal, error: ValidationError, comment: str = ""
) -> HttpResponse:
    """Show the item again with the reason (400); the whole queue without JavaScript."""
    message = _message(error)
    items = approval_queue(actor, only=goal.pk if request.htmx else None)
    item = next((i for i in items if i.goal.pk == goal.pk), None)
    if item is not None:
        item.comment = comment
        if hasattr(error, "error_dict") and "comment" in error.error_dict:
            item.comment_error = message
        else:
            item.error = message
    if request.htmx:
        if item is not None:
            return render(request, f"{APPROVALS}#item", {"item": item}, status=400)
        context = {"goal": goal, "text": f"“{goal.title}”: {message}", "is_error": True}
        return render(request, f"{APPROVALS}#outcome", context, status=400)
    if item is None:
        messages.error(request, f"“{goal.title}”: {message}")
    return render(request, APPROVALS, {"items": items, "nav": "approvals"}, status=400)


@require_POST
def goal_approve(request: HttpRequest, org_slug: str, goal_pk: int) -> HttpResponse:
    actor = request_actor(request)
    goal = get_goal(actor, goal_pk, for_update=True)
    try:
        services.goal_approve(actor=actor, goal=goal)
    except ValidationError as error:
        return _refused(request, actor, goal, error)
    return _outcome(request, actor, goal, f"Approved “{goal.title}” ({goal.owner.display_name}).")


@require_POST
def goal_request_changes(request: HttpRequest, org_slug: str, goal_pk: int) -> HttpResponse:
    actor = request_actor(request)
    goal = get_goal(actor, goal_pk, for_update=True)
    comment = request.POST.get("comment", "")
    try:
        services.goal_request_changes(actor=actor, goal=goal, comment=comment)
    except ValidationError as error:
        return _refused(request, actor, goal, error, comment)
    text = f"Sent “{goal.title}” back to {goal.owner.display_name} with your comment."
    return _outcome(request, actor, goal, text)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _bulk_approve(actor: Actor, ticked: set[str]) -> list[Goal]:
    """Approve every ticked goal or none: raises ValidationError with the reason."""
    if not ticked:
        raise ValidationError(BULK_NOTHING_CHOSEN)
    ids = {pk for pk in map(to_id, ticked) if pk is not None}
    goals = list(goals_awaiting_approval(actor).filter(pk__in=ids).select_related("owner__user"))
    refused = len(ticked) - len(goals)
    if refused:
        verb = "is" if refused == 1 else "are"
        raise ValidationError(BULK_REFUSED.format(count=refused, verb=verb))
    try:
        with transaction.atomic():
            for goal in goals:
                services.goal_approve(actor=actor, goal=goal)
    except ValidationError as error:
        raise ValidationError(f"Nothing was approved: {_message(error)}") from error
    except PermissionDenied as error:
        raise ValidationError(f"Nothing was approved: {error}") from error
    return goals


@require_POST
def approvals_bulk(request: HttpRequest, org_slug: str) -> HttpResponse:
    actor = request_actor(request)
    ticked = set(request.POST.getlist("goals"))
    try:
        goals = _bulk_approve(actor, ticked)
    except ValidationError as error:
        messages.error(request, _message(error))
        context = {"items": approval_queue(actor), "nav": "approvals", "ticked": ticked}
        return render(request, APPROVALS, context, status=400)
    titles = ", ".join(f"“{g.title}” ({g.owner.display_name})" for g in goals)
    messages.success(request, f"Approved {_plural(len(goals), 'goal')}: {titles}.")
    return redirect("goals:approvals", org_slug=org_slug)


# --- Cascade ------------------------------------------------------------------------------


def _cascade_units(actor: Actor) -> list[Unit]:
    units = Unit.objects.filter(org=actor.member.org_id).select_related("parent", "lead__user")
    if not actor.is_admin:
        units = units.filter(pk__in=list(actor.led_units))
    # The tree order's recursive query walks this organisation's units only.
    return list(units.with_tree_fields().tree_filter(org=actor.member.org_id))


def _cascade_people(actor: Actor) -> list[Membership]:
    people = (
        Membership.objects.filter(org=actor.member.org_id, is_active=True)
        .exclude(pk=actor.member.pk)
        .select_related("user", "unit")
        .order_by("user__full_name", "user__email")
    )
    if not actor.is_admin:
        people = people.filter(pk__in=list(actor.subtree))
    return list(people)


def _chosen(values: list[str], offered: dict[int, Any]) -> tuple[list, bool]:
    """The offered objects for the posted ids, and whether every id was on offer."""
    ids = {pk for pk in map(to_id, values) if pk is not None}
    chosen = [offered[pk] for pk in sorted(ids) if pk in offered]
    return chosen, len(chosen) == len(set(values))


def _cascade_summary(goals: list[Goal]) -> str:
    parts = []
    for goal in goals:
        state = "approved at once" if goal.status == GoalStatus.APPROVED else "draft"
        if goal.level == Level.UNIT:
            parts.append(f"{goal.unit.name} unit goal for {goal.owner.display_name} ({state})")
        else:
            parts.append(f"{goal.owner.display_name} ({state})")
    text = f"Created {_plural(len(goals), 'linked goal')}: {', '.join(parts)}."
    if any(goal.status == GoalStatus.DRAFT for goal in goals):
        text += " Each draft owner has been emailed to complete and submit it."
    return text


@require_http_methods(["GET", "POST"])
def goal_cascade(request: HttpRequest, org_slug: str, goal_pk: int) -> HttpResponse:
    actor = request_actor(request)
    source = get_goal(actor, goal_pk)
    if not actor.can_cascade(source):
        raise PermissionDenied(services.NOT_ALLOWED)
    units = {unit.pk: unit for unit in _cascade_units(actor)}
    people = {person.pk: person for person in _cascade_people(actor)}
    errors: list[str] = []
    title_error = ""
    chosen_units: list[Unit] = []
    chosen_people: list[Membership] = []
    approve = False
    title = request.POST.get("title", "")
    if source.status != GoalStatus.APPROVED:
        # Only an active goal is cascaded: the page says why, with no form.
        closed = source.status in (GoalStatus.COMPLETED, GoalStatus.CANCELLED)
        reason = services.CASCADE_CLOSED if closed else services.CASCADE_NOT_ACTIVE
        context = {"source": source, "not_active": reason}
        return render(
            request, "goals/cascade.html", context, status=400 if request.method == "POST" else 200
        )
    if request.method == "POST":
        chosen_units, units_ok = _chosen(request.POST.getlist("units"), units)
        chosen_people, people_ok = _chosen(request.POST.getlist("people"), people)
        approve = request.POST.get("approve") == "on"
        if not (units_ok and people_ok):
            errors = [services.CASCADE_OUT_OF_REACH]
        else:
            try:
                created = services.goal_cascade(
                    actor=actor,
                    source=source,
                    units=chosen_units,
                    people=chosen_people,
                    approve=approve,
                    title=title,
                )
            except ValidationError as error:
                by_field = error.message_dict if hasattr(error, "error_dict") else {}
                title_error = " ".join(by_field.pop("title", []))
                errors = [m for ms in by_field.values() for m in ms] if by_field else []
                if not hasattr(error, "error_dict"):
                    errors = error.messages
            else:
                messages.success(request, _cascade_summary(created))
                return redirect("goals:goal_detail", org_slug=org_slug, goal_pk=source.pk)
    existing = list(
        Goal.objects.filter(org=source.org_id, parent=source)
        .exclude(status=GoalStatus.CANCELLED)
        .values_list("level", "owner_id", "unit_id")
    )
    context = {
        "source": source,
        "units": list(units.values()),
        "people": list(people.values()),
        "chosen_units": {unit.pk for unit in chosen_units},
        "chosen_people": {person.pk for person in chosen_people},
        "approve": approve,
        "has_direct_reports": any(p.manager_id == actor.member.pk for p in people.values()),
        "units_with_goal": {unit for level, _, unit in existing if level == Level.UNIT},
        "people_with_goal": {owner for level, owner, _ in existing if level == Level.INDIVIDUAL},
        "errors": errors,
        "title": title,
        "title_error": title_error,
    }
    status = 400 if errors or title_error else 200
    return render(request, "goals/cascade.html", context, status=status)
