"""My goals and inline check-ins: what a member and a manager see and can do."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.formatting import number
from core.tenancy import tenant_context
from goals import services
from goals.access import Actor
from goals.charts import sparkline, with_unit
from goals.models import CheckIn, Cycle, Goal, GoalStatus, KeyResult, Level, Milestone
from goals.views.checkin import VALUE_NOT_A_NUMBER, VALUE_REQUIRED

HTMX = {"HTTP_HX_REQUEST": "true"}
# SAVEPOINT, organisation, session, user, membership, RELEASE SAVEPOINT, and on
# PostgreSQL the two set_config calls that scope the transaction for row-level security.
REQUEST = 6


def request_queries() -> int:
    return REQUEST + (2 if connection.vendor == "postgresql" else 0)


def goal(cast, by, **fields) -> Goal:
    """A goal created (and, unless told otherwise, approved) through the services."""
    with tenant_context(cast.org.pk):
        return services.goal_create(actor=Actor(by), **{"status": GoalStatus.APPROVED} | fields)


def kr_of(cast, g: Goal) -> KeyResult:
    with tenant_context(cast.org.pk):
        return KeyResult.objects.select_related("goal").get(goal=g)


def check_in(cast, by, kr: KeyResult, value, **fields) -> None:
    with tenant_context(cast.org.pk):
        kr = KeyResult.objects.select_related("goal").get(pk=kr.pk)
        services.checkin_create(actor=Actor(by), key_result=kr, value=Decimal(value), **fields)


def deploys(start=0, target=10) -> list[dict]:
    return [{"title": "Deploys per week", "start_value": start, "target_value": target}]


@pytest.fixture
def tree(cast, cycle, objective):
    """objective (admin) <- unit goal (manager) <- bob's goal and carol's goal."""
    unit_goal = goal(
        cast,
        cast.admin,
        cycle=cycle,
        title="Engineering ships every day",
        owner=cast.manager,
        level=Level.UNIT,
        unit=cast.engineering,
        parent=objective,
    )
    bob = goal(
        cast,
        cast.manager,
        cycle=cycle,
        title="Automate the release",
        owner=cast.member,
        parent=unit_goal,
        key_results=deploys(),
    )
    carol = goal(
        cast,
        cast.manager,
        cycle=cycle,
        title="Cut build time",
        owner=cast.member2,
        parent=unit_goal,
        key_results=deploys(),
    )
    return {"objective": objective, "unit": unit_goal, "bob": bob, "carol": carol}


def url(cast, name: str, *args) -> str:
    return reverse(name, args=[cast.org.slug, *args])


def oob_progress(html: str) -> dict[int, int]:
    """{goal pk: percent} of the out-of-band progress bars in an htmx response."""
    found = {}
    for slot, body in re.findall(
        r'<span hx-swap-oob="innerHTML:\.progress-of-(\d+)">(.*?)</span>\s*</span>', html, re.S
    ):
        inner = re.search(r'id="progress-(\d+)".*?<progress max="100" value="(\d+)"', body, re.S)
        assert inner and inner.group(1) == slot
        found[int(slot)] = int(inner.group(2))
    return found


def percent(cast, g: Goal) -> int:
    with tenant_context(cast.org.pk):
        return Goal.objects.get(pk=g.pk).percent


# --- My goals -------------------------------------------------------------------------


def test_it_shows_a_member_their_goals_with_key_results_and_the_objective_they_serve(
    cast, tree, login
):
    response = login(cast.member).get(url(cast, "goals:my_goals"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Automate the release" in html and "Deploys per week" in html
    # Grouped under the organisation objective, with its progress and the unit goal between.
    assert "Double weekly active teams" in html
    assert f'class="progress-slot progress-of-{tree["objective"].pk}"' in html
    assert "Engineering ships every day" in html
    assert f'class="progress-slot progress-of-{tree["unit"].pk}"' in html
    assert f'class="progress-slot progress-of-{tree["bob"].pk}"' in html
    assert reverse("goals:goal_detail", args=[cast.org.slug, tree["bob"].pk]) in html
    # Carol's goal is hers; a member has no reports' section.
    assert "Cut build time" not in html
    assert "Your reports' goals are on" not in html


def test_it_defaults_to_the_active_cycle_and_shows_another_one_when_asked(cast, tree, login):
    with tenant_context(cast.org.pk):
        today = timezone.localdate()
        later = Cycle.objects.create(
            org=cast.org,
            name="Next quarter",
            start=today + timedelta(days=60),
            end=today + timedelta(days=150),
        )
    goal(cast, cast.manager, cycle=later, title="Hire two engineers", owner=cast.member)
    client = login(cast.member)
    html = client.get(url(cast, "goals:my_goals")).content.decode()
    assert "Automate the release" in html and "Hire two engineers" not in html
    response = client.get(url(cast, "goals:my_goals"), {"cycle": later.pk}, **HTMX)
    html = response.content.decode()
    assert "Hire two engineers" in html and "Automate the release" not in html
    assert "<html" not in html  # only the goals section is swapped


def test_a_manager_sees_their_reports_active_goals_and_may_check_in_on_them(
    cast, cycle, tree, login
):
    goal(
        cast,
        cast.manager,
        cycle=cycle,
        title="A draft idea",
        owner=cast.member2,
        status=GoalStatus.DRAFT,
    )
    client = login(cast.manager)
    html = client.get(url(cast, "goals:team_goals")).content.decode()
    assert "Automate the release" in html and "Cut build time" in html
    assert "A draft idea" not in html
    carol_kr = kr_of(cast, tree["carol"])
    assert url(cast, "goals:checkin", carol_kr.pk) in html
    # My goals lists the manager's own goals only, and leads to the team page.
    html = client.get(url(cast, "goals:my_goals")).content.decode()
    assert "Automate the release" not in html and "Cut build time" not in html
    assert f'href="{url(cast, "goals:team_goals")}?cycle={cycle.pk}"' in html
    # The manager's own unit goal is in their own section, with its progress bar.
    assert f'class="progress-slot progress-of-{tree["unit"].pk}"' in html


def test_it_says_when_there_is_no_cycle_yet(cast, login):
    response = login(cast.member).get(url(cast, "goals:my_goals"))
    assert response.status_code == 200
    assert "There is no goal cycle yet" in response.content.decode()


def test_a_draft_goal_is_listed_without_a_check_in_button(cast, cycle, objective, login):
    draft = goal(
        cast,
        cast.member,
        cycle=cycle,
        title="My draft",
        parent=objective,
        key_results=deploys(),
        status=GoalStatus.DRAFT,
    )
    html = login(cast.member).get(url(cast, "goals:my_goals")).content.decode()
    assert "My draft" in html and "Check-ins open once this goal is approved." in html
    assert url(cast, "goals:checkin", kr_of(cast, draft).pk) not in html


# --- Checking in ----------------------------------------------------------------------


def test_checking_in_updates_the_goal_and_all_its_ancestors_on_screen(cast, tree, login):
    kr = kr_of(cast, tree["bob"])
    client = login(cast.member)
    page = client.get(url(cast, "goals:my_goals")).content.decode()
    response = client.post(
        url(cast, "goals:checkin", kr.pk),
        {"value": "6", "confidence": "high", "note": "CI is green"},
        **HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    # Bob's goal 60%; the unit goal averages Bob (60%) and Carol (0%): 30%; the objective
    # averages its own key result (0%) and the unit goal: 15%.
    assert oob_progress(html) == {
        tree["bob"].pk: 60,
        tree["unit"].pk: 30,
        tree["objective"].pk: 15,
    }
    assert [percent(cast, tree[k]) for k in ("bob", "unit", "objective")] == [60, 30, 15]
    # Each of them has a progress bar on "My goals" for the swap to land in.
    for pk in oob_progress(html):
        assert f'class="progress-slot progress-of-{pk}"' in page
    # The row itself comes back closed, with the new figures and the entry just made.
    assert f'<li class="kr" id="kr-{kr.pk}">' in html
    assert "Now 6; target 10, from 0" in html
    assert "Last: <strong>6</strong>" in html and "by you" in html and "CI is green" in html
    assert 'name="value"' not in html
    with tenant_context(cast.org.pk):
        saved = CheckIn.objects.get(key_result=kr)
        assert (saved.value, saved.confidence, saved.author_id) == (6, "high", cast.member.pk)
        assert Goal.objects.get(pk=tree["bob"].pk).confidence == "high"


def test_the_form_shows_the_last_entry_and_the_history_while_the_next_is_written(cast, tree, login):
    kr = kr_of(cast, tree["bob"])
    for value, note in [(1, ""), (3, ""), (4, "Blocked on the staging database")]:
        check_in(cast, cast.manager, kr, value, note=note)
    response = login(cast.member).get(url(cast, "goals:checkin", kr.pk), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="value"' in html and 'name="confidence"' in html and 'name="note"' in html
    assert "Last: <strong>4</strong>" in html
    assert "Mallory Manager (Acme)" in html and "Blocked on the staging database" in html
    # The history: one point per check-in, the target as a line, and words for it.
    points = re.search(r'<polyline class="sparkline-line" points="([^"]*)"', html).group(1)
    assert len(points.split()) == 3
    assert 'class="sparkline-target"' in html
    assert "3 check-ins from 1 to 4; target 10" in html
    assert "<title id=" in html
    assert "style=" not in html


def test_it_refuses_a_value_that_is_not_a_number_and_saves_nothing(cast, tree, login):
    kr = kr_of(cast, tree["bob"])
    client = login(cast.member)
    for value, message in [("seventy", VALUE_NOT_A_NUMBER), ("", VALUE_REQUIRED)]:
        response = client.post(
            url(cast, "goals:checkin", kr.pk), {"value": value, "confidence": "low"}, **HTMX
        )
        assert response.status_code == 400
        html = response.content.decode()
        assert message in html
        assert 'name="value"' in html  # the form is back, with the message
    with tenant_context(cast.org.pk):
        assert not CheckIn.objects.filter(key_result=kr).exists()
    assert percent(cast, tree["bob"]) == 0


def test_without_javascript_it_posts_and_goes_back_to_my_goals(cast, tree, login):
    kr = kr_of(cast, tree["bob"])
    client = login(cast.member)
    page = client.get(url(cast, "goals:checkin", kr.pk))
    assert page.status_code == 200
    assert "Check in on “Deploys per week”" in page.content.decode()
    response = client.post(
        url(cast, "goals:checkin", kr.pk), {"value": "5", "confidence": "medium"}
    )
    assert response.status_code == 302
    assert response["Location"] == (
        f"{url(cast, 'goals:my_goals')}?cycle={tree['bob'].cycle_id}#kr-{kr.pk}"
    )
    html = client.get(response["Location"]).content.decode()
    assert "Check-in on “Deploys per week” saved." in html
    assert percent(cast, tree["bob"]) == 50
    # A bad value on the page of its own: the page again, with the message, and a 400.
    response = client.post(url(cast, "goals:checkin", kr.pk), {"value": "", "confidence": "medium"})
    assert response.status_code == 400
    assert VALUE_REQUIRED in response.content.decode()


def test_cancel_closes_the_form(cast, tree, login):
    kr = kr_of(cast, tree["bob"])
    client = login(cast.member)
    response = client.get(url(cast, "goals:checkin", kr.pk) + "?closed=1", **HTMX)
    assert response.status_code == 200
    assert f'id="kr-{kr.pk}"' in response.content.decode()
    assert 'name="value"' not in response.content.decode()
    response = client.get(url(cast, "goals:checkin", kr.pk) + "?closed=1")
    assert response.status_code == 302 and response["Location"].endswith(f"#kr-{kr.pk}")


def test_a_done_or_not_done_key_result_is_checked_in_with_a_choice(cast, cycle, login):
    g = goal(
        cast,
        cast.manager,
        cycle=cycle,
        title="Ship the CLI",
        owner=cast.member,
        key_results=[{"title": "CLI released", "kind": KeyResult.Kind.BOOLEAN}],
    )
    kr = kr_of(cast, g)
    client = login(cast.member)
    html = client.get(url(cast, "goals:checkin", kr.pk), **HTMX).content.decode()
    assert 'type="radio" name="value" value="1"' in html and "Not done" in html
    response = client.post(
        url(cast, "goals:checkin", kr.pk), {"value": "1", "confidence": "high"}, **HTMX
    )
    assert response.status_code == 200
    assert oob_progress(response.content.decode()) == {g.pk: 100}
    assert "Last: <strong>done</strong>" in response.content.decode()


def test_milestones_are_ticked_off_with_checkboxes(cast, cycle, login):
    g = goal(
        cast,
        cast.manager,
        cycle=cycle,
        title="Launch the docs site",
        owner=cast.member,
        key_results=[
            {
                "title": "Docs launched",
                "kind": KeyResult.Kind.MILESTONES,
                "milestones": ["Outline", "Draft", "Review", "Publish"],
            }
        ],
    )
    kr = kr_of(cast, g)
    with tenant_context(cast.org.pk):
        outline = Milestone.objects.get(key_result=kr, title="Outline")
    client = login(cast.member)
    html = client.get(url(cast, "goals:my_goals")).content.decode()
    toggle = url(cast, "goals:milestone_toggle", outline.pk)
    assert f'hx-post="{toggle}"' in html and 'type="checkbox"' in html
    response = client.post(toggle, {"done": "1"}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert oob_progress(html) == {g.pk: 25}
    assert "1 of 4 milestones done" in html
    # A check-in on a checklist carries confidence and a note; its value is the count done.
    form = client.get(url(cast, "goals:checkin", kr.pk), **HTMX).content.decode()
    assert 'name="value"' not in form and 'name="confidence"' in form
    response = client.post(
        url(cast, "goals:checkin", kr.pk), {"confidence": "low", "note": "Waiting on legal"}, **HTMX
    )
    assert response.status_code == 200
    assert "Last: <strong>1 done</strong>" in response.content.decode()
    # Unticking (a checkbox sends nothing) reopens it; without JavaScript it redirects back.
    response = client.post(toggle, {})
    assert response.status_code == 302
    assert percent(cast, g) == 0


# --- Who may check in -----------------------------------------------------------------


def test_a_member_may_not_check_in_on_someone_elses_goal(cast, tree, login):
    kr = kr_of(cast, tree["carol"])
    client = login(cast.member)
    assert client.get(url(cast, "goals:checkin", kr.pk), **HTMX).status_code == 403
    response = client.post(url(cast, "goals:checkin", kr.pk), {"value": "9", "confidence": "high"})
    assert response.status_code == 403
    with tenant_context(cast.org.pk):
        assert not CheckIn.objects.filter(key_result=kr).exists()


def test_a_manager_may_check_in_on_a_reports_goal(cast, tree, login):
    kr = kr_of(cast, tree["carol"])
    response = login(cast.manager).post(
        url(cast, "goals:checkin", kr.pk), {"value": "2", "confidence": "medium"}, **HTMX
    )
    assert response.status_code == 200
    assert percent(cast, tree["carol"]) == 20


def test_a_goal_that_is_not_active_refuses_check_ins(cast, cycle, objective, login):
    draft = goal(
        cast,
        cast.member,
        cycle=cycle,
        title="Still a draft",
        parent=objective,
        key_results=deploys(),
        status=GoalStatus.DRAFT,
    )
    kr = kr_of(cast, draft)
    response = login(cast.member).post(
        url(cast, "goals:checkin", kr.pk), {"value": "3", "confidence": "high"}, **HTMX
    )
    assert response.status_code == 400
    assert services.CHECKIN_NOT_ACTIVE in response.content.decode()
    with tenant_context(cast.org.pk):
        assert not CheckIn.objects.filter(key_result=kr).exists()


def test_another_orgs_key_result_or_milestone_is_not_found(cast, tree, login):
    kr = kr_of(cast, tree["bob"])
    client = login(cast.other_admin)
    other = reverse("goals:checkin", args=[cast.other_org.slug, kr.pk])
    assert client.get(other, **HTMX).status_code == 404
    assert client.post(other, {"value": "3", "confidence": "high"}).status_code == 404
    with tenant_context(cast.org.pk):
        ms = Milestone.objects.create(org=cast.org, key_result=kr, title="Hidden")
    toggle = reverse("goals:milestone_toggle", args=[cast.other_org.slug, ms.pk])
    assert client.post(toggle, {"done": "1"}).status_code == 404


def test_a_private_goal_the_member_may_not_see_is_not_found(cast, cycle, login):
    private = goal(
        cast,
        cast.manager,
        cycle=cycle,
        title="Reorganise the team",
        owner=cast.member2,
        visibility="private",
        key_results=deploys(),
    )
    kr = kr_of(cast, private)
    assert login(cast.member).get(url(cast, "goals:checkin", kr.pk), **HTMX).status_code == 404


def test_only_visible_ancestors_come_back_out_of_band(cast, cycle, login):
    hidden = goal(
        cast,
        cast.admin,
        cycle=cycle,
        title="Secret plan",
        owner=cast.manager,
        level=Level.UNIT,
        unit=cast.engineering,
        visibility="private",
    )
    mine = goal(
        cast,
        cast.manager,
        cycle=cycle,
        title="My part",
        owner=cast.member,
        parent=hidden,
        key_results=deploys(),
    )
    kr = kr_of(cast, mine)
    html = (
        login(cast.member)
        .post(url(cast, "goals:checkin", kr.pk), {"value": "5", "confidence": "high"}, **HTMX)
        .content.decode()
    )
    assert oob_progress(html) == {mine.pk: 50}
    assert "Secret plan" not in html


# --- Query counts ---------------------------------------------------------------------


def build_goals(cast, cycle, objective, count: int, owner=None) -> None:
    """``count`` approved goals of Bob's (or ``owner``'s) under the objective; 3 key results,
    5 check-ins each."""
    actor = Actor(cast.admin)
    with tenant_context(cast.org.pk):
        for i in range(count):
            g = services.goal_create(
                actor=actor,
                cycle=cycle,
                title=f"Goal {i:02d}",
                owner=owner or cast.member,
                parent=objective,
                status=GoalStatus.APPROVED,
                key_results=[
                    {"title": f"Measure {k}", "start_value": 0, "target_value": 100}
                    for k in range(3)
                ],
            )
            now = timezone.now()
            CheckIn.objects.bulk_create(
                CheckIn(
                    org=cast.org,
                    key_result=kr,
                    goal=g,
                    author=cast.member,
                    value=Decimal(10 * n),
                    created_at=now - timedelta(days=7 * (5 - n)),
                )
                for kr in g.key_results.all()
                for n in range(5)
            )


@pytest.mark.parametrize("count", [2, 20])
@pytest.mark.parametrize("viewer", ["member", "manager"])
def test_my_goals_runs_a_fixed_number_of_queries(
    cast, cycle, objective, login, django_assert_num_queries, count, viewer
):
    build_goals(cast, cycle, objective, count, owner=getattr(cast, viewer))
    # Their reports' goals are not on the page, however many there are.
    build_goals(cast, cycle, objective, count if viewer == "manager" else 0)
    client = login(getattr(cast, viewer))
    # the cycles, the viewer's reports (recursive: is there a team page?), their own
    # goals, the goals above them (one walk up), the key results, their milestones,
    # their latest check-ins with authors, the organisation switcher
    with django_assert_num_queries(request_queries() + 8):
        response = client.get(url(cast, "goals:my_goals"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="card goal-card"') == count
    assert html.count('<polyline class="sparkline-line"') == 3 * count
    assert ("Your reports' goals are on" in html) == (viewer == "manager")


def test_a_check_in_runs_the_same_number_of_queries_at_every_depth(cast, cycle, objective, login):
    client = login(cast.manager)
    counts = []
    parent = objective
    for depth in range(1, 6):
        parent = goal(
            cast,
            cast.admin,
            cycle=cycle,
            title=f"Level {depth}",
            owner=cast.manager,
            parent=parent,
            key_results=deploys(),
        )
        kr = kr_of(cast, parent)
        with CaptureQueriesContext(connection) as captured:
            response = client.post(
                url(cast, "goals:checkin", kr.pk), {"value": "5", "confidence": "high"}, **HTMX
            )
        assert response.status_code == 200
        assert len(oob_progress(response.content.decode())) == depth + 1
        counts.append(len(captured))
    assert len(set(counts)) == 1, counts


# --- The chart ------------------------------------------------------------------------


def test_the_sparkline_draws_one_point_per_check_in_and_describes_itself():
    start = timezone.now()
    history = [(start + timedelta(days=7 * i), Decimal(v)) for i, v in enumerate([40, 52, 74])]
    chart = sparkline(history, target=Decimal(100), dom_id="h", title="History")
    assert len(chart.points) == 3
    assert chart.summary == "3 check-ins from 40 to 74; target 100"
    xs = [x for x, _ in chart.points]
    assert xs == sorted(xs)
    ys = [y for _, y in chart.points]
    assert ys == sorted(ys, reverse=True)  # rising values climb (SVG y grows downwards)
    assert chart.target_y < min(ys)  # the target is above every value so far
    svg = str(chart.svg)
    assert svg.startswith("<svg") and 'role="img"' in svg and "style" not in svg
    assert '<title id="h-title">History</title>' in svg


def test_the_sparkline_handles_one_check_in_and_none():
    one = sparkline([(timezone.now(), Decimal(5))], target=Decimal(5), dom_id="x", title="t")
    assert one.summary == "1 check-in: 5; target 5"
    assert len(one.points) == 1
    assert sparkline([], target=Decimal(1), dom_id="x", title="t") is None


def test_numbers_read_as_people_write_them():
    assert number(Decimal("74.5000")) == "74.5"
    assert number(Decimal("1200.0000")) == "1,200"
    assert with_unit(Decimal("74"), "%") == "74%"
    assert with_unit(Decimal("74"), "teams") == "74 teams"
    assert with_unit(Decimal("1500"), "$") == "$1,500"
