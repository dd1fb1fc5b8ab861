"""Pages that list things run the same number of queries at 30 people as at 300.

Each test names the page's own queries; ``request_queries`` counts those every
org page makes.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import connection
from django.urls import reverse

from core.tenancy import tenant_context
from orgs.models import Membership, Unit, User

# SAVEPOINT, organisation, session, user, membership, RELEASE SAVEPOINT, and on
# PostgreSQL the two set_config calls that scope the transaction for row-level security.
REQUEST = 6


def request_queries() -> int:
    return REQUEST + (2 if connection.vendor == "postgresql" else 0)


@dataclass(frozen=True)
class Size:
    people: int
    units: int


SIZES = [Size(people=30, units=6), Size(people=300, units=60)]


def grow(cast, size: Size) -> None:
    """Give Acme ``size.people`` active people in ``size.units`` units, the cast included.

    New units nest three to a parent under Engineering; new people are engineers
    spread over the units, reporting to the cast's manager, and each new unit is led
    by its first person.
    """
    org = cast.org
    with tenant_context(org.pk):
        units: list[Unit] = []
        for i in range(size.units - Unit.objects.filter(org=org).count()):
            parent = ([cast.engineering, *units])[i // 3]
            units.append(Unit.objects.create(org=org, name=f"Team {i}", parent=parent))
        count = size.people - Membership.objects.filter(org=org, is_active=True).count()
        users = User.objects.bulk_create(
            User(email=f"engineer{i}@acme.test", full_name=f"Engineer {i:03d}", password="!")
            for i in range(count)
        )
        homes = units or [cast.platform]
        people = Membership.objects.bulk_create(
            Membership(
                org=org,
                user=user,
                title="Engineer",
                unit=homes[i % len(homes)],
                manager=cast.manager,
            )
            for i, user in enumerate(users)
        )
        for unit, lead in zip(units, people, strict=False):
            unit.lead = lead
        Unit.objects.bulk_update(units, ["lead"])
    assert len(people) + 4 == size.people


@pytest.fixture(params=SIZES, ids=lambda size: f"{size.people}-people")
def size(request, cast) -> Size:
    grow(cast, request.param)
    return request.param


def test_it_lists_units_in_a_fixed_number_of_queries(cast, size, login, django_assert_num_queries):
    client = login(cast.admin)
    # the new-unit form's parent choices (unit paths), the unit tree with leads and
    # member counts, the organisation switcher, the new-unit form's lead choices
    with django_assert_num_queries(request_queries() + 4):
        response = client.get(reverse("orgs:units", args=[cast.org.slug]))
    assert response.status_code == 200
    assert len(response.context["tree"]) == size.units


def test_it_lists_units_for_a_member_in_a_fixed_number_of_queries(
    cast, size, login, django_assert_num_queries
):
    client = login(cast.member)
    # the unit tree, the organisation switcher
    with django_assert_num_queries(request_queries() + 2):
        response = client.get(reverse("orgs:units", args=[cast.org.slug]))
    assert response.status_code == 200


@pytest.mark.parametrize(
    "query",
    [{}, {"q": "engineer"}, {"unit": "engineering"}, {"q": "engineer", "unit": "engineering"}],
    ids=["first-page", "search", "unit", "search-and-unit"],
)
def test_it_lists_people_in_a_fixed_number_of_queries(
    cast, size, login, django_assert_num_queries, query
):
    client = login(cast.admin)
    params = {**query, **({"unit": cast.engineering.pk} if "unit" in query else {})}
    # unit paths (filter menu and validation), the paginator's count, the organisation
    # switcher, one page of people with user, unit and manager
    with django_assert_num_queries(request_queries() + 4):
        response = client.get(reverse("orgs:people", args=[cast.org.slug]), params)
    assert response.status_code == 200
    page = response.context["page"]
    assert page.paginator.count == size.people if not query else page.paginator.count > 2
    assert len(page.object_list) == min(page.paginator.count, 50)


def test_it_shows_the_next_page_of_people_in_the_same_number_of_queries(
    cast, size, login, django_assert_num_queries
):
    client = login(cast.admin)
    # unit paths, the paginator's count, the organisation switcher, one page of people
    with django_assert_num_queries(request_queries() + 4):
        response = client.get(reverse("orgs:people", args=[cast.org.slug]), {"page": 2})
    assert response.status_code == 200


def test_it_shows_the_org_home_in_a_fixed_number_of_queries(
    cast, size, login, django_assert_num_queries
):
    client = login(cast.admin)
    # the admin's reports (first 20), the people count, the unit count, the
    # organisation switcher, the active cycle (none here: no trend chart); the admin
    # reports to nobody; the recognition figures' active cycle (none)
    with django_assert_num_queries(request_queries() + 6):
        response = client.get(reverse("orgs:org_home", args=[cast.org.slug]))
    assert response.status_code == 200
    assert response.context["people_count"] == size.people


def test_it_shows_a_managers_home_in_a_fixed_number_of_queries(
    cast, size, login, django_assert_num_queries
):
    client = login(cast.manager)
    # the reports (first 20), the people count, the unit count, the organisation
    # switcher, the active cycle (none here); their manager comes with the membership
    # the middleware loads; the recognition figures' active cycle (none)
    with django_assert_num_queries(request_queries() + 6):
        response = client.get(reverse("orgs:org_home", args=[cast.org.slug]))
    assert response.status_code == 200
    assert len(response.context["reports"]) == 20
