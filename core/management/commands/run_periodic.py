"""Run a periodic job by hand: ``manage.py run_periodic <job> [--org <slug>]``.

The same idempotent path as beat (core.periodic.run_job), in the foreground:
emails are delivered in this process (no worker needed), the time-of-day gate is
ignored, and the once-per-person-and-period rule still holds.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from config.celery import app
from core import periodic


class Command(BaseCommand):
    help = "Run a periodic job now for one organisation or all of them."

    def add_arguments(self, parser):
        parser.add_argument("job", choices=sorted(periodic.REGISTRY))
        parser.add_argument("--org", metavar="SLUG", help="only this organisation (its slug)")

    def handle(self, *args, job: str, org: str | None, **options):
        from orgs.models import Organization

        orgs = Organization.objects.order_by("pk")
        if org is not None:
            orgs = orgs.filter(slug=org)
            if not orgs.exists():
                raise CommandError(f"No organisation with the slug {org!r}")
        # Foreground: whatever the job enqueues (emails) runs here, now.
        eager = app.conf.task_always_eager
        app.conf.task_always_eager = True
        failed = 0
        try:
            for org_id in orgs.values_list("pk", flat=True):
                outcome = periodic.run_job(job, org_id, trigger="manual")
                failed += outcome.status == "failed"
                self.stdout.write(outcome.line())
        finally:
            app.conf.task_always_eager = eager
        if failed:
            raise CommandError(f"{job} failed for {failed} organisation(s)")
