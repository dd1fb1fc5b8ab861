"""Phones: on every page an admin, a manager and a member visit at 390 px, nothing
scrolls sideways, and tables become stacked rows that show every value."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from conftest import PASSWORD
from core import periodic
from core.models import JobRun
from core.tenancy import tenant_context
from goals import services
from goals.access import Actor
from goals.models import Cycle, Goal, GoalStatus, Level
from kpis import services as kpi_services
from kpis.models import Kpi
from orgs.models import Unit
from orgs.services import api_token_create, invitation_create
from tests.browser.conftest import log_in, sideways
from tests.factories import UnitFactory

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LONG_UNIT = "Developer Experience and Internal Tooling"
CSV_PLAN = (
    "email,full_name,unit,manager_email,role\n"
    "new.person@example.test,Nadia Newcomer-Longname,"
    f"Acme/Engineering/Platform/{LONG_UNIT},manager@acme.test,member\n"
)
CSV_ERRORS = "email,role\nnot-an-email,wizard\n"


@dataclass
class World:
    cycle: Cycle
    objective: Goal
    unit_goal: Goal
    goal: Goal
    submitted: Goal
    tooling: Unit
    kpi: Kpi


def _kr(title: str, current: int) -> dict:
    return {
        "title": title,
        "start_value": Decimal(0),
        "target_value": Decimal(250),
        "current_value": Decimal(current),
    }


def _world(cast) -> World:
    """A cycle with an objective, a unit goal, a member's goal (due after the unit goal,
    for the alignment report), a goal waiting for approval, an open invitation and a
    token, in a unit with a long name."""
    with tenant_context(cast.org.pk):
        today = timezone.localdate()
        admin, manager, member = Actor(cast.admin), Actor(cast.manager), Actor(cast.member)
        tooling = UnitFactory(org=cast.org, name=LONG_UNIT, parent=cast.platform)
        cycle = services.cycle_save(
            actor=admin,
            name="Third quarter of the financial year",
            start=today - timedelta(days=45),
            end=today + timedelta(days=45),
            status=Cycle.Status.ACTIVE,
        )
        objective = services.goal_create(
            actor=admin,
            cycle=cycle,
            level=Level.ORGANISATION,
            title="Double the number of weekly active teams across every region",
            status=GoalStatus.APPROVED,
            key_results=[_kr("Weekly active teams in the European region", 100)],
        )
        unit_goal = services.goal_create(
            actor=admin,
            cycle=cycle,
            level=Level.UNIT,
            owner=cast.manager,
            unit=cast.engineering,
            parent=objective,
            title="Ship to production every week without a rollback",
            status=GoalStatus.APPROVED,
            key_results=[_kr("Weekly deploys to production", 120)],
        )
        goal = services.goal_create(
            actor=manager,
            cycle=cycle,
            owner=cast.member,
            parent=unit_goal,
            title="Make the integration test suite trustworthy again",
            status=GoalStatus.APPROVED,
            key_results=[_kr("Flaky integration tests fixed and kept green", 40)],
        )
        Goal.objects.filter(pk=unit_goal.pk).update(due_date=today + timedelta(days=10))
        # Off track and stale: the widest progress line a goal card shows.
        Goal.objects.filter(pk=goal.pk).update(updated_at=timezone.now() - timedelta(days=30))
        submitted = services.goal_create(
            actor=member,
            cycle=cycle,
            parent=unit_goal,
            title="Write the deploy runbook for the on-call rotation",
            key_results=[_kr("Runbook pages reviewed by two on-call engineers", 0)],
        )
        services.goal_submit(actor=member, goal=submitted)
        invitation_create(
            org=cast.org,
            invited_by=cast.admin,
            email="someone.with.a.rather.long.address@example-company.test",
            unit=tooling,
        )
        for person in (cast.admin, cast.manager, cast.member):
            api_token_create(membership=person, name="Nightly KPI import from the warehouse")
        kpi = _kpi(cast, member, goal)
        # A failed run with a long error, for the job health page.
        JobRun.objects.create(
            org=cast.org,
            job="cycle_reminders",
            period="2026-12-06",
            outcome=JobRun.Outcome.FAILED,
            finished_at=timezone.now(),
            error="OperationalError: " + "could not connect to the server " * 8,
        )
    # The review digests (the stale goal, the goal waiting for approval) in the inboxes.
    periodic.run_job("reminders", cast.org.pk, trigger="manual")
    return World(cycle, objective, unit_goal, goal, submitted, tooling, kpi)


def _kpi(cast, member: Actor, goal: Goal) -> Kpi:
    """The member's KPI with a long name, a corrected value, a forecast and a goal."""
    kpi = kpi_services.create_kpi(
        actor=member,
        name="Median time from a customer's first support ticket to its resolution",
        unit_label="hours",
        direction="lower",
        target=Decimal(4),
        amber_threshold=Decimal(6),
        red_threshold=Decimal(8),
        cadence="daily",
        goals=[goal],
    )
    now = timezone.now()
    rows = [
        kpi_services.Row(Decimal(9 - i / 4), now - timedelta(days=10 - i), "") for i in range(10)
    ]
    first = kpi_services.record_measurements(actor=member, kpi=kpi, rows=rows)[0]
    kpi_services.correct_measurement(
        actor=member, measurement=first, value="8.75", note="Counted a weekend ticket twice"
    )
    return kpi


