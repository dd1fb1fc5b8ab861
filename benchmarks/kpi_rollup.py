"""The hourly KPI roll-up and goal recompute over many organisations, next to a naive
per-goal recursion.

Seeds, in a database of its own (``createdb cairn_bench_kpi``, owned by cairn_owner,
migrated), ``--orgs`` organisations, each with ``1000 × scale`` goals in a tree (ten
objectives, nine children a goal), three key results a goal (one in ten driven by a
KPI), ``200 × scale`` measured KPIs with a year of daily measurements, and above them
a two-level tree of parent KPIs (one for every ten, one for every hundred). At scale
1 and 100 organisations: 100,000 goals, 300,000 key results, 20,000 measured KPIs
(plus 2,200 parents) and 7.3 million measurements.

Seeding runs as the owner role (DATABASE_URL) with bulk SQL: ``INSERT … SELECT
generate_series`` inside each organisation's tenant context (row-level security is
forced, so it binds the owner too). Then the connection switches to the application
role (``SET ROLE cairn_app``, as the tests do) and, for each organisation, runs the
job through ``core.periodic.run_job`` (claim, body, finish): the first run (no
watermark: every period of every KPI), then, after a day of new measurements, an
incremental run an hour later. Per run it prints wall time, SQL statements and the
time spent inside them (an execute wrapper), and the peak of Python memory
(tracemalloc, on the first ``--memory-orgs`` organisations only: it slows Python).

The naive way computes a goal's progress by recursion: the goal's key results and
its children, one query each, recursing into every child; run on ``--sample`` goals
drawn from the first organisation, it gives seconds per goal next to the set-based
recompute's (goals.rollup.recompute_all) and the whole roll-up's.

    createdb -h 127.0.0.1 -U postgres -O cairn_owner cairn_bench_kpi
    DATABASE_URL=postgres://cairn_owner:cairn_owner@127.0.0.1:5432/cairn_bench_kpi \\
        DATABASE_APP_ROLE=cairn_app .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://cairn_owner:cairn_owner@127.0.0.1:5432/cairn_bench_kpi \\
        .venv/bin/python benchmarks/kpi_rollup.py --scale 0.1
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import time
import tracemalloc
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

from core.periodic import run_job  # noqa: E402
from core.tenancy import tenant_context  # noqa: E402
from goals.models import COUNTED_STATUSES, Goal, KeyResult  # noqa: E402
from goals.rollup import key_result_progress, recompute_all, weighted_mean  # noqa: E402
from orgs.models import Organization  # noqa: E402

APP_ROLE = "cairn_app"


class Counter:
    """An execute wrapper: statements and the seconds spent in them."""

    def __init__(self):
        self.statements = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - start
            self.statements += 1


@contextmanager
def counted():
    counter = Counter()
    with connection.execute_wrapper(counter):
        yield counter


def sql(statement: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def seed_org(n: int, *, goals: int, kpis: int, days: int, today: date) -> int:
    """One organisation in bulk SQL; returns its id."""
    slug = f"kpi-bench-{n:03d}"
    org = Organization.objects.create(slug=slug, name=f"KPI bench {n}", timezone="Europe/Berlin")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO orgs_user (email, full_name, password, is_active, is_staff,"
            " is_superuser, date_joined) SELECT 'p' || i || '@' || %s || '.test', 'Person ' || i,"
            " '!', true, false, false, now() FROM generate_series(1, 10) i RETURNING id",
            [slug],
        )
        users = [row[0] for row in cursor.fetchall()]
    start, end = today - timedelta(days=45), today + timedelta(days=45)
    with tenant_context(org.pk), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO orgs_unit (org_id, name, created_at) VALUES (%s, %s, now()) RETURNING id",
            [org.pk, slug],
        )
        unit = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO orgs_membership (org_id, user_id, role, unit_id, title, is_active,"
            " joined_at) SELECT %s, u, CASE WHEN u = %s THEN 'admin' ELSE 'member' END, %s, '',"
            " true, now() FROM unnest(%s::bigint[]) u RETURNING id",
            [org.pk, users[0], unit, users],
        )
        members = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            'INSERT INTO goals_cycle (org_id, name, start, "end", status) VALUES'
            " (%s, 'This quarter', %s, %s, 'active') RETURNING id",
            [org.pk, start, end],
        )
        cycle = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO goals_goal (org_id, cycle_id, level, title, description, owner_id,"
            " unit_id, weight, visibility, due_date, confidence, status, progress,"
            " needs_reapproval, created_at, updated_at)"
            " SELECT %s, %s, CASE WHEN i < 10 THEN 'org' ELSE 'individual' END,"
            " 'Goal ' || i, '', (%s::bigint[])[1 + i %% 10], %s, 1 + i %% 3, 'public', %s, '',"
            " CASE WHEN i %% 20 = 19 THEN 'draft' ELSE 'approved' END, 0, false, now(), now()"
            " FROM generate_series(0, %s - 1) i ORDER BY i RETURNING id",
            [org.pk, cycle, members, unit, end, goals],
        )
        ids = sorted(row[0] for row in cursor.fetchall())
        base = ids[0]
        # Goal i (i >= 10) contributes to goal (i - 10) / 9: a tree four or five deep.
        cursor.execute(
            "UPDATE goals_goal SET parent_id = %s + (id - %s - 10) / 9"
            " WHERE org_id = %s AND id - %s >= 10",
            [base, base, org.pk, base],
        )
        # Measured KPIs, then parents: one for every ten, one for every hundred.
        cursor.execute(
            "INSERT INTO kpis_kpi (org_id, name, description, unit_label, direction, target,"
            " amber_threshold, red_threshold, cadence, aggregation, owner_id, visibility,"
            " weight, created_at, updated_at)"
            " SELECT %s, 'KPI ' || i, '', '', 'higher', 100, 80, 50,"
            " (ARRAY['daily','daily','weekly','monthly'])[1 + i %% 4],"
            " (ARRAY['sum','mean','max','min','weighted_mean'])[1 + i %% 5], %s, 'public',"
            " 1 + i %% 3, now(), now() FROM generate_series(0, %s - 1) i ORDER BY i"
            " RETURNING id",
            [org.pk, members[0], kpis + kpis // 10 + max(kpis // 100, 1)],
        )
        kpi_ids = sorted(row[0] for row in cursor.fetchall())
        leaves = kpi_ids[:kpis]
        mids = kpi_ids[kpis : kpis + kpis // 10]
        tops = kpi_ids[kpis + kpis // 10 :]
        cursor.execute(
            "UPDATE kpis_kpi SET parent_id = (%s::bigint[])[1 + (id - %s) / 10]"
            " WHERE id = ANY(%s::bigint[])",
            [mids, leaves[0], leaves],
        )
        cursor.execute(
            "UPDATE kpis_kpi SET parent_id = (%s::bigint[])[1 + (id - %s) / 10],"
            " aggregation = 'weighted_mean', cadence = 'monthly' WHERE id = ANY(%s::bigint[])",
            [tops, mids[0], mids],
        )
        cursor.execute(
            "UPDATE kpis_kpi SET aggregation = 'sum', cadence = 'monthly'"
            " WHERE id = ANY(%s::bigint[])",
            [tops],
        )
        # A year of daily measurements, at noon, recorded when they describe.
        cursor.execute(
            "INSERT INTO kpis_measurement (org_id, kpi_id, value, measured_at, source,"
            " created_at, is_current, note)"
            " SELECT %s, k, (k %% 97) + d %% 13, m, 'api', m, true, ''"
            " FROM unnest(%s::bigint[]) k, generate_series(1, %s) d,"
            " LATERAL (SELECT (%s::date - d + time '12:00') AT TIME ZONE 'UTC' AS m) t",
            [org.pk, leaves, days, today],
        )
        # Three key results a goal; one in ten follows a measured KPI.
        cursor.execute(
            "INSERT INTO goals_keyresult (org_id, goal_id, title, kind, direction, start_value,"
            " target_value, current_value, unit_label, weight, progress, awaiting_approval,"
            " position, created_at, kpi_id)"
            " SELECT %s, g, 'KR ' || k, 'number', 'increase', 0, 200, (g + k) %% 150, '', 1,"
            " 0, false, k, now(),"
            " CASE WHEN (g + k) %% 10 = 0 THEN (%s::bigint[])[1 + (g + k) %% %s] END"
            " FROM unnest(%s::bigint[]) g, generate_series(0, 2) k",
            [org.pk, leaves, len(leaves), ids],
        )
    return org.pk


def seed(args) -> list[int]:
    today = datetime.now(UTC).date()
    goals = max(int(1000 * args.scale), 20)
    kpis = max(int(200 * args.scale), 20)
    ids = []
    began = time.perf_counter()
    for n in range(args.orgs):
        with transaction.atomic():
            ids.append(seed_org(n, goals=goals, kpis=kpis, days=args.days, today=today))
    print(f"seeded {args.orgs} organisations in {time.perf_counter() - began:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return ids


def reset(org_ids: list[int]) -> None:
    """Back to the seeded state (as the owner): no runs, no period values, no check-ins,
    no measurement added after the seed, stored progress at 0."""
    sql("TRUNCATE kpis_periodvalue, core_jobrun, goals_checkin, goals_goalevent")
    for org_id in org_ids:
        with tenant_context(org_id):
            sql(
                "DELETE FROM kpis_measurement WHERE org_id = %s AND created_at > measured_at",
                [org_id],
            )
            sql("UPDATE goals_goal SET progress = 0 WHERE org_id = %s", [org_id])
            sql(
                "UPDATE goals_keyresult SET current_value = (goal_id + position) %% 150,"
                " progress = 0 WHERE org_id = %s",
                [org_id],
            )
            sql(
                "UPDATE kpis_kpi SET latest_value = NULL, latest_at = NULL WHERE org_id = %s",
                [org_id],
            )
    sql("ANALYZE")
    print(f"reset {len(org_ids)} organisations to the seeded state")


def as_app_role() -> None:
    connection.close()
    connection.settings_dict.setdefault("OPTIONS", {})["assume_role"] = APP_ROLE


def add_a_day(org_ids: list[int], now: datetime) -> None:
    """A new measurement for every measured KPI, an hour ago."""
    for org_id in org_ids:
        with tenant_context(org_id):
            sql(
                "INSERT INTO kpis_measurement (org_id, kpi_id, value, measured_at, source,"
                " created_at, is_current, note) SELECT org_id, id, 150, %s, 'api', %s, true, ''"
                " FROM kpis_kpi k WHERE org_id = %s AND NOT EXISTS"
                " (SELECT 1 FROM kpis_kpi c WHERE c.parent_id = k.id)",
                [now - timedelta(hours=1), now, org_id],
            )


def run_all(label: str, org_ids: list[int], now: datetime, memory_orgs: int) -> dict:
    totals = {"wall": 0.0, "db": 0.0, "statements": 0, "peak": 0, "counts": {}}
    per_org = []
    for index, org_id in enumerate(org_ids):
        trace = index < memory_orgs
        if trace:
            tracemalloc.start()
        began = time.perf_counter()
        with counted() as counter:
            outcome = run_job("kpi_rollup", org_id, trigger="manual", now=now)
        wall = time.perf_counter() - began
        if trace:
            totals["peak"] = max(totals["peak"], tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
        assert outcome.status == "ran", outcome.line()
        per_org.append(wall)
        totals["wall"] += wall
        totals["db"] += counter.seconds
        totals["statements"] += counter.statements
        for key, value in outcome.counts.items():
            totals["counts"][key] = totals["counts"].get(key, 0) + value
    per_org.sort()
    print(
        f"{label}: {totals['wall']:.1f} s wall, {totals['db']:.1f} s in SQL, "
        f"{totals['statements']} statements ({totals['statements'] / len(org_ids):.0f} an org), "
        f"per org median {per_org[len(per_org) // 2]:.2f} s, max {per_org[-1]:.2f} s, "
        f"peak Python memory {totals['peak'] / 1e6:.0f} MB (first {memory_orgs} orgs); "
        f"{totals['counts']}"
    )
    return totals


def naive_progress(org_id: int, goal_id: int, counter: list[int]) -> float:
    """A goal's progress by recursion: two queries a goal, into every child."""
    counter[0] += 2
    terms = [
        (float(kr.weight), key_result_progress(kr))
        for kr in KeyResult.objects.filter(org=org_id, goal=goal_id, awaiting_approval=False)
    ]
    for child_id, weight, status in Goal.objects.filter(org=org_id, parent=goal_id).values_list(
        "pk", "weight", "status"
    ):
        progress = naive_progress(org_id, child_id, counter)
        if status in COUNTED_STATUSES:
            terms.append((float(weight), progress))
    return weighted_mean(terms, None)


