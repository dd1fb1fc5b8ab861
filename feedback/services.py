"""Every write to feedback and feedback requests (pages and the API call these).

Each service checks everything first and raises ``ValidationError`` with field
errors before writing, so a refusal leaves nothing behind.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from feedback.access import may_read
from feedback.models import (
    MAX_BODY,
    Feedback,
    FeedbackRequest,
    FeedbackRevision,
    FeedbackVisibility,
)
from goals.access import NOT_ALLOWED, Actor
from goals.models import CheckIn, Goal
from notifications.models import Kind, Notification
from notifications.services import excerpt, notify
from orgs.models import Membership

TO_SELF = "Feedback is for a colleague: choose someone other than yourself."
NOT_A_COLLEAGUE = "Choose an active colleague in this organisation."
BODY_EMPTY = "Write what you want to say."
BODY_TOO_LONG = f"Keep it under {MAX_BODY:,} characters."
GOAL_NOT_THEIRS = "Choose one of the recipient's goals, or none."
CHECKIN_NOT_THEIRS = "Choose a check-in on one of the recipient's goals, or none."
CHECKIN_NOT_ON_GOAL = "Choose a check-in on the goal you chose, or none."
ALREADY_READ = "The recipient has read this feedback; it can no longer be changed."
VISIBILITY_UNKNOWN = "Choose private, managers or public."
ASK_SOMEONE = "Choose at least one colleague to ask."
ASK_TOO_MANY = "Ask at most 20 colleagues at a time."
NOT_YOURS_TO_ASK = "You may ask for feedback on yourself or on people who report to you."
DUE_IN_PAST = "The due date cannot be in the past."
PROMPT_TOO_LONG = "Keep the prompt under 1,000 characters."
REQUEST_CLOSED = "This request has already been answered or declined."
REASON_TOO_LONG = "Keep the reason under 500 characters."
NOT_THE_REQUEST_SUBJECT = "This request asks for feedback on someone else."
ASK_ABOUT_SOMEONE_ELSE = "Ask colleagues other than the person the feedback is about."
ABOUT_INACTIVE = "Ask for feedback on an active colleague."
GOAL_HIDDEN_FROM_ASKED = "Choose a goal the people you ask can see, or none."
MAX_ASKED = 20


def request_key(request: FeedbackRequest) -> str:
    """The dedupe key of the FEEDBACK_REQUESTED notification of ``request``."""
    return f"feedback-request:{request.pk}"


def _about_goal(goal: Goal | None) -> str:
    return f" on “{goal.title}”" if goal is not None else ""


OPEN_TO_READ = "Open it to read it."


def _notify_received(actor: Actor, feedback: Feedback) -> None:
    """The recipient hears of new feedback; a manager who asked on a report's behalf too
    (with a link only if the feedback's visibility lets them read it).

    Neither notification quotes the text: the recipient reads it by opening it, which
    marks it read (from then on the giver can no longer correct it), so the inbox and
    the email never hold a wording that a correction later replaces."""
    slug = actor.member.org.slug
    path = reverse("feedback:feedback_detail", args=[slug, feedback.pk])
    giver = actor.member.display_name
    notify(
        org=feedback.org_id,
        recipient=feedback.recipient,
        kind=Kind.FEEDBACK_RECEIVED,
        actor=actor.member,
        goal=feedback.goal,
        data={
            "title": f"{giver} gave you feedback{_about_goal(feedback.goal)}. {OPEN_TO_READ}",
            "path": path,
            "quote": "",
        },
    )
    request = feedback.request
    if request is None or request.requester_id in (feedback.recipient_id, actor.member.pk):
        return
    requester = request.requester
    readable = may_read(Actor(requester), feedback)
    notify(
        org=feedback.org_id,
        recipient=requester,
        kind=Kind.FEEDBACK_RECEIVED,
        actor=actor.member,
        goal=feedback.goal if readable else None,
        data={
            "title": f"{giver} answered your request for feedback on "
            f"{feedback.recipient.display_name}" + (f". {OPEN_TO_READ}" if readable else ""),
            "path": path if readable else reverse("feedback:feedback_home", args=[slug]),
            "quote": "",
        },
    )


def _close_request_notification(request: FeedbackRequest) -> None:
    """An answered or declined request leaves the inbox of the person asked."""
    Notification.objects.filter(
        org=request.org_id,
        recipient=request.asked_id,
        kind=Kind.FEEDBACK_REQUESTED,
        dedupe_key=request_key(request),
        read_at=None,
    ).update(read_at=timezone.now())


def _colleague(actor: Actor, person: Membership | None) -> bool:
    return person is not None and person.org_id == actor.member.org_id and person.is_active


def _check_body(body: str) -> str:
    text = (body or "").replace("\x00", "").strip()
    if not text:
        raise ValidationError({"body": BODY_EMPTY})
    if len(text) > MAX_BODY:
        raise ValidationError({"body": BODY_TOO_LONG})
    return text


@transaction.atomic
def give_feedback(
    *,
    actor: Actor,
    recipient: Membership | None,
    body: str,
    visibility: str = FeedbackVisibility.MANAGERS,
    goal: Goal | None = None,
    checkin: CheckIn | None = None,
    request: FeedbackRequest | None = None,
) -> Feedback:
    """Feedback from ``actor`` to a colleague, optionally about one of their goals or check-ins,
    or answering a request made of ``actor``."""
    errors: dict[str, str] = {}
    if recipient is not None and recipient.pk == actor.member.pk:
        errors["recipient"] = TO_SELF
    elif not _colleague(actor, recipient):
        errors["recipient"] = NOT_A_COLLEAGUE
    try:
        text = _check_body(body)
    except ValidationError as error:
        errors |= {k: v[0] for k, v in error.message_dict.items()}
    if visibility not in FeedbackVisibility.values:
        errors["visibility"] = VISIBILITY_UNKNOWN
    if recipient is not None and "recipient" not in errors:
        if goal is not None and (
            goal.org_id != actor.member.org_id or goal.owner_id != recipient.pk
        ):
            errors["goal"] = GOAL_NOT_THEIRS
        if checkin is not None and (
            checkin.org_id != actor.member.org_id
            or not Goal.objects.filter(
                org=actor.member.org_id, pk=checkin.goal_id, owner=recipient
            ).exists()
        ):
            errors["checkin"] = CHECKIN_NOT_THEIRS
        elif checkin is not None and goal is not None and checkin.goal_id != goal.pk:
            errors["checkin"] = CHECKIN_NOT_ON_GOAL
    if request is not None and (
        request.asked_id != actor.member.pk or request.status != FeedbackRequest.Status.OPEN
    ):
        errors["request"] = REQUEST_CLOSED
    elif request is not None and recipient is not None and request.about_id != recipient.pk:
        errors["request"] = NOT_THE_REQUEST_SUBJECT
    if errors:
        raise ValidationError(errors)
    if request is not None:
        # Two answers racing: the second finds the request closed and writes nothing.
        closed = (
            FeedbackRequest.objects.filter(
                pk=request.pk, org=request.org_id, status=FeedbackRequest.Status.OPEN
            ).update(status=FeedbackRequest.Status.ANSWERED, updated_at=timezone.now())
            == 0
        )
        if closed:
            raise ValidationError({"request": REQUEST_CLOSED})
        request.status = FeedbackRequest.Status.ANSWERED
        _close_request_notification(request)
    feedback = Feedback.objects.create(
        org_id=actor.member.org_id,
        giver=actor.member,
        recipient=recipient,
        body=text,
        visibility=visibility,
        goal=goal,
        checkin=checkin,
        request=request,
    )
    _notify_received(actor, feedback)
    return feedback


@transaction.atomic
def correct_feedback(*, actor: Actor, feedback: Feedback, body: str) -> Feedback:
    """The giver fixes a typo before the recipient has read it; the old text is kept."""
    if feedback.giver_id != actor.member.pk:
        raise PermissionDenied(NOT_ALLOWED)
    locked = Feedback.objects.select_for_update().get(pk=feedback.pk, org=feedback.org_id)
    if locked.read_at is not None:
        raise ValidationError({"body": ALREADY_READ})
    text = _check_body(body)
    if text == locked.body:
        return locked
    FeedbackRevision.objects.create(org_id=locked.org_id, feedback=locked, body=locked.body)
    locked.body = text
    locked.save(update_fields=["body", "updated_at"])
    return locked


def mark_read(*, actor: Actor, feedback: Feedback) -> None:
    """The recipient opened it: from now on it cannot change."""
    mark_shown_read(actor=actor, shown=[feedback])


def mark_shown_read(*, actor: Actor, shown) -> None:
    """Feedback whose text was just shown to its recipient (a list, a page, the API) is
    read: one query, only if some of it was not read yet. The objects keep their old
    ``read_at``, so the page can still say "New"."""
    unread = [f.pk for f in shown if f.recipient_id == actor.member.pk and f.read_at is None]
    if unread:
        Feedback.objects.filter(org=actor.member.org_id, pk__in=unread, read_at=None).update(
            read_at=timezone.now()
        )


@transaction.atomic
def request_feedback(
    *,
    actor: Actor,
    asked: list[Membership],
    about: Membership | None = None,
    goal: Goal | None = None,
    prompt: str = "",
    due_date: date | None = None,
) -> list[FeedbackRequest]:
    """Ask colleagues for feedback on oneself or (a manager) on a report."""
    about = about or actor.member
    errors: dict[str, str] = {}
    if about.pk != actor.member.pk and not (
        about.org_id == actor.member.org_id and actor.manages(about.pk)
    ):
        errors["about"] = NOT_YOURS_TO_ASK
    elif not about.is_active:
        errors["about"] = ABOUT_INACTIVE
    people = list({p.pk: p for p in asked if p is not None}.values())
    if any(p is None for p in asked):  # an address or id nobody here has
        errors["asked"] = NOT_A_COLLEAGUE
    elif not people:
        errors["asked"] = ASK_SOMEONE
    elif len(people) > MAX_ASKED:
        errors["asked"] = ASK_TOO_MANY
    elif any(p.pk == about.pk for p in people):
        errors["asked"] = ASK_ABOUT_SOMEONE_ELSE
    elif not all(_colleague(actor, p) for p in people):
        errors["asked"] = NOT_A_COLLEAGUE
    if goal is not None and (goal.org_id != actor.member.org_id or goal.owner_id != about.pk):
        errors["goal"] = GOAL_NOT_THEIRS
    elif goal is not None and "asked" not in errors:
        # The request (page, inbox, digest) names the goal: only to people who may see it.
        if not all(Actor(p).can_view(goal) for p in people):
            errors["goal"] = GOAL_HIDDEN_FROM_ASKED
    if len(prompt or "") > 1000:
        errors["prompt"] = PROMPT_TOO_LONG
    if due_date is not None and due_date < timezone.localdate():
        errors["due_date"] = DUE_IN_PAST
    if errors:
        raise ValidationError(errors)
    text = (prompt or "").replace("\x00", "").strip()
    requests = [
        FeedbackRequest.objects.create(
            org_id=actor.member.org_id,
            requester=actor.member,
            about=about,
            asked=person,
            goal=goal,
            prompt=text,
            due_date=due_date,
        )
        for person in people
    ]
    slug = actor.member.org.slug
    me = actor.member.display_name
    title = f"{me} asks for your feedback"
    if about.pk != actor.member.pk:
        title += f" on {about.display_name}"
    title += _about_goal(goal)
    if due_date is not None:
        title += f" by {due_date.day} {due_date:%b %Y}"
    for request in requests:
        notify(
            org=request.org_id,
            recipient=request.asked,
            kind=Kind.FEEDBACK_REQUESTED,
            actor=actor.member,
            goal=goal,
            data={
                "title": title,
                "path": reverse("feedback:request_detail", args=[slug, request.pk]),
                "quote": excerpt(text),
            },
            dedupe_key=request_key(request),
        )
    return requests


@transaction.atomic
def decline_request(*, actor: Actor, request: FeedbackRequest, reason: str = "") -> None:
    """The person asked says no, optionally with a reason."""
    if request.asked_id != actor.member.pk:
        raise PermissionDenied(NOT_ALLOWED)
    if len(reason or "") > 500:
        raise ValidationError({"reason": REASON_TOO_LONG})
    updated = FeedbackRequest.objects.filter(
        pk=request.pk, org=request.org_id, status=FeedbackRequest.Status.OPEN
    ).update(
        status=FeedbackRequest.Status.DECLINED,
        decline_reason=(reason or "").strip(),
        updated_at=timezone.now(),
    )
    if not updated:
        raise ValidationError({"request": REQUEST_CLOSED})
    _close_request_notification(request)
