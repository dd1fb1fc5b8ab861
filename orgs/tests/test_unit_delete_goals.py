"""Deleting a unit says what happens to its goals and moves them, with an event each."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.tenancy import tenant_context
from goals import services as goal_services
from goals.access import Actor
from goals.models import Cycle, Goal, GoalEvent, Level
from orgs import services
from orgs.models import Unit
from orgs.tests.test_api import api
from orgs.tests.test_api import url as api_url


def _goals(cast, unit: Unit, n: int = 2) -> list[Goal]:
    today = timezone.localdate()
    with tenant_context(cast.org.pk):
        cycle = Cycle.objects.create(
            org=cast.org, name="Q", start=today - timedelta(days=5), end=today + timedelta(days=80)
        )
        return [
            goal_services.goal_create(
                actor=Actor(cast.admin),
                cycle=cycle,
                level=Level.UNIT,
                unit=unit,
                owner=cast.manager,
                title=f"Ship {i}",
            )
            for i in range(n)
        ]


def _units_of(cast, goals: list[Goal]) -> set[int | None]:
    with tenant_context(cast.org.pk):
        return set(Goal.objects.filter(pk__in=[g.pk for g in goals]).values_list("unit", flat=True))


def _delete_url(cast, unit: Unit) -> str:
    return reverse("orgs:unit_delete", args=[cast.org.slug, unit.pk])


def test_the_delete_page_says_how_many_goals_move_and_where(cast, login):
    _goals(cast, cast.platform, 2)
    page = login(cast.admin).get(_delete_url(cast, cast.platform)).content.decode()
    assert (
        "It has 2 goals (drafts and closed ones included): they move to its parent unit, " in page
    )
    assert "“Engineering”, unless you choose another unit." in page
    assert 'name="move_goals_to"' in page


def test_deleting_a_unit_moves_its_goals_to_the_parent_with_an_event_each(cast, login):
    goals = _goals(cast, cast.platform, 2)

    response = login(cast.admin).post(
        _delete_url(cast, cast.platform), {"move_people_to": cast.engineering.pk}
    )

    assert response.status_code == 302
    assert _units_of(cast, goals) == {cast.engineering.pk}
    with tenant_context(cast.org.pk):
        events = list(GoalEvent.objects.filter(org=cast.org, goal__in=goals, kind="edited"))
    assert len(events) == 2
    assert {(e.actor_id, tuple(e.before.items()), tuple(e.after.items())) for e in events} == {
        (cast.admin.pk, (("unit_id", cast.platform.pk),), (("unit_id", cast.engineering.pk),))
    }
    assert "“Platform” was deleted" in events[0].comment
    # The goal's history shows it.
    page = login(cast.admin).get(reverse("goals:goal_detail", args=[cast.org.slug, goals[0].pk]))
    assert page.status_code == 200
    assert "The unit “Platform” was deleted; its goals moved here." in page.content.decode()


def test_the_admin_chooses_where_the_goals_go(cast, login):
    goals = _goals(cast, cast.platform, 1)
    response = login(cast.admin).post(
        _delete_url(cast, cast.platform),
        {"move_people_to": cast.engineering.pk, "move_goals_to": cast.company.pk},
    )
    assert response.status_code == 302
    assert _units_of(cast, goals) == {cast.company.pk}


@pytest.mark.parametrize(
    "target, message",
    [
        ("engineering", services.GOALS_REASSIGN_TO_SELF),
        ("platform", services.GOALS_REASSIGN_TO_SELF),
    ],
)
def test_goals_cannot_move_into_the_unit_or_its_sub_units(cast, target, message):
    goals = _goals(cast, cast.engineering, 1)
    with tenant_context(cast.org.pk), pytest.raises(Exception) as refused:
        services.unit_delete(
            unit=cast.engineering, move_people_to=cast.company, move_goals_to=getattr(cast, target)
        )
    assert refused.value.message_dict == {"move_goals_to": [message]}
    assert _units_of(cast, goals) == {cast.engineering.pk}


def test_a_top_level_unit_with_goals_needs_a_destination_and_nothing_moves_without(cast, login):
    with tenant_context(cast.org.pk):
        top = services.unit_create(org=cast.org, name="Board")
    goals = _goals(cast, top, 1)
    client = login(cast.admin)

    refused = client.post(_delete_url(cast, top), {})
    done = client.post(_delete_url(cast, top), {"move_goals_to": cast.company.pk})

    assert refused.status_code == 400
    assert services.GOALS_REASSIGN_REQUIRED in refused.content.decode()
    assert done.status_code == 302
    assert _units_of(cast, goals) == {cast.company.pk}


def test_the_api_moves_goals_and_refuses_another_organisations_unit(cast):
    goals = _goals(cast, cast.platform, 1)
    path = api_url(cast.org, f"units/{cast.platform.pk}/")
    client = api(cast.admin)

    refused = client.delete(
        path,
        {"move_people_to": cast.engineering.pk, "move_goals_to": cast.other_unit.pk},
        format="json",
    )
    done = client.delete(
        path,
        {"move_people_to": cast.engineering.pk, "move_goals_to": cast.company.pk},
        format="json",
    )

    assert refused.status_code == 400
    assert refused.json() == {"move_goals_to": [services.OTHER_ORG]}
    assert done.status_code == 204
    assert _units_of(cast, goals) == {cast.company.pk}
