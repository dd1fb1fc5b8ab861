"""What the goal pages show, built from what the selectors read: goal cards with their
key-result rows (My goals, the team page), "why N%" and the activity timeline.

Presenters hold no request and write nothing; the views pass them what they need.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import (
    Count,
    IntegerField,
    OuterRef,
    Prefetch,
    Subquery,
)
from django.urls import reverse

from core.formatting import day, number, percent
from goals.access import Actor
from goals.charts import Sparkline, sparkline, with_unit
from goals.health import health_for
from goals.models import (
    CheckIn,
    Confidence,
    Cycle,
    EventKind,
    Goal,
    GoalEvent,
    GoalStatus,
    KeyResult,
    Level,
    Milestone,
    Visibility,
)
from goals.rollup import explain
from goals.selectors import goals_above, path_above, recent_checkins
from orgs.models import Membership, Unit

# A sparkline shows this many check-ins, the latest (about a quarter of weekly ones);
# the history page pages through all of them.
SPARKLINE_POINTS = 13


@dataclass
class KeyResultRow:
    """A key result with its latest check-ins (oldest first; at most SPARKLINE_POINTS of
    ``total``) and milestones."""

    kr: KeyResult
    checkins: list[CheckIn]
    milestones: list[Milestone]
    can_check_in: bool
    total: int = 0

    @property
    def history_cut(self) -> bool:
        return self.total > len(self.checkins)

    @property
    def percent(self) -> int:
        return round(self.kr.progress * 100)

    @property
    def last(self) -> CheckIn | None:
        return self.checkins[-1] if self.checkins else None

    def show(self, value: Decimal) -> str:
        if self.kr.kind == KeyResult.Kind.BOOLEAN:
            return "done" if value >= 1 else "not done"
        if self.kr.kind == KeyResult.Kind.MILESTONES:
            return f"{number(value)} done"
        return with_unit(value, self.kr.unit_label)

    @property
    def last_value(self) -> str:
        return self.show(self.last.value) if self.last else ""

    @property
    def figures(self) -> str:
        kr = self.kr
        if kr.kind == KeyResult.Kind.BOOLEAN:
            return "Done" if kr.current_value >= 1 else "Not done yet"
        if kr.kind == KeyResult.Kind.MILESTONES:
            done = sum(m.done for m in self.milestones)
            return f"{done} of {len(self.milestones)} milestones done"
        now, target = self.show(kr.current_value), self.show(kr.target_value)
        if kr.direction == KeyResult.Direction.STAY_ABOVE:
            return f"Now {now}; stay above {target}"
        if kr.direction == KeyResult.Direction.STAY_BELOW:
            return f"Now {now}; stay below {target}"
        return f"Now {now}; target {target}, from {self.show(kr.start_value)}"

    @cached_property
    def chart(self) -> Sparkline | None:
        target = self.kr.target_value
        if self.kr.kind == KeyResult.Kind.MILESTONES:
            target = Decimal(len(self.milestones))
        return sparkline(
            [(c.created_at, c.value) for c in self.checkins],
            target=target,
            dom_id=f"history-{self.kr.pk}",
            title=f"Check-in history of {self.kr.title}",
            fmt=self.show,
            total=self.total,
        )


@dataclass
class GoalCard:
    goal: Goal  # with ``health`` set
    rows: list[KeyResultRow]
    # The goals it contributes to, top first; None stands for one the viewer may not see.
    path: list[Goal | None]
    trail: list[Goal | None] = field(default_factory=list)  # the part of the path shown


@dataclass
class Group:
    heading: str
    kicker: str
    top: Goal | None = None  # shown with its progress in the heading
    cards: list[GoalCard] = field(default_factory=list)

    @property
    def order(self) -> tuple:
        top = self.top
        rank = 0 if top and top.level == Level.ORGANISATION else 1 if top else 2
        return rank, self.heading.lower()


def key_result_rows(
    actor: Actor,
    goals: dict[int, Goal],
    *,
    key_result_pk: int | None = None,
    may_check_in: bool = False,
) -> dict[int, list[KeyResultRow]]:
    """Key result rows by goal id (three queries whatever the number of goals).

    ``may_check_in``: the caller knows the actor may check in on every goal (so the
    actor's reporting subtree need not be read to find out)."""
    org_id = actor.member.org_id
    krs = KeyResult.objects.filter(org=org_id, goal__in=list(goals))
    if key_result_pk is not None:
        krs = krs.filter(pk=key_result_pk)
    # How many check-ins each has, counted once a key result (from its index).
    count = (
        CheckIn.objects.filter(org=org_id, key_result=OuterRef("pk"))
        .order_by()
        .values("key_result")
        .annotate(n=Count("pk"))
        .values("n")
    )
    krs = list(
        krs.annotate(checkin_total=Subquery(count, output_field=IntegerField())).prefetch_related(
            Prefetch("milestones", queryset=Milestone.objects.filter(org=org_id))
        )
    )
    history: dict[int, list[CheckIn]] = {kr.pk: [] for kr in krs}
    totals = {kr.pk: kr.checkin_total or 0 for kr in krs}
    for checkin in recent_checkins(
        org_id=org_id, key_results=list(history), limit=SPARKLINE_POINTS
    ):
        history[checkin.key_result_id].append(checkin)
    can = {pk: may_check_in or actor.can_check_in(goal) for pk, goal in goals.items()}
    rows: dict[int, list[KeyResultRow]] = {pk: [] for pk in goals}
    for kr in krs:
        kr.goal = goals[kr.goal_id]
        checkins = history[kr.pk][::-1]  # oldest first
        milestones = list(kr.milestones.all())
        row = KeyResultRow(kr, checkins, milestones, can[kr.goal_id], totals[kr.pk])
        rows[kr.goal_id].append(row)
    return rows


def my_goals_page(actor: Actor, org, cycle: Cycle) -> dict:
    """The viewer's own goals, grouped by what they serve (a fixed number of queries).

    Every goal they serve is on the page with its progress (``progress-of-<pk>``), so a
    check-in can update all of them. Their reports' goals are on the team page: listing
    everything below a manager made this page grow with the organisation.
    """
    me = actor.member
    goals = list(
        Goal.objects.filter(org=org.pk, cycle=cycle, owner=me)
        .select_related("owner__user", "unit")
        .order_by("title", "pk")
    )
    by_id = {g.pk: g for g in goals}
    # The goals above them: one walk up the parent links, as deep as the cascade.
    parents = {g.parent_id for g in goals if g.parent_id is not None}
    above = goals_above(org_id=org.pk, goal_ids=parents) if parents else []
    everything = {g.pk: g for g in above} | by_id
    for goal in everything.values():
        goal.cycle = cycle
        goal.health = health_for(goal, org)
    rows = key_result_rows(actor, by_id)
    groups: dict[object, Group] = {}
    for goal in goals:
        path = [g if actor.can_view(g) else None for g in path_above(goal, everything)]
        card = GoalCard(goal, rows[goal.pk], path)
        top = path[0] if path else None
        if top is not None:
            key, group = top.pk, Group(top.title, top.get_level_display(), top=top)
        elif path:
            key, group = "private", Group("A goal you cannot see", "Contributes to")
        elif goal.level == Level.ORGANISATION:
            key, group = "objectives", Group("Organisation objectives", "You own")
        else:
            key, group = "unaligned", Group("Not aligned yet", "Contributes to nothing")
        groups.setdefault(key, group).cards.append(card)
        card.trail = path[1:]  # the group's heading shows the top
    return {"groups": sorted(groups.values(), key=lambda g: g.order)}


@dataclass
class WhyRow:
    kind: str
    title: str
    url: str
    weight: float
    progress: float
    share: float  # of the goal's number, 0..1
    note: str = ""  # "Follows KPI …" for a key result driven by a KPI

    @property
    def weight_text(self) -> str:
        return number(self.weight)

    @property
    def progress_text(self) -> str:
        return percent(self.progress)

    @property
    def share_text(self) -> str:
        return percent(self.share)


@dataclass
class Why:
    rows: list[WhyRow]
    value: float
    arithmetic: str
    total_weight: float

    @property
    def total_text(self) -> str:
        return number(self.total_weight)

    @property
    def value_text(self) -> str:
        return percent(self.value)


def kpi_period(granularity: str, at) -> str:
    """The period a KPI's latest value is for: "3 Nov 2026", "the week of 2 Nov 2026",
    "November 2026" (``at`` in the organisation's time)."""
    day_ = at.date()
    if granularity == "week":
        return f"the week of {day(day_ - timedelta(days=day_.weekday()))}"
    if granularity == "month":
        return f"{day_:%B %Y}"
    return day(day_)


def kpi_note(kr: KeyResult, tz) -> str:
    """ "Follows KPI “Signups”: latest value 42 for the week of 2 Nov 2026"."""
    kpi = kr.kpi
    if kpi is None:
        return ""
    if kpi.latest_at is None or kpi.latest_value is None:
        return f"Follows KPI “{kpi.name}”: no value yet"
    value = with_unit(kr.current_value, kpi.unit_label)
    return (
        f"Follows KPI “{kpi.name}”: latest value {value} for "
        f"{kpi_period(kpi.granularity, kpi.latest_at.astimezone(tz))}"
    )


def why(
    goal: Goal,
    *,
    visible_ids: set[int],
    org_slug: str,
    key_results: list[KeyResult] = (),
    tz=None,
) -> Why:
    """The contributions behind the goal's number and the sum that combines them;
    ``key_results`` loaded with their KPI say which KPIs drive them."""
    notes = {kr.pk: kpi_note(kr, tz) for kr in key_results if kr.kpi_id and kr.kpi}
    contributions, value = explain(goal)
    total = sum(c.weight for c in contributions)
    rows = []
    for c in contributions:
        if c.kind == "key_result":
            kind, title, url = "Key result", c.title, f"#kr-{c.pk}"
        elif c.pk in visible_ids:
            kind, title, url = "Goal", c.title, reverse("goals:goal_detail", args=[org_slug, c.pk])
        else:
            kind, title, url = "Goal", PRIVATE_GOAL.capitalize(), ""
        share = c.share / total if total else 0.0
        note = notes.get(c.pk, "") if c.kind == "key_result" else ""
        rows.append(WhyRow(kind, title, url, c.weight, c.progress, share, note))
    arithmetic = ""
    if rows and total > 0:
        terms = " + ".join(f"{number(r.weight)}×{percent(r.progress)}" for r in rows)
        arithmetic = f"({terms}) ÷ {number(total)} = {percent(value)}"
    return Why(rows, value, arithmetic, total)


@dataclass
class TimelineEntry:
    who: str
    when: Any
    summary: str
    changes: list[tuple[str, str, str]] = field(default_factory=list)
    comment: str = ""


FIELD_LABELS = {
    "title": "Title",
    "description": "Description",
    "parent_id": "Contributes to",
    "weight": "Weight",
    "visibility": "Visibility",
    "due_date": "Due date",
    "manual_progress": "Manual progress",
    "unit_id": "Unit",
    "owner_id": "Owner",
    "level": "Level",
    "status": "Status",
    "kind": "Kind",
    "direction": "Direction",
    "start_value": "Start",
    "target_value": "Target",
    "current_value": "Current value",
    "unit_label": "Unit label",
    "value": "Value",
    "progress": "Progress",
    "confidence": "Confidence",
}


CHOICE_LABELS = {
    "status": dict(GoalStatus.choices),
    "visibility": dict(Visibility.choices),
    "level": dict(Level.choices),
    "kind": dict(KeyResult.Kind.choices),
    "direction": dict(KeyResult.Direction.choices),
    "confidence": dict(Confidence.choices),
}


SUMMARIES = {
    EventKind.CREATED: "created this goal",
    EventKind.EDITED: "edited the goal",
    EventKind.SUBMITTED: "submitted it for approval",
    EventKind.APPROVED: "approved it",
    EventKind.CHANGES_REQUESTED: "asked for changes",
    EventKind.COMPLETED: "marked it completed",
    EventKind.CANCELLED: "cancelled it",
    EventKind.KEY_RESULT_ADDED: "added the key result “{kr}”",
    EventKind.KEY_RESULT_EDITED: "edited the key result “{kr}”",
    EventKind.KEY_RESULT_REMOVED: "removed the key result “{kr}”",
    EventKind.CHECKED_IN: "checked in on “{kr}”",
    EventKind.MILESTONE_DONE: "ticked off “{milestone}” in “{kr}”",
    EventKind.MILESTONE_REOPENED: "reopened “{milestone}” in “{kr}”",
    EventKind.CASCADED: "created this goal by cascading “{source}”",
}


# Recorded in every "created" event; the timeline shows only the ones that say something.
CREATED_FIELDS = ("parent_id", "weight", "due_date", "visibility")


def shown_keys(event: GoalEvent) -> list[str]:
    """The before/after keys the timeline shows for an event."""
    after = event.after if isinstance(event.after, dict) else {}
    if event.kind == EventKind.CHECKED_IN:
        return [k for k in ("value", "progress", "confidence") if after.get(k) not in ("", None)]
    if event.kind in (EventKind.EDITED, EventKind.KEY_RESULT_EDITED):
        return [k for k in after if k in FIELD_LABELS]
    if event.kind in (EventKind.CREATED, EventKind.CASCADED):
        return [k for k in CREATED_FIELDS if after.get(k) not in ("", None)]
    return []


def timeline_entry(event: GoalEvent, names: Names) -> TimelineEntry:
    before = event.before if isinstance(event.before, dict) else {}
    after = event.after if isinstance(event.after, dict) else {}
    kr_id = after.get("key_result", before.get("key_result"))
    kr_title = names.key_results.get(kr_id) or after.get("title") or before.get("title") or ""
    summary = SUMMARIES.get(event.kind, event.kind.replace("_", " ")).format(
        kr=kr_title,
        milestone=after.get("milestone", ""),
        source=names.value("from", after.get("from")),
    )
    if event.kind == EventKind.APPROVED and before.get("status") == GoalStatus.APPROVED:
        summary = "approved the changes"
    created = event.kind in (EventKind.CREATED, EventKind.CASCADED)
    changes = []
    for key in shown_keys(event):
        shown = names.value(key, after[key])
        # Older events did not record every before value: show those without one.
        if created or key not in before:
            changes.append((FIELD_LABELS[key], "", shown))
            continue
        was = names.value(key, before.get(key))
        if was != shown:
            changes.append((FIELD_LABELS[key], was, shown))
        elif event.kind == EventKind.CHECKED_IN and key == "value":
            changes.append((FIELD_LABELS[key], "", shown))  # the value checked in, unchanged
    who = event.actor.display_name if event.actor else "Cairn"
    return TimelineEntry(who, event.created_at, summary, changes, event.comment)


@dataclass
class ChangesRequest:
    """What the approver asked for, shown on top while the goal is back with its owner."""

    comment: str
    by: str
    when: Any


@dataclass
class AwaitingReapproval:
    """A change waiting for re-approval, for its owner and its approver: both numbers."""

    counted: float
    proposed: float
    changes: list
    # (parent title, its progress now, with the change) for the parent and a new one.
    parents: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def counted_text(self) -> str:
        return percent(self.counted)

    @property
    def proposed_text(self) -> str:
        return percent(self.proposed)


PRIVATE_GOAL = "a private goal"


class Names:
    """Titles and names the timeline mentions by id, each kind read in one query."""

    LOOKUPS = {"parent_id": "goals", "from": "goals", "unit_id": "units", "owner_id": "people"}

    def __init__(self, actor: Actor, events: list[GoalEvent], key_results: list[KeyResult]):
        self.key_results = {kr.pk: kr.title for kr in key_results}
        ids: dict[str, set[int]] = {"goals": set(), "units": set(), "people": set()}
        for event in events:
            states = [s for s in (event.before, event.after) if isinstance(s, dict)]
            for key in [*shown_keys(event), "from"]:
                if key in self.LOOKUPS:
                    ids[self.LOOKUPS[key]].update(
                        s[key] for s in states if isinstance(s.get(key), int)
                    )
        org_id = actor.member.org_id
        self.goals: dict[int, str] = {}
        if ids["goals"]:
            for g in Goal.objects.filter(org=org_id, pk__in=ids["goals"]).only(
                "title", "owner_id", "visibility"
            ):
                self.goals[g.pk] = g.title if actor.can_view(g) else PRIVATE_GOAL
        self.units: dict[int, str] = {}
        if ids["units"]:
            units = Unit.objects.filter(org=org_id, pk__in=ids["units"])
            self.units = dict(units.values_list("pk", "name"))
        self.people: dict[int, str] = {}
        if ids["people"]:
            people = Membership.objects.filter(org=org_id, pk__in=ids["people"])
            self.people = {m.pk: m.display_name for m in people.select_related("user")}

    def value(self, key: str, value: Any) -> str:
        if value is None or value == "":
            return "—"
        if key in self.LOOKUPS:
            return getattr(self, self.LOOKUPS[key]).get(value, "—")
        if key in CHOICE_LABELS:
            return CHOICE_LABELS[key].get(value, str(value))
        if key == "progress":
            return percent(float(value))
        if key == "manual_progress":
            return f"{number(value)}%"
        if key in ("weight", "start_value", "target_value", "current_value", "value"):
            return number(value)
        if key == "due_date":
            due = as_date(value)
            return day(due) if due else str(value)
        return str(value)


def as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return forms.DateField().to_python(value)
    except ValidationError:
        return None
