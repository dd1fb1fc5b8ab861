"""The feedback API: giving and its refusals (400 with field errors, nothing saved),
correcting until read, requests and declines, filters, 404 for what the caller may not
read or another organisation's, the schema, and the list's query count at two sizes."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from core.tenancy import tenant_context
from feedback import services
from feedback.models import Feedback, FeedbackRequest
from goals.access import Actor
from goals.models import GoalStatus
from notifications.models import Kind, Notification
from tests.factories import CheckInFactory, CycleFactory, GoalFactory, MembershipFactory
from tests.test_query_counts import request_queries

BACKEND = "django.contrib.auth.backends.ModelBackend"


def api(membership) -> APIClient:
    client = APIClient()
    client.force_login(membership.user, backend=BACKEND)
    return client


def url(cast, rest: str = "") -> str:
    return f"/api/v1/orgs/{cast.org.slug}/{rest}"


def saved(cast) -> tuple[int, int]:
    with tenant_context(cast.org.pk):
        return Feedback.objects.count(), FeedbackRequest.objects.count()


@pytest.fixture
def goal(cast):
    cycle = CycleFactory(org=cast.org, name="This quarter")
    return GoalFactory(owner=cast.member, cycle=cycle, status=GoalStatus.APPROVED)


def test_it_gives_feedback_and_the_recipient_reads_it_which_locks_it(cast, goal):
    giver = api(cast.member2)
    response = giver.post(
        url(cast, "feedback/"),
        {"recipient": cast.member.pk, "body": "Nice work", "goal": goal.pk},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["visibility"], body["goal"], body["edited"]) == ("managers", goal.pk, False)
    pk = body["id"]
    fixed = giver.patch(url(cast, f"feedback/{pk}/"), {"body": "Nice work!"}, format="json")
    assert fixed.status_code == 200 and fixed.json()["edited"] is True
    assert api(cast.member).get(url(cast, f"feedback/{pk}/")).json()["read_at"] is not None
    locked = giver.patch(url(cast, f"feedback/{pk}/"), {"body": "Changed"}, format="json")
    assert locked.status_code == 400 and locked.json() == {"body": [services.ALREADY_READ]}
    assert (
        api(cast.manager)
        .patch(url(cast, f"feedback/{pk}/"), {"body": "x"}, format="json")
        .status_code
        == 403
    )  # the manager may read it, not change it


@pytest.mark.parametrize(
    ("case", "field", "message"),
    [
        ("self", "recipient", services.TO_SELF),
        ("deactivated", "recipient", services.NOT_A_COLLEAGUE),
        ("other org", "recipient", None),
        ("empty", "body", services.BODY_EMPTY),
        ("too long", "body", services.BODY_TOO_LONG),
        ("goal not theirs", "goal", services.GOAL_NOT_THEIRS),
        ("bad visibility", "visibility", services.VISIBILITY_UNKNOWN),
        ("nul", "body", None),
        ("huge id", "recipient", None),
    ],
)
def test_bad_feedback_is_a_400_with_field_errors_and_nothing_saved(
    cast, goal, case, field, message
):
    data = {"recipient": cast.member.pk, "body": "Hello", "visibility": "managers"}
    if case == "self":
        data["recipient"] = cast.member2.pk
    elif case == "deactivated":
        with tenant_context(cast.org.pk):
            cast.member.is_active = False
            cast.member.save(update_fields=["is_active"])
    elif case == "other org":
        data["recipient"] = cast.other_member.pk
    elif case == "empty":
        data["body"] = "   "
    elif case == "too long":
        data["body"] = "x" * 5001
    elif case == "goal not theirs":
        data["recipient"] = cast.manager.pk
        data["goal"] = goal.pk
    elif case == "bad visibility":
        data["visibility"] = "everyone"
    elif case == "nul":
        data["body"] = "a\x00b"
    else:
        data["recipient"] = 2**70
    response = api(cast.member2).post(url(cast, "feedback/"), data, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert field in errors
    if message:
        assert errors[field] == [message]
    assert saved(cast) == (0, 0)


def test_a_goal_the_giver_cannot_see_is_refused_like_one_that_is_not_theirs(cast):
    cycle = CycleFactory(org=cast.org)
    private = GoalFactory(owner=cast.manager, cycle=cycle, visibility="private")
    response = api(cast.member).post(
        url(cast, "feedback/"),
        {"recipient": cast.manager.pk, "body": "Hi", "goal": private.pk},
        format="json",
    )
    assert response.status_code == 400 and response.json() == {"goal": [services.GOAL_NOT_THEIRS]}


def test_the_list_filters_received_given_recipient_and_goal(cast, goal):
    with tenant_context(cast.org.pk):
        services.give_feedback(actor=Actor(cast.member2), recipient=cast.member, body="A",
                               goal=goal, visibility="public")  # fmt: skip
        services.give_feedback(actor=Actor(cast.member), recipient=cast.member2, body="B",
                               visibility="public")  # fmt: skip
        services.give_feedback(actor=Actor(cast.admin), recipient=cast.manager, body="C",
                               visibility="private")  # fmt: skip
    client = api(cast.member)

    def bodies(**params):
        response = client.get(url(cast, "feedback/"), params)
        assert response.status_code == 200
        return sorted(row["body"] for row in response.json()["results"])

    assert bodies() == ["A", "B"]  # C is private to the manager
    assert bodies(received="true") == ["A"]
    assert bodies(given="true") == ["B"]
    assert bodies(recipient=cast.member2.pk) == ["B"]
    assert bodies(goal=goal.pk) == ["A"]
    bad = client.get(url(cast, "feedback/"), {"goal": "x\x00", "recipient": 2**70})
    assert bad.status_code == 400 and set(bad.json()) == {"goal", "recipient"}


def test_another_organisations_feedback_and_requests_are_404(cast):
    with tenant_context(cast.other_org.pk):
        theirs = services.give_feedback(
            actor=Actor(cast.other_member), recipient=cast.other_manager, body="Globex only",
            visibility="public",
        )  # fmt: skip
        [asked] = services.request_feedback(
            actor=Actor(cast.other_member), asked=[cast.other_manager]
        )
    client = api(cast.admin)
    assert client.get(url(cast, f"feedback/{theirs.pk}/")).status_code == 404
    assert client.patch(url(cast, f"feedback/{theirs.pk}/"), {"body": "x"}).status_code == 404
    assert client.post(url(cast, f"feedback-requests/{asked.pk}/decline/")).status_code == 404
    assert "Globex only" not in client.get(url(cast, "feedback/")).content.decode()


def test_requests_are_made_listed_and_declined_through_the_api(cast, goal):
    client = api(cast.member)
    response = client.post(
        url(cast, "feedback-requests/"),
        {"asked": [cast.member2.pk, cast.manager.pk], "goal": goal.pk, "prompt": "Demo?"},
        format="json",
    )
    assert response.status_code == 201, response.content
    made = response.json()
    assert sorted(r["asked"] for r in made) == sorted([cast.member2.pk, cast.manager.pk])
    with tenant_context(cast.org.pk):
        assert Notification.objects.filter(kind=Kind.FEEDBACK_REQUESTED).count() == 2
    mine = api(cast.member2).get(url(cast, "feedback-requests/"), {"role": "asked"}).json()
    [request] = mine["results"]
    assert (request["about"], request["status"], request["prompt"]) == (
        cast.member.pk,
        "open",
        "Demo?",
    )
    assert len(client.get(url(cast, "feedback-requests/"), {"role": "sent"}).json()["results"]) == 2
    assert client.get(url(cast, "feedback-requests/"), {"role": "asked"}).json()["results"] == []
    declined = api(cast.member2).post(
        url(cast, f"feedback-requests/{request['id']}/decline/"), {"reason": "Busy"}, format="json"
    )
    assert declined.status_code == 200
    assert (declined.json()["status"], declined.json()["decline_reason"]) == ("declined", "Busy")
    again = api(cast.member2).post(url(cast, f"feedback-requests/{request['id']}/decline/"))
    assert again.status_code == 400 and again.json() == {"request": [services.REQUEST_CLOSED]}
    # The requester may not decline for someone else; a stranger does not see it.
    assert client.post(url(cast, f"feedback-requests/{made[1]['id']}/decline/")).status_code == 403
    assert (
        api(cast.admin).post(url(cast, f"feedback-requests/{made[1]['id']}/decline/")).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"asked": []}, "asked", services.ASK_SOMEONE),
        ({"asked": [10**9]}, "asked", services.NOT_A_COLLEAGUE),
        ({"asked": list(range(1, 23))}, "asked", services.ASK_TOO_MANY),
        ({"asked": ["x"]}, "asked", None),
        ({"asked": "member2"}, "asked", None),
        ({"about": "mate"}, "about", None),
        ({"prompt": "x" * 1001}, "prompt", services.PROMPT_TOO_LONG),
        ({"due_date": "2001-01-01"}, "due_date", services.DUE_IN_PAST),
    ],
)
def test_bad_requests_are_a_400_with_field_errors_and_nothing_saved(cast, data, field, message):
    body = {"asked": [cast.member2.pk]} | data
    if "about" in data:
        body["about"] = cast.member2.pk if data["about"] == "mate" else data["about"]
        message, field = services.NOT_YOURS_TO_ASK, "about"
    response = api(cast.member).post(url(cast, "feedback-requests/"), body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    if message:
        assert response.json()[field] == [message]
    assert saved(cast) == (0, 0)


def test_the_schema_describes_the_feedback_endpoints(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    assert "/api/v1/orgs/{org_slug}/feedback/" in paths
    assert "/api/v1/orgs/{org_slug}/feedback/{feedback_pk}/" in paths
    assert "/api/v1/orgs/{org_slug}/feedback-requests/" in paths
    assert "/api/v1/orgs/{org_slug}/feedback-requests/{request_pk}/decline/" in paths
    visibility = schema["components"]["schemas"]["FeedbackInput"]["properties"]["visibility"]
    assert "private" in str(schema["components"]["schemas"]) and visibility


@pytest.mark.parametrize("size", [3, 30])
def test_the_list_runs_a_fixed_number_of_queries(cast, size):
    with tenant_context(cast.org.pk):
        for i in range(size):
            person = MembershipFactory(org=cast.org, unit=cast.platform, manager=cast.manager)
            services.give_feedback(actor=Actor(person), recipient=cast.member, body=f"{i}")
            services.give_feedback(actor=Actor(cast.member), recipient=person, body=f"{i}",
                                   visibility="public")  # fmt: skip
    client = api(cast.manager)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url(cast, "feedback/"))
    assert response.status_code == 200 and response.json()["count"] == 2 * size
    # The reporting subtree, the count, the page (with the givers, recipients and whether
    # each was edited).
    assert len(captured) == request_queries() + 3


def test_a_checkin_on_a_goal_the_giver_cannot_see_is_refused_like_one_that_is_not_theirs(cast):
    cycle = CycleFactory(org=cast.org)
    private = GoalFactory(owner=cast.member, cycle=cycle, status=GoalStatus.APPROVED,
                          visibility="private")  # fmt: skip
    with tenant_context(cast.org.pk):
        checkin = CheckInFactory(key_result=private.key_results.get(), author=cast.member)
    response = api(cast.member2).post(
        url(cast, "feedback/"),
        {"recipient": cast.member.pk, "body": "Hi", "checkin": checkin.pk, "visibility": "public"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"checkin": [services.CHECKIN_NOT_THEIRS]}
    assert saved(cast) == (0, 0)


def test_a_checkin_must_be_on_the_goal_chosen(cast, goal):
    cycle = CycleFactory(org=cast.org)
    other = GoalFactory(owner=cast.member, cycle=cycle, status=GoalStatus.APPROVED)
    with tenant_context(cast.org.pk):
        checkin = CheckInFactory(key_result=other.key_results.get(), author=cast.member)
    response = api(cast.member2).post(
        url(cast, "feedback/"),
        {"recipient": cast.member.pk, "body": "Hi", "goal": goal.pk, "checkin": checkin.pk},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"checkin": [services.CHECKIN_NOT_ON_GOAL]}
    assert saved(cast) == (0, 0)
