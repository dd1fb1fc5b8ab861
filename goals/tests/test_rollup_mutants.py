"""Roll-up rules pinned by mutation testing (issue 7, part 0): narrow key results, a target
equal to its start, manual progress, milestones through the nightly job, and a nightly
recomputation whose queries do not grow with the number of milestone key results."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.tenancy import tenant_context
from goals import services
from goals.access import Actor
from goals.models import Goal, KeyResult, Milestone
from goals.rollup import explain, kr_progress, recompute_all
from goals.tasks import recompute_progress
from goals.tests.test_reapproval import active_goal, text, url
from goals.tests.test_rollup_edges import approved_goal

D = Decimal
K, R = KeyResult.Kind, KeyResult.Direction


def approved(cast, cycle, title, key_results=(), **extra) -> Goal:
    return approved_goal(cast, cycle, title, list(key_results), **extra)


def progress_of(cast, goal) -> tuple[list[float], float]:
    with tenant_context(cast.org.pk):
        krs = list(KeyResult.objects.filter(goal=goal).order_by("position"))
        return [kr.progress for kr in krs], Goal.objects.get(pk=goal.pk).progress


@pytest.mark.parametrize(
    "direction,start,target,value,expected",
    [
        (R.INCREASE, D(0), D(1), D("0.5"), 0.5),
        (R.INCREASE, D(0), D(1), D("0.25"), 0.25),
        (R.DECREASE, D(1), D(0), D("0.25"), 0.75),
    ],
)
def test_a_key_result_one_unit_wide_moves_in_fractions(
    cast, cycle, direction, start, target, value, expected
):
    """From 0 to 1 (a rate, a share): half-way is 50%, not "not reached"."""
    goal = approved(
        cast,
        cycle,
        "Raise the share of self-serve sign-ups",
        [{"title": "Share", "direction": direction, "start_value": start, "target_value": target}],
    )
    with tenant_context(cast.org.pk):
        kr = goal.key_results.get()
        services.checkin_create(actor=Actor(cast.admin), key_result=kr, value=value)
    assert progress_of(cast, goal) == ([pytest.approx(expected)], pytest.approx(expected))


@pytest.mark.parametrize("current,expected", [(D(5), 1.0), (D(4), 0.0), (D(6), 0.0)])
def test_a_target_equal_to_its_start_is_met_only_exactly_there(current, expected):
    """The forms refuse it, but the rule is defined: no span, so met or not met."""
    got = kr_progress(kind=K.NUMBER, direction=R.INCREASE, start=D(5), target=D(5), current=current)
    assert got == expected


def test_manual_progress_counts_while_nothing_else_does(cast, cycle):
    goal = approved(cast, cycle, "Hire a head of design", manual_progress=D(40))
    with tenant_context(cast.org.pk):
        goal = Goal.objects.get(pk=goal.pk)
        assert goal.progress == pytest.approx(0.4)
        assert explain(goal) == ([], pytest.approx(0.4))
        assert recompute_all(cast.org.pk, save=False)[goal.pk] == pytest.approx(0.4)


MILESTONES = {"title": "Launch", "kind": K.MILESTONES, "milestones": ["Beta", "Docs", "GA"]}


def test_milestones_survive_the_nightly_job_and_are_repaired_by_it(cast, cycle):
    goal = approved(cast, cycle, "Launch the mobile app", [MILESTONES])
    with tenant_context(cast.org.pk):
        beta = Milestone.objects.get(key_result__goal=goal, title="Beta")
        services.milestone_set_done(actor=Actor(cast.admin), milestone=beta, done=True)
    assert progress_of(cast, goal) == ([pytest.approx(1 / 3)], pytest.approx(1 / 3))
    # The nightly job agrees: nothing drifted, nothing changes.
    assert recompute_progress()[cast.org.pk] == 0
    assert progress_of(cast, goal) == ([pytest.approx(1 / 3)], pytest.approx(1 / 3))
    # A corrupted number is put back to one milestone done out of three.
    with tenant_context(cast.org.pk):
        KeyResult.objects.filter(goal=goal).update(progress=1.0)
        Goal.objects.filter(pk=goal.pk).update(progress=1.0)
        assert recompute_all(cast.org.pk, save=False)[goal.pk] == pytest.approx(1 / 3)
    assert recompute_progress()[cast.org.pk] == 1
    assert progress_of(cast, goal) == ([pytest.approx(1 / 3)], pytest.approx(1 / 3))


def test_a_milestones_key_result_with_none_done_is_at_zero_after_the_nightly_job(cast, cycle):
    goal = approved(cast, cycle, "Open the Berlin office", [MILESTONES])
    assert recompute_progress()[cast.org.pk] == 0
    assert progress_of(cast, goal) == ([0.0], 0.0)


def test_the_nightly_recomputation_runs_the_same_queries_for_any_number_of_milestone_krs(
    cast, cycle
):
    def queries() -> int:
        with tenant_context(cast.org.pk), CaptureQueriesContext(connection) as captured:
            recompute_all(cast.org.pk)
        return len(captured.captured_queries)

    approved(cast, cycle, "One launch", [MILESTONES])
    one = queries()
    approved(cast, cycle, "Three launches", [MILESTONES, MILESTONES, MILESTONES])
    approved(cast, cycle, "A measured goal", [{"title": "Calls", "target_value": D(10)}])
    assert queries() == one


def test_a_goal_moving_to_another_parent_shows_what_each_parent_would_show(
    cast, cycle, objective, login
):
    """The old parent loses the goal with the change, the new one gains it."""
    goal = active_goal(cast, objective, current=100)  # 100%; the objective's own KR is at 0%
    retention = approved(cast, cycle, "Retention")
    with tenant_context(cast.org.pk):
        services.goal_update(actor=Actor(cast.member), goal=goal, parent=retention)
    for who in (cast.member, cast.manager):
        page = text(login(who).get(url(cast, "goals:goal_detail", goal.pk)))
        assert (
            "It contributes to “Double weekly active teams”: 50% now, 0% with the change." in page
        )
        assert "It contributes to “Retention”: 0% now, 100% with the change." in page


def test_renaming_a_milestones_key_result_keeps_its_progress(cast, cycle):
    goal = approved(cast, cycle, "Launch the mobile app", [MILESTONES])
    admin = Actor(cast.admin)
    with tenant_context(cast.org.pk):
        kr = goal.key_results.get()
        for milestone in Milestone.objects.filter(key_result=kr, title__in=["Beta", "Docs"]):
            services.milestone_set_done(actor=admin, milestone=milestone, done=True)
        services.kr_update(actor=admin, key_result=kr, title="Launch on both stores")
        kr = KeyResult.objects.get(pk=kr.pk)
        assert (kr.title, kr.progress) == ("Launch on both stores", pytest.approx(2 / 3))
        assert Goal.objects.get(pk=goal.pk).progress == pytest.approx(2 / 3)


def test_a_weight_change_keeps_the_siblings_in_the_parents_number(cast, objective, login):
    """Objective: its own key result at 0%, a sibling at 100%, this goal at 10%."""
    active_goal(cast, objective, current=100)
    goal = active_goal(cast, objective, current=10)
    with tenant_context(cast.org.pk):
        services.goal_update(actor=Actor(cast.member), goal=goal, weight=D(3))
    page = text(login(cast.member).get(url(cast, "goals:goal_detail", goal.pk)))
    # (0 + 1 + 0.1) / 3 now; (0 + 1 + 3 × 0.1) / 5 with the change.
    assert "It contributes to “Double weekly active teams”: 36.7% now, 26% with the change." in (
        page
    )