def _paths(cast, world: World) -> dict[str, list[str]]:
    o = "/o/acme"
    with tenant_context(cast.org.pk):  # row-level security on PostgreSQL
        kr = world.goal.key_results.get()
    everyone = [
        f"{o}/",
        f"{o}/goals/mine/",
        f"{o}/goals/tree/",
        f"{o}/goals/alignment/",
        f"{o}/goals/{world.objective.pk}/",
        f"{o}/goals/{world.unit_goal.pk}/",
        f"{o}/goals/{world.goal.pk}/",
        f"{o}/goals/new/",
        f"{o}/people/",
        f"{o}/units/",
        f"{o}/cycles/",
        f"{o}/profile/",
        f"{o}/settings/tokens/",
        f"{o}/goals/key-results/{kr.pk}/history/",
        f"{o}/goals/{world.goal.pk}/comments/",  # the goal's conversation (feedback threads)
        f"{o}/notifications/",
        f"{o}/notifications/settings/",
        f"{o}/kpis/",
        f"{o}/kpis/{world.kpi.pk}/",
        f"{o}/kpis/new/",
        f"{o}/feedback/",
        f"{o}/feedback/give/",
        f"{o}/feedback/request/",
        f"{o}/colleagues/{cast.member.pk}/",
        f"{o}/recognition/",
        f"{o}/recognition/new/",
    ]
    kpi_owner = [f"{o}/kpis/{world.kpi.pk}/edit/", f"{o}/kpis/{world.kpi.pk}/upload/"]
    return {
        "admin": everyone
        + [
            f"{o}/goals/team/",
            f"{o}/goals/approvals/",
            f"{o}/goals/{world.objective.pk}/edit/",
            f"{o}/goals/{world.objective.pk}/key-results/new/",
            f"{o}/goals/{world.objective.pk}/cascade/",
            f"{o}/people/invite/",
            f"{o}/people/import/",
            f"{o}/people/{cast.member.pk}/",
            f"{o}/units/{world.tooling.pk}/edit/",
            f"{o}/units/{world.tooling.pk}/rename/",
            f"{o}/units/{world.tooling.pk}/delete/",
            f"{o}/cycles/{world.cycle.pk}/edit/",
            f"{o}/settings/",
            f"{o}/settings/jobs/",
            f"{o}/settings/values/",
            *kpi_owner,
        ],
        "manager": everyone
        + [
            f"{o}/goals/team/",
            f"{o}/goals/approvals/",
            f"{o}/goals/{world.submitted.pk}/",
            f"{o}/goals/{world.unit_goal.pk}/cascade/",
            f"{o}/goals/{world.unit_goal.pk}/edit/",
        ],
        "member": everyone
        + [
            f"{o}/goals/{world.submitted.pk}/",
            f"{o}/goals/key-results/{kr.pk}/check-in/",
            *kpi_owner,
        ],
    }


def _expect_fits(page: Page, audit) -> None:
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert sideways(page) == [], f"sideways on {page.url}"
    audit.check(page)


def _import_preview(page: Page, audit, csv: str) -> None:
    page.goto("/o/acme/people/import/")
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "people.csv", "mimeType": "text/csv", "buffer": csv.encode()}]
    )
    page.get_by_role("button", name="Preview the import").click()
    expect(page.get_by_role("heading", level=2, name="Upload another file")).to_be_visible()
    _expect_fits(page, audit)


