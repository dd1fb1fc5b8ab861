"""Goals in a real browser: a check-in moves the goals above it, a cascade goes through
approval, and the cascade tree opens, closes, filters and works by keyboard."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from core.tenancy import tenant_context
from goals import services
from goals.access import Actor
from goals.models import CheckIn, Cycle, Goal, GoalStatus, Level
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

OBJECTIVE = "Double weekly active teams"
OBJECTIVE_KR = "Weekly active teams"


def _cycle(cast) -> Cycle:
    today = timezone.localdate()
    return services.cycle_save(
        actor=Actor(cast.admin),
        name="This quarter",
        start=today - timedelta(days=45),
        end=today + timedelta(days=45),
        status=Cycle.Status.ACTIVE,
    )


def _objective(cast, cycle: Cycle, *, title: str = OBJECTIVE, current: int = 100) -> Goal:
    """An approved organisation objective owned by the admin: one key result, 100 -> 200."""
    return services.goal_create(
        actor=Actor(cast.admin),
        cycle=cycle,
        level=Level.ORGANISATION,
        title=title,
        status=GoalStatus.APPROVED,
        key_results=[
            {
                "title": OBJECTIVE_KR if title == OBJECTIVE else f"{title}: done",
                "start_value": Decimal(100),
                "target_value": Decimal(200),
                "current_value": Decimal(current),
            }
        ],
    )


def _unit_goal(cast, parent: Goal, title: str, kr: dict | None = None) -> Goal:
    """Engineering's goal, owned by its lead (the manager), approved by the admin."""
    return services.goal_create(
        actor=Actor(cast.admin),
        cycle=parent.cycle,
        level=Level.UNIT,
        owner=cast.manager,
        unit=cast.engineering,
        parent=parent,
        title=title,
        status=GoalStatus.APPROVED,
        key_results=[kr] if kr else None,
    )


def _individual_goal(
    cast, parent: Goal, title: str, *, owner, status=GoalStatus.APPROVED, kr: dict | None = None
) -> Goal:
    """A report's goal, set up and (by default) approved by their manager."""
    return services.goal_create(
        actor=Actor(cast.manager),
        cycle=parent.cycle,
        level=Level.INDIVIDUAL,
        owner=owner,
        parent=parent,
        title=title,
        status=status,
        key_results=[kr] if kr else None,
    )


def _progress(page: Page, title: str) -> Locator:
    """A goal's progress bar with its percent, found by the bar's accessible name."""
    bar = page.get_by_role("progressbar", name=f"Progress of {title}", exact=True)
    return page.locator(".goal-progress").filter(has=bar)


def _expect_percent(page: Page, title: str, percent: int) -> None:
    progress = _progress(page, title)
    expect(progress.locator(".percent")).to_have_text(f"{percent}%")
    expect(progress.get_by_role("progressbar")).to_have_attribute("value", str(percent))


# --- 1. A check-in moves the goal and everything it serves -------------------------------


