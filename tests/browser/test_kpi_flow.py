"""KPIs end to end in Chromium, with a real Celery worker.

An admin creates a KPI, enters three values and sees the chart with its forecast;
a key result set to follow the KPI moves once the roll-up job, started with "Run
now" on the job health page, has run on the worker; the page shows the run; and a
member whose KPI is due sees the review reminder in their inbox.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from core import periodic
from core.tenancy import tenant_context
from goals.models import GoalStatus, KeyResult
from kpis.models import Kpi
from tests.browser.conftest import log_in
from tests.factories import GoalFactory
from tests.test_celery_worker import worker  # noqa: F401 (the fixture)

pytestmark = pytest.mark.browser


def local_input(moment) -> str:
    """A datetime-local value in the organisation's timezone (UTC in the cast)."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.mark.postgres  # the worker and the live server share the database
def test_a_kpi_drives_a_key_result_through_the_roll_up_on_a_worker(
    transactional_db,
    cast,
    new_page,
    worker,  # noqa: F811
):
    goal = GoalFactory(
        owner=cast.admin, status=GoalStatus.APPROVED, title="Grow trials", key_results=1
    )
    with tenant_context(cast.org.pk):
        kr = KeyResult.objects.get(goal=goal)
        KeyResult.objects.filter(pk=kr.pk).update(
            title="Trial signups a day", start_value=D(0), target_value=D(100), current_value=D(0)
        )

    page, audit = new_page()
    log_in(page, audit, cast.admin)

    # Create the KPI.
    page.goto("/o/acme/kpis/")
    audit.check(page)
    page.get_by_role("link", name="New KPI").click()
    audit.check(page)
    page.get_by_label(re.compile(r"^Name")).fill("Trial signups")
    page.get_by_label(re.compile(r"^Target")).fill("100")
    page.get_by_label(re.compile(r"^Amber threshold")).fill("80")
    page.get_by_label(re.compile(r"^Red threshold")).fill("50")
    page.get_by_label(re.compile(r"^Cadence")).select_option("daily")
    page.get_by_label(re.compile(r"^Aggregation")).select_option("sum")
    page.get_by_role("button", name="Create KPI").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Trial signups")
    audit.check(page)
    with tenant_context(cast.org.pk):
        kpi = Kpi.objects.get(org=cast.org, name="Trial signups")

    # Enter three values on three days; the chart and the forecast appear.
    now = timezone.now()
    for days_ago, value in ((2, "20"), (1, "30"), (0, "40")):
        entry = page.locator("form.kpi-entry")
        entry.get_by_label(re.compile(r"^Value")).fill(value)
        entry.get_by_label(re.compile(r"^Measured at")).fill(
            local_input(now - timedelta(days=days_ago))
        )
        entry.get_by_role("button", name="Save value").click()
        expect(page.locator("#measurements")).to_contain_text(value)
    chart = page.locator("#kpi-chart")  # the wide drawing (phones get #kpi-chart-narrow)
    expect(chart).to_be_visible()
    expect(page.locator("#kpi-history")).to_contain_text("On course to")
    audit.check(page)

    # The key result follows the KPI.
    page.goto(f"/o/acme/goals/key-results/{kr.pk}/edit/")
    audit.check(page)
    page.get_by_label("Follows KPI").select_option(str(kpi.pk))
    page.get_by_role("button", name="Save key result").click()
    expect(page.locator("#key-results")).to_contain_text("Follows KPI")
    audit.check(page)

    # Run the roll-up now; the worker runs it and the page shows the run.
    page.goto("/o/acme/settings/jobs/")
    audit.check(page)
    page.get_by_role("button", name=re.compile(r"^Run now")).click()
    expect(page.get_by_text(re.compile("Queued"))).to_be_visible()
    audit.check(page)
    rollup = page.locator("section", has=page.locator("#job-kpi_rollup"))
    for _ in range(60):
        if rollup.get_by_text("Succeeded").count():
            break
        page.wait_for_timeout(500)
        page.reload()
    expect(rollup.get_by_text("Succeeded")).to_be_visible()
    expect(rollup).to_contain_text("Run now")
    audit.check(page)

    # The key result moved to the KPI's value for today (a sum of one value: 40).
    page.goto(f"/o/acme/goals/{goal.pk}/")
    key_results = page.locator("#key-results")
    expect(key_results).to_contain_text("40")
    expect(key_results).to_contain_text("Trial signups")
    audit.check(page)
    with tenant_context(cast.org.pk):
        kr.refresh_from_db()
    assert kr.current_value == D(40)


def test_a_member_sees_the_review_reminder_in_the_inbox(transactional_db, cast, new_page):
    with tenant_context(cast.org.pk):
        Kpi.objects.create(
            org=cast.org,
            owner=cast.member,
            name="Flaky test rate",
            direction="lower",
            target=D(1),
            amber_threshold=D(2),
            red_threshold=D(5),
            cadence="weekly",
        )
    outcome = periodic.run_job("reminders", cast.org.pk, trigger="manual")
    assert outcome.status == "ran" and outcome.counts["digests_sent"] >= 1

    page, audit = new_page()
    log_in(page, audit, cast.member)
    page.locator("#bell").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    entry = page.locator(".notification.unread").first
    expect(entry).to_contain_text("Measurements due")
    expect(entry.get_by_role("link", name=re.compile("Flaky test rate"))).to_be_visible()
    audit.check(page)
    entry.get_by_role("link", name=re.compile("Flaky test rate")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Flaky test rate")
    audit.check(page)
