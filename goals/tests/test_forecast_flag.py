"""A goal on pace whose key result's trend misses its target by the cycle's end reads
"At risk" everywhere: its page, My goals, the tree (and its at-risk filter), the team
page and the API, from the stored ``Goal.forecast_misses``, kept by check-ins, by
approvals and by the hourly KPI roll-up."""

from __future__ import annotations

import importlib
import re
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.apps import apps as django_apps
from django.urls import reverse
from django.utils import timezone

from core.periodic import run_job
from core.tenancy import tenant_context
from goals import services
from goals.access import Actor
from goals.health import FORECAST_MISSES
from goals.models import CheckIn, Goal, GoalStatus, KeyResult
from kpis.models import Kpi, Measurement
from tests.factories import GoalFactory

TITLE = "Grow the partner network"


@pytest.fixture
def goal(cast, cycle):
    """Bob's approved goal, halfway through its cycle, one key result from 0 to 100
    checked in at 40 twenty days ago and 45 ten days ago (two points: no trend yet)."""
    goal = GoalFactory(
        owner=cast.member,
        cycle=cycle,
        title=TITLE,
        status=GoalStatus.APPROVED,
        key_results=[{"title": "Partners", "start_value": D(0), "target_value": D(100)}],
    )
    with tenant_context(cast.org.pk):
        kr = KeyResult.objects.get(goal=goal)
        now = timezone.now()
        for days, value in ((20, 40), (10, 45)):
            CheckIn.objects.create(
                org=cast.org,
                key_result=kr,
                goal=goal,
                value=D(value),
                created_at=now - timedelta(days=days),
            )
    return goal


def check_in(cast, goal, value) -> None:
    with tenant_context(cast.org.pk):
        kr = KeyResult.objects.get(goal=goal)
        services.checkin_create(actor=Actor(cast.member), key_result=kr, value=D(value))


def flag(cast, goal) -> bool:
    with tenant_context(cast.org.pk):
        return Goal.objects.get(pk=goal.pk).forecast_misses


def status(html: str, goal) -> tuple[str, str]:
    """The goal's status in words and the reason read out with it, as a page shows them."""
    found = re.search(
        rf'id="progress-{goal.pk}".*?<span class="status status-\w+">([^<]+)</span>'
        r'(?:<span class="visually-hidden">: ([^<]*)\.</span>)?',
        html,
        re.DOTALL,
    )
    assert found, f"no status for goal {goal.pk}"
    return found.group(1), (found.group(2) or "").replace("&#x27;", "'")


def get(client, name, cast, *args, **params) -> str:
    response = client.get(reverse(name, args=[cast.org.slug, *args]), params)
    assert response.status_code == 200
    return response.content.decode()


def test_a_trend_that_misses_reads_at_risk_with_its_reason_on_every_page(cast, goal, login):
    # Third check-in: 50 of 100 halfway through, on pace; the line through 40, 45, 50
    # leads to about 72 by the cycle's end.
    check_in(cast, goal, 50)
    assert flag(cast, goal) is True
    at_risk = ("At risk", FORECAST_MISSES)

    bob = login(cast.member)
    page = get(bob, "goals:goal_detail", cast, goal.pk)
    assert f"At risk although on pace: {FORECAST_MISSES}".replace("'", "&#x27;") in page
    assert '<span class="status status-at_risk">At risk</span>' in page
    assert "On course for only 7" in page and "of 100 by" in page
    mine = get(bob, "goals:my_goals", cast)
    assert status(mine, goal) == at_risk
    assert '<span class="status-why" aria-hidden="true">trend misses target</span>' in mine

    admin = login(cast.admin)
    assert status(get(admin, "goals:goal_tree", cast), goal) == at_risk
    assert TITLE in get(admin, "goals:goal_tree", cast, at_risk="1")
    assert TITLE in get(admin, "goals:goal_tree", cast, status="at_risk")
    assert TITLE not in get(admin, "goals:goal_tree", cast, status="on_track")

    manager = login(cast.manager)
    assert status(get(manager, "goals:team_goals", cast), goal) == at_risk
    assert status(get(manager, "goals:team_goals", cast, show="at_risk"), goal) == at_risk

    body = login(cast.member).get(f"/api/v1/orgs/{cast.org.slug}/goals/{goal.pk}/").json()
    assert body["health"]["code"] == "at_risk"
    assert body["health"]["reason"] == FORECAST_MISSES


def test_a_check_in_that_puts_the_trend_back_on_course_clears_it(cast, goal, login):
    check_in(cast, goal, 50)
    assert flag(cast, goal) is True
    check_in(cast, goal, 90)  # the line now leads past 100
    assert flag(cast, goal) is False
    admin = login(cast.admin)
    assert status(get(admin, "goals:goal_tree", cast), goal) == ("On track", "")
    assert TITLE not in get(admin, "goals:goal_tree", cast, at_risk="1")
    assert TITLE in get(admin, "goals:goal_tree", cast, status="on_track")
    page = get(login(cast.member), "goals:goal_detail", cast, goal.pk)
    assert "At risk although on pace" not in page
    assert "On course to reach" in page