def test_a_check_in_moves_the_goal_and_its_ancestors_without_a_reload(
    transactional_db, cast, page, audit
):
    with tenant_context(cast.org.pk):
        cycle = _cycle(cast)
        # Objective: its key result at 20% (120 of 100 -> 200), and the unit goal.
        objective = _objective(cast, cycle, current=120)
        # Unit goal: its key result at 40% (4 of 0 -> 10), and the member's goal.
        unit_goal = _unit_goal(
            cast,
            objective,
            "Ship to production every week",
            kr={
                "title": "Weekly deploys",
                "start_value": Decimal(0),
                "target_value": Decimal(10),
                "current_value": Decimal(4),
            },
        )
        # The member's goal: one key result, nothing done yet.
        goal = _individual_goal(
            cast,
            unit_goal,
            "Make the test suite trustworthy",
            owner=cast.member,
            kr={
                "title": "Flaky tests fixed",
                "start_value": Decimal(0),
                "target_value": Decimal(10),
            },
        )
        kr = goal.key_results.get()
    # Before: goal 0%; unit goal (40% + 0%) / 2 = 20%; objective (20% + 20%) / 2 = 20%.
    # After 8 of 10: goal 80%; unit goal (40% + 80%) / 2 = 60%; objective (20% + 60%) / 2 = 40%.
    before = {goal.title: 0, unit_goal.title: 20, objective.title: 20}
    after = {goal.title: 80, unit_goal.title: 60, objective.title: 40}

    log_in(page, audit, cast.member)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My goals").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My goals")
    card = page.get_by_role("article", name=goal.title)
    # The path up to the objective is on the page: the group's heading and the card's trail.
    expect(page.get_by_role("heading", level=3, name=objective.title)).to_be_visible()
    trail = card.get_by_role("navigation", name=f"How {goal.title} contributes")
    expect(trail.get_by_role("link", name=unit_goal.title)).to_be_visible()
    for title, percent in before.items():
        _expect_percent(page, title, percent)
    audit.check(page)
    page.evaluate("window.cairnSamePage = true")

    card.get_by_role("link", name="Check in on Flaky tests fixed").click()
    form = card.get_by_role("form", name="Check in on Flaky tests fixed")
    expect(form.get_by_label("New value")).to_be_focused()
    audit.check(page)
    form.get_by_label("New value").fill("8")
    form.get_by_label("High").check()
    form.get_by_label("Note (optional)").fill("Quarantined the last two.")
    form.get_by_role("button", name="Save check-in").click()

    row = card.locator(f"#kr-{kr.pk}")
    expect(row.locator(".kr-saved")).to_have_text("Saved. Progress is now 80%.")
    # Said through the page's one live region, there from the start.
    expect(page.locator("#announcer")).to_have_text(
        "Saved. Progress of Flaky tests fixed is now 80%."
    )
    expect(page.locator("#announcer")).to_have_attribute("aria-live", "polite")
    expect(row.get_by_role("status")).to_have_count(0)
    expect(row).to_contain_text("Now 8; target 10, from 0")
    expect(row.locator(".kr-last")).to_contain_text("by you, confidence high")
    expect(row.locator(".kr-last")).to_contain_text("Quarantined the last two.")
    expect(form).to_have_count(0)
    for title, percent in after.items():
        _expect_percent(page, title, percent)
    assert page.evaluate("window.cairnSamePage") is True, "the page reloaded"
    audit.check(page)

    with tenant_context(cast.org.pk):
        checkin = CheckIn.objects.get(key_result=kr)
        assert (checkin.value, checkin.confidence, checkin.author_id) == (8, "high", cast.member.pk)
        stored = {g.title: g.percent for g in Goal.objects.filter(org=cast.org)}
    assert stored == after


# --- 2. Cascade, submit, approve or send back, revise, approve ------------------------------

CHANGES_WANTED = "Say how Platform moves the number: give it a measure."
REVISED = "Double weekly active teams on Platform"
PART = "Bring more teams to weekly use"  # the cascaded goals' own title


