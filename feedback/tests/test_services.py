"""Giving, correcting and requesting feedback: every refusal is a clear message and
leaves nothing behind."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.tenancy import tenant_context
from feedback import services
from feedback.models import Feedback, FeedbackRequest, FeedbackRevision
from goals.access import Actor
from goals.models import GoalStatus
from notifications.models import Kind, Notification
from tests.factories import CheckInFactory, GoalFactory


def count(org) -> tuple[int, int]:
    with tenant_context(org.pk):
        return Feedback.objects.count(), FeedbackRequest.objects.count()


def refused(cast, field: str, message: str, **kwargs):
    before = count(cast.org)
    with tenant_context(cast.org.pk), pytest.raises(ValidationError) as error:
        services.give_feedback(actor=Actor(cast.member2), **kwargs)
    assert error.value.message_dict[field] == [message]
    assert count(cast.org) == before


def test_a_colleague_gives_feedback_about_the_recipients_goal(cast):
    goal = GoalFactory(owner=cast.member, status=GoalStatus.APPROVED)
    with tenant_context(cast.org.pk):
        feedback = services.give_feedback(
            actor=Actor(cast.member2), recipient=cast.member, body="  Great demo!  ", goal=goal
        )
    assert (feedback.body, feedback.visibility, feedback.goal_id) == (
        "Great demo!",
        "managers",
        goal.pk,
    )


def test_bad_feedback_is_refused_with_a_message_and_nothing_saved(cast):
    theirs = GoalFactory(owner=cast.manager)
    refused(cast, "recipient", services.TO_SELF, recipient=cast.member2, body="Me")
    refused(cast, "recipient", services.NOT_A_COLLEAGUE, recipient=cast.other_member, body="Hi")
    refused(cast, "recipient", services.NOT_A_COLLEAGUE, recipient=None, body="Hi")
    refused(cast, "body", services.BODY_EMPTY, recipient=cast.member, body=" \x00 ")
    refused(cast, "body", services.BODY_TOO_LONG, recipient=cast.member, body="x" * 5001)
    refused(cast, "goal", services.GOAL_NOT_THEIRS, recipient=cast.member, body="Hi", goal=theirs)
    refused(
        cast, "visibility", services.VISIBILITY_UNKNOWN, recipient=cast.member, body="Hi",
        visibility="everyone",
    )  # fmt: skip
    with tenant_context(cast.org.pk):
        cast.member.is_active = False
        cast.member.save(update_fields=["is_active"])
    refused(cast, "recipient", services.NOT_A_COLLEAGUE, recipient=cast.member, body="Hi")


def test_the_giver_corrects_a_typo_until_the_recipient_reads_it(cast):
    with tenant_context(cast.org.pk):
        feedback = services.give_feedback(
            actor=Actor(cast.member2), recipient=cast.member, body="Grat work"
        )
        services.correct_feedback(actor=Actor(cast.member2), feedback=feedback, body="Great work")
        with pytest.raises(PermissionDenied):
            services.correct_feedback(actor=Actor(cast.manager), feedback=feedback, body="Meh")
        services.mark_read(actor=Actor(cast.member2), feedback=feedback)  # not the recipient
        feedback.refresh_from_db()
        assert feedback.read_at is None
        services.mark_read(actor=Actor(cast.member), feedback=feedback)
        feedback.refresh_from_db()
        with pytest.raises(ValidationError) as error:
            services.correct_feedback(actor=Actor(cast.member2), feedback=feedback, body="Edit")
        feedback.refresh_from_db()
        revisions = list(FeedbackRevision.objects.filter(feedback=feedback).values_list("body"))
    assert error.value.message_dict["body"] == [services.ALREADY_READ]
    assert feedback.body == "Great work"
    assert revisions == [("Grat work",)]


def test_requests_are_for_oneself_or_a_report_and_answering_closes_them(cast):
    with tenant_context(cast.org.pk):
        (request,) = services.request_feedback(
            actor=Actor(cast.manager), about=cast.member, asked=[cast.member2], prompt="How?"
        )
        with pytest.raises(ValidationError) as error:
            services.request_feedback(
                actor=Actor(cast.member2), about=cast.member, asked=[cast.admin]
            )
        assert error.value.message_dict["about"] == [services.NOT_YOURS_TO_ASK]
        with pytest.raises(ValidationError) as error:
            services.request_feedback(
                actor=Actor(cast.member),
                asked=[cast.other_member],
                due_date=timezone.localdate() - timedelta(days=1),
            )
        assert error.value.message_dict["asked"] == [services.NOT_A_COLLEAGUE]
        assert error.value.message_dict["due_date"] == [services.DUE_IN_PAST]
        answer = services.give_feedback(
            actor=Actor(cast.member2), recipient=cast.member, body="Clear plans", request=request
        )
        request.refresh_from_db()
        assert (request.status, answer.request_id) == ("answered", request.pk)
        with pytest.raises(ValidationError):
            services.decline_request(actor=Actor(cast.member2), request=request)
        assert FeedbackRequest.objects.filter(org=cast.org).count() == 1


def test_the_person_asked_may_decline_with_a_reason(cast):
    with tenant_context(cast.org.pk):
        (request,) = services.request_feedback(actor=Actor(cast.member), asked=[cast.member2])
        with pytest.raises(PermissionDenied):
            services.decline_request(actor=Actor(cast.manager), request=request)
        services.decline_request(actor=Actor(cast.member2), request=request, reason="Too new")
        request.refresh_from_db()
    assert (request.status, request.decline_reason) == ("declined", "Too new")


def test_a_checkin_is_on_the_goal_chosen_and_the_recipients(cast):
    goal = GoalFactory(owner=cast.member, status=GoalStatus.APPROVED)
    other = GoalFactory(owner=cast.member, status=GoalStatus.APPROVED)
    with tenant_context(cast.org.pk):
        checkin = CheckInFactory(key_result=other.key_results.get(), author=cast.member)
    refused(cast, "checkin", services.CHECKIN_NOT_ON_GOAL, recipient=cast.member, body="Hi",
            goal=goal, checkin=checkin)  # fmt: skip
    with tenant_context(cast.org.pk):
        feedback = services.give_feedback(
            actor=Actor(cast.member2), recipient=cast.member, body="Hi", goal=other,
            checkin=checkin,
        )  # fmt: skip
    assert (feedback.goal_id, feedback.checkin_id) == (other.pk, checkin.pk)


def test_feedback_notifications_hold_no_text_the_giver_could_still_correct(cast):
    goal = GoalFactory(owner=cast.member, status=GoalStatus.APPROVED, title="Ship")
    with tenant_context(cast.org.pk):
        [request] = services.request_feedback(
            actor=Actor(cast.manager), asked=[cast.member2], about=cast.member
        )
        services.give_feedback(
            actor=Actor(cast.member2), recipient=cast.member, body="Words to correct",
            goal=goal, request=request,
        )  # fmt: skip
        rows = list(Notification.objects.filter(kind=Kind.FEEDBACK_RECEIVED).order_by("pk"))
    assert [(n.recipient_id, n.data["title"], n.data["quote"]) for n in rows] == [
        (cast.member.pk,
         f"Carol Member (Acme) gave you feedback on “Ship”. {services.OPEN_TO_READ}", ""),
        (cast.manager.pk, "Carol Member (Acme) answered your request for feedback on "
         f"Bob Member (Acme). {services.OPEN_TO_READ}", ""),
    ]  # fmt: skip


# --- Exact limits and the checks nothing else reaches (pinned by scripts/mutation.py) ---


def test_feedback_of_exactly_5000_characters_is_kept(cast):
    with tenant_context(cast.org.pk):
        feedback = services.give_feedback(
            actor=Actor(cast.member2), recipient=cast.member, body="x" * 5000
        )
    assert len(feedback.body) == 5000


def test_a_refused_recipient_is_the_only_message(cast):
    """No second, confusing message about the goal when the recipient is already wrong."""
    ours = GoalFactory(owner=cast.member, status=GoalStatus.APPROVED)
    refused(cast, "recipient", services.NOT_A_COLLEAGUE, recipient=cast.other_member,
            body="Hi", goal=ours)  # fmt: skip
    with tenant_context(cast.org.pk), pytest.raises(ValidationError) as error:
        services.give_feedback(
            actor=Actor(cast.member2), recipient=cast.other_member, body="Hi", goal=ours
        )
    assert set(error.value.message_dict) == {"recipient"}


def test_feedback_about_a_check_in_must_be_on_one_of_the_recipients_goals(cast):
    from tests.factories import CheckInFactory

    theirs = GoalFactory(owner=cast.member, status=GoalStatus.APPROVED)
    others = GoalFactory(owner=cast.manager, status=GoalStatus.APPROVED)
    with tenant_context(cast.org.pk):
        on_theirs = CheckInFactory(key_result=theirs.key_results.get(), author=cast.member)
        on_others = CheckInFactory(key_result=others.key_results.get(), author=cast.manager)
    refused(cast, "checkin", services.CHECKIN_NOT_THEIRS, recipient=cast.member, body="Hi",
            checkin=on_others)  # fmt: skip
    with tenant_context(cast.org.pk):
        feedback = services.give_feedback(
            actor=Actor(cast.member2), recipient=cast.member, body="Nice", checkin=on_theirs
        )
    assert feedback.checkin_id == on_theirs.pk


def test_only_the_person_asked_answers_a_request(cast):
    with tenant_context(cast.org.pk):
        (request,) = services.request_feedback(actor=Actor(cast.member), asked=[cast.member2])
        with pytest.raises(ValidationError) as error:
            services.give_feedback(
                actor=Actor(cast.manager), recipient=cast.member, body="Hi", request=request
            )
        request.refresh_from_db()
    assert error.value.message_dict["request"] == [services.REQUEST_CLOSED]
    assert request.status == FeedbackRequest.Status.OPEN
    assert count(cast.org) == (0, 1)


def test_asking_twenty_colleagues_is_the_limit(cast):
    from tests.factories import MembershipFactory

    with tenant_context(cast.org.pk):
        people = [MembershipFactory(org=cast.org) for _ in range(21)]
        with pytest.raises(ValidationError) as error:
            services.request_feedback(actor=Actor(cast.member), asked=people)
        assert error.value.message_dict["asked"] == ["Ask at most 20 colleagues at a time."]
        assert len(services.request_feedback(actor=Actor(cast.member), asked=people[:20])) == 20


def test_a_request_about_a_goal_must_be_about_one_of_their_goals(cast):
    mine = GoalFactory(owner=cast.member, status=GoalStatus.APPROVED)
    bobs = GoalFactory(owner=cast.member, status=GoalStatus.APPROVED)
    with tenant_context(cast.org.pk):
        with pytest.raises(ValidationError) as error:
            services.request_feedback(actor=Actor(cast.member2), asked=[cast.admin], goal=bobs)
        assert error.value.message_dict["goal"] == [services.GOAL_NOT_THEIRS]
        (request,) = services.request_feedback(
            actor=Actor(cast.member), asked=[cast.member2], goal=mine
        )
        (for_report,) = services.request_feedback(
            actor=Actor(cast.manager), about=cast.member, asked=[cast.member2], goal=bobs
        )
    assert (request.goal_id, for_report.goal_id) == (mine.pk, bobs.pk)


def test_the_prompt_is_kept_cleaned_and_at_most_1000_characters(cast):
    with tenant_context(cast.org.pk):
        (request,) = services.request_feedback(
            actor=Actor(cast.member), asked=[cast.member2], prompt=" How was\x00 the demo? "
        )
        assert request.prompt == "How was the demo?"
        (long,) = services.request_feedback(
            actor=Actor(cast.member), asked=[cast.admin], prompt="p" * 1000
        )
        assert len(long.prompt) == 1000
        with pytest.raises(ValidationError) as error:
            services.request_feedback(
                actor=Actor(cast.member), asked=[cast.manager], prompt="p" * 1001
            )
    assert error.value.message_dict["prompt"] == ["Keep the prompt under 1,000 characters."]


def test_a_request_may_be_due_today(cast):
    with tenant_context(cast.org.pk):
        (request,) = services.request_feedback(
            actor=Actor(cast.member), asked=[cast.member2], due_date=timezone.localdate()
        )
    assert request.due_date == timezone.localdate()


def test_a_decline_reason_is_at_most_500_characters(cast):
    with tenant_context(cast.org.pk):
        first, second = services.request_feedback(
            actor=Actor(cast.member), asked=[cast.member2, cast.admin]
        )
        with pytest.raises(ValidationError) as error:
            services.decline_request(actor=Actor(cast.member2), request=first, reason="r" * 501)
        first.refresh_from_db()
        assert first.status == FeedbackRequest.Status.OPEN
        services.decline_request(actor=Actor(cast.admin), request=second, reason="r" * 500)
        second.refresh_from_db()
    assert error.value.message_dict["reason"] == ["Keep the reason under 500 characters."]
    assert (second.status, len(second.decline_reason)) == ("declined", 500)


# --- Requests: what the person asked reads, and the checks only the service makes -----


def test_the_request_notification_names_the_report_and_quotes_300_characters(cast):
    prompt = "p" * 299 + "qr"  # 301 characters: the quote keeps 299 and an ellipsis
    with tenant_context(cast.org.pk):
        services.request_feedback(
            actor=Actor(cast.manager), asked=[cast.member2], about=cast.member, prompt=prompt
        )
        [note] = Notification.objects.filter(kind=Kind.FEEDBACK_REQUESTED)
    assert (
        note.data["title"] == "Mallory Manager (Acme) asks for your feedback on Bob Member (Acme)"
    )
    assert note.data["quote"] == "p" * 299 + "…"
    with tenant_context(cast.org.pk):
        Notification.objects.all().delete()
        services.request_feedback(actor=Actor(cast.member), asked=[cast.member2], prompt="p" * 300)
        [note] = Notification.objects.filter(kind=Kind.FEEDBACK_REQUESTED)
    assert note.data["title"] == "Bob Member (Acme) asks for your feedback"
    assert note.data["quote"] == "p" * 300


def test_answering_a_request_without_a_recipient_is_refused_on_the_recipient(cast):
    with tenant_context(cast.org.pk):
        [request] = services.request_feedback(actor=Actor(cast.member), asked=[cast.member2])
    refused(cast, "recipient", services.NOT_A_COLLEAGUE, recipient=None, body="Hi",
            request=request)  # fmt: skip
    with tenant_context(cast.org.pk):
        request.refresh_from_db()
    assert request.status == FeedbackRequest.Status.OPEN


def test_a_request_may_not_name_a_goal_hidden_from_someone_asked(cast):
    private = GoalFactory(owner=cast.member, status=GoalStatus.APPROVED, visibility="private")
    with tenant_context(cast.org.pk), pytest.raises(ValidationError) as error:
        services.request_feedback(actor=Actor(cast.member), asked=[cast.member2], goal=private)
    assert error.value.message_dict == {"goal": [services.GOAL_HIDDEN_FROM_ASKED]}
    with tenant_context(cast.org.pk):
        assert FeedbackRequest.objects.count() == 0
        # His manager may see it: asking her names it.
        [made] = services.request_feedback(
            actor=Actor(cast.member), asked=[cast.manager], goal=private
        )
    assert made.goal_id == private.pk
