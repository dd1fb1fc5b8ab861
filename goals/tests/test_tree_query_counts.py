"""Every tree request runs the same number of queries at 100 goals as at 5,000."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse

from core.tenancy import tenant_context
from goals.models import Goal, GoalStatus, Level

# SAVEPOINT, organisation, session, user, membership, RELEASE SAVEPOINT, and on
# PostgreSQL the two set_config calls that scope the transaction for row-level security.
REQUEST = 6


def request_queries() -> int:
    return REQUEST + (2 if connection.vendor == "postgresql" else 0)


def grow(cast, cycle, total: int) -> list[list[Goal]]:
    """``total`` goals in five levels: a few organisation objectives, unit goals and
    sub-unit goals below them, individual goals and their own sub-goals. Every tenth
    goal below the objectives is a private goal of Carol's (Bob may not see it), every
    seventh a draft; progress is set directly. Returns the goals level by level."""
    sizes = [4, max(8, total // 100), total // 20, total * 3 // 10]
    sizes.append(total - sum(sizes))
    units = [cast.company, cast.engineering, cast.platform]
    people = [cast.manager, cast.member, cast.member2]
    levels: list[list[Goal]] = []
    n = 0
    with tenant_context(cast.org.pk):
        for depth, size in enumerate(sizes):
            parents = levels[-1] if levels else None
            batch = []
            for i in range(size):
                n += 1
                private = depth > 0 and n % 10 == 0
                batch.append(
                    Goal(
                        org=cast.org,
                        cycle=cycle,
                        level=[Level.ORGANISATION, Level.UNIT, Level.UNIT][depth]
                        if depth < 3
                        else Level.INDIVIDUAL,
                        title=f"Goal {n:05d} at depth {depth}",
                        owner=cast.admin
                        if depth == 0
                        else cast.member2
                        if private
                        else people[n % len(people)],
                        unit=units[n % len(units)] if 0 < depth < 3 else None,
                        parent=parents[i % len(parents)] if parents else None,
                        visibility="private" if private else "public",
                        status=GoalStatus.DRAFT if n % 7 == 0 else GoalStatus.APPROVED,
                        due_date=cycle.end - timedelta(days=depth),
                        progress=(n * 37 % 100) / 100,
                    )
                )
            levels.append(Goal.objects.bulk_create(batch))
    assert sum(len(level) for level in levels) == total
    return levels


@pytest.fixture(params=[100, 5000], ids=lambda n: f"{n}-goals")
def levels(request, cast, cycle):
    return grow(cast, cycle, request.param)


def tree(cast) -> str:
    return reverse("goals:goal_tree", args=[cast.org.slug])


def children(cast, goal: Goal) -> str:
    return reverse("goals:goal_tree_children", args=[cast.org.slug, goal.pk])


# The queries of every tree page: the organisation's cycles, the unit paths (unit
# filter), the tree's goals with owner, units, cycle and child counts, and the
# organisation switcher. The owner filter is a text search: no list of owners.
TREE_PAGE = 4
# A link filtering on one owner (``owner=<membership id>``) reads that person's name.
OWNER_LINK = 1
# A member's requests also read who reports to them (for private goals they may see).
SUBTREE = 1


@pytest.mark.parametrize("who", ["admin", "member"])
def test_the_tree_page_runs_a_fixed_number_of_queries(
    cast, levels, login, django_assert_num_queries, who
):
    client = login(getattr(cast, who))
    extra = SUBTREE if who == "member" else 0
    with django_assert_num_queries(request_queries() + TREE_PAGE + extra):
        response = client.get(tree(cast))
    assert response.status_code == 200
    assert len(response.context["roots"]) >= 4


@pytest.mark.parametrize("who", ["admin", "member"])
def test_opened_and_expanded_branches_add_no_query(
    cast, levels, login, django_assert_num_queries, who
):
    client = login(getattr(cast, who))
    deep = next(g for g in levels[4] if g.visibility == "public")
    params = {"open": [deep.pk, levels[2][0].pk], "expand": levels[0][1].pk}
    extra = SUBTREE if who == "member" else 0
    with django_assert_num_queries(request_queries() + TREE_PAGE + extra):
        response = client.get(tree(cast), params)
    assert response.status_code == 200
    assert response.context["shown"] > 10
    assert f'id="node-{deep.pk}"' in response.content.decode()


@pytest.mark.parametrize("who", ["admin", "member"])
def test_a_filtered_tree_runs_a_fixed_number_of_queries(
    cast, levels, login, django_assert_num_queries, who
):
    client = login(getattr(cast, who))
    params = {"q": "depth 4", "unit": cast.engineering.pk, "at_risk": "1", "owner": cast.member.pk}
    params["owner_q"] = "bob"
    extra = SUBTREE if who == "member" else 0
    # The filters are conditions of the tree's one query (with a recursive walk up to
    # the matches' ancestors), so they add nothing but the name of the linked owner.
    with django_assert_num_queries(request_queries() + TREE_PAGE + OWNER_LINK + extra):
        response = client.get(tree(cast), params)
    assert response.status_code == 200
    assert response.context["matches"] > 0


def test_an_htmx_filter_request_runs_a_fixed_number_of_queries(
    cast, levels, login, django_assert_num_queries
):
    client = login(cast.admin)
    # The tree without the page around it: no organisation switcher.
    with django_assert_num_queries(request_queries() + TREE_PAGE - 1):
        response = client.get(tree(cast), {"status": "off_track"}, headers={"HX-Request": "true"})
    assert response.context["matches"] > 0


@pytest.mark.parametrize("who", ["admin", "member"])
@pytest.mark.parametrize("expand", ["", "all"])
def test_a_branch_loads_in_a_fixed_number_of_queries(
    cast, levels, login, django_assert_num_queries, who, expand
):
    client = login(getattr(cast, who))
    objective = levels[0][0]
    extra = SUBTREE if who == "member" else 0
    # The goal (through the access check), its children or whole subtree with counts.
    with django_assert_num_queries(request_queries() + 2 + extra):
        response = client.get(children(cast, objective), {"level": 1, "expand": expand})
    assert response.status_code == 200
    assert response.content.count(b'role="treeitem"') > 1


@pytest.mark.parametrize("who", ["admin", "member"])
def test_the_alignment_report_runs_a_fixed_number_of_queries(
    cast, levels, login, django_assert_num_queries, who
):
    client = login(getattr(cast, who))
    extra = SUBTREE if who == "member" else 0
    # cycles, unaligned goals, lonely objectives, goals due after their parent, goals
    # per unit, unit paths, the organisation switcher
    with django_assert_num_queries(request_queries() + 7 + extra):
        response = client.get(reverse("goals:alignment_report", args=[cast.org.slug]))
    assert response.status_code == 200
    assert response.context["report"].total_goals > 0