def _goal_page(page: Page, audit, goal: Goal) -> None:
    page.goto(f"/o/acme/goals/{goal.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(goal.title)
    audit.check(page)


def _approval_item(page: Page, owner_name: str) -> Locator:
    return page.locator("article.approval-item").filter(has_text=owner_name)


def _submit_draft(new_page, member, goal: Goal) -> None:
    """The owner opens their draft from "My goals" and submits it."""
    page, audit = new_page()
    log_in(page, audit, member)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My goals").click()
    card = page.locator(f"#goal-{goal.pk}")
    expect(card.get_by_text("Draft", exact=True)).to_be_visible()
    audit.check(page)
    card.get_by_role("link", name=goal.title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(goal.title)
    audit.check(page)
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.get_by_role("status")).to_contain_text("Submitted for approval.")
    expect(page.locator(".goal-badges")).to_contain_text("Submitted")
    audit.check(page)


def test_a_cascaded_objective_goes_through_approval_with_one_revision(
    transactional_db, cast, new_page
):
    with tenant_context(cast.org.pk):
        objective = _objective(cast, _cycle(cast))
    bob, carol = cast.member.display_name, cast.member2.display_name

    # The manager cascades the objective to both reports.
    manager, manager_audit = new_page()
    log_in(manager, manager_audit, cast.manager)
    _goal_page(manager, manager_audit, objective)
    manager.get_by_role("link", name="Cascade").click()
    expect(manager.get_by_role("heading", level=1)).to_have_text(f"Cascade “{OBJECTIVE}”")
    manager_audit.check(manager)
    manager.get_by_label(re.compile(r"^Title of the contributing goals")).fill(PART)
    people = manager.get_by_role("group", name="People in your team")
    people.get_by_label(bob).check()
    people.get_by_label(carol).check()
    manager.get_by_role("button", name="Create linked goals").click()
    expect(manager.get_by_role("status")).to_contain_text(
        f"Created 2 linked goals: {bob} (draft), {carol} (draft)."
    )
    contributing = manager.get_by_role("table", name="Goals that contribute to this one")
    expect(contributing.get_by_role("row").filter(has_text="Draft")).to_have_count(2)
    manager_audit.check(manager)
    with tenant_context(cast.org.pk):
        drafts = {g.owner_id: g for g in Goal.objects.filter(org=cast.org, parent=objective)}
    bobs, carols = drafts[cast.member.pk], drafts[cast.member2.pk]
    assert (bobs.status, carols.status) == (GoalStatus.DRAFT, GoalStatus.DRAFT)

    # Each report submits their draft.
    _submit_draft(new_page, cast.member, bobs)
    _submit_draft(new_page, cast.member2, carols)

    # The manager approves Bob's and sends Carol's back with a comment, inline.
    manager.get_by_role("navigation", name="Main").get_by_role("link", name="Approvals").click()
    expect(manager.get_by_role("heading", level=1)).to_have_text("Approvals")
    expect(manager.locator("#queue-count")).to_have_text("2 goals are waiting for you.")
    manager_audit.check(manager)
    manager.evaluate("window.cairnSamePage = true")

    _approval_item(manager, bob).get_by_role("button", name=f"Approve “{PART}”").click()
    expect(manager.locator(f"#approval-{bobs.pk}")).to_have_text(
        re.compile(rf"Done: Approved “{PART}” \({re.escape(bob)}\)\.")
    )
    expect(manager.locator("#queue-count")).to_have_text("1 goal is waiting for you.")
    manager_audit.check(manager)

    item = _approval_item(manager, carol)
    item.get_by_text("Request changes").click()
    item.get_by_label(f"What should {carol} change?").fill(CHANGES_WANTED)
    manager_audit.check(manager)
    item.get_by_role("button", name="Send back with comment").click()
    expect(manager.locator(f"#approval-{carols.pk}")).to_have_text(
        re.compile(rf"Done: Sent “{PART}” back to {re.escape(carol)} with your comment\.")
    )
    expect(manager.locator("#queue-count")).to_have_text("Nothing is waiting for you.")
    assert manager.evaluate("window.cairnSamePage") is True, "the approvals page reloaded"
    manager_audit.check(manager)
    with tenant_context(cast.org.pk):
        assert Goal.objects.get(pk=bobs.pk).status == GoalStatus.APPROVED
        assert Goal.objects.get(pk=carols.pk).status == GoalStatus.CHANGES_REQUESTED

    # Carol reads the comment, revises her goal and submits it again.
    owner, owner_audit = new_page()
    log_in(owner, owner_audit, cast.member2)
    _goal_page(owner, owner_audit, carols)
    expect(owner.locator(".goal-badges")).to_contain_text("Changes requested")
    activity = owner.get_by_role("region", name="Activity")
    expect(activity.locator("blockquote")).to_have_text(CHANGES_WANTED)
    owner.get_by_role("link", name="Edit", exact=True).click()
    expect(owner.get_by_role("heading", level=1)).to_have_text(f"Edit “{PART}”")
    owner_audit.check(owner)
    owner.get_by_label(re.compile(r"^Title")).fill(REVISED)
    owner.get_by_label(re.compile(r"^Manual progress")).fill("60")
    owner.get_by_role("button", name="Save goal").click()
    expect(owner.get_by_role("heading", level=1)).to_have_text(REVISED)
    expect(owner.get_by_role("status")).to_contain_text("Goal saved.")
    owner_audit.check(owner)
    owner.get_by_role("button", name="Submit for approval").click()
    expect(owner.get_by_role("status")).to_contain_text("Submitted for approval.")
    expect(owner.locator(".goal-badges")).to_contain_text("Submitted")
    owner_audit.check(owner)

    # The manager finds the revised goal in the queue and approves it.
    manager.reload()
    item = _approval_item(manager, carol)
    expect(item.get_by_role("heading", level=2)).to_have_text(REVISED)
    expect(manager.locator("#queue-count")).to_have_text("1 goal is waiting for you.")
    manager_audit.check(manager)
    item.get_by_role("button", name=f"Approve “{REVISED}”").click()
    expect(manager.locator(f"#approval-{carols.pk}")).to_contain_text(
        f"Done: Approved “{REVISED}” ({carol})."
    )
    expect(manager.locator("#queue-count")).to_have_text("Nothing is waiting for you.")
    manager_audit.check(manager)

    # The objective now counts both: its key result (0%), Bob's (0%) and Carol's (60%).
    _goal_page(manager, manager_audit, objective)
    expect(manager.get_by_role("heading", level=2, name="Why 20%")).to_be_visible()
    why = manager.get_by_role("table", name="What makes up the progress of this goal")
    goals = why.get_by_role("row").filter(has=manager.get_by_role("cell", name="Goal", exact=True))
    expect(goals).to_have_count(2)
    expect(goals.get_by_role("link")).to_have_text([PART, REVISED])
    expect(goals.get_by_role("link", name=PART, exact=True)).to_have_attribute(
        "href", f"/o/acme/goals/{bobs.pk}/"
    )
    expect(goals.get_by_role("link", name=REVISED)).to_have_attribute(
        "href", f"/o/acme/goals/{carols.pk}/"
    )
    expect(why.get_by_role("row").filter(has_text=REVISED)).to_contain_text("60%")
    with tenant_context(cast.org.pk):
        assert Goal.objects.get(pk=objective.pk).percent == 20


# --- 3. The cascade tree ----------------------------------------------------------------------

ENTERPRISE = "Win three enterprise customers"
ONE_MATCH = "1 goal matches; the goals it contributes to are shown for context."


@dataclass
class Tree:
    """Two objectives; below the first a unit goal with an active and a draft goal."""

    objective: Goal
    other_objective: Goal
    unit_goal: Goal
    active: Goal
    draft: Goal


def _tree(cast) -> Tree:
    with tenant_context(cast.org.pk):
        cycle = _cycle(cast)
        objective = _objective(cast, cycle)
        unit_goal = _unit_goal(cast, objective, "Ship to production every week")
        return Tree(
            objective=objective,
            other_objective=_objective(cast, cycle, title=ENTERPRISE),
            unit_goal=unit_goal,
            active=_individual_goal(
                cast, unit_goal, "Make the test suite trustworthy", owner=cast.member
            ),
            draft=_individual_goal(
                cast,
                unit_goal,
                "Write the deploy runbook",
                owner=cast.member2,
                status=GoalStatus.DRAFT,
            ),
        )


def _item(page: Page, goal: Goal) -> Locator:
    """A goal's tree item. Not found by its accessible name: an open item owns its group
    (aria-owns), whose label then joins the item's name."""
    return page.locator(f'#node-{goal.pk} > .node-row [role="treeitem"]')


def _row(page: Page, goal: Goal) -> Locator:
    return page.locator(f"#node-{goal.pk} > .node-row")


@contextmanager
def _children_loaded(page: Page, goal: Goal) -> Iterator[None]:
    """Expect the block to fetch a goal's children, and wait until htmx has settled them
    (the new items' own links work only from then on)."""
    path = f"/o/acme/goals/tree/{goal.pk}/children/"
    page.evaluate(
        "delete document.body.dataset.settled;"
        "document.addEventListener('htmx:afterSettle', () => { document.body.dataset.settled = 1 },"
        " {once: true});"
    )
    with page.expect_response(lambda response: response.url.split("?")[0].endswith(path)):
        yield
    expect(page.locator("body")).to_have_attribute("data-settled", "1")


def _tree_page(page: Page, audit) -> None:
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Goals", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Goal tree")
    expect(page.get_by_role("status")).to_have_text("2 goals at the top of This quarter.")
    audit.check(page)


