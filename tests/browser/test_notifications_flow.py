"""A manager approves a member's goal: the member's bell count rises, the inbox says who
did what, marking it read clears the bell, and the email is in the outbox."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from goals import services
from goals.access import Actor
from goals.models import Cycle, GoalStatus, Level
from orgs.tenancy import tenant_context
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

TITLE = "Onboard ten teams"


def _submitted_goal(cast):
    today = timezone.localdate()
    with tenant_context(cast.org.pk):
        cycle = Cycle.objects.create(
            org=cast.org, name="This quarter", start=today - timedelta(days=45),
            end=today + timedelta(days=45), status=Cycle.Status.ACTIVE,
        )  # fmt: skip
        objective = services.goal_create(
            actor=Actor(cast.admin), cycle=cycle, level=Level.ORGANISATION,
            title="Double weekly active teams", status=GoalStatus.APPROVED,
        )  # fmt: skip
        goal = services.goal_create(
            actor=Actor(cast.member), cycle=cycle, title=TITLE, parent=objective,
            key_results=[
                {"title": "Teams", "start_value": Decimal(0), "target_value": Decimal(10)}
            ],
        )  # fmt: skip
        return services.goal_submit(actor=Actor(cast.member), goal=goal)


def test_an_approval_raises_the_members_bell_and_emails_them(transactional_db, cast, new_page):
    goal = _submitted_goal(cast)
    member, member_audit = new_page()
    log_in(member, member_audit, cast.member)
    bell = member.locator("#bell")
    expect(bell).to_be_visible()
    expect(bell.locator(".bell-count")).to_have_count(0)

    manager, manager_audit = new_page()
    log_in(manager, manager_audit, cast.manager)
    manager.goto("/o/acme/goals/approvals/")
    manager_audit.check(manager)
    mail.outbox.clear()
    manager.locator(f"#approval-{goal.pk}").get_by_role(
        "button", name=re.compile(r"^Approve")
    ).click()
    expect(manager.locator(f"#approval-{goal.pk}")).to_have_text(re.compile(r"Done: Approved"))
    manager_audit.check(manager)

    member.reload()
    expect(bell.locator(".bell-count")).to_have_text("1 unread")
    member_audit.check(member)
    bell.click()
    expect(member.get_by_role("heading", level=1)).to_have_text("Notifications")
    entry = member.locator(".notification.unread")
    expect(entry).to_contain_text(f"Mallory Manager (Acme) approved your goal “{TITLE}”")
    member_audit.check(member)
    entry.get_by_role("button", name=re.compile(r"^Mark as read")).click()
    expect(member.locator(".notification.unread")).to_have_count(0)
    expect(bell.locator(".bell-count")).to_have_count(0)
    member_audit.check(member)

    (email,) = [m for m in mail.outbox if m.to == ["member@acme.test"]]
    assert email.subject == f"Your goal was approved: {TITLE}"
    assert f"/o/acme/goals/{goal.pk}/" in email.body
