"""Pages read as many goals at 2,000 goals as at 200 (PostgreSQL: what the plans read).

A constant number of queries is not enough: a query can walk every goal of the cycle to
return four. These tests replay every read of a request with ``EXPLAIN ANALYZE`` in
its tenant context, with sequential and bitmap scans off (so the plan uses the indexes
there are, whatever the table's size), and count the rows of ``goals_goal`` each plan
touched: returned, filtered out or rechecked, over all loops.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.tenancy import tenant_context
from goals.models import Cycle, Goal, GoalStatus, Level, Visibility

pytestmark = pytest.mark.postgres

SIZES = [200, 2000]
DEBUG = False


def goal_rows(node: dict) -> float:
    """Rows of goals_goal a plan node and its children touched."""
    rows = 0.0
    if node.get("Relation Name") == "goals_goal":
        touched = (
            node.get("Actual Rows", 0)
            + node.get("Rows Removed by Filter", 0)
            + node.get("Rows Removed by Index Recheck", 0)
        )
        rows += touched * node.get("Actual Loops", 1)
    for child in node.get("Plans", []):
        rows += goal_rows(child)
    return rows


def show(n, d=0):
    keys = [
        "Node Type",
        "Relation Name",
        "Index Name",
        "Index Cond",
        "Filter",
        "Join Filter",
        "Plan Rows",
        "Actual Rows",
        "Actual Loops",
        "Rows Removed by Filter",
        "CTE Name",
    ]
    print("  " * d + " | ".join(f"{k}={n[k]}" for k in keys if k in n))
    for c in n.get("Plans", []):
        show(c, d + 1)


def goal_rows_read(captured: list[dict], *, skip_counts: bool = False, off=()) -> int:
    """Rows of goals_goal every read of a request touched, replayed in its tenant context
    with sequential and bitmap scans (and ``off``) disabled."""
    total = 0.0
    with transaction.atomic(), connection.cursor() as cursor:
        for method in ("seqscan", "bitmapscan", *off):
            cursor.execute(f"SET LOCAL enable_{method} = off")
        for query in captured:
            sql = query["sql"].lstrip()
            if "set_config" in sql[:40]:
                cursor.execute(sql)
            elif sql[:6].upper() in ("SELECT", "WITH R") and "FOR UPDATE" not in sql:
                if skip_counts and sql.startswith('SELECT COUNT(*) AS "__count"'):
                    continue
                cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
                plan = cursor.fetchone()[0]
                plan = json.loads(plan) if isinstance(plan, str) else plan
                rows = goal_rows(plan[0]["Plan"])
                if rows and DEBUG:
                    print(rows, sql[:300])
                    show(plan[0]["Plan"])
                total += rows
        transaction.set_rollback(True)
    return round(total)


def analyze() -> None:
    """Statistics for the planner, as autovacuum would gather them after a bulk load (as
    the owner: the application role may not ANALYZE)."""
    role = settings.DATABASE_APP_ROLE
    with connection.cursor() as cursor:
        if role:
            cursor.execute("RESET ROLE")
        cursor.execute("ANALYZE goals_goal")
        if role:
            cursor.execute(f"SET ROLE {connection.ops.quote_name(role)}")


def read_by(client, url: str, **kwargs) -> int:
    analyze()
    client.get(url)  # warm up
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return goal_rows_read(captured.captured_queries, **kwargs)


@pytest.fixture
def chain(cast, cycle):
    """objective (admin) <- unit goal (manager) <- Bob's goal <- Bob's sub-goal, and a
    private goal of Carol's with a public child (a member's tree shows that child at the
    top)."""
    with tenant_context(cast.org.pk):
        made = []
        parent = None
        for level, owner, title in [
            (Level.ORGANISATION, cast.admin, "Objective"),
            (Level.UNIT, cast.manager, "Unit goal"),
            (Level.INDIVIDUAL, cast.member, "Bob's goal"),
            (Level.INDIVIDUAL, cast.member, "Bob's sub-goal"),
        ]:
            parent = Goal.objects.create(
                org=cast.org, cycle=cycle, level=level, owner=owner, title=title,
                parent=parent, status=GoalStatus.APPROVED, due_date=cycle.end,
            )  # fmt: skip
            made.append(parent)
        secret = Goal.objects.create(
            org=cast.org, cycle=cycle, owner=cast.member2, title="Secret",
            visibility=Visibility.PRIVATE, status=GoalStatus.APPROVED, due_date=cycle.end,
            parent=made[0],
        )  # fmt: skip
        Goal.objects.create(
            org=cast.org, cycle=cycle, owner=cast.member2, title="Below the secret",
            parent=secret, status=GoalStatus.APPROVED, due_date=cycle.end,
        )  # fmt: skip
    return made


def grow(cast, cycle, chain, size: int) -> None:
    """``size`` public goals of the manager's in the cycle, in ten chains below the unit
    goal, and as many below an objective of last quarter: nothing any page of Bob's needs."""
    with tenant_context(cast.org.pk):
        other, _ = Cycle.objects.get_or_create(
            org=cast.org, name="Last quarter", start=cycle.start - timedelta(days=91),
            end=cycle.start - timedelta(days=1), status=Cycle.Status.CLOSED,
        )  # fmt: skip
        past, _ = Goal.objects.get_or_create(
            org=cast.org, cycle=other, owner=cast.admin, title="Last quarter's objective",
            level=Level.ORGANISATION, status=GoalStatus.COMPLETED, due_date=other.end,
        )  # fmt: skip
        for in_cycle, top in ((cycle, chain[1]), (other, past)):
            parents = [top] * 10
            for start in range(0, size, 100):
                batch = Goal.objects.bulk_create(
                    Goal(
                        org=cast.org,
                        cycle=in_cycle,
                        owner=cast.manager,
                        title=f"Noise {in_cycle.pk}-{size}-{n:05d}",
                        parent=parents[n % 10],
                        status=GoalStatus.APPROVED,
                        due_date=in_cycle.end,
                    )  # fmt: skip
                    for n in range(start, min(start + 100, size))
                )
                parents = batch[-10:]


