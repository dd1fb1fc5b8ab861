"""What feedback contributes to the daily review digest (notifications.reminders).

"Feedback requests waiting for you": each person's open requests, until they answer
or decline them, with the due date and a link to the answer page. One query for the
whole organisation.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.urls import reverse

from feedback.models import FeedbackRequest
from notifications.reminders import register_section
from orgs.models import Organization

REQUESTS_WAITING = "Feedback requests waiting for you"


def _detail(request: FeedbackRequest, today: date) -> str:
    if request.due_date is None:
        return "No due date"
    days = (request.due_date - today).days
    when = f"{request.due_date.day} {request.due_date:%b %Y}"
    if days < 0:
        return f"Was due {when}"
    if days == 0:
        return "Due today"
    return f"Due {when}"


def requests_waiting(org: Organization, today: date) -> dict[int, list[dict]]:
    """The open requests asked of each active person about an active colleague: one query."""
    found = (
        FeedbackRequest.objects.filter(
            org=org,
            status=FeedbackRequest.Status.OPEN,
            asked__is_active=True,
            about__is_active=True,  # nobody is asked about someone who has left
        )
        .select_related("requester__user", "about__user", "goal")
        .order_by("due_date", "created_at", "pk")
    )
    waiting: dict[int, list[dict]] = defaultdict(list)
    for request in found:
        if request.about_id == request.requester_id:
            label = f"{request.requester.display_name} asks for feedback"
        else:
            label = (
                f"{request.requester.display_name} asks for feedback on "
                f"{request.about.display_name}"
            )
        if request.goal is not None:
            # Only a public goal is named: the goal may have become private since.
            public = request.goal.visibility == "public"
            label += f" (“{request.goal.title}”)" if public else " (a private goal)"
        waiting[request.asked_id].append(
            {
                "label": label,
                "detail": _detail(request, today),
                "path": reverse("feedback:request_detail", args=[org.slug, request.pk]),
            }
        )
    return waiting


def register() -> None:
    register_section(REQUESTS_WAITING, requests_waiting)
