"""A key result's values make sense for its kind, at creation and on every edit."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse
from rest_framework.test import APIClient

from core.tenancy import tenant_context
from goals import services
from goals.access import Actor
from goals.models import GoalStatus, KeyResult

D = Decimal
BACKEND = "django.contrib.auth.backends.ModelBackend"


def api(membership) -> APIClient:
    client = APIClient()
    client.force_login(membership.user, backend=BACKEND)
    return client


def base(cast) -> str:
    return f"/api/v1/orgs/{cast.org.slug}/"


def kr_count(cast) -> int:
    with tenant_context(cast.org.pk):
        return KeyResult.objects.filter(org=cast.org).count()


def draft(cast, cycle, objective, **kr):
    with tenant_context(cast.org.pk):
        return services.goal_create(
            actor=Actor(cast.member), cycle=cycle, title="Grow signups", parent=objective,
            key_results=[kr] if kr else [],
        )  # fmt: skip


def test_the_api_refuses_a_milestones_key_result_without_milestones(cast, cycle, objective):
    goal = draft(cast, cycle, objective)
    before = kr_count(cast)
    for extra in ({}, {"milestones": []}):
        response = api(cast.member).post(
            base(cast) + "key-results/",
            {"goal": goal.pk, "title": "Launch steps", "kind": "milestones", **extra},
            format="json",
        )
        assert response.status_code == 400, extra
        assert response.json() == {"milestones": [services.MILESTONES_REQUIRED]}
    steps = {"title": "Steps", "kind": "milestones"}
    response = api(cast.member).post(
        base(cast) + "goals/",
        {"cycle": cycle.pk, "title": "Launch", "key_results": [steps]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"key_results": {"0": {"milestones": [services.MILESTONES_REQUIRED]}}}
    assert kr_count(cast) == before


def test_the_api_refuses_a_done_not_done_key_result_at_5(cast, cycle, objective):
    goal = draft(cast, cycle, objective)
    before = kr_count(cast)
    response = api(cast.member).post(
        base(cast) + "key-results/",
        {"goal": goal.pk, "title": "Shipped", "kind": "boolean", "current_value": "5"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"current_value": [services.BOOLEAN_VALUE]}
    assert kr_count(cast) == before
    response = api(cast.member).post(
        base(cast) + "key-results/",
        {"goal": goal.pk, "title": "Shipped", "kind": "boolean", "current_value": "1"},
        format="json",
    )
    assert (response.status_code, response.json()["percent"]) == (201, 100)


def test_a_key_result_at_5_does_not_become_done_not_done(cast, cycle, objective, login):
    goal = draft(cast, cycle, objective, title="Signups", start_value=D(0), target_value=D(10),
                 current_value=D(5))  # fmt: skip
    with tenant_context(cast.org.pk):
        kr = KeyResult.objects.get(goal=goal)
    message = services.BOOLEAN_FROM_VALUE.format(value="5")
    # The form on the page...
    response = login(cast.member).post(
        reverse("goals:kr_edit", args=[cast.org.slug, kr.pk]),
        {"title": "Signups", "kind": "boolean", "direction": "increase", "start_value": "0",
         "target_value": "10", "unit_label": "", "weight": "1"},
    )  # fmt: skip
    assert response.status_code == 400
    assert response.context["form"].errors["kind"] == [message]
    # ...and the API.
    response = api(cast.member).patch(
        base(cast) + f"key-results/{kr.pk}/", {"kind": "boolean"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"kind": [message]}
    response = api(cast.member).patch(
        base(cast) + f"key-results/{kr.pk}/", {"kind": "milestones"}, format="json"
    )
    assert (response.status_code, response.json()) == (400, {"kind": [services.MILESTONES_LATER]})
    with tenant_context(cast.org.pk):
        kr = KeyResult.objects.get(pk=kr.pk)
        assert (kr.kind, kr.progress, goal.status) == ("number", 0.5, GoalStatus.DRAFT)