@pytest.mark.parametrize("role", ["admin", "manager", "member"])
def test_nothing_scrolls_sideways_on_a_phone(transactional_db, cast, new_page, role):
    world = _world(cast)
    page, audit = new_page()
    page.set_viewport_size(PHONE)
    log_in(page, audit, getattr(cast, role))
    assert sideways(page) == []
    for path in _paths(cast, world)[role]:
        page.goto(path)
        _expect_fits(page, audit)
    if role == "admin":
        _import_preview(page, audit, CSV_PLAN)
        _import_preview(page, audit, CSV_ERRORS)


@pytest.mark.parametrize("width", [768, 1280])
def test_nothing_scrolls_sideways_on_a_tablet_or_a_desktop(transactional_db, cast, new_page, width):
    """Tables stack by their box's width (a container query): wide enough boxes keep
    their columns, and those must fit too."""
    world = _world(cast)
    page, audit = new_page()
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, audit, cast.admin)
    for path in _paths(cast, world)["admin"]:
        page.goto(path)
        _expect_fits(page, audit)
    _import_preview(page, audit, CSV_PLAN)


def test_a_table_on_a_phone_shows_every_value_with_its_label(transactional_db, cast, page, audit):
    world = _world(cast)
    page.set_viewport_size(PHONE)
    log_in(page, audit, cast.admin)
    page.goto(f"/o/acme/goals/{world.objective.pk}/")
    why = page.get_by_role("table", name="What makes up the progress of this goal")
    row = why.locator("tbody tr").first
    for label in ("Kind", "Weight", "Progress", "Weighted share"):
        cell = row.locator(f'td[data-label="{label}"]')
        expect(cell).to_be_visible()
        box, table = cell.bounding_box(), why.bounding_box()
        assert box["x"] + box["width"] <= table["x"] + table["width"] + 1, label
        before = cell.evaluate("cell => getComputedStyle(cell, '::before').content")
        assert label in before
    # The row's heading comes first, above its values.
    heading = row.get_by_role("rowheader").bounding_box()
    assert heading["y"] < row.locator('td[data-label="Kind"]').bounding_box()["y"]
    audit.check(page)


# --- 2. The menu button ------------------------------------------------------------------


def _menu(page: Page):
    return page.locator("header .navmenu > summary")


def test_on_a_phone_the_navigation_hides_behind_a_menu_button(transactional_db, cast, page, audit):
    page.set_viewport_size(PHONE)
    log_in(page, audit, cast.member)
    nav = page.get_by_role("navigation", name="Main")
    header = page.locator("header.topbar").bounding_box()
    brand = page.locator("header .brand").bounding_box()
    menu = _menu(page)
    expect(menu).to_have_text("Menu")
    # One row: the brand and the menu button side by side, the links out of sight.
    assert header["height"] < 64
    assert (
        abs(menu.bounding_box()["y"] + menu.bounding_box()["height"] / 2 - header["height"] / 2) < 4
    )
    assert brand["y"] < header["height"] / 2 < brand["y"] + brand["height"]
    expect(nav.get_by_role("link", name="My goals")).to_be_hidden()
    expect(page.get_by_role("button", name="Log out")).to_be_hidden()

    menu.click()
    for name in ("My goals", "Goals", "KPIs", "Feedback", "People", "Units", "Settings"):
        expect(nav.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    assert sideways(page) == []
    audit.check(page)
    page.keyboard.press("Escape")  # the summary has focus after the click
    expect(nav.get_by_role("link", name="My goals")).to_be_hidden()

    menu.focus()
    page.keyboard.press("Enter")
    nav.get_by_role("link", name="People").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("People")
    expect(nav.get_by_role("link", name="People")).to_be_hidden()
    audit.check(page)


def test_on_a_wide_screen_the_navigation_shows_without_a_menu_button(
    transactional_db, cast, page, audit
):
    log_in(page, audit, cast.member)
    expect(_menu(page)).to_be_hidden()
    nav = page.get_by_role("navigation", name="Main")
    links = nav.get_by_role("link")
    expect(links).to_have_text(
        ["My goals", "Goals", "KPIs", "Feedback", "Recognition", "People", "Units", "Settings"]
    )
    tops = {round(box["y"]) for box in (link.bounding_box() for link in links.all())}
    assert len(tops) == 1, "the navigation wraps"
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_the_menu_button_works_without_javascript(transactional_db, cast, browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, java_script_enabled=False
    )
    try:
        page = context.new_page()
        page.goto("/accounts/login/")
        page.get_by_label("Email").fill(cast.member.user.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Acme")
        nav = page.get_by_role("navigation", name="Main")
        expect(nav.get_by_role("link", name="Units")).to_be_hidden()
        _menu(page).click()
        nav.get_by_role("link", name="Units").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Units")
    finally:
        context.close()
