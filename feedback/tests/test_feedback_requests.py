"""A feedback request's life: asked (notification, inbox, daily digest), answered (the
person it is about and a manager who asked hear of it; the request leaves the inbox and
the digest) or declined (nobody is notified; the requester sees the status)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from core.tenancy import tenant_context
from feedback import reminders, services
from feedback.models import Feedback, FeedbackRequest
from goals.access import Actor
from goals.models import GoalStatus
from notifications.models import Kind, Notification
from orgs.models import Membership
from tests.factories import CycleFactory, GoalFactory


def url(cast, name: str, *args) -> str:
    return reverse(f"feedback:{name}", args=[cast.org.slug, *args])


def notes(cast, kind, recipient):
    with tenant_context(cast.org.pk):
        return list(Notification.objects.filter(kind=kind, recipient=recipient))


@pytest.fixture
def goal(cast):
    cycle = CycleFactory(org=cast.org, name="This quarter")
    return GoalFactory(owner=cast.member, cycle=cycle, status=GoalStatus.APPROVED, title="Ship")


def test_a_member_asks_a_colleague_who_sees_it_in_the_inbox_and_digest_until_answered(
    cast, goal, login
):
    due = timezone.localdate() + timedelta(days=3)
    response = login(cast.member).post(
        url(cast, "request"),
        {"asked": "member2@acme.test", "about": cast.member.pk, "goal": goal.pk,
         "prompt": "How was the demo?", "due_date": due.isoformat()},
    )  # fmt: skip
    assert response.status_code == 302
    with tenant_context(cast.org.pk):
        request = FeedbackRequest.objects.get()
    [note] = notes(cast, Kind.FEEDBACK_REQUESTED, cast.member2)
    assert note.dedupe_key == f"feedback-request:{request.pk}"
    assert note.data["title"] == (
        f"Bob Member (Acme) asks for your feedback on “Ship” by {due.day} {due:%b %Y}"
    )
    assert note.data["quote"] == "How was the demo?"
    assert note.data["path"] == url(cast, "request_detail", request.pk)
    inbox = login(cast.member2).get(reverse("notifications:notifications", args=[cast.org.slug]))
    assert "asks for your feedback" in inbox.content.decode()
    # The daily digest: "Feedback requests waiting for you", with the due date and the link.
    waiting = reminders.requests_waiting(cast.org, timezone.localdate())
    assert waiting[cast.member2.pk] == [
        {"label": "Bob Member (Acme) asks for feedback (“Ship”)",
         "detail": f"Due {due.day} {due:%b %Y}",
         "path": url(cast, "request_detail", request.pk)},
    ]  # fmt: skip
    from notifications.reminders import SECTIONS

    assert SECTIONS[reminders.REQUESTS_WAITING].provider is reminders.requests_waiting
    # Carol answers from the request page.
    page = login(cast.member2).get(url(cast, "request_detail", request.pk)).content.decode()
    assert "How was the demo?" in page and "Ship" in page and "Decline the request" in page
    answered = login(cast.member2).post(
        url(cast, "request_detail", request.pk),
        {"body": "Clear and calm", "visibility": "managers"},
    )
    assert answered.status_code == 302
    with tenant_context(cast.org.pk):
        request.refresh_from_db()
        feedback = Feedback.objects.get()
        note.refresh_from_db()
    assert request.status == FeedbackRequest.Status.ANSWERED and note.read_at is not None
    assert (feedback.recipient, feedback.goal, feedback.request) == (cast.member, goal, request)
    # The text is read by opening it (no quote in the inbox or the email).
    assert [
        (n.data["quote"], n.data["path"]) for n in notes(cast, Kind.FEEDBACK_RECEIVED, cast.member)
    ] == [("", url(cast, "feedback_detail", feedback.pk))]
    assert reminders.requests_waiting(cast.org, timezone.localdate()) == {}
    sent = login(cast.member).get(url(cast, "feedback_home")).content.decode()
    assert "request-answered" in sent
    # Answering twice: refused, nothing more saved.
    again = login(cast.member2).post(
        url(cast, "request_detail", request.pk), {"body": "Again", "visibility": "managers"}
    )
    assert again.status_code == 400 and services.REQUEST_CLOSED in again.content.decode()
    with tenant_context(cast.org.pk):
        assert Feedback.objects.count() == 1
    # Only the person asked answers.
    assert (
        login(cast.member)
        .post(url(cast, "request_detail", request.pk), {"body": "Myself", "visibility": "public"})
        .status_code
        == 403
    )


def test_a_manager_asks_on_a_reports_behalf_and_hears_the_answer_if_they_may_read_it(cast):
    with tenant_context(cast.org.pk):
        first, second = services.request_feedback(
            actor=Actor(cast.manager), asked=[cast.member2, cast.admin], about=cast.member
        )
        services.give_feedback(
            actor=Actor(cast.member2), recipient=cast.member, body="Bob helps a lot",
            request=first,
        )  # fmt: skip
        services.give_feedback(
            actor=Actor(cast.admin), recipient=cast.member, body="Private note for Bob",
            visibility="private", request=second,
        )  # fmt: skip
    asked = notes(cast, Kind.FEEDBACK_REQUESTED, cast.member2)
    assert [n.data["title"] for n in asked] == [
        "Mallory Manager (Acme) asks for your feedback on Bob Member (Acme)"
    ]
    titles = {n.data["title"]: (n.data["quote"], n.data["path"]) for n in notes(
        cast, Kind.FEEDBACK_RECEIVED, cast.manager)}  # fmt: skip
    with tenant_context(cast.org.pk):
        readable = Feedback.objects.get(request=first)
    # A link to the answer the manager may read, none to the private one; no text in either.
    assert titles == {
        "Carol Member (Acme) answered your request for feedback on Bob Member (Acme). "
        f"{services.OPEN_TO_READ}": ("", url(cast, "feedback_detail", readable.pk)),
        "Alice Admin (Acme) answered your request for feedback on Bob Member (Acme)":
            ("", url(cast, "feedback_home")),
    }  # fmt: skip
    assert len(notes(cast, Kind.FEEDBACK_RECEIVED, cast.member)) == 2
    assert notes(cast, Kind.FEEDBACK_RECEIVED, cast.member2) == []  # not the giver


def test_an_answer_is_about_the_person_the_request_names(cast):
    with tenant_context(cast.org.pk):
        [request] = services.request_feedback(actor=Actor(cast.member), asked=[cast.member2])
        with pytest.raises(services.ValidationError) as error:
            services.give_feedback(
                actor=Actor(cast.member2), recipient=cast.manager, body="Hi", request=request
            )
        assert error.value.message_dict == {"request": [services.NOT_THE_REQUEST_SUBJECT]}
        assert Feedback.objects.count() == 0
        request.refresh_from_db()
        assert request.status == FeedbackRequest.Status.OPEN


def test_a_decline_notifies_nobody_and_shows_on_the_requesters_page(cast, login):
    with tenant_context(cast.org.pk):
        [request] = services.request_feedback(actor=Actor(cast.member), asked=[cast.member2])
    before = notes(cast, Kind.FEEDBACK_RECEIVED, cast.member)
    response = login(cast.member2).post(
        url(cast, "request_decline", request.pk), {"reason": "Not on that project"}
    )
    assert response.status_code == 302
    with tenant_context(cast.org.pk):
        request.refresh_from_db()
        [note] = Notification.objects.filter(kind=Kind.FEEDBACK_REQUESTED)
    assert request.status == FeedbackRequest.Status.DECLINED and note.read_at is not None
    assert notes(cast, Kind.FEEDBACK_RECEIVED, cast.member) == before
    with tenant_context(cast.org.pk):
        assert Notification.objects.filter(recipient=cast.member).count() == 0
    sent = login(cast.member).get(url(cast, "feedback_home")).content.decode()
    assert "Declined" in sent and "Not on that project" in sent
    assert reminders.requests_waiting(cast.org, timezone.localdate()) == {}
    # The requester cannot decline for the person asked; strangers do not see it.
    assert login(cast.member).post(url(cast, "request_decline", request.pk)).status_code == 403
    assert login(cast.manager).get(url(cast, "request_detail", request.pk)).status_code == 404
    assert login(cast.other_admin).get(url(cast, "request_detail", request.pk)).status_code == 404


@pytest.mark.parametrize(
    ("data", "field_message"),
    [
        ({"asked": ""}, services.ASK_SOMEONE),
        ({"asked": "member@globex.test"}, services.NOT_A_COLLEAGUE),
        ({"asked": "member2@acme.test, nobody@acme.test"}, services.NOT_A_COLLEAGUE),
        ({"asked": "member@acme.test"}, services.ASK_ABOUT_SOMEONE_ELSE),
        ({"asked": ", ".join(f"p{i}@acme.test" for i in range(21))}, services.ASK_TOO_MANY),
        ({"asked": "member2@acme.test", "due_date": "2001-01-01"}, services.DUE_IN_PAST),
        ({"asked": "member2@acme.test", "prompt": "x" * 1001}, services.PROMPT_TOO_LONG),
    ],
)
def test_bad_requests_on_the_form_show_why_and_save_nothing(cast, login, data, field_message):
    response = login(cast.member).post(url(cast, "request"), {"about": cast.member.pk} | data)
    assert response.status_code == 400
    assert field_message in response.content.decode().replace("&#x27;", "'")
    with tenant_context(cast.org.pk):
        assert FeedbackRequest.objects.count() == 0
        assert Notification.objects.count() == 0


def test_a_member_cannot_ask_about_someone_who_does_not_report_to_them(cast, login):
    response = login(cast.member).post(
        url(cast, "request"), {"about": cast.member2.pk, "asked": "manager@acme.test"}
    )
    assert response.status_code == 400
    assert services.NOT_YOURS_TO_ASK in response.content.decode()
    with tenant_context(cast.org.pk):
        assert FeedbackRequest.objects.count() == 0
    manager = login(cast.manager).get(url(cast, "request"), {"about": cast.member.pk})
    assert f'<option value="{cast.member.pk}" selected>Bob Member (Acme)</option>' in (
        manager.content.decode()
    )


def test_colleague_suggestions_complete_the_list_typed_so_far(cast, login):
    client = login(cast.member)
    options = client.get(url(cast, "people_options"), {"asked": "member2@acme.test, Mall"})
    assert '<option value="member2@acme.test, manager@acme.test">' in options.content.decode()
    options = client.get(url(cast, "people_options"), {"recipient": "Bob"}).content.decode()
    assert options == ""  # oneself is never suggested
    assert (
        "globex" not in client.get(url(cast, "people_options"), {"recipient": "a"}).content.decode()
    )


def test_two_answers_racing_leave_one_the_second_finding_the_request_closed(cast):
    with tenant_context(cast.org.pk):
        [request] = services.request_feedback(actor=Actor(cast.member), asked=[cast.member2])
        stale = FeedbackRequest.objects.get(pk=request.pk)
        services.decline_request(actor=Actor(cast.member2), request=request)
        with pytest.raises(services.ValidationError) as error:
            services.give_feedback(
                actor=Actor(cast.member2), recipient=cast.member, body="Late", request=stale
            )
        assert error.value.message_dict == {"request": [services.REQUEST_CLOSED]}
        assert Feedback.objects.count() == 0
        assert FeedbackRequest.objects.get().status == FeedbackRequest.Status.DECLINED


def test_only_the_person_asked_and_the_requester_open_a_request(cast, login):
    """Bob, whom his manager asks about, does not read the manager's prompt or Carol's
    reason for declining (the API never lists it to him either)."""
    with tenant_context(cast.org.pk):
        [request] = services.request_feedback(
            actor=Actor(cast.manager), asked=[cast.member2], about=cast.member,
            prompt="How does Bob run meetings?",
        )  # fmt: skip
    page = url(cast, "request_detail", request.pk)
    bob = login(cast.member)
    assert bob.get(page).status_code == 404
    assert bob.post(page, {"body": "Me!", "visibility": "public"}).status_code == 404
    assert bob.post(url(cast, "request_decline", request.pk), {"reason": "No"}).status_code == 404
    with tenant_context(cast.org.pk):
        services.decline_request(actor=Actor(cast.member2), request=request, reason="Not my place")
    assert login(cast.member).get(page).status_code == 404
    for who in (cast.manager, cast.member2):
        html = login(who).get(page).content.decode()
        assert "How does Bob run meetings?" in html and "Not my place" in html


def test_nobody_is_asked_about_a_deactivated_colleague(cast):
    with tenant_context(cast.org.pk):
        [waiting] = services.request_feedback(
            actor=Actor(cast.manager), asked=[cast.member2], about=cast.member
        )
        assert set(reminders.requests_waiting(cast.org, timezone.localdate())) == {cast.member2.pk}
        Membership.objects.filter(pk=cast.member.pk).update(is_active=False)
        cast.member.refresh_from_db()
        # Open requests about someone who left leave the digest ...
        assert reminders.requests_waiting(cast.org, timezone.localdate()) == {}
        # ... and no new one is made.
        with pytest.raises(ValidationError) as error:
            services.request_feedback(
                actor=Actor(cast.manager), asked=[cast.member2], about=cast.member
            )
        assert error.value.message_dict == {"about": [services.ABOUT_INACTIVE]}
        assert FeedbackRequest.objects.count() == 1


def test_a_request_names_only_a_goal_every_colleague_asked_can_see(cast, login):
    """Bob asks about his private goal: Carol may not see it (its title would show on her
    request page, inbox and digest); the admin and his manager may."""
    cycle = CycleFactory(org=cast.org, name="This quarter")
    private = GoalFactory(owner=cast.member, cycle=cycle, status=GoalStatus.APPROVED,
                          title="Hidden plan", visibility="private")  # fmt: skip
    with tenant_context(cast.org.pk):
        for asked in ([cast.member2], [cast.admin, cast.member2]):
            with pytest.raises(ValidationError) as error:
                services.request_feedback(actor=Actor(cast.member), asked=asked, goal=private)
            assert error.value.message_dict == {"goal": [services.GOAL_HIDDEN_FROM_ASKED]}
        assert FeedbackRequest.objects.count() == 0
        assert notes(cast, Kind.FEEDBACK_REQUESTED, cast.member2) == []
    response = login(cast.member).post(
        url(cast, "request"),
        {"asked": "member2@acme.test", "about": cast.member.pk, "goal": private.pk},
    )
    assert response.status_code == 400
    assert services.GOAL_HIDDEN_FROM_ASKED in response.content.decode()
    with tenant_context(cast.org.pk):
        made = services.request_feedback(
            actor=Actor(cast.member), asked=[cast.admin, cast.manager], goal=private
        )
    assert len(made) == 2


def test_a_goal_made_private_after_the_request_is_no_longer_named_to_the_colleague(
    cast, goal, login
):
    """Bob asks Carol about his public goal "Ship", then makes it private: Carol's list,
    the request page and the daily digest say "a private goal"; Bob still sees its title."""
    with tenant_context(cast.org.pk):
        [request] = services.request_feedback(
            actor=Actor(cast.member), asked=[cast.member2], goal=goal
        )
        goal.visibility = "private"
        goal.save(update_fields=["visibility"])
    carol = login(cast.member2)
    for page in (url(cast, "feedback_home"), url(cast, "request_detail", request.pk)):
        html = carol.get(page).content.decode()
        assert "a private goal" in html
        assert "Ship" not in html
    [item] = reminders.requests_waiting(cast.org, timezone.localdate())[cast.member2.pk]
    assert item["label"] == "Bob Member (Acme) asks for feedback (a private goal)"
    mine = login(cast.member).get(url(cast, "feedback_home")).content.decode()
    assert "Ship" in mine and "a private goal" not in mine
