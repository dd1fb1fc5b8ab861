"""The goal page at desktop width: key results show all their actions, the progress bar
marks where the goal should be by now, and older activity loads in place."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from core.tenancy import tenant_context
from goals.models import GoalEvent
from goals.views.goal import ACTIVITY_PAGE
from tests.browser.conftest import log_in, sideways
from tests.browser.test_phones import _world

pytestmark = pytest.mark.browser


def _open(page: Page, audit, goal) -> None:
    page.goto(f"/o/acme/goals/{goal.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(goal.title)
    audit.check(page)


def test_the_key_results_show_check_in_and_edit_without_scrolling(
    transactional_db, cast, page, audit
):
    world = _world(cast)
    log_in(page, audit, cast.member)
    _open(page, audit, world.goal)
    table = page.get_by_role("table", name="Key results of this goal")
    box = table.locator("xpath=..").bounding_box()
    with tenant_context(cast.org.pk):  # row-level security on PostgreSQL
        kr = world.goal.key_results.get()
    for name in (f"Check in on {kr.title}", f"Edit {kr.title}"):
        link = table.get_by_role("link", name=name)
        expect(link).to_be_visible()
        edge = link.bounding_box()
        assert edge["x"] + edge["width"] <= box["x"] + box["width"], f"{name} is cut off"
    assert sideways(page) == []


def test_the_progress_bar_marks_where_the_goal_should_be_by_now(
    transactional_db, cast, page, audit
):
    world = _world(cast)  # the cycle is half over: expected 50%
    log_in(page, audit, cast.member)
    _open(page, audit, world.goal)
    progress = page.locator(".goal-progress-line .goal-progress")
    bar = progress.get_by_role("progressbar").bounding_box()
    mark = progress.locator(".expected-mark").bounding_box()
    middle = mark["x"] + mark["width"] / 2
    assert abs(middle - (bar["x"] + bar["width"] * 0.5)) <= 2
    assert mark["height"] > bar["height"]  # it stands out above and below the bar
    expect(progress).to_contain_text("expected by now: 50%.")
    expect(progress.locator(".visually-hidden")).to_have_text(", expected by now: 50%.")


def test_older_activity_loads_in_place_and_takes_the_focus(transactional_db, cast, page, audit):
    world = _world(cast)
    with tenant_context(cast.org.pk):
        GoalEvent.objects.bulk_create(
            GoalEvent(
                org=cast.org,
                goal=world.goal,
                actor=cast.member,
                kind="edited",
                before={"weight": str(i)},
                after={"weight": str(i + 1)},
            )
            for i in range(ACTIVITY_PAGE + 3)
        )
        total = GoalEvent.objects.filter(goal=world.goal).count()
    log_in(page, audit, cast.member)
    _open(page, audit, world.goal)
    activity = page.get_by_role("region", name="Activity")
    items = activity.locator("ol.timeline > li:not(.timeline-more)")
    expect(items).to_have_count(ACTIVITY_PAGE)
    page.evaluate("window.cairnSamePage = true")

    more = activity.get_by_role("link", name="Show older activity")
    expect(more).to_have_attribute("href", f"?activity={ACTIVITY_PAGE}#activity")
    more.click()
    expect(items).to_have_count(total)
    expect(items.nth(ACTIVITY_PAGE)).to_be_focused()
    expect(more).to_have_count(0)
    assert page.evaluate("window.cairnSamePage") is True, "the page reloaded"
    audit.check(page)


# --- Errors take the focus ---------------------------------------------------------------


def test_a_form_that_comes_back_with_errors_focuses_its_summary(
    transactional_db, cast, page, audit
):
    log_in(page, audit, cast.admin)
    page.goto(f"/o/acme/units/{cast.engineering.pk}/edit/")
    audit.check(page)
    page.get_by_label("Name").fill("")
    page.get_by_role("button", name="Save").click()
    summary = page.locator("main .form-errors")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Nothing was saved")
    summary.get_by_role("link", name="Name").click()
    expect(page.get_by_label("Name")).to_be_focused()
    audit.check(page)


def test_the_goal_form_focuses_its_summary_after_a_mistake(transactional_db, cast, page, audit):
    _world(cast)
    log_in(page, audit, cast.member)
    page.goto("/o/acme/goals/new/")
    audit.check(page)
    page.get_by_role("button", name="Save draft").click()
    summary = page.locator("main .form-errors")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Nothing was saved")
    audit.check(page)


def test_the_goal_form_gives_the_title_the_full_width(transactional_db, cast, page, audit):
    _world(cast)
    log_in(page, audit, cast.member)
    page.goto("/o/acme/goals/new/")
    audit.check(page)
    title = page.get_by_label("Title (required)").bounding_box()
    description = page.get_by_label("Description").bounding_box()
    weight = page.get_by_label("Weight (required)").bounding_box()
    assert abs(title["width"] - description["width"]) <= 1
    assert title["width"] > 1.8 * weight["width"]
    # A member writes individual goals only: no one-option choice to make.
    expect(page.get_by_role("group", name="Level")).to_have_count(0)
    expect(page.get_by_label("Manual progress (%)")).to_have_count(0)
