"""Who may read a feedback's content: one rule, as an object test and as a query.

The giver and the recipient always; public feedback everyone in the
organisation; "managers" feedback also the recipient's manager chain (the
people whose reporting subtree holds the recipient). Admins get nothing more
than anyone else for content (they see counts elsewhere).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from feedback.models import Feedback, FeedbackRequest, FeedbackVisibility
from goals.access import Actor


def may_read(actor: Actor, feedback: Feedback) -> bool:
    me = actor.member.pk
    if feedback.org_id != actor.member.org_id:
        return False
    if me in (feedback.giver_id, feedback.recipient_id):
        return True
    if feedback.visibility == FeedbackVisibility.PUBLIC:
        return True
    if feedback.visibility == FeedbackVisibility.MANAGERS:
        return actor.manages(feedback.recipient_id)
    return False


def readable_feedback(actor: Actor) -> QuerySet[Feedback]:
    """The organisation's feedback whose content ``actor`` may read."""
    me = actor.member
    return Feedback.objects.filter(org=me.org_id).filter(
        Q(giver=me)
        | Q(recipient=me)
        | Q(visibility=FeedbackVisibility.PUBLIC)
        | Q(visibility=FeedbackVisibility.MANAGERS, recipient__in=actor.subtree or [0])
    )


def get_feedback(actor: Actor, pk: int) -> Feedback:
    """The one access path to a feedback: another org's, a missing or an unreadable one is 404."""
    feedback = (
        Feedback.objects.select_related("giver__user", "recipient__user", "goal", "request")
        .filter(org=actor.member.org_id, pk=pk)
        .first()
    )
    if feedback is None or not may_read(actor, feedback):
        raise Http404("No such feedback")
    return feedback


def get_request(actor: Actor, pk: int) -> FeedbackRequest:
    """A feedback request, for the person asked and the requester; 404 for anyone else
    (the person a manager asks about does not read the manager's prompt or the answer's
    decline reason, as in the API's list)."""
    me = actor.member.pk
    found = (
        FeedbackRequest.objects.select_related(
            "requester__user", "about__user", "asked__user", "goal"
        )
        .filter(org=actor.member.org_id, pk=pk)
        .filter(Q(asked=me) | Q(requester=me))
        .first()
    )
    if found is None:
        raise Http404("No such request")
    return found
