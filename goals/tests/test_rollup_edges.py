"""Roll-up rules at their edges: thresholds hit exactly, nothing to count, weights in
"why N%", the nightly repair and a dry-run recomputation."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.tenancy import tenant_context
from goals import services
from goals.access import Actor
from goals.models import Goal, GoalStatus, KeyResult, Level
from goals.rollup import explain, recompute_all
from goals.tasks import recompute_progress
from tests.factories import GoalFactory

D = Decimal
R = KeyResult.Direction


def approved_goal(cast, cycle, title, key_results, **extra):
    return GoalFactory(
        owner=cast.admin,
        cycle=cycle,
        level=Level.ORGANISATION,
        title=title,
        status=GoalStatus.APPROVED,
        key_results=key_results,
        **extra,
    )


@pytest.mark.parametrize(
    "direction,target,on_target,wrong_side",
    [
        (R.STAY_ABOVE, D(95), D(95), D("94.9999")),
        (R.STAY_BELOW, D(2), D(2), D("2.0001")),
    ],
)
def test_a_stay_key_result_exactly_at_its_target_is_met(
    cast, cycle, direction, target, on_target, wrong_side
):
    """rollup.py: stay above counts when current >= target, stay below when <= target."""
    goal = approved_goal(
        cast,
        cycle,
        "Keep the service level",
        [{"title": "Uptime", "direction": direction, "target_value": target}],
    )
    admin = Actor(cast.admin)
    with tenant_context(cast.org.pk):
        kr = goal.key_results.get()
        services.checkin_create(actor=admin, key_result=kr, value=on_target)
        assert KeyResult.objects.get(pk=kr.pk).progress == 1.0
        assert Goal.objects.get(pk=goal.pk).progress == 1.0
        services.checkin_create(actor=admin, key_result=kr, value=wrong_side)
        assert KeyResult.objects.get(pk=kr.pk).progress == 0.0
        assert Goal.objects.get(pk=goal.pk).progress == 0.0


def test_a_goal_with_nothing_to_count_shows_zero(cast, cycle):
    goal = approved_goal(cast, cycle, "Nothing measured yet", [])
    with tenant_context(cast.org.pk):
        goal = Goal.objects.get(pk=goal.pk)
        assert goal.manual_progress is None
        assert goal.progress == 0.0
        assert explain(goal) == ([], 0.0)
        assert recompute_all(cast.org.pk, save=False)[goal.pk] == 0.0


def test_why_n_percent_honours_key_result_weights(cast, cycle):
    goal = approved_goal(
        cast,
        cycle,
        "Grow paying teams",
        [
            {"title": "Light", "start_value": D(0), "target_value": D(100), "weight": D(1)},
            {"title": "Heavy", "start_value": D(0), "target_value": D(100), "weight": D(3)},
        ],
    )
    admin = Actor(cast.admin)
    with tenant_context(cast.org.pk):
        light, heavy = goal.key_results.order_by("position")
        services.checkin_create(actor=admin, key_result=light, value=D(100))  # 1.0
        services.checkin_create(actor=admin, key_result=heavy, value=D(20))  # 0.2
        goal = Goal.objects.get(pk=goal.pk)
        terms, value = explain(goal)
    assert [(t.kind, t.title, t.weight, t.progress) for t in terms] == [
        ("key_result", "Light", 1.0, pytest.approx(1.0)),
        ("key_result", "Heavy", 3.0, pytest.approx(0.2)),
    ]
    assert [t.share for t in terms] == [pytest.approx(1.0), pytest.approx(0.6)]
    # (1 * 1.0 + 3 * 0.2) / 4 = 0.4, not the unweighted 0.6
    assert value == pytest.approx(0.4)
    assert goal.progress == pytest.approx(0.4)


def corrupt(cast, objective, kr_progress: float, goal_progress: float | None = None):
    with tenant_context(cast.org.pk):
        KeyResult.objects.filter(goal=objective).update(progress=kr_progress)
        if goal_progress is not None:
            Goal.objects.filter(pk=objective.pk).update(progress=goal_progress)


def stored(cast, objective) -> tuple[float, float]:
    with tenant_context(cast.org.pk):
        return (
            KeyResult.objects.get(goal=objective).progress,
            Goal.objects.get(pk=objective.pk).progress,
        )


def checked_in_half_way(cast, objective):
    with tenant_context(cast.org.pk):
        kr = objective.key_results.get()
        services.checkin_create(actor=Actor(cast.admin), key_result=kr, value=D(150))
    assert stored(cast, objective) == (pytest.approx(0.5), pytest.approx(0.5))


def test_the_nightly_job_repairs_a_corrupted_key_result_progress(cast, objective):
    checked_in_half_way(cast, objective)
    corrupt(cast, objective, kr_progress=0.9)  # the goal's own number is still right
    drift = recompute_progress()
    assert stored(cast, objective) == (pytest.approx(0.5), pytest.approx(0.5))
    assert drift == {cast.org.pk: 0, cast.other_org.pk: 0}


def test_the_nightly_job_repairs_and_reports_a_drifted_goal(cast, objective):
    checked_in_half_way(cast, objective)
    corrupt(cast, objective, kr_progress=0.9, goal_progress=0.9)
    drift = recompute_progress()
    assert stored(cast, objective) == (pytest.approx(0.5), pytest.approx(0.5))
    assert drift == {cast.org.pk: 1, cast.other_org.pk: 0}


def test_a_recomputation_without_save_writes_nothing(cast, objective):
    checked_in_half_way(cast, objective)
    corrupt(cast, objective, kr_progress=0.9, goal_progress=0.7)
    with tenant_context(cast.org.pk):
        computed = recompute_all(cast.org.pk, save=False)
    assert computed == {objective.pk: pytest.approx(0.5)}
    assert stored(cast, objective) == (pytest.approx(0.9), pytest.approx(0.7))