def naive(org_id: int, sample: int) -> tuple[float, int, int]:
    """Seconds and queries per goal of the naive recursion over a sample of goals."""
    with tenant_context(org_id):
        ids = list(Goal.objects.filter(org=org_id).values_list("pk", flat=True))
        chosen = random.Random(8).sample(ids, min(sample, len(ids)))
        counter = [0]
        began = time.perf_counter()
        computed = {pk: naive_progress(org_id, pk, counter) for pk in chosen}
        seconds = time.perf_counter() - began
        stored = recompute_all(org_id, save=False)
    wrong = sum(abs(stored[pk] - value) > 1e-9 for pk, value in computed.items())
    assert wrong == 0, f"the naive way disagrees on {wrong} goals"
    return seconds / len(chosen), counter[0] // len(chosen), len(ids)


def set_based(org_id: int) -> float:
    with tenant_context(org_id):
        goals = Goal.objects.filter(org=org_id).count()
        began = time.perf_counter()
        recompute_all(org_id)
        return (time.perf_counter() - began) / goals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orgs", type=int, default=100)
    parser.add_argument("--scale", type=float, default=1.0, help="1: 1,000 goals an org")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--sample", type=int, default=200, help="goals for the naive way")
    parser.add_argument("--memory-orgs", type=int, default=3)
    parser.add_argument(
        "--no-seed", action="store_true", help="reset and reuse the kpi-bench-* organisations"
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Point DATABASE_URL at PostgreSQL (the owner role).")
    if args.no_seed:
        org_ids = list(
            Organization.objects.filter(slug__startswith="kpi-bench-")
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        reset(org_ids)
    else:
        org_ids = seed(args)
    as_app_role()
    with tenant_context(org_ids[0]):
        sql("SELECT 1")
        who = connection.cursor().connection.execute("SELECT current_user").fetchone()[0]
    goals = 0
    for org_id in org_ids:
        with tenant_context(org_id):
            goals += Goal.objects.filter(org=org_id).count()
    print(f"as {who}: {len(org_ids)} organisations, {goals:,} goals")
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    first = run_all("first run", org_ids, now, args.memory_orgs)
    add_a_day(org_ids, now + timedelta(minutes=30))
    hourly = run_all("hourly run", org_ids, now + timedelta(hours=1), args.memory_orgs)
    again = run_all("again, nothing new", org_ids, now + timedelta(hours=2), 0)
    naive_per_goal, naive_queries, org_goals = naive(org_ids[0], args.sample)
    set_per_goal = set_based(org_ids[0])
    print(
        f"naive recursion: {naive_per_goal * 1000:.2f} ms and {naive_queries} queries a goal "
        f"(sample of {args.sample} in an org of {org_goals} goals); set-based recompute: "
        f"{set_per_goal * 1000:.3f} ms a goal: {naive_per_goal / set_per_goal:.0f}× faster"
    )
    for label, totals in (("first", first), ("hourly", hourly), ("again", again)):
        per_goal = totals["wall"] / goals
        print(
            f"{label} run: {totals['db'] / goals * 10000:.2f} s of SQL and "
            f"{totals['wall'] / goals * 10000:.2f} s wall per 10,000 goals; "
            f"the whole roll-up per goal is {naive_per_goal / per_goal:.0f}× the naive way"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"max resident memory of the process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