def _shown(page: Page) -> Locator:
    """The tree items a person sees now (closed branches keep theirs hidden)."""
    return page.get_by_role("tree").get_by_role("treeitem")


def test_the_tree_opens_closes_and_opens_everything_below_a_goal(
    transactional_db, cast, page, audit
):
    tree = _tree(cast)
    log_in(page, audit, cast.manager)
    _tree_page(page, audit)
    expect(_shown(page)).to_have_text([OBJECTIVE, ENTERPRISE])
    objective = _item(page, tree.objective)
    expect(objective).to_have_attribute("aria-expanded", "false")
    # Nothing contributes to the other objective: it has nothing to open.
    other = _item(page, tree.other_objective)
    expect(other).not_to_have_attribute("aria-expanded", re.compile(".*"))
    expect(page.locator(f"#group-{tree.objective.pk} li")).to_have_count(0)  # not loaded yet
    page.evaluate("window.cairnSamePage = true")

    # Open: its children load on demand, one level.
    with _children_loaded(page, tree.objective):
        _row(page, tree.objective).locator(".toggle").click()
    expect(objective).to_have_attribute("aria-expanded", "true")
    expect(_shown(page)).to_have_text([OBJECTIVE, tree.unit_goal.title, ENTERPRISE])
    expect(_item(page, tree.unit_goal)).to_have_attribute("aria-expanded", "false")
    expect(_item(page, tree.unit_goal)).to_have_attribute("aria-level", "2")
    expect(_row(page, tree.unit_goal)).to_contain_text(
        "Owner: Mallory Manager (Acme) · Unit: Engineering"
    )
    expect(_row(page, tree.unit_goal)).to_contain_text("2 contributing goals")
    audit.check(page)

    # Close: the branch hides again.
    _row(page, tree.objective).locator(".toggle").click()
    expect(objective).to_have_attribute("aria-expanded", "false")
    expect(_item(page, tree.unit_goal)).to_be_hidden()
    expect(_shown(page)).to_have_text([OBJECTIVE, ENTERPRISE])

    # Open all: every goal below the objective, at every level.
    with _children_loaded(page, tree.objective):
        _row(page, tree.objective).get_by_text("Open all").click()
    expect(_shown(page)).to_have_text(
        [OBJECTIVE, tree.unit_goal.title, tree.active.title, tree.draft.title, ENTERPRISE]
    )
    expect(objective).to_have_attribute("aria-expanded", "true")
    expect(_item(page, tree.unit_goal)).to_have_attribute("aria-expanded", "true")
    expect(_item(page, tree.draft)).to_have_attribute("aria-level", "3")
    expect(_row(page, tree.draft)).to_contain_text("Approval: Draft")
    expect(_row(page, tree.active)).to_contain_text("Approval: Active")
    assert page.evaluate("window.cairnSamePage") is True, "the tree page reloaded"
    audit.check(page)


