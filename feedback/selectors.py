"""Reading feedback and requests for the pages and the API.

Every list of feedback content starts from ``feedback.access.readable_feedback`` (or is
the viewer's own received or given feedback, which the rule always grants), so the one
visibility rule decides. Dates of feedback (when someone last received any) and counts
are not content: managers and admins see them. Each function is one query for any
number of rows (plus the viewer's reporting subtree, read once per request).
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from feedback.access import readable_feedback
from feedback.models import Feedback, FeedbackRequest, FeedbackRevision
from goals.access import Actor
from goals.models import Cycle, Goal
from orgs.models import Membership

# "No feedback in 30 days": the signal on the team view and the feedback page.
QUIET_DAYS = 30
GOAL_MENU_LIMIT = 100


def _edited(qs: QuerySet[Feedback]) -> QuerySet[Feedback]:
    revisions = FeedbackRevision.objects.filter(feedback=OuterRef("pk"))
    return qs.annotate(edited=Exists(revisions))


def for_display(actor: Actor, qs: QuerySet[Feedback]) -> QuerySet[Feedback]:
    """``qs`` with ``edited`` and whether ``actor`` may see the goal (``goal_visible``) and
    the check-in's goal (``checkin_visible``): reading a feedback does not make its goal
    readable, so a private goal's title stays hidden ("a private goal"). Same one query."""
    # Conditions on the joined goal rows, not subqueries: a subquery over the visible
    # goals (or their check-ins) is hashed whole, growing with the organisation.
    return _edited(qs).annotate(
        goal_visible=ExpressionWrapper(actor.sees_goal_q("goal__"), output_field=BooleanField()),
        checkin_visible=ExpressionWrapper(
            actor.sees_goal_q("checkin__goal__"), output_field=BooleanField()
        ),
    )


def received(actor: Actor) -> QuerySet[Feedback]:
    return for_display(
        actor,
        Feedback.objects.filter(org=actor.member.org_id, recipient=actor.member).select_related(
            "giver__user", "goal"
        ),
    )


def given(actor: Actor) -> QuerySet[Feedback]:
    return for_display(
        actor,
        Feedback.objects.filter(org=actor.member.org_id, giver=actor.member).select_related(
            "recipient__user", "goal"
        ),
    )


def readable_about(actor: Actor, person: Membership) -> QuerySet[Feedback]:
    """The feedback ``person`` received that ``actor`` may read, newest first."""
    return for_display(
        actor,
        readable_feedback(actor).filter(recipient=person).select_related("giver__user", "goal"),
    )


def readable_on_goal(actor: Actor, goal: Goal) -> QuerySet[Feedback]:
    """The feedback about ``goal`` that ``actor`` may read, newest first."""
    return for_display(
        actor,
        readable_feedback(actor)
        .filter(goal=goal)
        .select_related("giver__user", "recipient__user", "goal"),
    )


def waiting_for(actor: Actor) -> QuerySet[FeedbackRequest]:
    """Open requests asked of ``actor``, newest first."""
    return _goal_visible(
        actor,
        FeedbackRequest.objects.filter(
            org=actor.member.org_id, asked=actor.member, status=FeedbackRequest.Status.OPEN
        ).select_related("requester__user", "about__user", "goal"),
    )


def sent_by(actor: Actor) -> QuerySet[FeedbackRequest]:
    """The requests ``actor`` made, with their status."""
    return _goal_visible(
        actor,
        FeedbackRequest.objects.filter(
            org=actor.member.org_id, requester=actor.member
        ).select_related("asked__user", "about__user", "goal"),
    )


def _goal_visible(actor: Actor, qs: QuerySet[FeedbackRequest]) -> QuerySet[FeedbackRequest]:
    """Whether ``actor`` may see each request's goal (it may have become private since)."""
    return qs.annotate(
        goal_visible=ExpressionWrapper(actor.sees_goal_q("goal__"), output_field=BooleanField())
    )


def direct_reports(actor: Actor) -> QuerySet[Membership]:
    """``actor``'s active direct reports, each with when they last received feedback
    (``last_received``) and how much of it ``actor`` may read (``visible``)."""
    visible = (
        readable_feedback(actor)
        .filter(recipient=OuterRef("pk"))
        .order_by()
        .values("recipient")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Membership.objects.filter(org=actor.member.org_id, manager=actor.member, is_active=True)
        .select_related("user", "unit")
        .annotate(
            last_received=Max("feedback_received__created_at"),
            visible=Coalesce(Subquery(visible, output_field=IntegerField()), 0),
        )
        .order_by("user__full_name", "user__email", "pk")
    )


def last_received(org_id: int, people: list[int]) -> dict[int, datetime]:
    """When each of ``people`` last received any feedback: one query."""
    rows = (
        Feedback.objects.filter(org=org_id, recipient__in=people)
        .order_by()
        .values("recipient")
        .annotate(last=Max("created_at"))
    )
    return {row["recipient"]: row["last"] for row in rows}


def days_since(when: datetime | None) -> int | None:
    if when is None:
        return None
    return (timezone.localdate() - timezone.localtime(when).date()).days


def is_quiet(when: datetime | None) -> bool:
    """No feedback received in the last QUIET_DAYS days."""
    days = days_since(when)
    return days is None or days >= QUIET_DAYS


def active_cycle(org_id: int) -> Cycle | None:
    today = timezone.localdate()
    return (
        Cycle.objects.filter(
            org=org_id, status=Cycle.Status.ACTIVE, start__lte=today, end__gte=today
        )
        .order_by("end", "pk")
        .first()
    )


def counts_in(actor: Actor, person: Membership, cycle: Cycle | None) -> dict[str, int]:
    """How much feedback ``person`` received (in ``cycle`` if any) and how much of it
    ``actor`` may read: one query."""
    qs = Feedback.objects.filter(org=actor.member.org_id, recipient=person)
    if cycle is not None:
        qs = qs.filter(created_at__date__gte=cycle.start, created_at__date__lte=cycle.end)
    readable = readable_feedback(actor).filter(recipient=person).values("pk")
    return qs.aggregate(total=Count("pk"), readable=Count("pk", filter=Q(pk__in=readable)))


def goal_menu(actor: Actor, owner: Membership | None) -> list[Goal]:
    """The goals of ``owner`` that ``actor`` may see, for a "which goal" menu."""
    if owner is None:
        return []
    return list(
        actor.visible_goals()
        .filter(owner=owner)
        .select_related("cycle")
        .order_by("-cycle__start", "title", "pk")[:GOAL_MENU_LIMIT]
    )
