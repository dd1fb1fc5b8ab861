"""The cascade page: a manager creates linked drafts for their units and people in one step."""

from __future__ import annotations

from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient

from core.tenancy import tenant_context
from goals import services
from goals.access import Actor
from goals.models import Goal, GoalStatus, Level
from orgs.models import Unit

PART = "Double the teams active in onboarding"


def cascade_url(cast, goal) -> str:
    return reverse("goals:goal_cascade", args=[cast.org.slug, goal.pk])


def children_of(cast, goal) -> list[Goal]:
    with tenant_context(cast.org.pk):
        return list(
            Goal.objects.filter(org=cast.org, parent=goal)
            .select_related("owner__user", "unit")
            .order_by("owner__user__full_name", "level")
        )


def flashed(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_it_offers_the_units_the_manager_leads_and_the_people_in_their_team(cast, objective, login):
    response = login(cast.manager).get(cascade_url(cast, objective))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Units you lead" in page and "People in your team" in page
    assert [u.name for u in response.context["units"]] == ["Engineering", "Platform"]
    assert [p.pk for p in response.context["people"]] == [cast.member.pk, cast.member2.pk]
    assert "Bob Member (Acme)" in page and "Engineer · Platform" in page
    assert "Alice Admin" not in page  # their own manager is not in their team
    assert "Globex" not in page


def test_it_creates_drafts_owned_by_the_chosen_people_linked_and_emails_them(
    cast, objective, login, django_capture_on_commit_callbacks
):
    client = login(cast.manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            cascade_url(cast, objective),
            {"title": PART, "people": [cast.member.pk, cast.member2.pk]},
        )
    assert response.status_code == 302
    assert response["Location"] == reverse("goals:goal_detail", args=[cast.org.slug, objective.pk])
    drafts = children_of(cast, objective)
    assert [(g.owner_id, g.status, g.level, g.title) for g in drafts] == [
        (cast.member.pk, GoalStatus.DRAFT, Level.INDIVIDUAL, PART),
        (cast.member2.pk, GoalStatus.DRAFT, Level.INDIVIDUAL, PART),
    ]
    assert {g.due_date for g in drafts} == {objective.due_date}
    assert sorted(m.to[0] for m in mail.outbox) == ["member2@acme.test", "member@acme.test"]
    assert all(m.subject.startswith("A goal was cascaded to you") for m in mail.outbox)
    (message,) = flashed(response)
    assert "Bob Member (Acme) (draft)" in message and "Carol Member (Acme) (draft)" in message


def test_it_gives_a_unit_goal_to_the_units_lead(cast, objective, login):
    with tenant_context(cast.org.pk):
        Unit.objects.filter(pk=cast.platform.pk).update(lead=cast.member2)
    response = login(cast.manager).post(
        cascade_url(cast, objective), {"title": PART, "units": [cast.platform.pk]}
    )
    assert response.status_code == 302
    (goal,) = children_of(cast, objective)
    assert (goal.level, goal.unit_id, goal.owner_id) == (
        Level.UNIT,
        cast.platform.pk,
        cast.member2.pk,
    )
    assert "Platform unit goal for Carol Member (Acme) (draft)" in flashed(response)[0]


def test_it_approves_at_once_for_direct_reports_when_asked(cast, objective, login):
    response = login(cast.manager).post(
        cascade_url(cast, objective), {"title": PART, "people": [cast.member.pk], "approve": "on"}
    )
    assert response.status_code == 302
    (goal,) = children_of(cast, objective)
    assert goal.status == GoalStatus.APPROVED
    assert "Bob Member (Acme) (approved at once)" in flashed(response)[0]


def test_it_asks_to_choose_somebody(cast, objective, login):
    response = login(cast.manager).post(cascade_url(cast, objective), {"title": PART})
    assert response.status_code == 400
    assert services.CASCADE_NOBODY in response.content.decode()
    assert children_of(cast, objective) == []


def test_it_refuses_a_forged_choice_and_creates_nothing(cast, objective, login):
    client = login(cast.manager)
    forged = [
        {"people": [cast.member.pk, cast.admin.pk]},  # their own manager
        {"people": [cast.member.pk, cast.other_member.pk]},  # another organisation
        {"people": ["not-a-number"]},
        {"people": [cast.member.pk], "units": [cast.company.pk]},  # a unit they don't lead
        {"units": [cast.other_unit.pk]},
    ]
    for data in forged:
        response = client.post(cascade_url(cast, objective), {"title": PART, **data})
        assert response.status_code == 400, data
        assert services.CASCADE_OUT_OF_REACH in response.content.decode()
    assert children_of(cast, objective) == []


def test_it_keeps_the_choices_when_the_form_comes_back(cast, objective, login):
    response = login(cast.manager).post(
        cascade_url(cast, objective), {"title": PART, "people": [cast.member.pk, cast.admin.pk]}
    )
    assert response.context["chosen_people"] == {cast.member.pk}


def test_a_member_cannot_cascade(cast, objective, login):
    client = login(cast.member)
    assert client.get(cascade_url(cast, objective)).status_code == 403
    response = client.post(
        cascade_url(cast, objective), {"title": PART, "people": [cast.member2.pk]}
    )
    assert response.status_code == 403
    assert children_of(cast, objective) == []


def test_an_admin_may_cascade_to_any_unit_and_anyone_but_themselves(cast, objective, login):
    response = login(cast.admin).get(cascade_url(cast, objective))
    page = response.content.decode()
    assert "Units</legend>" in page and "People</legend>" in page
    assert [u.name for u in response.context["units"]] == ["Acme", "Engineering", "Platform"]
    assert cast.admin.pk not in {p.pk for p in response.context["people"]}
    assert {cast.manager.pk, cast.member.pk, cast.member2.pk} <= {
        p.pk for p in response.context["people"]
    }


def test_it_shows_who_already_contributes(cast, objective, login):
    with tenant_context(cast.org.pk):
        services.goal_cascade(
            actor=Actor(cast.manager), source=objective, people=[cast.member], title=PART
        )
    response = login(cast.manager).get(cascade_url(cast, objective))
    assert response.context["people_with_goal"] == {cast.member.pk}
    assert "Already has a goal contributing to this one" in response.content.decode()


def test_a_goal_the_manager_cannot_see_is_not_found(cast, cycle, login):
    with tenant_context(cast.org.pk):
        private = services.goal_create(
            actor=Actor(cast.admin), cycle=cycle, title="Board matters", visibility="private"
        )
    assert login(cast.manager).get(cascade_url(cast, private)).status_code == 404


def test_another_organisations_manager_gets_404(cast, objective, client):
    client.force_login(cast.other_manager.user, backend="django.contrib.auth.backends.ModelBackend")
    url = reverse("goals:goal_cascade", args=[cast.other_org.slug, objective.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"people": [cast.other_member.pk]}).status_code == 404


def test_only_an_active_goal_is_cascaded(cast, cycle, objective, login):
    with tenant_context(cast.org.pk):
        submitted = services.goal_create(
            actor=Actor(cast.manager), cycle=cycle, level=Level.UNIT, unit=cast.engineering,
            parent=objective, title="Faster onboarding",
        )  # fmt: skip
        services.goal_submit(actor=Actor(cast.manager), goal=submitted)
    client = login(cast.manager)
    page = client.get(
        reverse("goals:goal_detail", args=[cast.org.slug, submitted.pk])
    ).content.decode()
    assert cascade_url(cast, submitted) not in page
    response = client.get(cascade_url(cast, submitted))
    assert services.CASCADE_NOT_ACTIVE in response.content.decode()
    assert 'name="people"' not in response.content.decode()
    response = client.post(
        cascade_url(cast, submitted), {"title": PART, "people": [cast.member.pk]}
    )
    assert response.status_code == 400
    assert children_of(cast, submitted) == []
    api = APIClient()
    api.force_login(cast.manager.user, backend="django.contrib.auth.backends.ModelBackend")
    response = api.post(
        f"/api/v1/orgs/{cast.org.slug}/goals/{submitted.pk}/cascade/",
        {"title": PART, "people": [cast.member.pk]},
        format="json",
    )
    assert (response.status_code, response.json()) == (
        400,
        {"non_field_errors": [services.CASCADE_NOT_ACTIVE]},
    )
    assert children_of(cast, submitted) == []


def test_it_asks_for_the_contributing_goals_own_title(cast, objective, login):
    client = login(cast.manager)
    page = client.get(cascade_url(cast, objective)).content.decode()
    assert 'name="title"' in page and "required" in page
    assert "For example: our part in “Double weekly active teams”" in page  # a hint, not a value
    for title, message in (
        ("", services.CASCADE_TITLE_REQUIRED),
        (" double weekly ACTIVE teams ", services.CASCADE_SAME_TITLE.format(title=objective.title)),
    ):
        response = client.post(
            cascade_url(cast, objective), {"title": title, "people": [cast.member.pk]}
        )
        assert response.status_code == 400
        assert response.context["title_error"] == message
        assert response.context["chosen_people"] == {cast.member.pk}
    assert children_of(cast, objective) == []
    api = APIClient()
    api.force_login(cast.manager.user, backend="django.contrib.auth.backends.ModelBackend")
    path = f"/api/v1/orgs/{cast.org.slug}/goals/{objective.pk}/cascade/"
    response = api.post(path, {"people": [cast.member.pk]}, format="json")
    assert (response.status_code, response.json()) == (
        400,
        {"title": [services.CASCADE_TITLE_REQUIRED]},
    )
    response = api.post(path, {"title": objective.title, "people": [cast.member.pk]}, format="json")
    assert response.status_code == 400
    assert response.json() == {"title": [services.CASCADE_SAME_TITLE.format(title=objective.title)]}
    assert children_of(cast, objective) == []
