"""Query counts and server times of the goal tree and of a check-in five levels deep.

Grows the demo's Acme to ``--people`` people with ``--goals-per-person`` individual
goals each (``seed_demo --people N --goals-per-person G``: about N*G goals, plus a unit
goal per unit), then, as Acme's admin, in-process through Django's test client, per
page: the SQL queries of one request, and the median and 90th-percentile time of
``--requests`` requests.

The pages: the cascade tree (``goal_tree``) as it opens, with the path to the deep goal
open, filtered to one unit, and searched; one lazily loaded branch; and a check-in
(an htmx POST to ``checkin``, as the "My goals" page sends it) on a key result of a goal
five levels below an organisation objective, which updates that goal and its five
ancestors. For comparison, the same check-in through ``goals.services.checkin_create``
alone (no HTTP, no template).

Run it against PostgreSQL (the production database, with row-level security) as the
application role; see benchmarks/README.md. It uses whatever DATABASE_URL is set.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from core.tenancy import tenant_context  # noqa: E402
from goals import services  # noqa: E402
from goals.access import Actor  # noqa: E402
from goals.models import (  # noqa: E402
    COUNTED_STATUSES,
    CheckIn,
    Confidence,
    Cycle,
    Goal,
    GoalStatus,
    KeyResult,
    Level,
)
from orgs.models import Membership, Organization, Role, Unit  # noqa: E402

DEPTH = 5
NUMERIC = (KeyResult.Kind.NUMBER, KeyResult.Kind.PERCENT, KeyResult.Kind.CURRENCY)
STEADY = (KeyResult.Direction.INCREASE, KeyResult.Direction.DECREASE)


def depths(goals: dict[int, int | None]) -> dict[int, int]:
    """Levels below the top of the tree, for {goal: parent}."""
    found: dict[int, int] = {}

    def depth(pk: int) -> int:
        if pk not in found:
            parent = goals[pk]
            found[pk] = 0 if parent is None or parent not in goals else depth(parent) + 1
        return found[pk]

    for pk in goals:
        depth(pk)
    return found


def deep_key_result(org: Organization, cycle: Cycle) -> tuple[KeyResult, list[Goal]]:
    """A key result of an approved goal DEPTH levels below an organisation objective, with
    every goal on the way counted, so a check-in moves all of them. Made if there is none."""
    rows = Goal.objects.filter(org=org, cycle=cycle, status__in=COUNTED_STATUSES).values_list(
        "pk", "parent_id", "status"
    )
    counted = {pk: parent for pk, parent, _status in rows}
    active = {pk for pk, _parent, status in rows if status == GoalStatus.APPROVED}
    level = depths(counted)
    objectives = set(
        Goal.objects.filter(org=org, cycle=cycle, level=Level.ORGANISATION).values_list(
            "pk", flat=True
        )
    )

    def top(pk: int) -> int:
        while counted[pk] is not None:
            pk = counted[pk]
        return pk

    deep = sorted(pk for pk in active if level[pk] == DEPTH and top(pk) in objectives)
    kr = (
        KeyResult.objects.filter(org=org, goal_id__in=deep, kind__in=NUMERIC, direction__in=STEADY)
        .order_by("goal_id", "pk")
        .first()
    )
    if kr is None:
        kr = make_chain(org, cycle, counted, level, objectives, top)
    chain = []
    pk = kr.goal_id
    while pk is not None:
        chain.append(Goal.objects.get(pk=pk))
        pk = chain[-1].parent_id
    return kr, chain


def make_chain(org, cycle, counted, level, objectives, top) -> KeyResult:
    """Approved goals below the deepest approved goal until DEPTH, through the services."""
    admin = Membership.objects.filter(org=org, role=Role.ADMIN, is_active=True).order_by("pk")[0]
    owner = Membership.objects.filter(org=org, role=Role.MEMBER, is_active=True).order_by("pk")[0]
    approved = [pk for pk in counted if top(pk) in objectives and level[pk] < DEPTH]
    parent = Goal.objects.get(pk=max(approved, key=lambda pk: (level[pk], -pk)))
    print(f"No goal {DEPTH} levels deep: adding {DEPTH - level[parent.pk]} below {parent}.")
    for n in range(level[parent.pk] + 1, DEPTH + 1):
        parent = services.goal_create(
            actor=Actor(admin),
            cycle=cycle,
            title=f"Benchmark goal, level {n}",
            owner=owner,
            parent=parent,
            status=GoalStatus.APPROVED,
            key_results=[
                {"title": "Things done", "start_value": Decimal(0), "target_value": Decimal(100)}
            ],
        )
    return parent.key_results.get()


def measure(send, requests: int) -> dict:
    """Queries of one call (after two to warm up) and the times of ``requests`` more."""
    for _ in range(2):  # warm up: template loading, connection, caches
        send()
    reset_queries()  # else the log of earlier requests (DEBUG) hides this one's queries
    with CaptureQueriesContext(connection) as queries:
        size = send()
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        send()
        times.append((time.perf_counter() - start) * 1000)
    return {
        "queries": len(queries.captured_queries),
        "sql_ms": sum(float(q["time"]) for q in queries.captured_queries) * 1000,
        "median": statistics.median(times),
        "p90": statistics.quantiles(times, n=10)[-1] if len(times) > 1 else times[0],
        "kb": size / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--goals-per-person", type=int, default=2)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--no-seed", action="store_true", help="measure the data as it is")
    args = parser.parse_args()

    if not args.no_seed:
        start = time.perf_counter()
        call_command("seed_demo", people=args.people, goals_per_person=args.goals_per_person)
        print(f"seed_demo took {time.perf_counter() - start:.0f} s")
    org = Organization.objects.get(slug="acme")
    with tenant_context(org.pk):
        cycle = Cycle.objects.get(org=org, status=Cycle.Status.ACTIVE)
        goals = Goal.objects.filter(org=org, cycle=cycle).count()
        people = Membership.objects.filter(org=org, is_active=True).count()
        units = Unit.objects.filter(org=org).count()
        checkins = CheckIn.objects.filter(org=org).count()
        kr, chain = deep_key_result(org, cycle)
        admin = Actor(Membership.objects.get(org=org, user__email=f"admin@{org.slug}.test"))
    database = connection.settings_dict
    print(
        f"\n{connection.vendor} {database['NAME']} as {database['USER'] or '-'}: {org.name} "
        f"with {people:,} people, {units} units, {goals:,} goals in {cycle} "
        f"and {checkins:,} check-ins; {args.requests} requests a page"
    )
    print("Check-in on:", " < ".join(f"“{g.title}” (#{g.pk})" for g in chain), "\n")

    client = Client(HTTP_HOST="localhost")
    client.force_login(admin.member.user, backend="django.contrib.auth.backends.ModelBackend")
    tree = reverse("goals:goal_tree", args=[org.slug])

    def get(url: str):
        def send() -> int:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return len(response.content)

        return send

    values = iter(range(10**6))

    def checkin_value() -> Decimal:
        share = Decimal(next(values) % 9 + 1) / 10
        value = kr.start_value + (kr.target_value - kr.start_value) * share
        return value.quantize(Decimal("0.01"))

    def post_checkin() -> int:
        response = client.post(
            reverse("goals:checkin", args=[org.slug, kr.pk]),
            {"value": str(checkin_value()), "confidence": Confidence.MEDIUM, "note": ""},
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == 200, response.status_code
        return len(response.content)

    def service_checkin() -> int:
        with tenant_context(org.pk):
            services.checkin_create(
                actor=admin,
                key_result=KeyResult.objects.select_related("goal").get(pk=kr.pk),
                value=checkin_value(),
                confidence=Confidence.MEDIUM,
            )
        return 0

    rows = [
        ("tree page, as it opens (objectives)", get(tree)),
        (f"tree page, path to the level-{DEPTH} goal open", get(f"{tree}?open={chain[0].pk}")),
        (
            f"tree page, filtered to the unit of the level-{DEPTH - 1} goal",
            get(f"{tree}?unit={chain[1].unit_id or ''}"),
        ),
        ("tree page, search 'cloud'", get(f"{tree}?q=cloud")),
        (
            f"tree branch: children of the level-{DEPTH - 1} goal (htmx)",
            get(reverse("goals:goal_tree_children", args=[org.slug, chain[1].pk])),
        ),
        (f"check-in at level {DEPTH} (htmx POST)", post_checkin),
        (f"check-in at level {DEPTH}, service call only", service_checkin),
    ]
    print("| request | queries | SQL time (ms) | median (ms) | p90 (ms) | size (KB) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for label, send in rows:
        r = measure(send, args.requests)
        print(
            f"| {label} | {r['queries']} | {r['sql_ms']:.1f} | {r['median']:.1f} "
            f"| {r['p90']:.1f} | {r['kb']:.0f} |"
        )
    with tenant_context(org.pk):
        after = {g.pk: g.progress for g in Goal.objects.filter(pk__in=[g.pk for g in chain])}
    print(
        "\nProgress after the check-ins, level by level: "
        + ", ".join(f"{after[g.pk] * 100:.0f}%" for g in chain)
    )


if __name__ == "__main__":
    main()