def test_the_tree_filters_by_status_and_by_title(transactional_db, cast, page, audit):
    tree = _tree(cast)
    log_in(page, audit, cast.manager)
    _tree_page(page, audit)
    summary = page.get_by_role("status")

    # Not active yet: the draft, with the goals it contributes to for context.
    page.get_by_label("Status").select_option(label="Not active yet")
    expect(summary).to_have_text(ONE_MATCH)
    expect(_shown(page)).to_have_text([OBJECTIVE, tree.unit_goal.title, tree.draft.title])
    expect(_row(page, tree.draft).get_by_text("Matches")).to_be_visible()
    expect(_row(page, tree.unit_goal).get_by_text("Matches")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"status=not_active"))
    audit.check(page)

    page.get_by_label("Status").select_option(label="Any status")
    expect(summary).to_have_text("2 goals at the top of This quarter.")
    expect(_shown(page)).to_have_text([OBJECTIVE, ENTERPRISE])
    audit.check(page)

    # Search by title.
    page.get_by_label("Search titles").fill("runbook")
    expect(summary).to_have_text(ONE_MATCH)
    expect(_shown(page)).to_have_text([OBJECTIVE, tree.unit_goal.title, tree.draft.title])
    audit.check(page)
    page.get_by_label("Search titles").fill("enterprise")
    expect(summary).to_have_text(ONE_MATCH)
    expect(_shown(page)).to_have_text([ENTERPRISE])
    expect(page).to_have_url(re.compile(r"q=enterprise"))
    audit.check(page)
    page.get_by_label("Search titles").fill("no such goal")
    expect(summary).to_have_text("No goal matches.")
    expect(page.get_by_role("tree")).to_have_count(0)
    expect(page.get_by_text("No goal you can see matches these filters.")).to_be_visible()
    audit.check(page)


