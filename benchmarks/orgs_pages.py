"""Query counts and server times of the units and people pages for a large organisation.

Grows the demo's Acme to ``--people`` people (``seed_demo --people``, about one unit
per ten people), then requests each page ``--requests`` times in-process through
Django's test client (as Acme's admin, and its member for the units page without
the admin's form) and prints, per page, the SQL queries of one
request, the median and 90th-percentile time and the response size.

Run it against PostgreSQL (the production database, with row-level security); see
benchmarks/README.md. It uses whatever DATABASE_URL is set.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from core.tenancy import tenant_context  # noqa: E402
from orgs.models import Membership, Organization, Unit, User  # noqa: E402


def pages(org: Organization) -> list[tuple[str, str, str]]:
    """(label, URL, who asks) for each page; the unit filter takes the Engineering division."""
    with tenant_context(org.pk):
        engineering = Unit.objects.get(org=org, name="Engineering")
    people = f"/o/{org.slug}/people/"
    admin, member = f"admin@{org.slug}.test", f"member@{org.slug}.test"
    return [
        ("org home", f"/o/{org.slug}/", admin),
        ("units (admin: with the new-unit form)", f"/o/{org.slug}/units/", admin),
        ("units (member: no form)", f"/o/{org.slug}/units/", member),
        ("people, first page", people, admin),
        ("people, page 50", f"{people}?page=50", admin),
        ("people, search 'garcia'", f"{people}?q=garcia", admin),
        ("people, unit filter (Engineering)", f"{people}?unit={engineering.pk}", admin),
        ("people, search + unit filter", f"{people}?q=engineer&unit={engineering.pk}", admin),
    ]


def measure(client: Client, url: str, requests: int) -> dict:
    for _ in range(2):  # warm up: template loading, connection, caches
        assert client.get(url).status_code == 200, url
    reset_queries()  # else the log of earlier requests (DEBUG) hides this one's queries
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    return {
        "queries": len(queries.captured_queries),
        "sql_ms": sum(float(q["time"]) for q in queries.captured_queries) * 1000,
        "median": statistics.median(times),
        "p90": statistics.quantiles(times, n=10)[-1] if len(times) > 1 else times[0],
        "kb": len(response.content) / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--no-seed", action="store_true", help="measure the data as it is")
    args = parser.parse_args()

    if not args.no_seed:
        call_command("seed_demo", people=args.people)
    org = Organization.objects.get(slug="acme")
    with tenant_context(org.pk):
        people = Membership.objects.filter(org=org, is_active=True).count()
        units = Unit.objects.filter(org=org).count()
    database = connection.settings_dict
    print(
        f"\n{connection.vendor} {database['NAME']} as {database['USER'] or '-'}: "
        f"{org.name} with {people} people and {units} units, {args.requests} requests a page\n"
    )
    clients: dict[str, Client] = {}
    print("| page | queries | SQL time (ms) | median (ms) | p90 (ms) | size (KB) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for label, url, email in pages(org):
        if email not in clients:
            clients[email] = Client(HTTP_HOST="localhost")
            clients[email].force_login(
                User.objects.get(email=email), backend="django.contrib.auth.backends.ModelBackend"
            )
        r = measure(clients[email], url, args.requests)
        print(
            f"| {label} | {r['queries']} | {r['sql_ms']:.1f} | {r['median']:.1f} "
            f"| {r['p90']:.1f} | {r['kb']:.0f} |"
        )


if __name__ == "__main__":
    main()