def test_a_goal_already_behind_pace_reads_off_track_without_the_reason(cast, goal, login):
    assert flag(cast, goal) is False  # two check-ins: no trend
    check_in(cast, goal, 20)  # 20% halfway: off track by its progress alone
    assert flag(cast, goal) is True
    assert status(get(login(cast.admin), "goals:goal_tree", cast), goal) == ("Off track", "")


def test_a_lower_target_counts_for_the_trend_once_approved(cast, goal, login):
    check_in(cast, goal, 50)
    with tenant_context(cast.org.pk):
        kr = KeyResult.objects.get(goal=goal)
        services.kr_update(actor=Actor(cast.member), key_result=kr, target_value=D(70))
    # Waiting for approval, the approved target (100) still counts.
    assert flag(cast, goal) is True
    with tenant_context(cast.org.pk):
        services.goal_approve(actor=Actor(cast.manager), goal=Goal.objects.get(pk=goal.pk))
    assert flag(cast, goal) is False  # about 72 reaches 70
    assert status(get(login(cast.manager), "goals:team_goals", cast), goal) == ("On track", "")


def test_a_key_result_awaiting_approval_does_not_count(cast, goal):
    with tenant_context(cast.org.pk):
        KeyResult.objects.filter(goal=goal).update(awaiting_approval=True)
    check_in(cast, goal, 50)
    assert flag(cast, goal) is False


def test_the_roll_up_flags_a_goal_whose_key_result_its_kpi_moved(cast, goal, login):
    # A first run sees every active goal: two check-ins, no trend yet.
    assert run_job("kpi_rollup", cast.org.pk, trigger="manual").status == "ran"
    assert flag(cast, goal) is False
    with tenant_context(cast.org.pk):
        kpi = Kpi.objects.create(
            org=cast.org,
            owner=cast.admin,
            name="Signed partners",
            target=D(100),
            amber_threshold=D(80),
            red_threshold=D(50),
            cadence="daily",
            aggregation="max",
        )
        KeyResult.objects.filter(goal=goal).update(kpi=kpi)
        at = timezone.now() - timedelta(minutes=5)
        Measurement.objects.create(org=cast.org, kpi=kpi, value=D(50), measured_at=at)
    outcome = run_job("kpi_rollup", cast.org.pk, trigger="manual")
    assert outcome.counts["key_results_moved"] == 1
    assert outcome.counts["forecasts_changed"] == 1
    assert flag(cast, goal) is True
    assert TITLE in get(login(cast.admin), "goals:goal_tree", cast, at_risk="1")
    # Nothing new: the next run changes nothing.
    assert run_job("kpi_rollup", cast.org.pk, trigger="manual").counts["forecasts_changed"] == 0


def test_the_first_roll_up_flags_every_active_goal_whose_trend_misses(cast, goal):
    with tenant_context(cast.org.pk):
        kr = KeyResult.objects.get(goal=goal)
        # A third check-in written behind the services' back (an import, say).
        CheckIn.objects.create(
            org=cast.org, key_result=kr, goal=goal, value=D(50), created_at=timezone.now()
        )
    outcome = run_job("kpi_rollup", cast.org.pk, trigger="manual")
    assert outcome.counts["forecasts_changed"] == 1
    assert flag(cast, goal) is True


def test_the_migration_fills_the_flag_for_goals_already_heading_short(cast, goal, cycle):
    fine = GoalFactory(
        owner=cast.member,
        cycle=cycle,
        status=GoalStatus.APPROVED,
        key_results=[
            {"title": "Down", "direction": "decrease", "start_value": D(100), "target_value": D(90)}
        ],
    )
    with tenant_context(cast.org.pk):
        now = timezone.now()
        kr = KeyResult.objects.get(goal=goal)
        CheckIn.objects.create(org=cast.org, key_result=kr, goal=goal, value=D(50), created_at=now)
        down = KeyResult.objects.get(goal=fine)
        for days, value in ((20, 99), (10, 95), (0, 91)):  # falling fast enough
            CheckIn.objects.create(
                org=cast.org,
                key_result=down,
                goal=fine,
                value=D(value),
                created_at=now - timedelta(days=days),
            )
    migration = importlib.import_module("goals.migrations.0011_goal_forecast_misses")
    migration.fill(django_apps, None)
    assert flag(cast, goal) is True
    assert flag(cast, fine) is False


def test_moving_the_cycles_end_moves_where_the_trend_leads(cast, goal, cycle):
    check_in(cast, goal, 50)  # 0.5 a day: about 72 by the end, 100 in a hundred days
    assert flag(cast, goal) is True
    with tenant_context(cast.org.pk):
        services.cycle_save(
            actor=Actor(cast.admin),
            cycle=cycle,
            name=cycle.name,
            start=cycle.start,
            end=timezone.localdate() + timedelta(days=150),
            status=cycle.status,
        )
    assert flag(cast, goal) is False