def test_the_tree_works_by_keyboard(transactional_db, cast, page, audit):
    tree = _tree(cast)
    log_in(page, audit, cast.manager)
    _tree_page(page, audit)
    objective, other = _item(page, tree.objective), _item(page, tree.other_objective)
    unit_goal, active, draft = (
        _item(page, tree.unit_goal),
        _item(page, tree.active),
        _item(page, tree.draft),
    )

    # The tree is one tab stop, after the filters.
    page.get_by_role("button", name="Filter").focus()
    page.keyboard.press("Tab")
    expect(objective).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(other).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(objective).to_be_focused()

    # Right opens (loading the children), then moves into the branch.
    with _children_loaded(page, tree.objective):
        page.keyboard.press("ArrowRight")
    expect(objective).to_have_attribute("aria-expanded", "true")
    expect(unit_goal).to_be_visible()
    expect(objective).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(unit_goal).to_be_focused()
    with _children_loaded(page, tree.unit_goal):
        page.keyboard.press("ArrowRight")
    expect(unit_goal).to_have_attribute("aria-expanded", "true")
    expect(_shown(page)).to_have_text(
        [OBJECTIVE, tree.unit_goal.title, tree.active.title, tree.draft.title, ENTERPRISE]
    )
    page.keyboard.press("ArrowDown")
    expect(active).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(draft).to_be_focused()
    audit.check(page)

    # Left goes up to the parent, then closes it, then goes up again.
    page.keyboard.press("ArrowLeft")
    expect(unit_goal).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(unit_goal).to_have_attribute("aria-expanded", "false")
    expect(active).to_be_hidden()
    expect(unit_goal).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(objective).to_be_focused()
    page.keyboard.press("End")
    expect(other).to_be_focused()
    page.keyboard.press("Home")
    expect(objective).to_be_focused()
    # Only the focused item is in the tab order (roving tabindex).
    expect(page.get_by_role("tree").locator('[tabindex="0"]')).to_have_count(1)
    expect(objective).to_have_attribute("tabindex", "0")

    # Left closes the objective; "*" opens everything below it.
    page.keyboard.press("ArrowLeft")
    expect(objective).to_have_attribute("aria-expanded", "false")
    expect(_shown(page)).to_have_text([OBJECTIVE, ENTERPRISE])
    with _children_loaded(page, tree.objective):
        page.keyboard.press("*")
    expect(_shown(page)).to_have_text(
        [OBJECTIVE, tree.unit_goal.title, tree.active.title, tree.draft.title, ENTERPRISE]
    )
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(active).to_be_focused()
    audit.check(page)

    # Enter opens the goal.
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(tree.active.title)
    audit.check(page)
