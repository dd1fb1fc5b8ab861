"""Parallel check-ins on one goal tree lose no update (PostgreSQL, one connection per thread).

Each check-in locks its goal and every ancestor in id order (goals.rollup.lock_chain)
before it recomputes them, so two people checking in under the same objective wait
for each other instead of overwriting each other's roll-up.
"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from core.tenancy import tenant_context
from goals import services
from goals.access import Actor
from goals.models import CheckIn, Goal, GoalEvent, GoalStatus, KeyResult, Level
from goals.rollup import key_result_progress, recompute_all

pytestmark = pytest.mark.postgres

THREADS = 8
CHECKINS_PER_THREAD = 5


def approved(cast, by, **fields) -> Goal:
    with tenant_context(cast.org.pk):
        return services.goal_create(actor=Actor(by), status=GoalStatus.APPROVED, **fields)


def measure(title: str) -> dict:
    return {"title": title, "start_value": Decimal(0), "target_value": Decimal(10)}


@pytest.mark.django_db(transaction=True)
def test_parallel_check_ins_in_one_tree_lose_no_update(cast, cycle, objective):
    unit_goal = approved(
        cast,
        cast.admin,
        cycle=cycle,
        title="Engineering ships every day",
        owner=cast.manager,
        level=Level.UNIT,
        unit=cast.engineering,
        parent=objective,
        key_results=[measure("Release trains")],
    )
    bob = approved(
        cast,
        cast.manager,
        cycle=cycle,
        title="Automate the release",
        owner=cast.member,
        parent=unit_goal,
        key_results=[measure("Deploys per week"), measure("Rollbacks avoided")],
    )
    carol = approved(
        cast,
        cast.manager,
        cycle=cycle,
        title="Cut build time",
        owner=cast.member2,
        parent=unit_goal,
        key_results=[measure("Minutes saved")],
    )
    with tenant_context(cast.org.pk):
        krs = {kr.title: kr for kr in KeyResult.objects.select_related("goal")}
    owners = {objective.pk: cast.admin, unit_goal.pk: cast.manager, bob.pk: cast.member}
    owners[carol.pk] = cast.member2
    # Two threads on each of Bob's key results and on Carol's, one on the unit goal's and
    # one on the objective's: different goals of one tree, and the same key result twice.
    plan = [
        "Deploys per week",
        "Deploys per week",
        "Rollbacks avoided",
        "Rollbacks avoided",
        "Minutes saved",
        "Minutes saved",
        "Release trains",
        "Weekly active teams",
    ]
    assert len(plan) == THREADS
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def work(index: int) -> None:
        kr_pk = krs[plan[index]].pk
        try:
            actor = Actor(owners[krs[plan[index]].goal_id])
            start.wait(timeout=30)
            for n in range(CHECKINS_PER_THREAD):
                with tenant_context(cast.org.pk):
                    kr = KeyResult.objects.select_related("goal").get(pk=kr_pk)
                    value = Decimal((index * 7 + n * 3) % 11)
                    if plan[index] == "Weekly active teams":  # the objective's: 100 -> 200
                        value = 100 + value * 10
                    services.checkin_create(
                        actor=actor, key_result=kr, value=value, confidence="medium"
                    )
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []

    with tenant_context(cast.org.pk):
        # Every check-in was recorded, with its event.
        total = THREADS * CHECKINS_PER_THREAD
        assert CheckIn.objects.count() == total
        assert GoalEvent.objects.filter(kind="checked_in").count() == total
        # Each key result holds the value of its last check-in, and the progress for it.
        for kr in KeyResult.objects.all():
            last = CheckIn.objects.filter(key_result=kr).order_by("-created_at", "-pk").first()
            assert kr.current_value == last.value
            assert kr.progress == pytest.approx(key_result_progress(kr))
        # The stored roll-up equals a recomputation from scratch: no update was lost.
        stored = dict(Goal.objects.values_list("pk", "progress"))
        assert stored == pytest.approx(recompute_all(cast.org.pk, save=False))
        assert stored[objective.pk] > 0
