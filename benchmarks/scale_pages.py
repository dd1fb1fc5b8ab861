"""My goals, the team page, the goal page, the tree, the API goal list, the inbox, the KPI
list, the feedback, person, recognition and thread pages and the feedback and recognition
API lists as the organisation grows.

Measures Acme as ``seed_demo --people N --goals-per-person G`` left it (see
benchmarks/README.md; this script seeds nothing). Per request, as one person, in-process
through Django's test client: the SQL queries of one request, the time the database
reported for them, the shared buffers their plans touched (``EXPLAIN (ANALYZE, BUFFERS)``
of every read, replayed in the request's tenant context: a figure that does not depend
on how busy the CPU is), the median and 90th-percentile time of ``--requests`` more
requests, and the size of the response.

``--history N`` first gives one key result of member@'s N check-ins in all (bulk-inserted,
one a day back from now), to see what a long history costs My goals and a check-in.

Run it against PostgreSQL as the application role, so row-level security applies.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, reset_queries, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from core.tenancy import tenant_context  # noqa: E402
from goals.models import CheckIn, Confidence, Cycle, Goal, GoalStatus, KeyResult  # noqa: E402
from orgs.models import Membership, Organization  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from goals_pages import deep_key_result  # noqa: E402


def plan_buffers(captured: list[dict]) -> int:
    """Shared buffers (hit + read) of every read of a request, replayed with its settings."""
    total = 0
    if connection.vendor != "postgresql":
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        for query in captured:
            sql = query["sql"].strip()
            head = sql[:40].upper()
            if "SET_CONFIG" in head:
                cursor.execute(sql)
            elif head.startswith(("SELECT", "WITH")) and "FOR UPDATE" not in sql.upper():
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}")
                plan = cursor.fetchone()[0]
                plan = json.loads(plan) if isinstance(plan, str) else plan
                top = plan[0]["Plan"]
                total += top.get("Shared Hit Blocks", 0) + top.get("Shared Read Blocks", 0)
        transaction.set_rollback(True)
    return total


def measure(send, requests: int) -> dict:
    """Queries and buffers of one call (after two to warm up), times of ``requests`` more."""
    for _ in range(2 if requests else 0):
        send()
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        size = send()
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        send()
        times.append((time.perf_counter() - start) * 1000)
    times = times or [0.0]
    return {
        "queries": len(queries.captured_queries),
        "sql_ms": sum(float(q["time"]) for q in queries.captured_queries) * 1000,
        "buffers": plan_buffers(queries.captured_queries),
        "median": statistics.median(times),
        "p90": statistics.quantiles(times, n=10)[-1] if len(times) > 1 else times[0],
        "kb": size / 1024,
    }


def grow_history(org: Organization, kr: KeyResult, total: int) -> None:
    """Bulk-insert check-ins on ``kr`` until it has ``total``, one a day back from now."""
    with tenant_context(org.pk):
        have = CheckIn.objects.filter(org=org, key_result=kr).count()
        now = timezone.now()
        span = kr.target_value - kr.start_value
        CheckIn.objects.bulk_create(
            (
                CheckIn(
                    org=org,
                    key_result=kr,
                    goal_id=kr.goal_id,
                    author=kr.goal.owner,
                    value=kr.start_value + span * Decimal(n % 100) / 100,
                    confidence=Confidence.MEDIUM,
                    created_at=now - timedelta(days=total - n, minutes=1),
                )
                for n in range(total - have)
            ),
            batch_size=1000,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--history", type=int, default=0, help="check-ins on one key result")
    parser.add_argument(
        "--only", action="append", default=[], help="rows whose label contains this (repeatable)"
    )
    parser.add_argument(
        "--skip", action="append", default=[], help="leave out rows whose label contains this"
    )
    args = parser.parse_args()

    org = Organization.objects.get(slug="acme")
    with tenant_context(org.pk):
        cycle = Cycle.objects.get(org=org, status=Cycle.Status.ACTIVE)
        goals = Goal.objects.filter(org=org, cycle=cycle).count()
        people = Membership.objects.filter(org=org, is_active=True).count()
        kr, chain = deep_key_result(org, cycle)
        who = {
            role: Membership.objects.select_related("user").get(
                org=org, user__email=f"{role}@{org.slug}.test"
            )
            for role in ("admin", "priya.raman", "manager", "member")
        }
        mine = (
            KeyResult.objects.filter(
                org=org,
                goal__owner=who["member"],
                goal__cycle=cycle,
                goal__status=GoalStatus.APPROVED,
                kind=KeyResult.Kind.NUMBER,
            )
            .select_related("goal__owner")
            .order_by("pk")
            .first()
        )
        # The goal of member@'s with the longest comment thread (seed_demo's threads).
        threaded = (
            Goal.objects.filter(org=org, cycle=cycle, owner=who["member"])
            .annotate(n_comments=Count("comments"))
            .filter(n_comments__gt=0)
            .order_by("-n_comments", "pk")
            .first()
        )
    if args.history and mine is not None:
        grow_history(org, mine, args.history)
    with tenant_context(org.pk):
        history = CheckIn.objects.filter(org=org, key_result=mine).count() if mine else 0
    print(
        f"\n{connection.vendor} {connection.settings_dict['NAME']}: {org.name} with "
        f"{people:,} people, {goals:,} goals in {cycle}; {Organization.objects.count():,} "
        f"organisations; member@'s key result #{mine and mine.pk} has {history:,} check-ins; "
        f"{args.requests} requests a row\n"
    )

    clients = {}
    for role, member in who.items():
        clients[role] = Client(HTTP_HOST="localhost")
        clients[role].force_login(member.user, backend="django.contrib.auth.backends.ModelBackend")

    def get(role: str, url: str, **headers):
        def send() -> int:
            response = clients[role].get(url, **headers)
            assert response.status_code == 200, (url, response.status_code)
            return len(response.content)

        return send

    values = iter(range(10**6))

    def post_checkin(role: str, key_result: KeyResult):
        def send() -> int:
            share = Decimal(next(values) % 9 + 1) / 10
            start, target = key_result.start_value, key_result.target_value
            value = start + (target - start) * share
            response = clients[role].post(
                reverse("goals:checkin", args=[org.slug, key_result.pk]),
                {"value": str(value.quantize(Decimal("0.01"))), "confidence": "medium"},
                HTTP_HX_REQUEST="true",
            )
            assert response.status_code == 200, response.status_code
            return len(response.content)

        return send

    slug = org.slug
    my_goals = reverse("goals:my_goals", args=[slug])
    api_goals = reverse("goals_api:api_goals", args=[slug])
    rows = [
        ("My goals, member@", get("member", my_goals)),
        ("My goals, priya.raman@ (VP)", get("priya.raman", my_goals)),
        ("My goals, admin@ (CEO)", get("admin", my_goals)),
    ]
    try:
        team = reverse("goals:team_goals", args=[slug])
    except NoReverseMatch:
        team = None
    if team:
        priya = who["priya.raman"].pk
        rows += [
            ("team page, admin@ (direct reports)", get("admin", team)),
            ("team page, admin@, at risk", get("admin", f"{team}?show=at_risk")),
            ("team page, admin@, page 2", get("admin", f"{team}?page=2")),
            (
                "team page, admin@, priya.raman@'s team (htmx)",
                get("admin", f"{team}?under={priya}", HTTP_HX_REQUEST="true"),
            ),
            ("team page, priya.raman@", get("priya.raman", team)),
        ]
    deep = reverse("goals:goal_detail", args=[slug, chain[0].pk])
    rows += [
        ("inbox, member@", get("member", reverse("notifications:notifications", args=[slug]))),
        ("KPI list, member@", get("member", reverse("kpis:kpi_list", args=[slug]))),
        ("KPI list, admin@", get("admin", reverse("kpis:kpi_list", args=[slug]))),
    ]
    try:
        feedback_home = reverse("feedback:feedback_home", args=[slug])
        person = reverse("feedback:person", args=[slug, who["member"].pk])
    except NoReverseMatch:
        feedback_home = person = None
    if feedback_home:
        rows += [
            ("feedback page, member@", get("member", feedback_home)),
            ("feedback page, manager@", get("manager", feedback_home)),
            ("person page, manager@ opening member@", get("manager", person)),
        ]
    try:
        feed = reverse("recognition:feed", args=[slug])
    except NoReverseMatch:
        feed = None
    if feed:
        rows.append(("recognition feed, member@", get("member", feed)))
    try:
        api_feedback = reverse("feedback_api:api_feedback_list", args=[slug])
        api_kudos = reverse("feedback_api:api_recognition", args=[slug])
    except NoReverseMatch:
        api_feedback = api_kudos = None
    if api_feedback:
        rows += [
            ("API feedback list, member@", get("member", api_feedback)),
            ("API feedback list, manager@", get("manager", api_feedback)),
            ("API feedback list, admin@", get("admin", api_feedback)),
            ("API recognition list, member@", get("member", api_kudos)),
            ("API recognition list, admin@", get("admin", api_kudos)),
        ]
    if threaded is not None:
        label = f"goal page with a thread ({threaded.n_comments} comments), member@"
        rows.append((label, get("member", reverse("goals:goal_detail", args=[slug, threaded.pk]))))
        try:
            thread = reverse("threads:thread", args=[slug, threaded.pk])
        except NoReverseMatch:
            thread = None
        if thread:
            label = f"thread page ({threaded.n_comments} comments), member@"
            rows.append((label, get("member", thread)))
    rows += [
        ("tree page, member@, as it opens", get("member", reverse("goals:goal_tree", args=[slug]))),
        ("goal page, level-5 goal, admin@", get("admin", deep)),
        ("goal page, level-5 goal, member@", get("member", deep)),
        ("API goal list, admin@", get("admin", api_goals)),
        ("API goal list, member@", get("member", api_goals)),
        ("API goal list, member@, this cycle", get("member", f"{api_goals}?cycle={cycle.pk}")),
        ("check-in at level 5, admin@ (htmx POST)", post_checkin("admin", kr)),
    ]
    if mine is not None:
        label = f"check-in on member@'s key result ({history:,} check-ins)"
        rows.append((label, post_checkin("member", mine)))
    print("| request | queries | SQL time (ms) | buffers | median (ms) | p90 (ms) | size (KB) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label, send in rows:
        if args.only and not any(part in label for part in args.only):
            continue
        if any(part in label for part in args.skip):
            continue
        r = measure(send, args.requests)
        print(
            f"| {label} | {r['queries']} | {r['sql_ms']:.1f} | {r['buffers']:,} | "
            f"{r['median']:.1f} | {r['p90']:.1f} | {r['kb']:,.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
