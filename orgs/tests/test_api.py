"""The REST API for the organisation, its units and its people."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from core.tenancy import tenant_context
from orgs import services
from orgs.api import ADMIN_ONLY
from orgs.forms import CYCLE_DAYS_RANGE, REMINDER_HOUR_RANGE
from orgs.models import ApiToken, Membership, Organization, Role, Unit
from tests.factories import MembershipFactory, UnitFactory

BACKEND = "django.contrib.auth.backends.ModelBackend"


def api(membership: Membership | None = None, **kwargs) -> APIClient:
    client = APIClient(**kwargs)
    if membership is not None:
        client.force_login(membership.user, backend=BACKEND)
    return client


def url(org: Organization, rest: str = "") -> str:
    return f"/api/v1/orgs/{org.slug}/{rest}"


def token_for(membership: Membership) -> str:
    with tenant_context(membership.org_id):
        _, raw = services.api_token_create(membership=membership, name="script")
    return raw


def read_unit(org: Organization, pk: int) -> Unit | None:
    with tenant_context(org.pk):
        return Unit.objects.filter(pk=pk).first()


def read_membership(org: Organization, pk: int) -> Membership:
    with tenant_context(org.pk):
        return Membership.objects.select_related("user").get(pk=pk)


# --- The organisation --------------------------------------------------------


def test_it_shows_the_organisation_to_a_member(cast):
    response = api(cast.member).get(url(cast.org))
    assert response.status_code == 200
    assert response.json() == {
        "id": cast.org.pk,
        "name": "Acme",
        "slug": "acme",
        "timezone": "UTC",
        "checkin_cadence": "weekly",
        "reminder_hour": 8,
        "cycle_reminder_days": 7,
    }


def test_it_lets_an_admin_update_the_organisation(cast):
    response = api(cast.admin).patch(
        url(cast.org), {"name": " Acme Ltd ", "checkin_cadence": "monthly"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["name"] == "Acme Ltd"
    cast.org.refresh_from_db()
    assert (cast.org.name, cast.org.timezone, cast.org.checkin_cadence) == (
        "Acme Ltd",
        "UTC",
        "monthly",
    )


def test_it_refuses_an_unknown_time_zone_and_cadence(cast):
    response = api(cast.admin).patch(
        url(cast.org), {"timezone": "Mars/Olympus", "checkin_cadence": "daily"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"timezone", "checkin_cadence"}
    cast.org.refresh_from_db()
    assert cast.org.timezone == "UTC"


def test_it_lets_an_admin_set_when_reminders_go_out(cast):
    response = api(cast.admin).patch(
        url(cast.org), {"reminder_hour": 0, "cycle_reminder_days": 60}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["reminder_hour"], response.json()["cycle_reminder_days"]) == (0, 60)
    cast.org.refresh_from_db()
    assert (cast.org.reminder_hour, cast.org.cycle_reminder_days, cast.org.name) == (0, 60, "Acme")


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"reminder_hour": 24}, "reminder_hour", REMINDER_HOUR_RANGE),
        ({"reminder_hour": -1}, "reminder_hour", REMINDER_HOUR_RANGE),
        ({"reminder_hour": "eight"}, "reminder_hour", REMINDER_HOUR_RANGE),
        ({"cycle_reminder_days": 0}, "cycle_reminder_days", CYCLE_DAYS_RANGE),
        ({"cycle_reminder_days": 61}, "cycle_reminder_days", CYCLE_DAYS_RANGE),
        ({"cycle_reminder_days": 10**30}, "cycle_reminder_days", CYCLE_DAYS_RANGE),
    ],
)
def test_it_refuses_reminder_timing_out_of_range(cast, data, field, message):
    response = api(cast.admin).patch(url(cast.org), {**data, "name": "Changed"}, format="json")
    assert response.status_code == 400
    assert response.json() == {field: [message]}
    cast.org.refresh_from_db()
    assert (cast.org.reminder_hour, cast.org.cycle_reminder_days, cast.org.name) == (8, 7, "Acme")


def test_it_refuses_organisation_changes_from_a_member(cast):
    response = api(cast.member).patch(url(cast.org), {"name": "Mine"}, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": ADMIN_ONLY}
    cast.org.refresh_from_db()
    assert cast.org.name == "Acme"


# --- Units -------------------------------------------------------------------


def test_it_lists_units_depth_first_with_depth_and_path(cast):
    response = api(cast.member).get(url(cast.org, "units/"))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert body["results"] == [
        {
            "id": cast.company.pk,
            "name": "Acme",
            "parent": None,
            "lead": None,
            "depth": 0,
            "path": "Acme",
        },
        {
            "id": cast.engineering.pk,
            "name": "Engineering",
            "parent": cast.company.pk,
            "lead": cast.manager.pk,
            "depth": 1,
            "path": "Acme/Engineering",
        },
        {
            "id": cast.platform.pk,
            "name": "Platform",
            "parent": cast.engineering.pk,
            "lead": None,
            "depth": 2,
            "path": "Acme/Engineering/Platform",
        },
    ]


def test_it_shows_a_unit(cast):
    response = api(cast.member).get(url(cast.org, f"units/{cast.platform.pk}/"))
    assert response.status_code == 200
    assert response.json()["path"] == "Acme/Engineering/Platform"
    assert response.json()["depth"] == 2


def test_it_creates_a_unit(cast):
    response = api(cast.admin).post(
        url(cast.org, "units/"),
        {"name": " Data ", "parent": cast.engineering.pk, "lead": cast.member.pk},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["path"] == "Acme/Engineering/Data"
    assert body["depth"] == 2
    unit = read_unit(cast.org, body["id"])
    assert (unit.org_id, unit.name, unit.parent_id, unit.lead_id) == (
        cast.org.pk,
        "Data",
        cast.engineering.pk,
        cast.member.pk,
    )


def test_it_creates_a_top_level_unit_from_a_name_alone(cast):
    response = api(cast.admin).post(url(cast.org, "units/"), {"name": "Sales"}, format="json")
    assert response.status_code == 201
    assert response.json()["parent"] is None
    assert response.json()["depth"] == 0


def test_it_refuses_an_empty_unit_name(cast):
    response = api(cast.admin).post(url(cast.org, "units/"), {"name": "  "}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["name"]


def test_it_refuses_a_duplicate_unit_name(cast):
    response = api(cast.admin).post(
        url(cast.org, "units/"), {"name": "platform", "parent": cast.engineering.pk}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"name": [services.UNIT_NAME_TAKEN]}


def test_it_moves_and_renames_a_unit(cast):
    response = api(cast.admin).patch(
        url(cast.org, f"units/{cast.platform.pk}/"),
        {"name": "Infra", "parent": cast.company.pk, "lead": None},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["path"] == "Acme/Infra"
    unit = read_unit(cast.org, cast.platform.pk)
    assert (unit.name, unit.parent_id) == ("Infra", cast.company.pk)


def test_it_changes_only_what_a_patch_names(cast):
    response = api(cast.admin).patch(
        url(cast.org, f"units/{cast.engineering.pk}/"), {"name": "R&D"}, format="json"
    )
    assert response.status_code == 200
    unit = read_unit(cast.org, cast.engineering.pk)
    assert (unit.name, unit.parent_id, unit.lead_id) == ("R&D", cast.company.pk, cast.manager.pk)


def test_it_refuses_to_move_a_unit_under_its_own_sub_unit(cast):
    response = api(cast.admin).patch(
        url(cast.org, f"units/{cast.engineering.pk}/"),
        {"parent": cast.platform.pk},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"parent": [services.UNIT_MOVE_INTO_ITSELF]}
    assert read_unit(cast.org, cast.engineering.pk).parent_id == cast.company.pk


@pytest.mark.parametrize("field", ["parent", "lead"])
def test_it_refuses_an_id_from_another_organisation_like_a_missing_one(cast, field):
    other = cast.other_unit.pk if field == "parent" else cast.other_admin.pk
    client = api(cast.admin)
    foreign = client.post(url(cast.org, "units/"), {"name": "X", field: other}, format="json")
    missing = client.post(url(cast.org, "units/"), {"name": "X", field: 10**9}, format="json")
    assert foreign.status_code == missing.status_code == 400
    assert foreign.json() == missing.json() == {field: [services.OTHER_ORG]}


def test_it_deletes_a_unit_moving_its_people_and_sub_units(cast):
    response = api(cast.admin).delete(
        url(cast.org, f"units/{cast.engineering.pk}/?move_people_to={cast.company.pk}")
    )
    assert response.status_code == 204
    assert read_unit(cast.org, cast.engineering.pk) is None
    assert read_unit(cast.org, cast.platform.pk).parent_id == cast.company.pk
    assert read_membership(cast.org, cast.manager.pk).unit_id == cast.company.pk


def test_it_takes_the_destination_of_a_deleted_units_people_from_the_body(cast):
    response = api(cast.admin).delete(
        url(cast.org, f"units/{cast.platform.pk}/"),
        {"move_people_to": cast.engineering.pk},
        format="json",
    )
    assert response.status_code == 204
    assert read_membership(cast.org, cast.member.pk).unit_id == cast.engineering.pk


def test_it_deletes_an_empty_unit_without_a_destination(cast):
    with tenant_context(cast.org.pk):
        empty = services.unit_create(org=cast.org, name="Empty")
    response = api(cast.admin).delete(url(cast.org, f"units/{empty.pk}/"))
    assert response.status_code == 204
    assert read_unit(cast.org, empty.pk) is None


@pytest.mark.parametrize(
    "destination, message",
    [
        ("", services.UNIT_REASSIGN_REQUIRED),
        ("platform", services.UNIT_REASSIGN_TO_SELF),
        ("other_unit", services.OTHER_ORG),
    ],
)
def test_it_refuses_to_delete_a_unit_without_a_valid_home_for_its_people(
    cast, destination, message
):
    query = f"?move_people_to={getattr(cast, destination).pk}" if destination else ""
    response = api(cast.admin).delete(url(cast.org, f"units/{cast.engineering.pk}/{query}"))
    assert response.status_code == 400
    assert response.json() == {"move_people_to": [message]}
    assert read_unit(cast.org, cast.engineering.pk) is not None


@pytest.mark.parametrize(
    "method, data",
    [("get", None), ("patch", {"name": "Taken"}), ("delete", None)],
)
def test_it_hides_another_organisations_unit(cast, method, data):
    path = url(cast.org, f"units/{cast.other_unit.pk}/")
    response = getattr(api(cast.admin), method)(path, data, format="json")
    assert response.status_code == 404
    assert "Engineering" not in response.content.decode()
    assert read_unit(cast.other_org, cast.other_unit.pk).name == "Engineering"


def test_it_answers_404_for_a_unit_id_too_large_for_the_database(cast):
    response = api(cast.admin).get(url(cast.org, f"units/{10**30}/"))
    assert response.status_code == 404


@pytest.mark.parametrize(
    "method, rest, data",
    [
        ("post", "units/", {"name": "Mine"}),
        ("patch", "units/{pk}/", {"name": "Mine"}),
        ("delete", "units/{pk}/", None),
    ],
)
def test_it_refuses_unit_changes_from_a_member(cast, method, rest, data):
    path = url(cast.org, rest.format(pk=cast.engineering.pk))
    response = getattr(api(cast.member), method)(path, data, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": ADMIN_ONLY}
    with tenant_context(cast.org.pk):
        assert sorted(Unit.objects.filter(org=cast.org).values_list("name", flat=True)) == [
            "Acme",
            "Engineering",
            "Platform",
        ]


# --- Memberships -------------------------------------------------------------


def test_it_lists_active_memberships_by_name(cast):
    response = api(cast.member).get(url(cast.org, "memberships/"))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 4
    assert [p["email"] for p in body["results"]] == [
        "admin@acme.test",
        "member@acme.test",
        "member2@acme.test",
        "manager@acme.test",
    ]
    assert body["results"][1] == {
        "id": cast.member.pk,
        "email": "member@acme.test",
        "full_name": "Bob Member (Acme)",
        "role": "member",
        "title": "Engineer",
        "unit": cast.platform.pk,
        "manager": cast.manager.pk,
        "is_active": True,
    }


@pytest.mark.parametrize(
    "query, emails",
    [
        ("q=carol", ["member2@acme.test"]),
        ("q=head+of", ["manager@acme.test"]),
        ("role=manager", ["manager@acme.test"]),
        ("unit={engineering}", ["member@acme.test", "member2@acme.test", "manager@acme.test"]),
        ("unit={platform}&q=bob", ["member@acme.test"]),
        ("status=inactive", ["gone@acme.test"]),
    ],
)
def test_it_filters_memberships(cast, query, emails):
    MembershipFactory(org=cast.org, is_active=False, user__email="gone@acme.test")
    query = query.format(engineering=cast.engineering.pk, platform=cast.platform.pk)
    response = api(cast.member).get(url(cast.org, f"memberships/?{query}"))
    assert response.status_code == 200
    assert [p["email"] for p in response.json()["results"]] == emails


@pytest.mark.parametrize(
    "query, field",
    [
        ("role=boss", "role"),
        ("status=gone", "status"),
        ("unit=abc", "unit"),
        ("unit=999999999", "unit"),
        ("unit={other_unit}", "unit"),
        ("q=" + "x" * 101, "q"),
        ("q=a%00b", "q"),
    ],
)
def test_it_refuses_bad_membership_filters(cast, query, field):
    query = query.format(other_unit=cast.other_unit.pk)
    response = api(cast.member).get(url(cast.org, f"memberships/?{query}"))
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_it_pages_memberships(cast):
    response = api(cast.member).get(url(cast.org, "memberships/?limit=3"))
    body = response.json()
    assert (body["count"], len(body["results"])) == (4, 3)
    assert "offset=3" in body["next"]
    second = api(cast.member).get(body["next"]).json()
    assert [p["email"] for p in second["results"]] == ["manager@acme.test"]


@pytest.mark.parametrize("rest", ["memberships/", "memberships/?unit={unit}&q=e", "units/"])
def test_it_lists_in_a_constant_number_of_queries(cast, rest):
    client = api(cast.member)
    path = url(cast.org, rest.format(unit=cast.company.pk))
    with CaptureQueriesContext(connection) as few:
        assert client.get(path).status_code == 200
    for n in range(5):
        unit = UnitFactory(org=cast.org, parent=cast.platform, name=f"Squad {n}")
        MembershipFactory(org=cast.org, unit=unit, manager=cast.manager, title="Engineer")
    with CaptureQueriesContext(connection) as many:
        response = client.get(path)
    assert response.json()["count"] in (8, 9)
    # The same session, user, organisation and membership look-ups (with the
    # row-level security settings on PostgreSQL), then for people the count and
    # one page with users; for units the tree and the paths.
    assert len(many) == len(few)


def test_it_shows_a_membership(cast):
    response = api(cast.member).get(url(cast.org, f"memberships/{cast.manager.pk}/"))
    assert response.status_code == 200
    assert response.json()["full_name"] == "Mallory Manager (Acme)"


def test_it_updates_a_membership(cast):
    response = api(cast.admin).patch(
        url(cast.org, f"memberships/{cast.member.pk}/"),
        {
            "title": " Staff Engineer ",
            "role": "manager",
            "unit": cast.engineering.pk,
            "manager": cast.admin.pk,
        },
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["title"] == "Staff Engineer"
    person = read_membership(cast.org, cast.member.pk)
    assert (
        person.user.full_name,
        person.title,
        person.role,
        person.unit_id,
        person.manager_id,
    ) == ("Bob Member (Acme)", "Staff Engineer", Role.MANAGER, cast.engineering.pk, cast.admin.pk)


def test_it_refuses_to_rename_a_person_who_has_a_name(cast):
    response = api(cast.admin).patch(
        url(cast.org, f"memberships/{cast.member.pk}/"), {"full_name": "Robert"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["full_name"] == [services.NAME_IS_THEIRS]
    assert read_membership(cast.org, cast.member.pk).user.full_name == "Bob Member (Acme)"


def test_it_changes_only_what_a_membership_patch_names(cast):
    response = api(cast.admin).patch(
        url(cast.org, f"memberships/{cast.member.pk}/"), {"title": "Lead"}, format="json"
    )
    assert response.status_code == 200
    person = read_membership(cast.org, cast.member.pk)
    assert (person.title, person.role, person.unit_id, person.manager_id) == (
        "Lead",
        Role.MEMBER,
        cast.platform.pk,
        cast.manager.pk,
    )
    assert person.user.full_name == "Bob Member (Acme)"


def test_it_refuses_a_reporting_cycle(cast):
    response = api(cast.admin).patch(
        url(cast.org, f"memberships/{cast.admin.pk}/"), {"manager": cast.member.pk}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "manager": [services.REPORTING_CYCLE.format(name="Bob Member (Acme)")]
    }
    assert read_membership(cast.org, cast.admin.pk).manager_id is None


@pytest.mark.parametrize("field", ["unit", "manager"])
def test_it_refuses_a_unit_or_manager_from_another_organisation(cast, field):
    other = cast.other_unit.pk if field == "unit" else cast.other_admin.pk
    response = api(cast.admin).patch(
        url(cast.org, f"memberships/{cast.member.pk}/"), {field: other}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {field: [services.OTHER_ORG]}


def test_it_deactivates_and_reactivates_a_membership(cast):
    client = api(cast.admin)
    path = url(cast.org, f"memberships/{cast.manager.pk}/")
    response = client.patch(path, {"is_active": False}, format="json")
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert read_membership(cast.org, cast.member.pk).manager_id == cast.admin.pk
    assert read_unit(cast.org, cast.engineering.pk).lead_id is None

    response = client.patch(path, {"is_active": True}, format="json")
    assert response.status_code == 200
    assert read_membership(cast.org, cast.manager.pk).is_active is True


def test_it_keeps_the_last_admin_and_undoes_the_whole_patch(cast):
    response = api(cast.admin).patch(
        url(cast.org, f"memberships/{cast.admin.pk}/"),
        {"title": "Retired", "is_active": False},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"role": [services.LAST_ADMIN]}
    person = read_membership(cast.org, cast.admin.pk)
    assert (person.title, person.is_active) == ("COO", True)


def test_it_hides_another_organisations_membership(cast):
    client = api(cast.admin)
    path = url(cast.org, f"memberships/{cast.other_member.pk}/")
    assert client.get(path).status_code == 404
    response = client.patch(path, {"title": "Mole"}, format="json")
    assert response.status_code == 404
    assert "globex" not in response.content.decode()
    assert read_membership(cast.other_org, cast.other_member.pk).title == "Engineer"


def test_it_refuses_membership_changes_from_a_member(cast):
    response = api(cast.member).patch(
        url(cast.org, f"memberships/{cast.member.pk}/"), {"role": "admin"}, format="json"
    )
    assert response.status_code == 403
    assert read_membership(cast.org, cast.member.pk).role == Role.MEMBER


# --- Bad input is a 400, never a 500 -----------------------------------------


@pytest.mark.parametrize(
    "rest, body",
    [
        ("units/", '{"name": '),
        ("units/", "[1, 2]"),
        ("units/", '"Sales"'),
        ("units/", '{"name": {"a": 1}}'),
        ("units/", '{"name": "a\\u0000b"}'),
        ("units/", '{"name": "' + "x" * 121 + '"}'),
        ("units/", '{"name": "X", "parent": "abc"}'),
        ("units/", '{"name": "X", "parent": true}'),
        ("units/", '{"name": "X", "parent": 1.5}'),
        ("units/", '{"name": "X", "parent": [1]}'),
        ("units/", '{"name": "X", "parent": 1000000000000000000000000000000}'),
        ("units/", '{"name": "X", "lead": -1}'),
        ("units/{unit}/", '{"parent": {"id": 1}}'),
        ("memberships/{member}/", '{"is_active": "maybe"}'),
        ("memberships/{member}/", '{"role": ["admin"]}'),
        ("memberships/{member}/", '{"manager": "1; DROP TABLE"}'),
        ("", '{"timezone": 7}'),
        ("", '{"name": ""}'),
    ],
)
def test_it_answers_bad_input_with_400(cast, rest, body):
    path = url(cast.org, rest.format(unit=cast.platform.pk, member=cast.member.pk))
    method = "post" if rest == "units/" else "patch"
    response = getattr(api(cast.admin), method)(path, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()


# --- Tokens and sessions -----------------------------------------------------


def test_it_accepts_a_token_for_its_own_organisation(cast):
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {token_for(cast.admin)}")
    assert client.get(url(cast.org, "units/")).json()["count"] == 3
    response = client.post(url(cast.org, "units/"), {"name": "Sales"}, format="json")
    assert response.status_code == 201


def test_it_holds_a_members_token_to_reading(cast):
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {token_for(cast.member)}")
    assert client.get(url(cast.org, "memberships/")).status_code == 200
    assert client.post(url(cast.org, "units/"), {"name": "X"}, format="json").status_code == 403


@pytest.mark.parametrize("rest", ["", "units/", "memberships/", "units/{unit}/"])
def test_it_answers_a_token_on_another_organisations_url_with_404(cast, rest):
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {token_for(cast.admin)}")
    response = client.get(url(cast.other_org, rest.format(unit=cast.other_unit.pk)))
    assert response.status_code == 404
    assert "Globex" not in response.content.decode()
    assert "globex" not in response.content.decode()


def test_it_refuses_a_revoked_token(cast):
    raw = token_for(cast.admin)
    with tenant_context(cast.org.pk):
        services.api_token_revoke(token=ApiToken.objects.get(membership=cast.admin))
    response = APIClient(HTTP_AUTHORIZATION=f"Bearer {raw}").get(url(cast.org))
    assert response.status_code == 401


def test_it_refuses_the_token_of_a_deactivated_member(cast):
    raw = token_for(cast.member)
    with tenant_context(cast.org.pk):
        Membership.objects.filter(pk=cast.member.pk).update(is_active=False)
    response = APIClient(HTTP_AUTHORIZATION=f"Bearer {raw}").get(url(cast.org))
    assert response.status_code == 401


def test_it_refuses_an_unknown_token_and_no_credentials(cast):
    anonymous = APIClient().get(url(cast.org, "units/"))
    assert anonymous.status_code == 401
    # A token this organisation never issued is answered like a foreign organisation,
    # whether or not the organisation exists.
    unknown = APIClient(HTTP_AUTHORIZATION="Bearer cairn_not-a-token")
    assert unknown.get(url(cast.org)).status_code == 404
    assert unknown.get("/api/v1/orgs/no-such-org/").status_code == 404


def test_a_token_on_a_missing_organisation_is_the_same_404_as_on_a_foreign_one(cast):
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {token_for(cast.admin)}")
    foreign = client.get(url(cast.other_org, "units/"))
    missing = client.get("/api/v1/orgs/no-such-org/units/")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json() == {"detail": "Not found."}


def test_it_hides_an_organisation_from_someone_outside_it(cast):
    response = api(cast.other_admin).get(url(cast.org, "units/"))
    assert response.status_code == 404


def test_it_enforces_csrf_on_session_writes(cast):
    client = api(cast.admin, enforce_csrf_checks=True)
    response = client.post(url(cast.org, "units/"), {"name": "Sales"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


# --- Schema and docs ---------------------------------------------------------


def test_it_serves_a_valid_openapi_schema_with_these_paths(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")
    prefix = "/api/v1/orgs/{org_slug}/"
    assert {
        prefix,
        prefix + "units/",
        prefix + "units/{unit_pk}/",
        prefix + "memberships/",
        prefix + "memberships/{membership_pk}/",
    } <= set(schema["paths"])


def test_it_serves_api_docs_from_local_static_files(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    links = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert links
    assert all(link.startswith("/") and not link.startswith("//") for link in links), links
    script = next(link for link in links if "script" in link)
    assert client.get(script.replace("&amp;", "&")).status_code == 200


def test_the_api_docs_have_no_inline_style_for_the_csp_to_block(client):
    html = client.get("/api/docs/").content.decode()
    assert "<style" not in html and 'style="' not in html
    assert "/static/css/api_docs.css" in html
