"""Per-request cost of Acme's pages with 1 and with 1,000 other organisations in the database.

Row-level security and ``org_id`` in every query keep other tenants' rows out of the
answers; this checks they also stay out of the cost. Two steps, on two databases that
hold the same Acme (``seed_demo --people 500 --goals-per-person 2``):

    # another database, grown by --orgs other organisations, ANALYZEd as the owner
    benchmarks/tenants.py --orgs 1000 --grow-only
    # measure both, alternating, in one run (DATABASE_URL names the grown one)
    benchmarks/tenants.py --against cairn_bench_scale_small
    # or one database at a time: save with Acme alone, compare on the grown one
    benchmarks/tenants.py --save /tmp/tenants-1.json
    benchmarks/tenants.py --compare /tmp/tenants-1.json

Each other organisation gets ``--people`` people under one admin, one unit, an active
cycle of the same dates as Acme's, four objectives and ``--goals-per-person`` goals a
person below them, each with two key results and three check-ins: bulk-inserted, about
100 goals an organisation by default (1,000 organisations: about 104,000 goals).

The figures per request are those of benchmarks/scale_pages.py: queries, the shared
buffers of their plans (``EXPLAIN (ANALYZE, BUFFERS)``, replayed in the request's tenant
context; they don't depend on the CPU) and the median time. Both ways print the ratio of
each, grown ÷ alone, and exit non-zero when a request's median time grew more than 10%.
Buffers are printed, not judged: a table a hundred times larger has indexes one level
deeper, so each primary-key lookup reads a page more whatever the query. ``--against``
takes the times of both databases in one process (the other database on the same
server, as the same role), alternating: ``--rounds`` times, each request ``--requests``
times to one database, then to the other, so that a busy second on a shared machine
slows both alike. Times taken in two runs minutes apart varied by more than 10%.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from scale_pages import measure  # noqa: E402

from core.tenancy import tenant_context  # noqa: E402
from goals.models import CheckIn, Cycle, Goal, GoalStatus, KeyResult, Level  # noqa: E402
from orgs.models import Membership, Organization, Role, Unit, User  # noqa: E402

LIMIT = 1.10  # per-request cost may grow by 10% at most


def grow_tenant(n: int, start, end, people: int, goals_per_person: int) -> int:
    """One other organisation, ``tenant-NNNN``, bulk-inserted; returns its goals."""
    slug = f"tenant-{n:04d}"
    org, created = Organization.objects.get_or_create(slug=slug, defaults={"name": f"Tenant {n}"})
    if not created:
        return 0
    users = User.objects.bulk_create(
        User(email=f"p{i}@{slug}.test", full_name=f"Person {i} of {slug}", password="!")
        for i in range(people + 1)
    )
    now = timezone.now()
    with tenant_context(org.pk):
        unit = Unit.objects.create(org=org, name=f"Tenant {n}")
        admin = Membership.objects.create(org=org, user=users[0], role=Role.ADMIN, unit=unit)
        members = Membership.objects.bulk_create(
            Membership(org=org, user=u, role=Role.MEMBER, unit=unit, manager=admin)
            for u in users[1:]
        )
        cycle = Cycle.objects.create(
            org=org, name="2026 Q4", start=start, end=end, status=Cycle.Status.ACTIVE
        )
        objectives = Goal.objects.bulk_create(
            Goal(
                org=org,
                cycle=cycle,
                level=Level.ORGANISATION,
                title=f"Objective {k}",
                owner=admin,
                status=GoalStatus.APPROVED,
                due_date=end,
                progress=0.4,
            )
            for k in range(4)
        )
        goals = Goal.objects.bulk_create(
            Goal(
                org=org,
                cycle=cycle,
                title=f"Goal {g} of person {i}",
                owner=m,
                unit=unit,
                parent=objectives[(i + g) % 4],
                status=GoalStatus.APPROVED,
                due_date=end,
                progress=(i * 37 + g) % 100 / 100,
                last_checkin_at=now - timedelta(days=(i + g) % 20),
            )
            for i, m in enumerate(members)
            for g in range(goals_per_person)
        )
        krs = KeyResult.objects.bulk_create(
            KeyResult(
                org=org,
                goal=goal,
                title=f"Measure {k}",
                target_value=Decimal(100),
                current_value=Decimal(40),
                progress=0.4,
            )
            for goal in goals
            for k in range(2)
        )
        CheckIn.objects.bulk_create(
            CheckIn(
                org=org,
                key_result=kr,
                goal_id=kr.goal_id,
                author_id=kr.goal.owner_id,
                value=Decimal(10 * (w + 1)),
                created_at=now - timedelta(days=7 * (3 - w)),
            )
            for kr in krs
            for w in range(3)
        )
    return len(objectives) + len(goals)


def rows(org: Organization) -> list[tuple[str, str, str]]:
    """(label, who, URL) of the requests compared."""
    with tenant_context(org.pk):
        cycle = Cycle.objects.get(org=org, status=Cycle.Status.ACTIVE)
        deep = (
            Goal.objects.filter(org=org, cycle=cycle, parent__isnull=False, level=Level.INDIVIDUAL)
            .order_by("pk")
            .first()
        )
    slug = org.slug
    tree = reverse("goals:goal_tree", args=[slug])
    api = reverse("goals_api:api_goals", args=[slug])
    try:
        team = [("team page, manager@", "manager", reverse("goals:team_goals", args=[slug]))]
    except NoReverseMatch:  # measuring the code from before the team page
        team = []
    return [
        ("tree page, member@, as it opens", "member", tree),
        ("tree page, admin@, as it opens", "admin", tree),
        ("tree page, member@, search 'cloud'", "member", f"{tree}?q=cloud"),
        ("My goals, member@", "member", reverse("goals:my_goals", args=[slug])),
        *team,
        ("goal page, member@", "member", reverse("goals:goal_detail", args=[slug, deep.pk])),
        ("API goal list, member@", "member", api),
        ("API goal list, member@, this cycle", "member", f"{api}?cycle={cycle.pk}"),
    ]


def describe(args: argparse.Namespace) -> Organization:
    """Print what the current database holds; return its Acme."""
    acme = Organization.objects.get(slug="acme")
    orgs = Organization.objects.count()
    total = Goal.objects.count()  # RLS: without an organisation set, none are visible
    with tenant_context(acme.pk):
        acme_goals = Goal.objects.filter(org=acme).count()
    print(
        f"{connection.settings_dict['NAME']}: {orgs:,} organisations; Acme has "
        f"{acme_goals:,} goals{f', {total:,} visible without a tenant' if total else ''}"
    )
    return acme


def senders(acme: Organization) -> dict[str, Callable[[], int]]:
    """One function a request row, logged in as its person, that sends it once."""
    clients = {}
    for who in ("member", "admin", "manager"):
        user = User.objects.get(email=f"{who}@acme.test")
        clients[who] = Client(HTTP_HOST="localhost")
        clients[who].force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    found = {}
    for label, who, url in rows(acme):

        def send(client=clients[who], url=url) -> int:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return len(response.content)

        found[label] = send
    return found


def use_database(name: str) -> None:
    """Point the default connection at another database of the same server and role."""
    connection.close()
    connection.settings_dict["NAME"] = name


def interleaved(args: argparse.Namespace) -> tuple[dict, dict]:
    """Figures of the ``--against`` database (Acme alone) and of this one, their times
    taken in ``--rounds`` rounds that send each request ``--requests`` times to one
    database, then to the other, so that a busier second of the machine slows both
    alike."""
    names = {"alone": args.against, "grown": connection.settings_dict["NAME"]}
    sends, figures, times = {}, {}, {}
    for side, name in names.items():
        use_database(name)
        sends[side] = senders(describe(args))
        figures[side] = {label: measure(send, 1) for label, send in sends[side].items()}
        times[side] = {label: [] for label in sends[side]}
    for n in range(args.rounds):
        for label in sends["alone"]:
            for side in ("alone", "grown") if n % 2 == 0 else ("grown", "alone"):
                use_database(names[side])
                connection.ensure_connection()  # not inside the first timed request
                for _ in range(args.requests):
                    started = time.perf_counter()
                    sends[side][label]()
                    times[side][label].append((time.perf_counter() - started) * 1000)
    for side in names:
        for label, r in figures[side].items():
            r["median"] = statistics.median(times[side][label])
            r["p90"] = statistics.quantiles(times[side][label], n=10)[-1]
    return figures["alone"], figures["grown"]


def compare(before: dict, after: dict) -> list[str]:
    """Print the ratios; return the requests whose median grew more than 10%."""
    print("\n| request | queries | buffers | × buffers | median (ms) | × median | within 10% |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    slower = []
    for label, r in after.items():
        if label not in before:
            continue
        was = before[label]
        buffers = r["buffers"] / max(was["buffers"], 1)
        median = r["median"] / was["median"]
        if median > LIMIT:
            slower.append(label)
        print(
            f"| {label} | {was['queries']} → {r['queries']} "
            f"| {was['buffers']:,} → {r['buffers']:,} | {buffers:.2f} "
            f"| {was['median']:.1f} → {r['median']:.1f} | {median:.2f} "
            f"| {'**no**' if median > LIMIT else 'yes'} |",
            flush=True,
        )
    return slower


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=0, help="grow to this many other orgs")
    parser.add_argument("--people", type=int, default=25)
    parser.add_argument("--goals-per-person", type=int, default=4)
    parser.add_argument("--grow-only", action="store_true")
    parser.add_argument("--requests", type=int, default=20, help="timed requests a row (a round)")
    parser.add_argument("--save", help="write the figures to this JSON file")
    parser.add_argument("--compare", help="compare with the figures in this JSON file")
    parser.add_argument("--against", help="the database with Acme alone: measure both, alternating")
    parser.add_argument("--rounds", type=int, default=30, help="with --against: rounds")
    args = parser.parse_args()

    if args.orgs:
        acme = Organization.objects.get(slug="acme")
        with tenant_context(acme.pk):
            cycle = Cycle.objects.get(org=acme, status=Cycle.Status.ACTIVE)
        started, added = time.perf_counter(), 0
        for n in range(1, args.orgs + 1):
            added += grow_tenant(n, cycle.start, cycle.end, args.people, args.goals_per_person)
            if n % 50 == 0:
                print(f"{n} organisations, {added:,} goals added", flush=True)
        print(f"Added {added:,} goals in {time.perf_counter() - started:.0f} s.")
        print("Now ANALYZE as the owner (the application role may not).")
    if args.grow_only:
        return

    if args.against:
        before, figures = interleaved(args)
        print(f"{args.rounds} rounds of {args.requests} requests a row and database")
    else:
        sends = senders(describe(args))
        print(f"{args.requests} requests a row\n")
        print("| request | queries | SQL time (ms) | buffers | median (ms) | p90 (ms) | KB |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        figures = {}
        for label, send in sends.items():
            r = figures[label] = measure(send, args.requests)
            print(
                f"| {label} | {r['queries']} | {r['sql_ms']:.1f} | {r['buffers']:,} "
                f"| {r['median']:.1f} | {r['p90']:.1f} | {r['kb']:,.0f} |",
                flush=True,
            )
        before = json.loads(Path(args.compare).read_text()) if args.compare else {}
    if args.save:
        Path(args.save).write_text(json.dumps(figures, indent=1))
    slower = compare(before, figures) if before else []
    if slower:
        # Buffers are not judged here: a table a thousand times larger has one more
        # B-tree level, so every primary-key lookup reads one page more (see the README).
        sys.exit(f"Median time grew more than {LIMIT - 1:.0%}: {', '.join(slower)}")


if __name__ == "__main__":
    main()
