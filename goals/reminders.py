"""What goals contribute to the daily review digests (notifications.reminders).

Three sections, each one or two queries for the whole organisation:
- "Check-ins due": a person's active goals (approved, in an active cycle) with no
  check-in within the organisation's cadence, counted as goals.health counts
  "stale" (from the last check-in, else the goal's last change such as approval).
- "Waiting for your approval" (team digest): goals submitted, or changed since
  approval, to whoever the submission notification goes to: the owner's manager,
  or for a unit goal the lead of the unit above (goals.services.notify).
- "Needs attention in your team" (team digest): stale, at-risk and off-track
  active goals of everyone below a manager in the reporting lines.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from goals.health import CADENCE_DAYS, health
from goals.models import Cycle, Goal, GoalStatus, Level
from goals.selectors import health_q
from notifications.reminders import managers_above, register_section
from orgs.models import Organization

CHECKINS_DUE = "Check-ins due"
APPROVALS = "Waiting for your approval"
ATTENTION = "Needs attention in your team"
SEVERITY = {"off_track": 0, "at_risk": 1, "on_track": 2}


def _active_goals(org: Organization):
    return Goal.objects.filter(
        org=org,
        status=GoalStatus.APPROVED,
        cycle__status=Cycle.Status.ACTIVE,
        owner__is_active=True,
    )


def _since(goal: Goal, today: date) -> str:
    if goal.last_checkin_at is None:
        return "no check-in yet"
    days = (today - timezone.localtime(goal.last_checkin_at).date()).days
    return f"last check-in {days} day{'s' if days != 1 else ''} ago"


def checkins_due(org: Organization, today: date) -> dict[int, list[dict]]:
    """Each person's active goals due for a check-in: one query."""
    cutoff = timezone.now() - timedelta(days=CADENCE_DAYS.get(org.checkin_cadence, 7))
    goals = (
        _active_goals(org)
        .annotate(since=Coalesce("last_checkin_at", "updated_at"))
        .filter(since__lt=cutoff)
        .order_by("owner_id", "title", "pk")
    )
    due: dict[int, list[dict]] = defaultdict(list)
    for goal in goals:
        due[goal.owner_id].append(
            {
                "label": goal.title,
                "detail": f"{round(goal.progress * 100)}% · {_since(goal, today)}",
                "path": reverse("goals:goal_detail", args=[org.slug, goal.pk]),
            }
        )
    return due


def approvals_waiting(org: Organization, today: date) -> dict[int, list[dict]]:
    """Goals waiting for each approver: one query."""
    waiting = Q(status=GoalStatus.SUBMITTED) | Q(status=GoalStatus.APPROVED, needs_reapproval=True)
    goals = (
        Goal.objects.filter(org=org)
        .filter(waiting)
        .exclude(cycle__status=Cycle.Status.CLOSED)
        .select_related("owner__user")
        .annotate(unit_approver=F("unit__parent__lead_id"))
        .order_by("title", "pk")
    )
    path = reverse("goals:approvals", args=[org.slug])
    found: dict[int, list[dict]] = defaultdict(list)
    for goal in goals:
        if goal.level == Level.UNIT and goal.unit_id:
            approver = goal.unit_approver
        else:
            approver = goal.owner.manager_id
        if approver is None or approver == goal.owner_id:
            continue
        what = "Changed since approval" if goal.status == GoalStatus.APPROVED else "Submitted"
        found[approver].append(
            {"label": goal.title, "detail": f"{goal.owner.display_name} · {what}", "path": path}
        )
    return found


def team_attention(org: Organization, today: date) -> dict[int, list[dict]]:
    """Stale, at-risk and off-track active goals below each manager: three queries (the
    active cycles, the goals, the reporting lines)."""
    cycles = list(Cycle.objects.filter(org=org, status=Cycle.Status.ACTIVE))
    if not cycles:
        return {}
    flagged = Q(pk__in=[])
    for cycle in cycles:
        flagged |= Q(cycle=cycle) & (
            health_q("stale", cycle=cycle, cadence=org.checkin_cadence, today=today)
            | health_q(
                "at_risk_or_off_track", cycle=cycle, cadence=org.checkin_cadence, today=today
            )
        )
    goals = list(_active_goals(org).filter(flagged).select_related("owner__user", "cycle"))
    rows = []
    for goal in goals:
        state = health(
            goal,
            cycle_start=goal.cycle.start,
            cycle_end=goal.cycle.end,
            cadence=org.checkin_cadence,
            today=today,
        )
        words = [] if state.code == "on_track" else [state.label]
        if state.stale:
            words.append("stale")
        rows.append((SEVERITY.get(state.code, 3), goal, " and ".join(words).capitalize()))
    rows.sort(key=lambda row: (row[0], row[1].title.lower(), row[1].pk))
    above = managers_above(org, {goal.owner_id for goal in goals})
    found: dict[int, list[dict]] = defaultdict(list)
    for _rank, goal, words in rows:
        item = {
            "label": goal.title,
            "detail": f"{goal.owner.display_name} · {words} · {round(goal.progress * 100)}%",
            "path": reverse("goals:goal_detail", args=[org.slug, goal.pk]),
        }
        for manager in above.get(goal.owner_id, []):
            found[manager].append(item)
    return found


def team_page(org: Organization) -> str:
    return reverse("goals:team_goals", args=[org.slug])


def my_goals_page(org: Organization) -> str:
    return reverse("goals:my_goals", args=[org.slug])


def approvals_page(org: Organization) -> str:
    return reverse("goals:approvals", args=[org.slug])


def register() -> None:
    register_section(CHECKINS_DUE, checkins_due, more_path=my_goals_page)
    register_section(APPROVALS, approvals_waiting, team=True, more_path=approvals_page)
    register_section(ATTENTION, team_attention, team=True, more_path=team_page)