@pytest.mark.parametrize(
    "page", ["goals:my_goals", "goals:goal_detail", "goals:goal_tree", "goals_api:api_goals"]
)
def test_a_members_pages_read_as_many_goals_at_2000_goals_as_at_200(
    cast, cycle, chain, login, page
):
    client = login(cast.member)
    args = [cast.org.slug] + ([chain[-1].pk] if page == "goals:goal_detail" else [])
    url = reverse(page, args=args) + ("?limit=20" if page == "goals_api:api_goals" else "")
    read = []
    grown = 0
    for size in SIZES:
        grow(cast, cycle, chain, size - grown)
        grown = size
        # The API's count of every visible goal is the one read that grows: it is an
        # index-only scan of goal_org_title (a few pages, where the table was thousands).
        read.append(read_by(client, url, skip_counts=page == "goals_api:api_goals"))
    # The same rows, give or take one the planner chose to look at on the way.
    assert read[1] - read[0] <= 2, read


def planned_goal_rows(node: dict) -> float:
    """Rows of goals_goal the planner expected a plan node and its children to return."""
    rows = node["Plan Rows"] if node.get("Relation Name") == "goals_goal" else 0.0
    return rows + sum(planned_goal_rows(child) for child in node.get("Plans", []))


def test_the_api_list_expects_its_page_of_goals_with_other_organisations_in_the_database(
    cast, cycle, chain, login
):
    # Nine goals in ten are another organisation's, as when many share the database.
    grow(cast, cycle, chain, 100)
    with tenant_context(cast.other_org.pk):
        other = Cycle.objects.create(
            org=cast.other_org, name="Q", start=cycle.start, end=cycle.end,
            status=Cycle.Status.ACTIVE,
        )  # fmt: skip
        Goal.objects.bulk_create(
            Goal(
                org=cast.other_org,
                cycle=other,
                owner=cast.other_member,
                title=f"Other {n}",
                status=GoalStatus.APPROVED,
                due_date=other.end,
            )  # fmt: skip
            for n in range(2000)
        )
    analyze()
    client = login(cast.member)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("goals_api:api_goals", args=[cast.org.slug]) + "?limit=50")
    assert len(response.json()["results"]) == 50
    # The page's goals by id (org_id = … and id IN (…)): without the statistics on
    # (id, org_id) the planner multiplied the two and expected 50 × 5% = 2 or 3 goals.
    rows_sql = [q["sql"] for q in captured.captured_queries if '"goals_goal"."id" IN (' in q["sql"]]
    assert len(rows_sql) == 1, rows_sql
    with transaction.atomic(), connection.cursor() as cursor:
        for query in captured.captured_queries:
            if "set_config" in query["sql"][:40]:
                cursor.execute(query["sql"])
        cursor.execute(f"EXPLAIN (FORMAT JSON) {rows_sql[0]}")
        plan = cursor.fetchone()[0]
        plan = json.loads(plan) if isinstance(plan, str) else plan
        transaction.set_rollback(True)
    assert planned_goal_rows(plan[0]["Plan"]) >= 25
