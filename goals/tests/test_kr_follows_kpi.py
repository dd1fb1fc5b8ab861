"""A key result can follow a KPI: chosen on the key result form or through the API,
only a KPI of the organisation the person may see, only for numeric kinds."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from core.tenancy import tenant_context
from goals import services
from goals.access import Actor
from goals.models import EventKind, GoalEvent, KeyResult
from goals.services.messages import KPI_NEEDS_NUMBER
from kpis.models import Kpi

BACKEND = "django.contrib.auth.backends.ModelBackend"


def api(membership) -> APIClient:
    client = APIClient()
    client.force_login(membership.user, backend=BACKEND)
    return client


def kpi(org, owner, name="Signups per week", **fields) -> Kpi:
    fields = {"target": D(100), "amber_threshold": D(80), "red_threshold": D(50)} | fields
    with tenant_context(org.pk):
        return Kpi.objects.create(org=org, owner=owner, name=name, **fields)


@pytest.fixture
def goal(cast, cycle, objective):
    with tenant_context(cast.org.pk):
        return services.goal_create(
            actor=Actor(cast.member),
            cycle=cycle,
            title="Grow signups",
            parent=objective,
            key_results=[{"title": "Signups", "start_value": D(0), "target_value": D(100)}],
        )


def the_kr(cast, goal) -> KeyResult:
    with tenant_context(cast.org.pk):
        return KeyResult.objects.get(goal=goal)


def form(kr: KeyResult, **changes) -> dict:
    return {
        "title": kr.title,
        "kind": kr.kind,
        "direction": kr.direction,
        "start_value": "0",
        "target_value": "100",
        "unit_label": "",
        "weight": "1",
    } | changes


def test_the_key_result_form_offers_visible_kpis_and_saves_the_choice(cast, goal, login):
    public = kpi(cast.org, cast.admin)
    private = kpi(cast.org, cast.admin, name="Board-only margin", visibility="private")
    kr = the_kr(cast, goal)
    url = reverse("goals:kr_edit", args=[cast.org.slug, kr.pk])
    page = login(cast.member).get(url)
    choices = dict(page.context["form"].fields["kpi"].choices)
    assert str(public.pk) in choices and str(private.pk) not in choices

    response = login(cast.member).post(url, form(kr, kpi=str(public.pk)))
    assert response.status_code == 302
    assert the_kr(cast, goal).kpi_id == public.pk
    with tenant_context(cast.org.pk):
        event = GoalEvent.objects.filter(goal=goal, kind=EventKind.KEY_RESULT_EDITED).last()
    assert (event.before["kpi"], event.after["kpi"]) == (None, public.pk)

    # Choosing "None" stops following it.
    response = login(cast.member).post(url, form(kr, kpi=""))
    assert response.status_code == 302
    assert the_kr(cast, goal).kpi_id is None


def test_a_private_kpi_or_another_organisations_is_refused(cast, goal, login):
    private = kpi(cast.org, cast.admin, name="Board-only margin", visibility="private")
    theirs = kpi(cast.other_org, cast.other_admin, name="Their KPI")
    kr = the_kr(cast, goal)
    url = reverse("goals:kr_edit", args=[cast.org.slug, kr.pk])
    for pk in (private.pk, theirs.pk, 10**12):
        response = login(cast.member).post(url, form(kr, kpi=str(pk)))
        assert response.status_code == 400
        assert response.context["form"].errors["kpi"]
    for pk in (private.pk, theirs.pk):
        response = api(cast.member).patch(
            f"/api/v1/orgs/{cast.org.slug}/key-results/{kr.pk}/", {"kpi": pk}, format="json"
        )
        assert response.status_code == 400
        assert "kpi" in response.json()
    assert the_kr(cast, goal).kpi_id is None


def test_only_numeric_key_results_follow_a_kpi(cast, goal, login):
    signups = kpi(cast.org, cast.admin)
    kr = the_kr(cast, goal)
    response = login(cast.member).post(
        reverse("goals:kr_edit", args=[cast.org.slug, kr.pk]),
        form(kr, kind="boolean", kpi=str(signups.pk)),
    )
    assert response.status_code == 400
    assert response.context["form"].errors["kpi"] == [KPI_NEEDS_NUMBER]
    assert the_kr(cast, goal).kpi_id is None


def test_the_api_sets_and_shows_the_kpi(cast, goal):
    signups = kpi(cast.org, cast.admin)
    kr = the_kr(cast, goal)
    url = f"/api/v1/orgs/{cast.org.slug}/key-results/{kr.pk}/"
    response = api(cast.member).patch(url, {"kpi": signups.pk}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["kpi"] == signups.pk
    assert the_kr(cast, goal).kpi_id == signups.pk
    created = api(cast.member).post(
        f"/api/v1/orgs/{cast.org.slug}/key-results/",
        {"goal": goal.pk, "title": "Paid signups", "target_value": "40", "kpi": signups.pk},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["kpi"] == signups.pk
