"""The goal form asks only what there is to decide: no one-option level, no manual
progress on a new goal (it comes with key results or contributing goals)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.tenancy import tenant_context
from goals import services
from goals.access import Actor
from goals.forms import NOT_A_NUMBER
from goals.models import Goal, Level


def _new(cast, login, who):
    return login(getattr(cast, who)).get(reverse("goals:goal_create", args=[cast.org.slug]))


def test_a_member_is_not_asked_for_a_level_they_cannot_change(cast, cycle, login):
    response = _new(cast, login, "member")
    html = response.content.decode()
    assert '<input type="hidden" name="level" value="individual"' in html
    assert "<legend>Level</legend>" not in html


@pytest.mark.parametrize("who", ["admin", "manager"])
def test_people_with_a_choice_of_levels_get_the_radio_buttons(cast, cycle, login, who):
    assert "<legend>Level</legend>" in _new(cast, login, who).content.decode()


def test_a_member_creates_a_goal_with_the_hidden_level(cast, cycle, login):
    data = {
        "title": "Answer every support ticket within a day",
        "cycle": cycle.pk,
        "level": "individual",
        "weight": "1",
        "visibility": "public",
    }
    response = login(cast.member).post(reverse("goals:goal_create", args=[cast.org.slug]), data)
    assert response.status_code == 302
    with tenant_context(cast.org.pk):
        goal = Goal.objects.get(org=cast.org, title=data["title"])
    assert (goal.level, goal.manual_progress) == (Level.INDIVIDUAL, None)


def test_a_new_goal_has_no_manual_progress_field(cast, cycle, login):
    response = _new(cast, login, "admin")
    assert "manual_progress" not in response.context["form"].fields
    assert "Manual progress" not in response.content.decode()


@pytest.mark.parametrize(
    ("value", "message"),
    [("101", services.MANUAL_RANGE), ("-1", services.MANUAL_RANGE), ("half", NOT_A_NUMBER)],
)
def test_editing_a_goal_checks_its_manual_progress(cast, cycle, login, value, message):
    with tenant_context(cast.org.pk):
        goal = services.goal_create(actor=Actor(cast.member), cycle=cycle, title="Tidy the docs")
    data = {
        "title": goal.title,
        "description": "",
        "parent": "",
        "weight": "1",
        "visibility": "public",
        "due_date": "",
        "manual_progress": value,
    }
    client = login(cast.member)
    response = client.post(reverse("goals:goal_edit", args=[cast.org.slug, goal.pk]), data)
    assert response.status_code == 400
    assert response.context["form"].errors["manual_progress"] == [message]


def test_a_member_is_not_offered_a_one_person_owner_menu(cast, cycle, login):
    html = _new(cast, login, "member").content.decode()
    assert f'<input type="hidden" name="owner" value="{cast.member.pk}"' in html
    assert '<select name="owner"' not in html and ">Owner<" not in html


def test_a_manager_may_choose_an_owner_from_their_team(cast, cycle, login):
    html = _new(cast, login, "manager").content.decode()
    assert '<select name="owner"' in html
    assert cast.member.user.full_name in html
