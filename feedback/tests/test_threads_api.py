"""The comment API: the same rules as the pages, 400 with field errors, 404 for goals
and comments the caller may not see, paginated lists in a constant number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from core.tenancy import tenant_context
from feedback import threads
from feedback.models import Comment, Mention
from feedback.tests.test_threads_services import post
from goals.models import GoalStatus
from notifications.models import Kind, Notification
from tests.factories import CheckInFactory, GoalFactory

BACKEND = "django.contrib.auth.backends.ModelBackend"


def api(membership) -> APIClient:
    client = APIClient()
    client.force_login(membership.user, backend=BACKEND)
    return client


def comments_url(org, goal) -> str:
    return f"/api/v1/orgs/{org.slug}/goals/{goal.pk}/comments/"


def comment_url(org, pk) -> str:
    return f"/api/v1/orgs/{org.slug}/comments/{pk}/"


@pytest.fixture
def goal(cast):
    return GoalFactory(owner=cast.member, status=GoalStatus.APPROVED, title="Grow revenue")


@pytest.fixture
def checkin(cast, goal):
    with tenant_context(cast.org.pk):
        kr = goal.key_results.get()
    return CheckInFactory(key_result=kr, author=cast.member)


def stored(cast) -> tuple[int, int]:
    with tenant_context(cast.org.pk):
        return Comment.objects.count(), Mention.objects.count()


def test_it_posts_a_comment_with_a_mention_and_lists_it(cast, goal, checkin):
    client = api(cast.manager)
    response = client.post(
        comments_url(cast.org, goal),
        {"body": "@Carol Member (Acme) look", "checkin": checkin.pk, "mentions": [cast.member2.pk]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["checkin"] == checkin.pk and body["goal"] == goal.pk
    assert body["author"] == {"id": cast.manager.pk, "name": "Mallory Manager (Acme)"}
    assert body["mentions"] == [{"id": cast.member2.pk, "name": "Carol Member (Acme)"}]
    assert body["edited"] is False and body["removed"] is False and body["not_notified"] == []
    with tenant_context(cast.org.pk):
        assert Notification.objects.filter(kind=Kind.MENTION, recipient=cast.member2).count() == 1
    listed = api(cast.member).get(comments_url(cast.org, goal)).json()
    assert listed["count"] == 1 and listed["results"][0]["body"] == "@Carol Member (Acme) look"
    only = api(cast.member).get(comments_url(cast.org, goal), {"checkin": checkin.pk}).json()
    assert only["count"] == 1


def test_bad_input_is_a_400_with_field_errors_and_nothing_saved(cast, goal):
    client = api(cast.manager)
    cases = [
        ({"body": ""}, "body", threads.BODY_EMPTY),
        ({"body": "x" * 5001}, "body", threads.BODY_TOO_LONG),
        ({"body": "\x00"}, "body", threads.BODY_EMPTY),
        ({"body": "Hi", "mentions": [cast.other_member.pk]}, "mentions", threads.MENTION_OUTSIDE),
        ({"body": "Hi", "checkin": 987654}, "checkin", threads.CHECKIN_NOT_ON_GOAL),
    ]
    for data, field, message in cases:
        response = client.post(comments_url(cast.org, goal), data, format="json")
        assert response.status_code == 400, data
        assert response.json()[field] == [message]
    hostile = [
        {"body": ["x"]},
        {"body": "x", "mentions": "bob"},
        {"body": "x", "mentions": [2**80]},
        {"body": "x", "checkin": "abc"},
        {},
    ]
    for data in hostile:
        assert client.post(comments_url(cast.org, goal), data, format="json").status_code == 400
    assert client.get(comments_url(cast.org, goal), {"checkin": "x"}).status_code == 400
    assert stored(cast) == (0, 0)


def test_a_private_goal_and_another_organisation_are_404(cast):
    private = GoalFactory(owner=cast.member, status=GoalStatus.APPROVED, visibility="private")
    comment = post(cast, cast.manager, private, body="Secret")
    for who in (cast.member2, cast.other_admin):
        client = api(who)
        assert client.get(comments_url(cast.org, private)).status_code == 404
        assert client.post(comments_url(cast.org, private), {"body": "x"}).status_code == 404
        assert client.get(comment_url(cast.org, comment.pk)).status_code == 404
        assert client.patch(comment_url(cast.org, comment.pk), {"body": "x"}).status_code == 404
        assert client.delete(comment_url(cast.org, comment.pk)).status_code == 404
    # Globex's admin with Acme's ids under Globex's own address: as if missing.
    other = api(cast.other_admin)
    assert other.get(comments_url(cast.other_org, private)).status_code == 404
    assert other.delete(comment_url(cast.other_org, comment.pk)).status_code == 404
    assert stored(cast)[0] == 1


def test_the_author_edits_within_the_window_and_not_after(cast, goal):
    comment = post(cast, cast.manager, goal, body="Frist")
    client = api(cast.manager)
    response = client.patch(comment_url(cast.org, comment.pk), {"body": "First"}, format="json")
    assert response.status_code == 200 and response.json()["edited"] is True
    assert response.json()["body"] == "First"
    assert (
        api(cast.admin).patch(comment_url(cast.org, comment.pk), {"body": "x"}).status_code == 403
    )
    with tenant_context(cast.org.pk):
        Comment.objects.filter(pk=comment.pk).update(
            created_at=timezone.now() - timedelta(minutes=15, seconds=1)
        )
    response = client.patch(comment_url(cast.org, comment.pk), {"body": "Third"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"body": [threads.EDIT_EXPIRED]}


def test_removal_by_the_author_or_an_admin_only(cast, goal):
    comment = post(cast, cast.member, goal, body="Remove me")
    assert api(cast.manager).delete(comment_url(cast.org, comment.pk)).status_code == 403
    assert api(cast.admin).delete(comment_url(cast.org, comment.pk)).status_code == 204
    shown = api(cast.member).get(comment_url(cast.org, comment.pk)).json()
    assert shown["removed"] is True and shown["body"] == ""
    assert shown["removed_by"] == {"id": cast.admin.pk, "name": "Alice Admin (Acme)"}


def test_the_list_runs_the_same_queries_whatever_its_size(cast, goal):
    client = api(cast.member)

    def grow(n):
        for i in range(n):
            post(cast, cast.manager, goal, body=f"@Carol {i}", mentions=[cast.member2.pk])

    grow(3)
    with CaptureQueriesContext(connection) as small:
        assert client.get(comments_url(cast.org, goal)).json()["count"] == 3
    grow(37)
    with CaptureQueriesContext(connection) as large:
        page = client.get(comments_url(cast.org, goal)).json()
    assert page["count"] == 40
    assert len(large.captured_queries) == len(small.captured_queries)


def test_the_comment_api_is_in_the_openapi_schema(cast):
    from drf_spectacular.validation import validate_schema

    schema = api(cast.member).get("/api/schema/", {"format": "json"}).json()
    validate_schema(schema)
    prefix = "/api/v1/orgs/{org_slug}/"
    goal_comments = schema["paths"][prefix + "goals/{goal_pk}/comments/"]
    comment = schema["paths"][prefix + "comments/{comment_pk}/"]
    assert {goal_comments[m]["operationId"] for m in ("get", "post")} == {
        "goal_comments_list",
        "goal_comments_create",
    }
    assert {comment[m]["operationId"] for m in ("get", "patch", "delete")} == {
        "comments_retrieve",
        "comments_update",
        "comments_destroy",
    }
    fields = schema["components"]["schemas"]["ThreadComment"]["properties"]
    assert {"checkin", "author", "body", "removed", "edited", "mentions"} <= set(fields)
