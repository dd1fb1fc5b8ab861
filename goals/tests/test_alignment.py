"""The alignment report: goals that serve nothing, objectives nobody serves, goals due
after their parent, and the share of aligned goals per unit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.urls import reverse

from core.tenancy import tenant_context
from goals import services
from goals.access import Actor
from goals.models import Goal, GoalStatus, Level


@dataclass
class Example:
    objective: Goal
    berlin: Goal
    drafted: Goal
    platform: Goal
    docs: Goal
    late: Goal
    backlog: Goal
    secret: Goal


@pytest.fixture
def example(cast, cycle, objective) -> Example:
    """
    Objectives: "Double weekly active teams" (served by the platform goal), "Open the
    Berlin office" (served by nobody), "Hire in Lisbon" (only a draft under it) and a
    cancelled one.
    Engineering: the platform unit goal (aligned).
    Platform (Bob and Carol): Bob's docs goal (aligned), Bob's late goal (aligned, due
    after the platform goal once that moves earlier), Bob's backlog goal (active,
    serving nothing), Bob's draft under Lisbon (aligned), Carol's private goal serving
    nothing, and Bob's cancelled goal (left out everywhere).
    """
    with tenant_context(cast.org.pk):
        admin, manager, bob = Actor(cast.admin), Actor(cast.manager), Actor(cast.member)

        def org_objective(title: str, **kw) -> Goal:
            return services.goal_create(
                actor=admin, cycle=cycle, level=Level.ORGANISATION, title=title, **kw
            )

        berlin = org_objective("Open the Berlin office", status=GoalStatus.APPROVED)
        lisbon = org_objective("Hire in Lisbon", status=GoalStatus.APPROVED)
        dropped = org_objective("Launch a podcast", status=GoalStatus.APPROVED)
        services.goal_cancel(actor=admin, goal=dropped)
        platform = services.goal_create(
            actor=admin,
            cycle=cycle,
            level=Level.UNIT,
            unit=cast.engineering,
            owner=cast.manager,
            parent=objective,
            title="Ship the platform API",
            status=GoalStatus.APPROVED,
        )

        def bobs(title: str, **kw) -> Goal:
            kw.setdefault("status", GoalStatus.APPROVED)
            return services.goal_create(
                actor=manager, cycle=cycle, owner=cast.member, title=title, **kw
            )

        docs = bobs("Document every endpoint", parent=platform)
        late = bobs("Migrate billing", parent=platform)
        backlog = bobs("Tidy the backlog")
        drafted = services.goal_create(
            actor=bob, cycle=cycle, title="Find a Lisbon office", parent=lisbon
        )
        gone = bobs("Rewrite everything")
        services.goal_cancel(actor=manager, goal=gone)
        secret = services.goal_create(
            actor=manager,
            cycle=cycle,
            owner=cast.member2,
            title="Prepare my promotion case",
            visibility="private",
            status=GoalStatus.APPROVED,
        )
        # The platform goal moves earlier; its children keep their later due date.
        services.goal_update(
            actor=admin, goal=platform, due_date=platform.due_date - timedelta(days=10)
        )
        services.goal_update(actor=manager, goal=docs, due_date=docs.due_date - timedelta(days=10))
    return Example(
        objective=objective,
        berlin=berlin,
        drafted=drafted,
        platform=platform,
        docs=docs,
        late=late,
        backlog=backlog,
        secret=secret,
    )


def report(client, cast, **params):
    response = client.get(reverse("goals:alignment_report", args=[cast.org.slug]), params)
    assert response.status_code == 200
    return response


def titles(goals) -> list[str]:
    return [g.title for g in goals]


def test_it_lists_active_goals_that_contribute_to_nothing(cast, example, login):
    data = report(login(cast.admin), cast).context["report"]
    # Not the objectives, not Bob's draft, not the cancelled goal.
    assert titles(data.unaligned) == ["Prepare my promotion case", "Tidy the backlog"]


def test_it_lists_objectives_nobody_contributes_to(cast, example, login):
    data = report(login(cast.admin), cast).context["report"]
    # Lisbon has only a draft below it; the cancelled objective is left out.
    assert titles(data.lonely_objectives) == ["Hire in Lisbon", "Open the Berlin office"]


def test_it_lists_goals_due_after_the_goal_they_contribute_to(cast, example, login):
    data = report(login(cast.admin), cast).context["report"]
    assert titles(data.due_after_parent) == ["Migrate billing"]
    row = data.due_after_parent[0]
    assert row.parent.title == "Ship the platform API"
    assert row.due_date > row.parent.due_date


def test_it_shows_the_share_of_aligned_goals_per_unit(cast, example, login):
    data = report(login(cast.admin), cast).context["report"]
    rows = [(r.path, r.goals, r.aligned, r.percent) for r in data.units]
    assert rows == [
        ("Acme/Engineering", 1, 1, 100),
        # Bob's docs, billing, backlog and draft; Carol's private goal.
        ("Acme/Engineering/Platform", 5, 3, 60),
    ]
    assert (data.total_goals, data.total_aligned, data.total_percent) == (6, 4, 67)


def test_the_page_shows_the_four_sections(cast, example, login):
    body = report(login(cast.admin), cast).content.decode()
    for heading in (
        "Active goals that contribute to nothing",
        "Organisation objectives nobody contributes to",
        "Goals due after the goal they contribute to",
        "Share of aligned goals per unit",
    ):
        assert heading in body
    assert '<span class="unit-name">Platform</span>' in body and "60%" in body
    assert '<span class="unit-within">in Acme / Engineering</span>' in body
    assert reverse("goals:goal_detail", args=[cast.org.slug, example.backlog.pk]) in body


def test_a_member_sees_the_report_for_the_goals_they_may_see(cast, example, login):
    response = report(login(cast.member), cast)
    data = response.context["report"]
    assert titles(data.unaligned) == ["Tidy the backlog"]
    assert ("Acme/Engineering/Platform", 4, 3) in [(r.path, r.goals, r.aligned) for r in data.units]
    assert "Prepare my promotion case" not in response.content.decode()
    assert "Only goals you can see are counted." in response.content.decode()


def test_a_manager_sees_their_reports_private_goals(cast, example, login):
    data = report(login(cast.manager), cast).context["report"]
    assert "Prepare my promotion case" in titles(data.unaligned)


def test_a_private_contribution_still_serves_its_objective(cast, example, login):
    with tenant_context(cast.org.pk):
        services.goal_create(
            actor=Actor(cast.manager),
            cycle=example.berlin.cycle,
            owner=cast.member2,
            parent=example.berlin,
            title="Scout Berlin offices",
            visibility="private",
            status=GoalStatus.APPROVED,
        )
    data = report(login(cast.member), cast).context["report"]
    assert "Open the Berlin office" not in titles(data.lonely_objectives)


def test_another_cycle_has_its_own_report(cast, example, login):
    with tenant_context(cast.org.pk):
        later = services.cycle_save(
            actor=Actor(cast.admin),
            name="Next quarter",
            start=example.objective.cycle.end + timedelta(days=1),
            end=example.objective.cycle.end + timedelta(days=90),
        )
    client = login(cast.admin)
    data = report(client, cast, cycle=later.pk).context["report"]
    assert (data.unaligned, data.lonely_objectives, data.due_after_parent, data.units) == (
        [],
        [],
        [],
        [],
    )
    assert (
        b"No unit or individual goals in this cycle yet."
        in report(client, cast, cycle=later.pk).content
    )


def test_nobody_from_another_organisation_reads_it(cast, example, login):
    response = login(cast.other_member).get(reverse("goals:alignment_report", args=[cast.org.slug]))
    assert response.status_code == 404
    other = login(cast.other_admin).get(
        reverse("goals:alignment_report", args=[cast.other_org.slug]),
        {"cycle": example.objective.cycle_id},
    )
    assert other.status_code == 404


def test_without_cycles_it_says_so(cast, login):
    response = report(login(cast.member), cast)
    assert response.context["report"] is None
    assert b"There are no goal cycles yet" in response.content
