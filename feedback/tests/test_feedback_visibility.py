"""The visibility matrix (test_visibility_matrix.EXPECTED) through every surface that shows
feedback: the feedback's own page, the recipient's person page, the goal page, the API
list and the API detail. Each relationship × visibility: the body shows exactly when the
rule grants it; otherwise the page or API answers without it (404 for an object)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from core.tenancy import tenant_context
from feedback import services
from feedback.models import Feedback
from feedback.tests import test_visibility_matrix as matrix
from goals.access import Actor
from goals.models import GoalStatus
from tests.factories import CycleFactory, GoalFactory

BACKEND = "django.contrib.auth.backends.ModelBackend"
# The one truth table and its cast of relationships.
EXPECTED, V, people = matrix.EXPECTED, matrix.V, matrix.people


@pytest.fixture
def on_goal(cast):
    """Carol's feedback to Bob in each visibility, about Bob's public goal."""
    cycle = CycleFactory(org=cast.org, name="This quarter")
    goal = GoalFactory(owner=cast.member, cycle=cycle, status=GoalStatus.APPROVED)
    with tenant_context(cast.org.pk):
        return goal, {
            visibility: Feedback.objects.create(
                org=cast.org,
                giver=cast.member2,
                recipient=cast.member,
                goal=goal,
                body=f"Thanks for the {visibility} help with the release.",
                visibility=visibility,
            )
            for visibility in V
        }


def _shown(html: str, items: dict) -> set[str]:
    return {v for v, item in items.items() if item.body in html}


def _api(membership) -> APIClient:
    client = APIClient()
    client.force_login(membership.user, backend=BACKEND)
    return client


@pytest.mark.parametrize("relationship", list(EXPECTED))
def test_each_page_shows_exactly_the_feedback_the_visibility_grants(
    cast, client, people, on_goal, relationship
):
    viewer = people[relationship]
    goal, items = on_goal
    client.force_login(viewer.user, backend=BACKEND)
    slug = cast.org.slug
    expected = EXPECTED[relationship]
    # The feedback's own page: the body, or a 404.
    own = set()
    for visibility, item in items.items():
        response = client.get(reverse("feedback:feedback_detail", args=[slug, item.pk]))
        assert response.status_code in (200, 404)
        if response.status_code == 200 and item.body in response.content.decode():
            own.add(visibility)
    assert own == expected
    # The recipient's person page and the goal page (another organisation: 404).
    person = client.get(reverse("feedback:person", args=[slug, cast.member.pk]))
    goal_page = client.get(reverse("goals:goal_detail", args=[slug, goal.pk]))
    if relationship == "other organisation":
        assert person.status_code == goal_page.status_code == 404
    else:
        assert _shown(person.content.decode(), items) == expected
        assert _shown(goal_page.content.decode(), items) == expected
    # The viewer's own feedback page lists what they gave or received, nothing else.
    home = client.get(reverse("feedback:feedback_home", args=[slug]))
    if relationship == "other organisation":
        assert home.status_code == 404
    else:
        own_lists = expected if relationship in ("giver", "recipient") else set()
        assert _shown(home.content.decode(), items) == own_lists


@pytest.mark.parametrize("relationship", list(EXPECTED))
def test_the_api_gives_exactly_the_feedback_the_visibility_grants(
    cast, people, on_goal, relationship
):
    viewer = people[relationship]
    _, items = on_goal
    api = _api(viewer)
    base = f"/api/v1/orgs/{cast.org.slug}/feedback/"
    listed = api.get(base, {"recipient": cast.member.pk})
    if relationship == "other organisation":
        assert listed.status_code == 404
    else:
        bodies = {row["body"] for row in listed.json()["results"]}
        assert {v for v, item in items.items() if item.body in bodies} == EXPECTED[relationship]
    detail = set()
    for visibility, item in items.items():
        response = api.get(f"{base}{item.pk}/")
        assert response.status_code in (200, 404)
        if response.status_code == 200:
            assert response.json()["body"] == item.body
            detail.add(visibility)
    assert detail == EXPECTED[relationship]


def test_an_admin_outside_the_chain_sees_counts_but_never_private_content(
    cast, client, people, on_goal
):
    _, items = on_goal
    client.force_login(people["admin outside the chain"].user, backend=BACKEND)
    html = client.get(reverse("feedback:person", args=[cast.org.slug, cast.member.pk]))
    html = html.content.decode()
    assert "3 pieces of feedback received this cycle (This quarter); you can read 1." in html
    assert items[V.PRIVATE].body not in html and items[V.MANAGERS].body not in html


def test_reading_feedback_about_a_private_goal_does_not_reveal_the_goal(cast, login):
    """Public feedback on Bob's private goal: Carol reads the feedback, not the goal's title
    (nor its id in the API, nor feedback filtered by it); Bob and his manager read both."""
    cycle = CycleFactory(org=cast.org, name="This quarter")
    goal = GoalFactory(owner=cast.member, cycle=cycle, status=GoalStatus.APPROVED,
                       title="Secret reorganisation", visibility="private")  # fmt: skip
    with tenant_context(cast.org.pk):
        feedback = services.give_feedback(
            actor=Actor(cast.manager), recipient=cast.member, body="Solid plan",
            visibility="public", goal=goal,
        )  # fmt: skip
    slug = cast.org.slug
    pages = [
        reverse("feedback:person", args=[slug, cast.member.pk]),
        reverse("feedback:feedback_detail", args=[slug, feedback.pk]),
    ]
    goal_url = reverse("goals:goal_detail", args=[slug, goal.pk])
    for page in pages:
        html = login(cast.member2).get(page).content.decode()
        assert "Solid plan" in html and "About a private goal" in html
        assert "Secret reorganisation" not in html and goal_url not in html
        for who in (cast.member, cast.manager):
            html = login(who).get(page).content.decode()
            assert "Secret reorganisation" in html and goal_url in html
    carol = _api(cast.member2)
    base = f"/api/v1/orgs/{slug}/feedback/"
    assert [(f["body"], f["goal"]) for f in carol.get(base).json()["results"]] == [
        ("Solid plan", None)
    ]
    assert carol.get(f"{base}{feedback.pk}/").json()["goal"] is None
    assert carol.get(base, {"goal": goal.pk}).json()["count"] == 0
    manager = _api(cast.manager)
    assert manager.get(f"{base}{feedback.pk}/").json()["goal"] == goal.pk
    assert manager.get(base, {"goal": goal.pk}).json()["count"] == 1
