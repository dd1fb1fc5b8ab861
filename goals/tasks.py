"""Thin Celery tasks for goals: take ids, set the organisation, do one thing."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse

from goals.models import Goal
from orgs.models import Organization
from orgs.tenancy import tenant_context

SUBJECTS = {
    "cascaded": "A goal was cascaded to you: {title}",
    "approved": "Your goal was approved: {title}",
    "changes_requested": "Changes requested on your goal: {title}",
}


@shared_task(
    autoretry_for=(ConnectionError, TimeoutError, OSError), retry_backoff=True, max_retries=5
)
def notify_goal_owner(*, org_id: int, goal_id: int, kind: str) -> bool:
    """Email a goal's owner that something happened to it."""
    with tenant_context(org_id):
        goal = Goal.objects.select_related("owner__user").filter(org=org_id, pk=goal_id).first()
        if goal is None or not goal.owner.is_active:
            return False
        org = Organization.objects.get(pk=org_id)
        link = settings.SITE_URL + reverse("goal_detail", args=[org.slug, goal.pk])
        comment = goal.events.filter(kind=kind).values_list("comment", flat=True).first() or ""
        body = f"{SUBJECTS[kind].format(title=goal.title)}\n\n{comment}\n\nOpen it: {link}\n"
        send_mail(SUBJECTS[kind].format(title=goal.title), body, None, [goal.owner.user.email])
        return True


@shared_task
def recompute_progress() -> dict[int, int]:
    """Nightly safety net: recompute every organisation's progress set-based; report drift."""
    from goals.rollup import recompute_all

    drift: dict[int, int] = {}
    for org_id in Organization.objects.values_list("pk", flat=True):
        with tenant_context(org_id):
            before = dict(Goal.objects.filter(org=org_id).values_list("pk", "progress"))
            after = recompute_all(org_id)
            drift[org_id] = sum(1 for pk, value in after.items() if abs(before[pk] - value) > 1e-9)
    return drift
