"""The recognition API: the feed, giving kudos (every refusal: a 400 with field errors,
nothing saved), reactions, company values (admins), other organisations (404)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from core.tenancy import tenant_context
from feedback import recognition as rec
from feedback.models import CompanyValue, Reaction, Recognition
from feedback.tests.test_recognition_services import give, make_value, nothing_saved
from notifications.models import Kind, Notification
from orgs.models import Membership
from tests.factories import CycleFactory, GoalFactory, MembershipFactory
from tests.test_query_counts import request_queries

BACKEND = "django.contrib.auth.backends.ModelBackend"


def api(membership: Membership) -> APIClient:
    client = APIClient()
    client.force_login(membership.user, backend=BACKEND)
    return client


def url(rest: str = "", org: str = "acme") -> str:
    return f"/api/v1/orgs/{org}/{rest}"


# --- The feed and one kudos -----------------------------------------------------------


def test_the_feed_lists_kudos_newest_first_with_their_parts(cast):
    value = make_value(cast.org, emoji="🤝")
    goal = GoalFactory(owner=cast.member2, status="active", visibility="private", title="Secret")
    give(cast.admin, [cast.member], message="First")
    give(cast.manager, [cast.member, cast.member2], message="Second", value=value, goals=[goal])
    response = api(cast.member).get(url("recognition/"))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    latest = body["results"][0]
    assert latest["message"] == "Second"
    assert latest["giver"] == {"id": cast.manager.pk, "name": "Mallory Manager (Acme)"}
    assert [p["id"] for p in latest["recipients"]] == [cast.member.pk, cast.member2.pk]
    assert latest["value"]["name"] == "Customers first" and latest["value"]["emoji"] == "🤝"
    # Bob may not see Carol's private goal: no title.
    assert latest["goals"] == [{"id": goal.pk, "title": None, "private": True}]
    assert {r["emoji"]: r["count"] for r in latest["reactions"]}["clap"] == 0
    carol = api(cast.member2).get(url("recognition/")).json()["results"][0]
    assert carol["goals"] == [{"id": goal.pk, "title": "Secret", "private": False}]


def test_the_feed_filters_by_unit_person_and_value(cast):
    value = make_value(cast.org)
    give(cast.admin, [cast.member], message="To Bob", value=value)
    give(cast.member, [cast.manager], message="To Mallory")
    give(cast.member, [cast.admin], message="To Alice")
    client = api(cast.member2)

    def messages(**params):
        return {k["message"] for k in client.get(url("recognition/"), params).json()["results"]}

    assert messages(unit=cast.engineering.pk) == {"To Bob", "To Mallory"}
    assert messages(person=cast.admin.pk) == {"To Alice"}
    assert messages(value=value.pk) == {"To Bob"}
    # Another organisation's unit, or something that is no id: nothing matches.
    assert messages(unit=cast.other_unit.pk) == set()
    assert messages(person="\x00") == set()
    assert messages(value="9" * 30) == set()


def test_the_feed_paginates(cast):
    for i in range(5):
        give(cast.admin, [cast.member], message=f"K{i}")
    body = api(cast.member2).get(url("recognition/"), {"limit": 2, "offset": 2}).json()
    assert body["count"] == 5
    assert [k["message"] for k in body["results"]] == ["K2", "K1"]


@pytest.mark.parametrize("count", [3, 40])
def test_the_feed_reads_a_fixed_number_of_queries(cast, django_assert_num_queries, count):
    cycle = CycleFactory(org=cast.org)
    value = make_value(cast.org)
    goals = [GoalFactory(owner=cast.member2, cycle=cycle, status="active", visibility="private")]
    for _ in range(count):
        kudos = give(cast.manager, [cast.member, cast.member2], value=value, goals=goals)
        with tenant_context(cast.org.pk):
            Reaction.objects.create(
                org=cast.org, recognition=kudos, person=cast.admin, emoji="clap"
            )
    client = api(cast.member)
    # the count, the page, recipients, goals, reaction counts, Bob's reporting subtree
    with django_assert_num_queries(request_queries() + 6):
        response = client.get(url("recognition/"), {"limit": 100})
    assert len(response.json()["results"]) == count


def test_another_organisations_kudos_is_404(cast):
    kudos = give(cast.admin, [cast.member])
    client = api(cast.other_admin)
    assert client.get(url(f"recognition/{kudos.pk}/")).status_code == 404
    assert client.get(url(f"recognition/{kudos.pk}/", "globex")).status_code == 404
    response = client.post(url(f"recognition/{kudos.pk}/reactions/", "globex"), {"emoji": "clap"})
    assert response.status_code == 404
    assert client.get(url("recognition/", "globex")).json()["count"] == 0


# --- Giving kudos -----------------------------------------------------------------------


def post(client, **body):
    return client.post(url("recognition/"), {"message": "Thanks!", **body}, format="json")


def test_it_gives_kudos_and_notifies(cast):
    value = make_value(cast.org)
    goal = GoalFactory(owner=cast.member2, status="active")
    response = post(api(cast.member), recipients=[cast.member2.pk], value=value.pk, goals=[goal.pk])
    assert response.status_code == 201
    body = response.json()
    assert body["value"]["id"] == value.pk and body["goals"][0]["id"] == goal.pk
    with tenant_context(cast.org.pk):
        assert Recognition.objects.filter(org=cast.org).count() == 1
        note = Notification.objects.get(org=cast.org, kind=Kind.RECOGNITION)
    assert note.recipient_id == cast.member2.pk
    assert note.data["path"] == f"/o/acme/recognition/{body['id']}/"


def refused(response, cast, field: str, message: str | None = None) -> None:
    assert response.status_code == 400, response.content
    errors = response.json()
    assert field in errors
    if message is not None:
        assert message in str(errors[field])
    assert nothing_saved(cast.org)


def test_the_api_refuses_yourself(cast):
    refused(post(api(cast.member), recipients=[cast.member.pk]), cast, "recipients", rec.TO_SELF)


def test_the_api_refuses_nobody_and_too_many(cast):
    client = api(cast.member)
    refused(post(client, recipients=[]), cast, "recipients", rec.NO_RECIPIENT)
    many = [p.pk for p in MembershipFactory.create_batch(21, org=cast.org)]
    refused(post(client, recipients=many), cast, "recipients", rec.TOO_MANY_RECIPIENTS)


def test_the_api_refuses_a_deactivated_person(cast):
    with tenant_context(cast.org.pk):
        Membership.objects.filter(pk=cast.member2.pk).update(is_active=False)
    response = post(api(cast.member), recipients=[cast.member2.pk])
    refused(response, cast, "recipients", rec.NOT_A_COLLEAGUE)


def test_the_api_refuses_someone_of_another_organisation(cast):
    refused(post(api(cast.member), recipients=[cast.other_member.pk]), cast, "recipients")


@pytest.mark.parametrize(
    ("message", "error"), [("", rec.MESSAGE_EMPTY), ("x" * 2001, rec.MESSAGE_TOO_LONG)]
)
def test_the_api_refuses_an_empty_or_over_long_message(cast, message, error):
    response = post(api(cast.member), recipients=[cast.member2.pk], message=message)
    refused(response, cast, "message", error)


def test_the_api_refuses_a_goal_that_is_not_a_recipients(cast):
    goal = GoalFactory(owner=cast.manager, status="active")
    response = post(api(cast.member), recipients=[cast.member2.pk], goals=[goal.pk])
    refused(response, cast, "goals", rec.GOAL_NOT_THEIRS)


def test_the_api_refuses_more_than_five_goals(cast):
    response = post(api(cast.member), recipients=[cast.member2.pk], goals=list(range(1, 7)))
    refused(response, cast, "goals", rec.TOO_MANY_GOALS)


def test_the_api_refuses_an_archived_value_and_another_organisations(cast):
    archived = make_value(cast.org, is_active=False)
    response = post(api(cast.member), recipients=[cast.member2.pk], value=archived.pk)
    refused(response, cast, "value", rec.VALUE_UNAVAILABLE)
    other = make_value(cast.other_org)
    refused(post(api(cast.member), recipients=[cast.member2.pk], value=other.pk), cast, "value")


@pytest.mark.parametrize(
    "body",
    [
        {"recipients": "1"},
        {"recipients": [None]},
        {"recipients": [2**70]},
        {"recipients": ["x"]},
        {"recipients": [1], "message": "a\x00b"},
        {"recipients": [1], "value": "x"},
    ],
)
def test_hostile_bodies_are_400(cast, body):
    response = api(cast.member).post(url("recognition/"), body, format="json")
    assert response.status_code == 400
    assert nothing_saved(cast.org)


# --- Reactions -----------------------------------------------------------------------------


def test_reactions_are_added_once_and_taken_back(cast):
    kudos = give(cast.admin, [cast.member])
    client = api(cast.member2)
    path = url(f"recognition/{kudos.pk}/reactions/")
    assert client.post(path, {"emoji": "clap"}, format="json").status_code == 200
    response = client.post(path, {"emoji": "clap"}, format="json")
    clap = next(r for r in response.json() if r["emoji"] == "clap")
    assert clap == {"emoji": "clap", "symbol": "👏", "count": 1, "mine": True}
    response = client.delete(path, {"emoji": "clap"}, format="json")
    assert next(r for r in response.json() if r["emoji"] == "clap")["count"] == 0
    response = client.delete(f"{path}?emoji=tada")
    assert response.status_code == 200
    assert client.post(path, {"emoji": "poop"}, format="json").status_code == 400
    with tenant_context(cast.org.pk):
        assert not Reaction.objects.filter(org=cast.org).exists()


# --- Company values -----------------------------------------------------------------------


def test_everyone_lists_values_and_admins_change_them(cast):
    make_value(cast.org)
    assert api(cast.member).get(url("values/")).json()["count"] == 1
    client = api(cast.admin)
    response = client.post(url("values/"), {"name": "Candour", "emoji": "💬", "colour": "#AA0000"})
    assert response.status_code == 201
    created = response.json()
    assert created["colour"] == "#aa0000" and created["position"] == 1
    response = client.patch(url(f"values/{created['id']}/"), {"is_active": False}, format="json")
    assert response.status_code == 200 and response.json()["is_active"] is False


@pytest.mark.parametrize("who", ["manager", "member"])
def test_only_admins_change_values(cast, who):
    value = make_value(cast.org)
    client = api(getattr(cast, who))
    assert client.post(url("values/"), {"name": "X"}).status_code == 403
    response = client.patch(url(f"values/{value.pk}/"), {"name": "Y"}, format="json")
    assert response.status_code == 403
    with tenant_context(cast.org.pk):
        assert list(CompanyValue.objects.filter(org=cast.org).values_list("name", flat=True)) == [
            "Customers first"
        ]


def test_a_bad_value_is_400_with_the_fields(cast):
    make_value(cast.org)
    client = api(cast.admin)
    response = client.post(url("values/"), {"name": "customers first", "emoji": "xy"})
    assert response.status_code == 400
    assert set(response.json()) == {"name", "emoji"}
    response = client.post(url("values/"), {"name": "New", "colour": "blue"})
    assert response.json() == {"colour": [rec.VALUE_COLOUR_INVALID]}


def test_another_organisations_value_is_404(cast):
    value = make_value(cast.other_org)
    response = api(cast.admin).patch(url(f"values/{value.pk}/"), {"name": "Y"}, format="json")
    assert response.status_code == 404
