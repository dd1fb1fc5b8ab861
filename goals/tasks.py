"""Thin Celery tasks for goals: take ids, set the organisation, do one thing."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse

from core.tasks import fan_out, ran_here, tenant_task
from core.tenancy import tenant_context
from goals.models import Goal, GoalEvent, GoalStatus, Level
from orgs.models import Membership, Organization, Unit

SUBJECTS = {
    "cascaded": "A goal was cascaded to you: {title}",
    "submitted": "A goal awaits your approval: {title}",
    "approved": "Your goal was approved: {title}",
    "changes_requested": "Changes requested on your goal: {title}",
}


def _recipient(goal: Goal, kind: str) -> Membership | None:
    """The owner; for a submitted goal, who approves it: the owner's manager, or for a unit
    goal the lead of the unit above."""
    if kind != "submitted":
        return goal.owner
    if goal.level == Level.UNIT and goal.unit_id:
        unit = Unit.objects.filter(org=goal.org_id, pk=goal.unit_id).select_related(
            "parent__lead__user"
        )
        parent = unit.first().parent if unit.exists() else None
        return parent.lead if parent is not None else None
    return goal.owner.manager


def _what(goal: Goal, kind: str, actor: str, event: GoalEvent | None) -> str:
    """Who did what, in a sentence."""
    title = f"“{goal.title}”"
    if kind == "cascaded":
        source = f"“{goal.parent.title}”" if goal.parent_id else "a goal"
        return (
            f"{actor} cascaded {source} to you. Your draft goal {title} contributes to it: "
            "complete it in your own words and submit it for approval."
        )
    if kind == "submitted":
        whose = "" if actor == goal.owner.display_name else f", {goal.owner.display_name}'s goal,"
        return f"{actor} submitted {title}{whose} for your approval."
    if kind == "approved":
        if event is not None and (event.before or {}).get("status") == GoalStatus.APPROVED:
            return f"{actor} approved the changes to your goal {title}: they count from now on."
        return f"{actor} approved your goal {title}: it is active and counts toward its parent."
    return f"{actor} asked for changes to your goal {title}:"


@shared_task(
    autoretry_for=(ConnectionError, TimeoutError, OSError), retry_backoff=True, max_retries=5
)
def notify_about_goal(*, org_id: int, goal_id: int, kind: str, actor_id: int | None = None) -> bool:
    """Email the person concerned that someone did something to a goal, saying who and what."""
    with tenant_context(org_id):
        goal = (
            Goal.objects.select_related("owner__user", "owner__manager__user", "parent")
            .filter(org=org_id, pk=goal_id)
            .first()
        )
        if goal is None:
            return False
        recipient = _recipient(goal, kind)
        # Nobody is emailed about what they did themselves.
        if recipient is None or not recipient.is_active or recipient.pk == actor_id:
            return False
        actor = Membership.objects.select_related("user").filter(org=org_id, pk=actor_id).first()
        actor_name = actor.display_name if actor else "Someone"
        org = Organization.objects.get(pk=org_id)
        link = settings.SITE_URL + reverse("goals:goal_detail", args=[org.slug, goal.pk])
        event = goal.events.filter(kind=kind).first()
        lines = [f"Hi {recipient.display_name},", "", _what(goal, kind, actor_name, event)]
        if event is not None and event.comment:
            lines += ["", *(f"> {line}" for line in event.comment.splitlines())]
        lines += ["", f"Open the goal: {link}", "", f"Cairn, for {org.name}"]
        subject = SUBJECTS[kind].format(title=goal.title)
        send_mail(subject, "\n".join(lines) + "\n", None, [recipient.user.email])
        return True


@tenant_task
def recompute_org_progress(*, org_id: int) -> int:
    """Recompute one organisation's progress set-based; how many goals had drifted."""
    from goals.rollup import recompute_all

    before = dict(Goal.objects.filter(org=org_id).values_list("pk", "progress"))
    after = recompute_all(org_id)
    return sum(1 for pk, value in after.items() if abs(before[pk] - value) > 1e-9)


@shared_task
def recompute_progress() -> dict[int, int | None]:
    """Nightly safety net: one recompute_org_progress task per organisation.

    Returns each organisation's drift where the task ran in this process (eager
    mode); None where a worker runs it.
    """
    return ran_here(fan_out(recompute_org_progress))
