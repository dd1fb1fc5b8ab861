"""The main menu: apps register entries, the page marks its section, approvers see Approvals."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core import nav
from core.tenancy import tenant_context
from orgs.models import Role, Unit
from tests.factories import MembershipFactory
from tests.test_query_counts import request_queries

APPROVALS_LINK = ">Approvals</a>"


def _menu(html: str) -> str:
    return html[html.index('<nav class="mainnav"') : html.index("</nav>")]


@pytest.fixture
def boss(cast):
    """A plain member (role "member") with a direct report of their own."""
    with tenant_context(cast.org.pk):
        boss = MembershipFactory(org=cast.org, role=Role.MEMBER, manager=cast.manager)
        MembershipFactory(org=cast.org, role=Role.MEMBER, manager=boss)
    return boss


@pytest.fixture
def lead(cast):
    """A plain member who leads a unit and has no reports."""
    with tenant_context(cast.org.pk):
        lead = MembershipFactory(org=cast.org, role=Role.MEMBER, manager=cast.manager)
        Unit.objects.filter(pk=cast.platform.pk).update(lead=lead)
    return lead


def test_a_member_with_a_report_sees_approvals_and_can_open_them(cast, login, boss):
    client = login(boss)
    home = client.get(reverse("orgs:org_home", args=[cast.org.slug])).content.decode()
    assert APPROVALS_LINK in _menu(home)
    approvals = reverse("goals:approvals", args=[cast.org.slug])
    assert f'<a class="button" href="{approvals}">Approvals</a>' in home
    page = client.get(approvals)
    assert page.status_code == 200
    assert f'href="{approvals}" aria-current="page">Approvals</a>' in page.content.decode()


def test_a_unit_lead_without_the_manager_role_sees_approvals(cast, login, lead):
    html = login(lead).get(reverse("goals:my_goals", args=[cast.org.slug])).content.decode()
    assert APPROVALS_LINK in _menu(html)


def test_a_member_without_reports_or_a_unit_does_not_see_approvals(cast, login):
    html = login(cast.member).get(reverse("orgs:org_home", args=[cast.org.slug])).content.decode()
    assert APPROVALS_LINK not in html
    assert ">My goals</a>" in _menu(html)


def test_a_deactivated_report_does_not_make_an_approver(cast, login):
    with tenant_context(cast.org.pk):
        MembershipFactory(org=cast.org, manager=cast.member, is_active=False)
    html = login(cast.member).get(reverse("goals:my_goals", args=[cast.org.slug])).content.decode()
    assert APPROVALS_LINK not in html


def test_knowing_who_approves_costs_no_query(cast, login, boss, django_assert_num_queries):
    client = login(boss)
    # the unit tree, the organisation switcher (which also says whether they lead anyone)
    with django_assert_num_queries(request_queries() + 2):
        response = client.get(reverse("orgs:units", args=[cast.org.slug]))
    assert APPROVALS_LINK in _menu(response.content.decode())


@pytest.mark.parametrize(
    ("name", "args", "current"),
    [
        ("goals:cycles", [], "Settings"),
        ("orgs:api_tokens", [], "Settings"),
        ("goals:approvals", [], "Approvals"),
        ("orgs:person_invite", [], "People"),
        ("goals:goal_create", [], "Goals"),
        ("goals:team_goals", [], "Team"),
        ("goals:my_goals", [], "My goals"),
        ("orgs:units", [], "Units"),
    ],
)
def test_the_page_marks_its_section_current(cast, login, name, args, current):
    html = login(cast.admin).get(reverse(name, args=[cast.org.slug, *args])).content.decode()
    menu = _menu(html)
    assert menu.count('aria-current="page"') == 1
    assert f'aria-current="page">{current}</a>' in menu


def test_an_app_adds_an_entry_without_touching_the_template(cast, login, monkeypatch):
    monkeypatch.setitem(
        nav._entries,
        "kpis",
        nav.NavEntry("kpis", "KPIs", "orgs:people", order=45, visible=lambda m: m is not None),
    )
    html = login(cast.member).get(reverse("orgs:units", args=[cast.org.slug])).content.decode()
    menu = _menu(html)
    assert ">KPIs</a>" in menu
    assert menu.index(">My goals<") < menu.index(">KPIs<") < menu.index(">Units<")


TEAM_LINK = ">Team</a>"


def test_team_is_for_managers_and_admins_only(cast, login):
    def menu_of(membership) -> str:
        page = login(membership).get(reverse("goals:my_goals", args=[cast.org.slug]))
        return _menu(page.content.decode())

    assert TEAM_LINK in menu_of(cast.manager)
    assert TEAM_LINK in menu_of(cast.admin)
    assert TEAM_LINK not in menu_of(cast.member)


def test_outside_the_organisation_the_rules_show_nothing(cast):
    """A public page of the organisation (an invitation) has no membership to ask about."""
    from goals.access import may_approve, may_see_team

    assert may_see_team(None) is False
    assert may_approve(None) is False


def test_without_the_switchers_fact_the_rule_asks_the_database(cast, boss, lead):
    """A membership loaded without ``leads_people`` (an API call, a task) gets the same answer."""
    from goals.access import may_approve

    with tenant_context(cast.org.pk):
        assert may_approve(boss) is True
        assert may_approve(lead) is True
        assert may_approve(cast.member) is False
        assert may_approve(cast.admin) is True
