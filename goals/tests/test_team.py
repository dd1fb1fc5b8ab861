"""The team page: a manager's reports' active goals, a level at a time, paged and filtered."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from core.tenancy import tenant_context
from goals.models import CheckIn, Confidence, Goal, GoalStatus, KeyResult
from goals.selectors import GOALS_PER_PERSON, TEAM_PAGE_SIZE
from orgs.models import Role
from tests.factories import MembershipFactory

HTMX = {"HTTP_HX_REQUEST": "true"}
# SAVEPOINT, organisation, session, user, membership, RELEASE SAVEPOINT, and on
# PostgreSQL the two set_config calls that scope the transaction for row-level security.
REQUEST = 6


def request_queries() -> int:
    return REQUEST + (2 if connection.vendor == "postgresql" else 0)


def team(cast, **params) -> str:
    url = reverse("goals:team_goals", args=[cast.org.slug])
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{url}?{query}" if query else url


def add_goal(cast, cycle, owner, title: str, **fields) -> Goal:
    """An approved goal with one key result and one check-in, written directly."""
    now = timezone.now()
    fields = {"status": GoalStatus.APPROVED, "progress": 0.5, "last_checkin_at": now} | fields
    with tenant_context(cast.org.pk):
        goal = Goal.objects.create(
            org=cast.org, cycle=cycle, owner=owner, title=title, due_date=cycle.end, **fields
        )
        kr = KeyResult.objects.create(
            org=cast.org, goal=goal, title=f"{title}: measure", target_value=Decimal(10)
        )
        CheckIn.objects.create(
            org=cast.org, key_result=kr, goal=goal, author=owner, value=Decimal(5), created_at=now
        )
    return goal


def add_reports(cast, cycle, manager, count: int, goals_each: int = 2) -> list:
    """``count`` people reporting to ``manager``, each with ``goals_each`` active goals
    (the second one far behind)."""
    people = []
    with tenant_context(cast.org.pk):
        for i in range(count):
            people.append(
                MembershipFactory(
                    org=cast.org,
                    role=Role.MEMBER,
                    manager=manager,
                    user__email=f"report{manager.pk}-{i:03d}@acme.test",
                    user__full_name=f"Report {i:03d} of {manager.pk}",
                )
            )
    for person in people:
        for g in range(goals_each):
            progress = 0.0 if g == 1 else 0.5
            add_goal(cast, cycle, person, f"Goal {g} of {person.user.full_name}", progress=progress)
    return people


def cards(html: str) -> list[str]:
    return [unescape(t) for t in re.findall(r'<h4 id="goal-\d+-title"><a [^>]*>([^<]+)</a>', html)]


def test_it_opens_on_the_direct_reports_with_their_active_goals(cast, cycle, login):
    add_goal(cast, cycle, cast.manager, "Mallory's goal")
    add_goal(cast, cycle, cast.manager, "Mallory's draft", status=GoalStatus.DRAFT)
    add_goal(cast, cycle, cast.member, "Bob's goal")
    response = login(cast.admin).get(team(cast))
    assert response.status_code == 200
    html = response.content.decode()
    # Direct reports only: Bob reports to Mallory, so his goal waits one level down.
    assert cards(html) == ["Mallory's goal"]
    below = team(cast, cycle=cycle.pk, under=cast.manager.pk).replace("&", "&amp;")
    assert f'href="{below}" hx-get="{below}" hx-target="#team-of-{cast.manager.pk}"' in html
    assert "(2 direct reports)" in html


def test_the_level_below_loads_in_place_with_htmx_or_as_a_page_without(cast, cycle, login):
    add_goal(cast, cycle, cast.member, "Bob's goal")
    add_goal(cast, cycle, cast.member2, "Carol's goal")
    client = login(cast.admin)
    response = client.get(
        team(cast, under=cast.manager.pk), HTTP_HX_TARGET=f"team-of-{cast.manager.pk}", **HTMX
    )
    html = response.content.decode()
    assert "<html" not in html and f'id="level-{cast.manager.pk}"' in html
    assert cards(html) == ["Bob's goal", "Carol's goal"]
    page = client.get(team(cast, under=cast.manager.pk)).content.decode()
    assert "<html" in page and cards(page) == ["Bob's goal", "Carol's goal"]
    assert "Mallory Manager (Acme)'s direct reports" in page


def test_a_manager_may_open_only_teams_below_them(cast, cycle, login):
    assert login(cast.manager).get(team(cast, under=cast.admin.pk)).status_code == 404
    assert login(cast.member).get(team(cast, under=cast.manager.pk)).status_code == 404
    assert login(cast.member).get(team(cast, under="x")).status_code == 404
    # Another organisation's person is as missing as a made-up one.
    assert login(cast.admin).get(team(cast, under=cast.other_manager.pk)).status_code == 404
    assert login(cast.admin).get(team(cast, under=999999)).status_code == 404
    assert login(cast.manager).get(team(cast, under=cast.member.pk)).status_code == 200
    # Two levels down: Bob's report is Mallory's too, not Carol's.
    (dave,) = add_reports(cast, cycle, cast.member, 1)
    assert login(cast.manager).get(team(cast, under=dave.pk)).status_code == 200
    assert login(cast.member2).get(team(cast, under=dave.pk)).status_code == 404


def test_it_pages_the_people_and_caps_the_goals_a_person_shows(cast, cycle, login):
    people = add_reports(cast, cycle, cast.member, TEAM_PAGE_SIZE + 2, goals_each=1)
    for n in range(GOALS_PER_PERSON + 2):
        add_goal(cast, cycle, people[0], f"Extra {n:02d}")
    client = login(cast.manager)
    first = client.get(team(cast, under=cast.member.pk)).content.decode()
    assert first.count('class="goal-group team-person"') == TEAM_PAGE_SIZE
    assert len(cards(first)) == GOALS_PER_PERSON + TEAM_PAGE_SIZE - 1
    assert "3 more goals of Report 000" in first
    assert "Page 1 of 2" in first
    second = client.get(team(cast, under=cast.member.pk, page=2)).content.decode()
    assert second.count('class="goal-group team-person"') == 2


def test_it_filters_at_risk_stale_and_not_checked_in_this_week(cast, cycle, login):
    long_ago = timezone.now() - timedelta(days=30)
    add_goal(cast, cycle, cast.member, "On pace", progress=0.6)
    add_goal(cast, cycle, cast.member, "Behind", progress=0.0)
    add_goal(cast, cycle, cast.member, "Unsure", progress=0.6, confidence=Confidence.LOW)
    quiet = add_goal(cast, cycle, cast.member2, "Quiet", progress=0.6, last_checkin_at=long_ago)
    with tenant_context(cast.org.pk):
        Goal.objects.filter(pk=quiet.pk).update(updated_at=long_ago)
    client = login(cast.manager)
    assert cards(client.get(team(cast)).content.decode()) == ["Behind", "On pace", "Unsure"] + [
        "Quiet"
    ]
    assert cards(client.get(team(cast, show="at_risk")).content.decode()) == ["Behind", "Unsure"]
    stale = client.get(team(cast, show="stale")).content.decode()
    assert cards(stale) == ["Quiet"]
    assert "Bob Member" not in stale  # nobody without a matching goal or a team
    assert cards(client.get(team(cast, show="no_checkin")).content.decode()) == ["Quiet"]


def test_the_navigation_leads_managers_to_the_team_page(cast, cycle, login):
    link = f'href="{team(cast)}"'
    assert (
        link
        in login(cast.manager).get(reverse("goals:my_goals", args=[cast.org.slug])).content.decode()
    )
    assert (
        link
        not in login(cast.member)
        .get(reverse("goals:my_goals", args=[cast.org.slug]))
        .content.decode()
    )


# --- Query counts and size -----------------------------------------------------------

# The cycles, the people of the page and their count, their goals, the goals' key
# results, milestones and latest check-ins, the organisation switcher, and on the whole
# page (not a level loaded in place) the direct reports with no goal. Never the viewer's
# whole reporting subtree (for a CEO, everyone). When each person last received
# feedback, and their kudos this cycle (issue 9).
TEAM_PAGE = 11
# With ?under=: the person whose team it is (for a manager, only if they are above them).
UNDER = 1


@pytest.mark.parametrize("size", [3, 40])
@pytest.mark.parametrize("who", ["admin", "manager"])
def test_the_team_page_runs_a_fixed_number_of_queries_and_stays_small(
    cast, cycle, login, django_assert_num_queries, size, who
):
    # The viewer's direct reports, and a team of ``size`` below one of them.
    direct = add_reports(cast, cycle, getattr(cast, who), size)
    add_reports(cast, cycle, direct[0], size)
    client = login(getattr(cast, who))
    with django_assert_num_queries(request_queries() + TEAM_PAGE):
        response = client.get(team(cast))
    html = response.content.decode()
    shown = min(size, TEAM_PAGE_SIZE) + (1 if who == "admin" else 2)  # + Mallory, or Bob, Carol
    assert html.count('class="goal-group team-person"') == min(shown, TEAM_PAGE_SIZE)
    assert len(cards(html)) <= TEAM_PAGE_SIZE * 2
    # A level loaded in place: the person whose team it is; no organisation switcher and
    # no "no goal yet".
    with django_assert_num_queries(request_queries() + TEAM_PAGE + UNDER - 2):
        response = client.get(
            team(cast, under=direct[0].pk, show="at_risk"),
            HTTP_HX_TARGET=f"team-of-{direct[0].pk}",
            **HTMX,
        )
    assert response.status_code == 200
    assert len(cards(response.content.decode())) == min(size, TEAM_PAGE_SIZE)
